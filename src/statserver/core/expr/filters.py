"""The filter language: Genesys ``[Filters]`` conditions on an action's attributes.

::

    PairExists("VIP", "yes") & ~(DNIS = "555*" | MediaType = email)

Atoms are ``PairExists("key", "value")`` (``PairExist`` also accepted; value ``"*"`` = any),
``KeyExists("key")``, ``ValueExists("value")`` — all three look in the action's user data,
reasons and extensions, comparing values as text — and attribute tests ``DNIS = 5551234`` /
``DNIS != "5551234"`` (a trailing ``*`` in the value matches a prefix).  A missing attribute
makes ``=`` false and ``!=`` true.  Connectives: ``~ ! not``, ``& and``, ``| or``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from ..items import Attrs
from .errors import ExprError
from .parser import FILTER, Binary, Call, Name, Node, Str, Unary, one_of, parse

__all__ = ["FILTER_ATTRIBUTES", "FILTER_FUNCTIONS", "Predicate", "compile_filter"]

Predicate = Callable[[Attrs], bool]
_Getter = Callable[[Attrs], object]


def _reason_code(a: Attrs) -> object:
    code = a.extensions.get("ReasonCode")
    return a.reasons.get("ReasonCode") if code is None else code


#: Attribute name (lower case) -> (spelling in messages, getter, compared case-insensitively).
_ATTRIBUTES: Final[dict[str, tuple[str, _Getter, bool]]] = {
    "dnis": ("DNIS", lambda a: a.dnis, False),
    "ani": ("ANI", lambda a: a.ani, False),
    "customerid": ("CustomerID", lambda a: a.customer_id, False),
    "tenantid": ("TenantID", lambda a: a.customer_id, False),
    "mediatype": ("MediaType", lambda a: a.media_type, True),
    "thisqueue": ("ThisQueue", lambda a: a.this_queue, False),
    "otherdn": ("OtherDN", lambda a: a.other_dn, False),
    "treatmenttype": ("TreatmentType", lambda a: a.treatment_type, True),
    "calltype": ("CallType", lambda a: a.call_type, True),
    "extensionreasoncode": ("ExtensionReasonCode", _reason_code, False),
}
#: Function name (lower case) -> (spelling, parameter names).
_FUNCTIONS: Final[dict[str, tuple[str, tuple[str, ...]]]] = {
    "pairexists": ("PairExists", ("key", "value")),
    "pairexist": ("PairExist", ("key", "value")),
    "keyexists": ("KeyExists", ("key",)),
    "valueexists": ("ValueExists", ("value",)),
}
FILTER_ATTRIBUTES: Final = tuple(spelling for spelling, _, _ in _ATTRIBUTES.values())
FILTER_FUNCTIONS: Final = ("PairExists", "KeyExists", "ValueExists")  # PairExist: a misspelling


def compile_filter(text: str) -> Predicate:
    """Compile a filter condition to a predicate on action attributes.

    Raises :class:`ExprError` when the text is malformed or names an unknown function or
    attribute.
    """
    return _Compiler(text).compile(parse(text, FILTER))


def _maps(a: Attrs) -> tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, Any]]:
    return (a.user_data, a.reasons, a.extensions)


def pair_exists(key: str, value: str) -> Predicate:
    if value == "*":
        return key_exists(key)

    def test(a: Attrs) -> bool:
        return any(key in m and str(m[key]) == value for m in _maps(a))

    return test


def key_exists(key: str) -> Predicate:
    return lambda a: key in a.user_data or key in a.reasons or key in a.extensions


def value_exists(value: str) -> Predicate:
    def test(a: Attrs) -> bool:
        return any(str(v) == value for m in _maps(a) for v in m.values())

    return test


def _matcher(pattern: str, fold: bool) -> Callable[[str], bool]:
    """Whether an attribute value matches ``pattern`` (trailing ``*`` = prefix)."""
    if fold:
        pattern = pattern.casefold()
    if pattern.endswith("*"):
        prefix = pattern[:-1]
        if fold:
            return lambda s: s.casefold().startswith(prefix)
        return lambda s: s.startswith(prefix)
    if fold:
        return lambda s: s.casefold() == pattern
    return lambda s: s == pattern


class _Compiler:
    def __init__(self, text: str) -> None:
        self.text = text

    def fail(self, node: Node, problem: str, expected: str) -> ExprError:
        return ExprError(problem, text=self.text, pos=node.pos, expected=expected)

    def compile(self, node: Node) -> Predicate:
        if isinstance(node, Binary) and node.op in ("and", "or"):
            left, right = self.compile(node.left), self.compile(node.right)
            if node.op == "and":
                return lambda a: left(a) and right(a)
            return lambda a: left(a) or right(a)
        if isinstance(node, Unary):  # the filter grammar has only "not"
            inner = self.compile(node.operand)
            return lambda a: not inner(a)
        if isinstance(node, Binary):
            return self.comparison(node)
        if isinstance(node, Call):
            return self.call(node)
        if isinstance(node, Name) and node.name.lower() in _ATTRIBUTES:
            spelling = _ATTRIBUTES[node.name.lower()][0]
            raise self.fail(
                node,
                f"attribute {spelling} needs a comparison",
                f"'=' or '!=' and a value, as in {spelling} = 5551234",
            )
        if isinstance(node, Name):
            raise self.fail(
                node,
                f"unknown condition {node.name!r}",
                f"a function ({one_of(FILTER_FUNCTIONS)}) "
                f"or an attribute test on {one_of(FILTER_ATTRIBUTES)}",
            )
        raise self.fail(node, "a value alone is not a condition", FILTER.operand)

    def literal(self, node: Node, what: str) -> str:
        if isinstance(node, Str):
            return node.value
        if isinstance(node, Name):
            return node.name
        raise self.fail(node, f"the {what} must be a plain value", 'a word or a "quoted string"')

    def comparison(self, node: Binary) -> Predicate:
        left = node.left
        if not isinstance(left, Name):
            raise self.fail(
                left,
                f"the left side of '{node.op}' must be an attribute",
                one_of(FILTER_ATTRIBUTES),
            )
        found = _ATTRIBUTES.get(left.name.lower())
        if found is None:
            raise self.fail(left, f"unknown attribute {left.name!r}", one_of(FILTER_ATTRIBUTES))
        spelling, get, fold = found
        value = self.literal(node.right, "value compared")
        if spelling == "ThisQueue" and "@" in value:
            # events carry the queue's bare number; 8000@SW1 and 8000 both match it
            value = value.split("@", 1)[0]
        match = _matcher(value, fold)
        if node.op == "=":

            def equal(a: Attrs) -> bool:
                v = get(a)
                return v is not None and match(str(v))

            return equal

        def different(a: Attrs) -> bool:
            v = get(a)
            return v is None or not match(str(v))

        return different

    def call(self, node: Call) -> Predicate:
        found = _FUNCTIONS.get(node.name.lower())
        if found is None:
            raise self.fail(node, f"unknown function {node.name!r}", one_of(FILTER_FUNCTIONS))
        spelling, params = found
        if len(node.args) != len(params):
            usage = ", ".join(f'"{p}"' for p in params)
            raise self.fail(
                node,
                f"{spelling} takes {len(params)} argument{'s' if len(params) > 1 else ''}, "
                f"got {len(node.args)}",
                f"{spelling}({usage})",
            )
        args = [
            self.literal(arg, f"{p} of {spelling}")
            for arg, p in zip(node.args, params, strict=True)
        ]
        if len(args) == 2:
            return pair_exists(args[0], args[1])
        if params == ("key",):
            return key_exists(args[0])
        return value_exists(args[0])
