"""The virtual agent group script language: which agents belong to a virtual group.

::

    Skill("Billing") >= 3 & SkillExists("French") & ~LoggedIn("8000@SW1")

Atoms are ``Skill("name") <op> <whole number>`` (``= == != <> >= <= > <``; an agent without
the skill never satisfies the comparison), ``SkillExists("name")`` and ``LoggedIn("X")``
(``X`` is a switch when it is one of the known switch names, a queue otherwise).
Connectives: ``~ ! not``, ``& and``, ``| or``, parentheses.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

from .errors import ExprError
from .parser import COMPARISONS, SCRIPT, Binary, Call, Node, Num, Str, Unary, one_of, parse

__all__ = ["SCRIPT_FUNCTIONS", "AgentFacts", "GroupScript", "compile_group_script"]


class AgentFacts(Protocol):
    """What a group script may ask about one agent."""

    def skill_level(self, name: str) -> int | None:
        """The agent's level in skill ``name``; ``None`` when the agent lacks it."""
        ...

    def logged_in_queue(self, queue_key: str) -> bool:
        """Whether the agent is logged in to queue ``queue_key`` (``8000@SW1``)."""
        ...

    def logged_in_switch(self, switch: str) -> bool:
        """Whether the agent is logged in on switch ``switch``."""
        ...


_Test = Callable[[AgentFacts], bool]


@dataclass(frozen=True)
class GroupScript:
    """A compiled group script and what it depends on.

    The engine re-evaluates an agent's membership when one of ``skills`` changes or the
    agent logs in or out of one of ``queues`` or ``switches``.
    """

    text: str
    skills: frozenset[str]
    queues: frozenset[str]
    switches: frozenset[str]
    predicate: _Test = field(repr=False, compare=False)

    def matches(self, facts: AgentFacts) -> bool:
        """Whether the agent described by ``facts`` belongs to the group."""
        return self.predicate(facts)

    def __reduce__(
        self,
    ) -> tuple[Callable[[str, frozenset[str]], GroupScript], tuple[str, frozenset[str]]]:
        # compiled closures do not pickle: a snapshot keeps the text and compiles it again
        return (compile_group_script, (self.text, self.switches))


SCRIPT_FUNCTIONS: Final = ("Skill", "SkillExists", "LoggedIn")
_OPS: Final[dict[str, Callable[[int, int], bool]]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_FLIPPED: Final = {"=": "=", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


def compile_group_script(text: str, switch_names: frozenset[str] = frozenset()) -> GroupScript:
    """Compile a virtual agent group script.

    ``LoggedIn("X")`` tests a switch when ``X`` is in ``switch_names``, a queue otherwise.
    Raises :class:`ExprError` when the text is malformed or names an unknown function.
    """
    c = _Compiler(text, switch_names)
    test = c.compile(parse(text, SCRIPT))
    return GroupScript(text, frozenset(c.skills), frozenset(c.queues), frozenset(c.switches), test)


class _Compiler:
    def __init__(self, text: str, switch_names: frozenset[str]) -> None:
        self.text = text
        self.switch_names = switch_names
        self.skills: set[str] = set()
        self.queues: set[str] = set()
        self.switches: set[str] = set()

    def fail(self, node: Node, problem: str, expected: str) -> ExprError:
        return ExprError(problem, text=self.text, pos=node.pos, expected=expected)

    def compile(self, node: Node) -> _Test:
        if isinstance(node, Binary) and node.op in ("and", "or"):
            left, right = self.compile(node.left), self.compile(node.right)
            if node.op == "and":
                return lambda f: left(f) and right(f)
            return lambda f: left(f) or right(f)
        if isinstance(node, Unary) and node.op == "not":
            inner = self.compile(node.operand)
            return lambda f: not inner(f)
        if isinstance(node, Binary) and node.op in COMPARISONS:
            return self.comparison(node)
        if isinstance(node, Call):
            return self.call(node)
        raise self.fail(node, "this is not a condition", SCRIPT.operand)

    def comparison(self, node: Binary) -> _Test:
        op, skill, level = node.op, node.left, node.right
        if not self._is_skill(skill) and self._is_skill(level):
            op, skill, level = _FLIPPED[op], level, skill
        if not isinstance(skill, Call) or not self._is_skill(skill):
            raise self.fail(
                skill,
                "only skill levels can be compared",
                'Skill("name") followed by a comparison and a whole number',
            )
        name = self.name_argument(skill, "Skill")
        number = self.whole_number(level)
        compare = _OPS[op]
        self.skills.add(name)

        def test(f: AgentFacts) -> bool:
            have = f.skill_level(name)
            return have is not None and compare(have, number)

        return test

    def _is_skill(self, node: Node) -> bool:
        return isinstance(node, Call) and node.name.lower() == "skill"

    def whole_number(self, node: Node) -> int:
        sign = 1
        if isinstance(node, Unary) and node.op == "-":
            sign, node = -1, node.operand
        if isinstance(node, Num) and isinstance(node.value, int):
            return sign * node.value
        raise self.fail(node, "a skill level must be compared to a number", "a whole number")

    def name_argument(self, node: Call, spelling: str) -> str:
        if len(node.args) != 1:
            raise self.fail(
                node,
                f"{spelling} takes 1 argument, got {len(node.args)}",
                f'{spelling}("name")',
            )
        arg = node.args[0]
        if not isinstance(arg, Str):
            raise self.fail(arg, f"the argument of {spelling} must be quoted", '"name"')
        return arg.value

    def call(self, node: Call) -> _Test:
        func = node.name.lower()
        if func == "skill":
            raise self.fail(
                node,
                "Skill(...) needs a comparison",
                'a level test such as Skill("name") >= 1, or SkillExists("name")',
            )
        if func == "skillexists":
            name = self.name_argument(node, "SkillExists")
            self.skills.add(name)
            return lambda f: f.skill_level(name) is not None
        if func == "loggedin":
            target = self.name_argument(node, "LoggedIn")
            if target in self.switch_names:
                self.switches.add(target)
                return lambda f: f.logged_in_switch(target)
            self.queues.add(target)
            return lambda f: f.logged_in_queue(target)
        raise self.fail(node, f"unknown function {node.name!r}", one_of(SCRIPT_FUNCTIONS))
