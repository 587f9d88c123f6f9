"""The expression languages of Stat Server, compiled once to plain Python closures.

* :func:`compile_filter` — ``[Filters]`` conditions on an action's attributes;
* :func:`compile_group_script` — virtual agent group scripts;
* :func:`compile_formula` — ``Category=Formula`` expressions over aggregates of actions;
* :func:`compile_custom_value` — a stat type's ``Formula = [DistByConnID,] <expr>``.

All four share one tokenizer (:mod:`.lexer`) and one parser (:mod:`.parser`), and raise
:class:`ExprError` (a ``ValueError``) saying what is wrong, at which column, and what is
accepted.  ``docs/expressions.md`` is the user reference.
"""

from __future__ import annotations

from .errors import ExprError
from .filters import FILTER_ATTRIBUTES, FILTER_FUNCTIONS, Predicate, compile_filter
from .formula import (
    Aggregate,
    CustomValue,
    Formula,
    Row,
    RowFn,
    compile_custom_value,
    compile_formula,
    parse_number,
)
from .scripts import SCRIPT_FUNCTIONS, AgentFacts, GroupScript, compile_group_script

__all__ = [
    "FILTER_ATTRIBUTES",
    "FILTER_FUNCTIONS",
    "SCRIPT_FUNCTIONS",
    "AgentFacts",
    "Aggregate",
    "CustomValue",
    "ExprError",
    "Formula",
    "GroupScript",
    "Predicate",
    "Row",
    "RowFn",
    "compile_custom_value",
    "compile_filter",
    "compile_formula",
    "compile_group_script",
    "parse_number",
]
