"""Formulas (``Category=Formula``) and custom values (``Formula = DistByConnID, <expr>``).

A formula is arithmetic over *aggregates* of actions::

    100 * COUNT(CallAnswered; duration < 20) / COUNT(CallAnswered)
    @COUNT(CallWait; duration > 10)
    AVG(CallInbound; kvnum(udata, "Priority"))

``COUNT(actions[; condition])`` and ``SUM/AVG/MIN/MAX(actions; value[; condition])`` are
*historical* (actions completed in the interval); with ``@`` they are *current* (actions in
progress now).  The engine computes each aggregate (:attr:`Formula.aggregates`, using the
compiled *row* functions on each action) and then :meth:`Formula.evaluate` combines them.

Values are numbers, strings, booleans or ``None`` (no data).  Arithmetic with ``None`` or
with a string gives ``None``, as does division by zero; comparisons with ``None`` are false
(``!=`` true) unless both sides are ``None``; a string compared with a number is read as a
number.  Conditions hold when they are true, non-zero or a non-empty string.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Final, Protocol

from ..items import Attrs
from .errors import ExprError
from .lexer import NAME
from .parser import (
    COMPARISONS,
    FORMULA,
    ROW,
    AggCall,
    Binary,
    Call,
    Name,
    Node,
    Num,
    Parser,
    Str,
    Unary,
    one_of,
)

__all__ = [
    "Aggregate",
    "CustomValue",
    "Formula",
    "Row",
    "RowFn",
    "compile_custom_value",
    "compile_formula",
    "parse_number",
]


class Row(Protocol):
    """One action as aggregates see it."""

    @property
    def attrs(self) -> Attrs: ...
    @property
    def duration(self) -> int: ...
    @property
    def start(self) -> int: ...
    @property
    def name(self) -> str: ...


RowFn = Callable[[Row], object]
_Fn = Callable[[Any], object]  # a compiled node: context is a Row, or (values, env)


@dataclass(frozen=True)
class Aggregate:
    """One ``COUNT/SUM/AVG/MIN/MAX`` of a formula, numbered in order of appearance.

    ``value`` is ``None`` for COUNT; ``condition`` (``None`` = every action) returns a bool.
    """

    index: int
    current: bool
    func: str
    actions: tuple[str, ...]
    value: RowFn | None
    condition: RowFn | None


@dataclass(frozen=True)
class Formula:
    """A compiled formula: its aggregates, and how to combine their values."""

    text: str
    aggregates: tuple[Aggregate, ...]
    outer: _Fn = field(repr=False, compare=False)

    def evaluate(
        self, values: Sequence[float | None], env: Mapping[str, float]
    ) -> float | str | None:
        """The formula's value given each aggregate's value (``None`` = no data) and the
        system variables in ``env`` (``interval_length``, ``now``).

        ``None`` when the result is not a finite number or a string.
        """
        if len(values) != len(self.aggregates):
            msg = f"{len(self.aggregates)} aggregate values expected, got {len(values)}"
            raise ValueError(msg)
        v = self.outer((values, env))
        if v is None or isinstance(v, str):
            return v
        f = _numeric(float)(v)
        return f if isinstance(f, float) and math.isfinite(f) else None

    def __reduce__(self) -> tuple[Callable[[str], Formula], tuple[str]]:
        # compiled closures do not pickle: a snapshot keeps the text and compiles it again
        return (compile_formula, (self.text,))


@dataclass(frozen=True)
class CustomValue:
    """A stat type's custom value: ``value`` is computed on each action."""

    text: str
    distinct_by_conn_id: bool
    value: RowFn = field(repr=False, compare=False)

    def __reduce__(self) -> tuple[Callable[[str], CustomValue], tuple[str]]:
        return (compile_custom_value, (self.text,))


def compile_formula(text: str) -> Formula:
    """Compile a ``Category=Formula`` expression; raises :class:`ExprError`."""
    c = _Compiler(text, row=False)
    outer = c.compile(Parser(text, FORMULA).parse())
    return Formula(text, tuple(c.aggregates), outer)


def compile_custom_value(text: str) -> CustomValue:
    """Compile ``[DistByConnID,] <row expression>``; raises :class:`ExprError`."""
    p = Parser(text, ROW)
    first, second = p.peek(), p.peek(1)
    distinct = first.kind == NAME and first.text.lower() == "distbyconnid"
    if distinct and not second.is_op(","):
        raise p.error(second, "',' and the value, as in DistByConnID, GetNumber(\"key\", 0)")
    p.i = 2 if distinct else 0
    return CustomValue(text, distinct, _Compiler(text, row=True).compile(p.parse()))


# -- values ------------------------------------------------------------------------------

_NUMBER_RE: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")


def parse_number(v: object) -> int | float | None:
    """A number from a key-value value: ints and floats as they are, strings holding an
    integer, a fixed-point or an e-notation number; ``None`` for anything else."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int | float):
        return v
    if isinstance(v, str) and _NUMBER_RE.fullmatch(s := v.strip()):
        return int(s) if s.lstrip("+-").isdigit() else float(s)
    return None


def _num(v: object) -> int | float | None:
    return v if isinstance(v, int | float) else None


def _text(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return "" if v is None else str(v)


def _arith(op: Callable[[Any, Any], object]) -> Callable[[object, object], object]:
    def apply(a: object, b: object) -> object:
        x, y = _num(a), _num(b)
        if x is None or y is None or (op is operator.truediv and y == 0):
            return None
        try:
            return op(x, y)
        except (OverflowError, ValueError):
            return None

    return apply


_ARITH: Final = {
    "+": _arith(operator.add),
    "-": _arith(operator.sub),
    "*": _arith(operator.mul),
    "/": _arith(operator.truediv),
}
_ORDER: Final[dict[str, Callable[[Any, Any], bool]]] = {
    "=": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def _compare(op: str, a: object, b: object) -> bool:
    if a is None or b is None:
        return (a is b) == (op == "=") if op in ("=", "!=") else False
    if isinstance(a, str) != isinstance(b, str):
        a, b = (parse_number(a), b) if isinstance(a, str) else (a, parse_number(b))
        if a is None or b is None:
            return op == "!="
    both_text = isinstance(a, str) and isinstance(b, str)
    if not both_text and (_num(a) is None or _num(b) is None):
        return op == "!="
    return _ORDER[op](a, b)


def _round(x: object, digits: object = 0) -> object:
    n, d = _num(x), _num(digits)
    if n is None or d is None:
        return None
    try:
        exact = Decimal(repr(n) if isinstance(n, float) else n)
        r = exact.quantize(Decimal(1).scaleb(-int(d)), rounding=ROUND_HALF_UP)
    except (InvalidOperation, OverflowError, ValueError):
        return n
    return int(r) if d <= 0 else float(r)


def _numeric(f: Callable[[Any], object]) -> Callable[[object], object]:
    def apply(x: object) -> object:
        n = _num(x)
        try:
            return None if n is None else f(n)
        except (OverflowError, ValueError):
            return None

    return apply


def _extreme(pick: Callable[..., Any]) -> Callable[..., object]:
    def apply(*args: object) -> object:
        present = [a for a in args if a is not None]
        if present and all(isinstance(a, str) for a in present):
            return pick(present)
        if present and all(_num(a) is not None for a in present):
            return pick(present)
        return None

    return apply


def _string(f: Callable[[str], object]) -> Callable[[object], object]:
    return lambda v: None if v is None else f(_text(v))


def _kvnum(m: Mapping[str, Any], key: object, default: object = 0) -> object:
    n = parse_number(m.get(_text(key)))
    return default if n is None else n


def _kvstr(m: Mapping[str, Any], key: object, default: object = "") -> object:
    v = m.get(_text(key))
    return default if v is None else _text(v)


def _kvexists(m: Mapping[str, Any], key: object, *value: object) -> bool:
    k = _text(key)
    if k not in m:
        return False
    return not value or _text(value[0]) in ("*", _text(m[k]))


def _get_number(r: Row, key: object, default: object = 0) -> object:
    k = _text(key)
    for m in (r.attrs.user_data, r.attrs.reasons):
        n = parse_number(m.get(k))
        if n is not None:
            return n
    return default


def _get_string(r: Row, key: object, default: object = "") -> object:
    k = _text(key)
    for m in (r.attrs.user_data, r.attrs.reasons):
        if m.get(k) is not None:
            return _text(m[k])
    return default


# -- names and functions -----------------------------------------------------------------

_ROW_NAMES: Final[dict[str, Callable[[Row], object]]] = {
    "duration": lambda r: r.duration,
    "start": lambda r: r.start,
    "action": lambda r: r.name,
    "ani": lambda r: r.attrs.ani,
    "dnis": lambda r: r.attrs.dnis,
    "media": lambda r: r.attrs.media_type,
    "mediatype": lambda r: r.attrs.media_type,
    "connid": lambda r: r.attrs.conn_id,
    "calltype": lambda r: r.attrs.call_type,
    "thisqueue": lambda r: r.attrs.this_queue,
    "customerid": lambda r: r.attrs.customer_id,
    "otherdn": lambda r: r.attrs.other_dn,
    "treatmenttype": lambda r: r.attrs.treatment_type,
}
_KV_NAMES: Final[dict[str, Callable[[Row], Mapping[str, Any]]]] = {
    "udata": lambda r: r.attrs.user_data,
    "global_udata": lambda r: r.attrs.user_data,
    "reasons": lambda r: r.attrs.reasons,
    "extensions": lambda r: r.attrs.extensions,
}
_ENV_NAMES: Final = ("interval_length", "now")


@dataclass(frozen=True)
class _Function:
    usage: str
    least: int
    most: int | None  # None: any number
    impl: Callable[..., object]
    kind: str = "plain"  # plain; kv (first argument a KV list); row (gets the Row); lazy (if)


_FUNCTIONS: Final = {
    f.usage.split("(")[0].lower(): f
    for f in (
        _Function("abs(x)", 1, 1, _numeric(abs)),
        _Function("round(x[, digits])", 1, 2, _round),
        _Function("floor(x)", 1, 1, _numeric(math.floor)),
        _Function("ceil(x)", 1, 1, _numeric(math.ceil)),
        _Function("min(a, b, ...)", 1, None, _extreme(min)),
        _Function("max(a, b, ...)", 1, None, _extreme(max)),
        _Function("if(condition, then, else)", 3, 3, lambda *a: None, "lazy"),
        _Function("len(text)", 1, 1, _string(len)),
        _Function("lower(text)", 1, 1, _string(str.lower)),
        _Function("upper(text)", 1, 1, _string(str.upper)),
        _Function("concat(a, b, ...)", 1, None, lambda *a: "".join(map(_text, a))),
        _Function(
            "coalesce(a, b, ...)", 1, None, lambda *a: next((v for v in a if v is not None), None)
        ),
        _Function('kvnum(udata, "key"[, default])', 2, 3, _kvnum, "kv"),
        _Function('kvstr(udata, "key"[, default])', 2, 3, _kvstr, "kv"),
        _Function('kvexists(udata, "key"[, "value"])', 2, 3, _kvexists, "kv"),
        _Function('GetNumber("key"[, default])', 1, 2, _get_number, "row"),
        _Function(
            'GetGlobalNumber("key"[, default])',
            1,
            2,
            lambda r, *a: _kvnum(r.attrs.user_data, *a),
            "row",
        ),
        _Function('GetString("key"[, default])', 1, 2, _get_string, "row"),
    )
}
_SPELLINGS: Final = tuple(f.usage.split("(")[0] for f in _FUNCTIONS.values())


class _Compiler:
    def __init__(self, text: str, *, row: bool) -> None:
        self.text = text
        self.row = row  # compiling for one action (inside an aggregate, or a custom value)
        self.aggregates: list[Aggregate] = []

    def fail(self, node: Node, problem: str, expected: str) -> ExprError:
        return ExprError(problem, text=self.text, pos=node.pos, expected=expected)

    def compile(self, node: Node) -> _Fn:
        if isinstance(node, Num | Str):
            value = node.value
            return lambda c: value
        if isinstance(node, Name):
            return self.name(node)
        if isinstance(node, Unary):
            inner = self.compile(node.operand)
            if node.op == "not":
                return lambda c: not inner(c)
            return lambda c: None if (n := _num(inner(c))) is None else -n
        if isinstance(node, Binary):
            left, right = self.compile(node.left), self.compile(node.right)
            if node.op == "and":
                return lambda c: bool(left(c)) and bool(right(c))
            if node.op == "or":
                return lambda c: bool(left(c)) or bool(right(c))
            if node.op in COMPARISONS:
                op = node.op
                return lambda c: _compare(op, left(c), right(c))
            arith = _ARITH[node.op]
            return lambda c: arith(left(c), right(c))
        if isinstance(node, Call):
            return self.call(node)
        return self.aggregate(node)

    def name(self, node: Name) -> _Fn:
        key = node.name.lower()
        if self.row and key in _ROW_NAMES:
            return _ROW_NAMES[key]
        if not self.row and key in _ENV_NAMES:
            return lambda c: c[1].get(key)
        if key in _KV_NAMES:
            raise self.fail(
                node,
                f"{node.name} is a key-value list, not a value",
                f'kvnum({key}, "key"), kvstr({key}, "key") or kvexists({key}, "key")',
            )
        if key in _ROW_NAMES:
            raise self.fail(
                node,
                f"{node.name!r} is a property of an action, usable only inside an aggregate",
                "an aggregate such as AVG(CallInbound; duration)",
            )
        accepted = sorted(_ROW_NAMES) + sorted(_KV_NAMES) if self.row else list(_ENV_NAMES)
        where = "" if self.row else " (action properties only inside aggregates)"
        raise self.fail(node, f"unknown name {node.name!r}", one_of(accepted) + where)

    def call(self, node: Call) -> _Fn:
        f = _FUNCTIONS.get(node.name.lower())
        if f is None and node.name.upper() in ("COUNT", "SUM", "AVG"):
            raise self.fail(node, "aggregates are not available here", "a value of one action")
        if f is None:
            raise self.fail(node, f"unknown function {node.name!r}", one_of(_SPELLINGS))
        spelling = f.usage.split("(")[0]
        if f.kind in ("kv", "row") and not self.row:
            raise self.fail(
                node,
                f"{spelling} reads an action, usable only inside an aggregate",
                f"an aggregate such as AVG(CallInbound; {f.usage})",
            )
        n, least, most = len(node.args), f.least, f.most
        if n < least or (most is not None and n > most):
            count = f"{least}" if most == least else f"{least} or {most}"
            count = f"at least {least}" if most is None else count
            raise self.fail(node, f"{spelling} takes {count} arguments, got {n}", f.usage)
        impl = f.impl
        if f.kind == "kv":
            kv = node.args[0]
            if not isinstance(kv, Name) or kv.name.lower() not in _KV_NAMES:
                raise self.fail(
                    kv,
                    f"the first argument of {spelling} must be a key-value list",
                    one_of(_KV_NAMES),
                )
            get = _KV_NAMES[kv.name.lower()]
            rest = tuple(self.compile(a) for a in node.args[1:])
            return lambda r: impl(get(r), *(a(r) for a in rest))
        args = tuple(self.compile(a) for a in node.args)
        if f.kind == "row":
            return lambda r: impl(r, *(a(r) for a in args))
        if f.kind == "lazy":
            test, then, other = args
            return lambda c: then(c) if test(c) else other(c)
        return lambda c: impl(*(a(c) for a in args))

    def aggregate(self, node: AggCall) -> _Fn:
        index = len(self.aggregates)
        rows = _Compiler(self.text, row=True)
        fns = [rows.compile(section) for section in node.sections]
        value = fns.pop(0) if node.func != "COUNT" else None
        condition = _truth(fns[0]) if fns else None
        agg = Aggregate(index, node.current, node.func, node.actions, value, condition)
        self.aggregates.append(agg)
        return lambda c: c[0][index]


def _truth(f: _Fn) -> RowFn:
    return lambda r: bool(f(r))
