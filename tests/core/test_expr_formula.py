"""Formulas (``Category=Formula``) and custom values (``Formula = DistByConnID, ...``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from statserver.core.expr import (
    Aggregate,
    CustomValue,
    ExprError,
    compile_custom_value,
    compile_formula,
    parse_number,
)
from statserver.core.items import EMPTY_ATTRS, Attrs


@dataclass(frozen=True)
class R:
    """One action as an aggregate sees it."""

    attrs: Attrs = EMPTY_ATTRS
    duration: int = 0
    start: int = 0
    name: str = "CallInbound"


def row_value(expr: str, row: R) -> object:
    """The value of a row expression (compiled as a custom value) on ``row``."""
    return compile_custom_value(expr).value(row)


def outer(text: str, values: Sequence[float | None] = (), env: Mapping[str, float] = {}) -> Any:
    """The value of a formula given its aggregates' values."""
    return compile_formula(text).evaluate(values, env)


# -- aggregates --------------------------------------------------------------------------


def test_current_count_with_condition() -> None:
    """@COUNT(CallWait; duration > 10): current, COUNT, one action, a condition."""
    f = compile_formula("@COUNT(CallWait; duration > 10)")
    (agg,) = f.aggregates
    assert (agg.index, agg.current, agg.func, agg.actions, agg.value) == (
        0,
        True,
        "COUNT",
        ("CallWait",),
        None,
    )
    assert agg.condition is not None
    assert agg.condition(R(duration=11)) is True
    assert agg.condition(R(duration=10)) is False
    assert f.evaluate([4.0], {}) == 4.0


def test_historical_average_of_user_data_number() -> None:
    """AVG(CallInbound; kvnum(udata, "Priority")) is historical with a value and no condition."""
    (agg,) = compile_formula('AVG(CallInbound; kvnum(udata, "Priority"))').aggregates
    assert (agg.current, agg.func, agg.actions, agg.condition) == (
        False,
        "AVG",
        ("CallInbound",),
        None,
    )
    assert agg.value is not None
    assert agg.value(R(Attrs(user_data={"Priority": "7"}))) == 7


def test_count_over_several_actions_with_kvexists() -> None:
    """Several actions are kept in order; kvexists tests key and value."""
    text = '@COUNT(CallInternal, CallInbound, CallConsult; kvexists(udata, "Language", "English"))'
    (agg,) = compile_formula(text).aggregates
    assert agg.actions == ("CallInternal", "CallInbound", "CallConsult")
    assert agg.condition is not None
    assert agg.condition(R(Attrs(user_data={"Language": "English"}))) is True
    assert agg.condition(R(Attrs(user_data={"Language": "French"}))) is False


def test_sum_with_default() -> None:
    """@SUM(CallWait; kvnum(global_udata, "amount", -1)) uses -1 when the key is missing."""
    (agg,) = compile_formula('@SUM(CallWait; kvnum(global_udata, "amount", -1))').aggregates
    assert agg.value is not None
    assert agg.value(R()) == -1
    assert agg.value(R(Attrs(user_data={"amount": "12.5"}))) == 12.5


def test_value_and_condition() -> None:
    """@AVG(actions; value; condition) keeps both row functions."""
    (agg,) = compile_formula("@AVG(CallOutbound; duration; duration > 0 & duration < 5)").aggregates
    assert agg.value is not None
    assert agg.condition is not None
    assert agg.value(R(duration=3)) == 3
    assert [agg.condition(R(duration=d)) for d in (0, 1, 4, 5)] == [False, True, True, False]


def test_aggregates_numbered_in_order_and_combined() -> None:
    """Aggregates are indexed left to right; evaluate() combines their values."""
    f = compile_formula("100 * COUNT(CallAnswered; duration < 20) / COUNT(CallAnswered)")
    assert [(a.index, a.func, a.condition is None) for a in f.aggregates] == [
        (0, "COUNT", False),
        (1, "COUNT", True),
    ]
    assert f.evaluate([15, 20], {}) == 75.0


def test_action_lists_keep_masks_raw() -> None:
    """'*', '~Name' and masks such as Call* are kept as written, for the engine to expand."""
    (agg,) = compile_formula("COUNT(*, ~CallConsult, Call*, ~ Call*Out)").aggregates
    assert agg.actions == ("*", "~CallConsult", "Call*", "~Call*Out")


@pytest.mark.parametrize(
    ("text", "funcs"),
    [
        pytest.param("MIN(CallWait; duration)", ["MIN"], id="min-aggregate"),
        pytest.param("MAX(CallWait; duration; start > 0)", ["MAX"], id="max-aggregate"),
        pytest.param("max(COUNT(CallWait), 5)", ["COUNT"], id="max-scalar-of-aggregate"),
        pytest.param("@MIN(CallWait; min(duration, 60))", ["MIN"], id="min-inside-aggregate"),
        pytest.param("sum(CallWait; 1) + avg(CallWait; 2)", ["SUM", "AVG"], id="any-case"),
    ],
)
def test_min_max_aggregate_or_function(text: str, funcs: list[str]) -> None:
    """MIN/MAX with a ';' are aggregates; min(a, b)/max(a, b) without one are functions."""
    assert [a.func for a in compile_formula(text).aggregates] == funcs


def test_formula_without_aggregates_and_env() -> None:
    """interval_length and now come from env; a missing variable is no data."""
    assert outer("COUNT(CallInbound) / interval_length * 60", [30], {"interval_length": 900}) == 2.0
    assert outer("now - 100", env={"now": 1000}) == 900.0
    assert outer("now") is None


def test_evaluate_checks_the_number_of_values() -> None:
    """evaluate() refuses a values list that does not match the aggregates."""
    with pytest.raises(ValueError, match="1 aggregate values expected, got 0"):
        compile_formula("COUNT(A)").evaluate([], {})


# -- operators and values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("1 + 2 * 3", 7.0, id="times-before-plus"),
        pytest.param("(1 + 2) * 3", 9.0, id="parentheses"),
        pytest.param("10 - 4 - 3", 3.0, id="minus-left-assoc"),
        pytest.param("12 / 4 / 3", 1.0, id="divide-left-assoc"),
        pytest.param("7 / 2", 3.5, id="true-division"),
        pytest.param("-2 * 3", -6.0, id="unary-minus"),
        pytest.param("2 - -3", 5.0, id="double-minus"),
        pytest.param("1.5e2 + .5", 150.5, id="float-literals"),
        pytest.param("1 / 0", None, id="division-by-zero"),
        pytest.param('1 + "a"', None, id="arithmetic-on-text"),
        pytest.param("3 > 2", 1.0, id="true-is-one"),
        pytest.param("3 < 2", 0.0, id="false-is-zero"),
        pytest.param("2 = 2.0", 1.0, id="equal"),
        pytest.param("2 == 2", 1.0, id="double-equal"),
        pytest.param("2 != 2", 0.0, id="not-equal"),
        pytest.param("2 <> 3", 1.0, id="angle-not-equal"),
        pytest.param("2 <= 2 & 3 >= 4", 0.0, id="and"),
        pytest.param("2 <= 2 | 3 >= 4", 1.0, id="or"),
        pytest.param("1 and 0 or 1", 1.0, id="words"),
        pytest.param("~1", 0.0, id="tilde-not"),
        pytest.param("!0", 1.0, id="bang-not"),
        pytest.param("not 1 = 2", 1.0, id="not-covers-comparison"),
        pytest.param("1 | 0 & 0", 1.0, id="and-before-or"),
        pytest.param("1 + 1 = 2", 1.0, id="arithmetic-before-comparison"),
        pytest.param('"5" = 5', 1.0, id="text-compared-as-number"),
        pytest.param('"abc" = 5', 0.0, id="text-not-a-number"),
        pytest.param('"abc" < "abd"', 1.0, id="text-order"),
        pytest.param('"say \\"hi\\""', 'say "hi"', id="string-escapes"),
    ],
)
def test_operators(text: str, expected: object) -> None:
    """Arithmetic, comparisons and logic follow the documented precedence."""
    assert outer(text) == expected


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        pytest.param("AVG(A; duration) + 1", [None], None, id="no-data-propagates"),
        pytest.param("AVG(A; duration) * 0", [None], None, id="no-data-times-zero"),
        pytest.param("coalesce(AVG(A; duration), 0)", [None], 0.0, id="coalesce-no-data"),
        pytest.param("AVG(A; duration) = AVG(B; duration)", [None, None], 1.0, id="none-eq-none"),
        pytest.param("AVG(A; duration) = 1", [None], 0.0, id="none-eq-value"),
        pytest.param("AVG(A; duration) != 1", [None], 1.0, id="none-ne-value"),
        pytest.param("AVG(A; duration) > 1", [None], 0.0, id="none-ordering"),
        pytest.param("COUNT(A) / COUNT(B)", [3, 0], None, id="ratio-of-nothing"),
    ],
)
def test_no_data(text: str, values: list[float | None], expected: object) -> None:
    """None (no data) propagates through arithmetic; comparisons treat it as its own value."""
    assert outer(text, values) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("abs(-2.5)", 2.5, id="abs"),
        pytest.param("round(2.5)", 3.0, id="round-half-up"),
        pytest.param("round(-2.5)", -3.0, id="round-half-away-from-zero"),
        pytest.param("round(2.675, 2)", 2.68, id="round-digits-decimal"),
        pytest.param("round(1250, -2)", 1300.0, id="round-negative-digits"),
        pytest.param("floor(-1.5)", -2.0, id="floor"),
        pytest.param("ceil(1.2)", 2.0, id="ceil"),
        pytest.param("min(3, 1, 2)", 1.0, id="min"),
        pytest.param("max(3, 1, 2)", 3.0, id="max"),
        pytest.param("max(1 / 0, 2)", 2.0, id="max-skips-no-data"),
        pytest.param('max("a", "b")', "b", id="max-text"),
        pytest.param('max("a", 1)', None, id="max-mixed"),
        pytest.param('if(2 > 1, "yes", "no")', "yes", id="if-then"),
        pytest.param('if(0, "yes", "no")', "no", id="if-else"),
        pytest.param("if(1, 5, 1 / 0)", 5.0, id="if-lazy"),
        pytest.param('len("abc")', 3.0, id="len"),
        pytest.param('lower("AbC")', "abc", id="lower"),
        pytest.param('upper("AbC")', "ABC", id="upper"),
        pytest.param('concat("a", 1, "-", 2.5, 1 / 0)', "a1-2.5", id="concat"),
        pytest.param("coalesce(1 / 0, 1 / 0, 7)", 7.0, id="coalesce"),
        pytest.param("coalesce(1 / 0)", None, id="coalesce-nothing"),
        pytest.param("ABS(-1)", 1.0, id="function-any-case"),
        pytest.param("floor(1e400)", None, id="infinite"),
        pytest.param("abs(1 / 0)", None, id="abs-no-data"),
    ],
)
def test_functions(text: str, expected: object) -> None:
    """The scalar functions, with None (no data) handled."""
    assert outer(text) == expected


# -- row expressions -----------------------------------------------------------------------

ROW = R(
    Attrs(
        conn_id="c1",
        call_type="Inbound",
        ani="5550001",
        dnis="8005551234",
        customer_id="Acme",
        this_queue="8000@SW1",
        other_dn="7001@SW1",
        treatment_type="Music",
        media_type="chat",
        user_data={"Int": 5, "Float": 2.5, "Text": "12", "Fixed": "-3.25", "Exp": "1.5e3"},
        reasons={"Reason": "Lunch", "RCount": "4"},
        extensions={"Ext": 9},
    ),
    duration=42,
    start=1000,
    name="CallInbound",
)


@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        pytest.param("duration", 42, id="duration"),
        pytest.param("start", 1000, id="start"),
        pytest.param("action", "CallInbound", id="action"),
        pytest.param("ani", "5550001", id="ani"),
        pytest.param("DNIS", "8005551234", id="dnis-any-case"),
        pytest.param("media", "chat", id="media"),
        pytest.param("mediatype", "chat", id="mediatype"),
        pytest.param("connid", "c1", id="connid"),
        pytest.param("calltype", "Inbound", id="calltype"),
        pytest.param("thisqueue", "8000@SW1", id="thisqueue"),
        pytest.param("customerid", "Acme", id="customerid"),
        pytest.param("otherdn", "7001@SW1", id="otherdn"),
        pytest.param("treatmenttype", "Music", id="treatmenttype"),
        pytest.param('kvnum(udata, "Int")', 5, id="kvnum-int"),
        pytest.param('kvnum(udata, "Float")', 2.5, id="kvnum-float"),
        pytest.param('kvnum(udata, "Text")', 12, id="kvnum-integer-text"),
        pytest.param('kvnum(udata, "Fixed")', -3.25, id="kvnum-fixed-point-text"),
        pytest.param('kvnum(udata, "Exp")', 1500.0, id="kvnum-e-notation"),
        pytest.param('kvnum(udata, "Missing")', 0, id="kvnum-default-zero"),
        pytest.param('kvnum(udata, "Missing", -1)', -1, id="kvnum-default"),
        pytest.param('kvnum(reasons, "Reason", -1)', -1, id="kvnum-not-a-number"),
        pytest.param('kvnum(global_udata, "Int")', 5, id="kvnum-global-udata"),
        pytest.param('kvnum(extensions, "Ext")', 9, id="kvnum-extensions"),
        pytest.param('kvstr(udata, "Int")', "5", id="kvstr-number"),
        pytest.param('kvstr(reasons, "Reason")', "Lunch", id="kvstr-reasons"),
        pytest.param('kvstr(udata, "Missing")', "", id="kvstr-default-empty"),
        pytest.param('kvstr(udata, "Missing", "n/a")', "n/a", id="kvstr-default"),
        pytest.param('kvexists(udata, "Int")', True, id="kvexists-key"),
        pytest.param('kvexists(udata, "Int", "5")', True, id="kvexists-value-as-text"),
        pytest.param('kvexists(udata, "Int", 5)', True, id="kvexists-number-value"),
        pytest.param('kvexists(udata, "Int", "6")', False, id="kvexists-other-value"),
        pytest.param('kvexists(udata, "Int", "*")', True, id="kvexists-any-value"),
        pytest.param('kvexists(udata, "Missing")', False, id="kvexists-missing"),
        pytest.param('GetNumber("Int", -1)', 5, id="getnumber-user-data"),
        pytest.param('GetNumber("RCount", -1)', 4, id="getnumber-falls-back-to-reasons"),
        pytest.param('GetNumber("Missing", -1)', -1, id="getnumber-default"),
        pytest.param('GetNumber("Missing")', 0, id="getnumber-default-zero"),
        pytest.param('GetGlobalNumber("Text", -1)', 12, id="getglobalnumber"),
        pytest.param('GetGlobalNumber("RCount", -1)', -1, id="getglobalnumber-not-reasons"),
        pytest.param('GetString("Reason", "none")', "Lunch", id="getstring-reasons"),
        pytest.param('GetString("Int")', "5", id="getstring-number"),
        pytest.param('GetString("Missing", "none")', "none", id="getstring-default"),
        pytest.param("duration * 2 + 1", 85, id="arithmetic"),
        pytest.param('if(calltype = "Inbound", duration, 0)', 42, id="if-on-attribute"),
        pytest.param('concat(lower(calltype), "/", upper(media))', "inbound/CHAT", id="text"),
    ],
)
def test_row_expressions(expr: str, expected: object) -> None:
    """Row identifiers and the key-value functions read one action."""
    assert row_value(expr, ROW) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(7, 7, id="int"),
        pytest.param(2.5, 2.5, id="float"),
        pytest.param(" 42 ", 42, id="text-int-with-blanks"),
        pytest.param("+3", 3, id="text-plus-sign"),
        pytest.param("-0.5", -0.5, id="text-fixed-point"),
        pytest.param(".5", 0.5, id="text-leading-dot"),
        pytest.param("5.", 5.0, id="text-trailing-dot"),
        pytest.param("2E-2", 0.02, id="text-e-notation"),
        pytest.param("12abc", None, id="text-trailing-garbage"),
        pytest.param("nan", None, id="text-nan"),
        pytest.param("", None, id="empty"),
        pytest.param(True, None, id="boolean"),
        pytest.param(None, None, id="none"),
        pytest.param([1], None, id="list"),
    ],
)
def test_parse_number(value: object, expected: object) -> None:
    """kvnum reads ints/floats as they are and integer, fixed-point or e-notation text."""
    assert parse_number(value) == expected


def test_custom_value_dist_by_conn_id() -> None:
    """'DistByConnID, <expr>' sets distinct_by_conn_id; the rest is the value."""
    cv = compile_custom_value('DistByConnID, GetGlobalNumber("Account", -1)')
    assert isinstance(cv, CustomValue)
    assert cv.distinct_by_conn_id is True
    assert cv.value(R(Attrs(user_data={"Account": "77"}))) == 77
    assert cv.value(R()) == -1
    plain = compile_custom_value('GetNumber("Account", 0)')
    assert plain.distinct_by_conn_id is False
    assert compile_custom_value(" distbyconnid ,duration").distinct_by_conn_id is True


def test_aggregate_is_frozen() -> None:
    """Aggregates are immutable records."""
    (agg,) = compile_formula("COUNT(A)").aggregates
    assert isinstance(agg, Aggregate)
    with pytest.raises(AttributeError):
        agg.index = 3  # type: ignore[misc]


# -- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "column", "problem", "expected"),
    [
        pytest.param("1 +", 4, "unexpected end", "a number", id="dangling-operator"),
        pytest.param("(1 + 2", 7, "unexpected end", "an operator or ')'", id="unclosed"),
        pytest.param("1 2", 3, "unexpected number 2", "an operator or the end", id="two-values"),
        pytest.param("COUNT(A B)", 9, "unexpected 'B'", "',', ';' or ')'", id="action-list"),
        pytest.param("COUNT(; 1)", 7, "unexpected ';'", "an action name", id="no-actions"),
        pytest.param("SUM(A)", 6, "needs a value expression", "';' and a value", id="sum-no-value"),
        pytest.param("COUNT(A; 1; 2)", 11, "one optional condition", "')'", id="count-three"),
        pytest.param("AVG(A; 1; 2; 3)", 12, "a value and a condition", "')'", id="avg-four"),
        pytest.param("COUNT(A; COUNT(B))", 10, "inside another", "", id="nested-aggregate"),
        pytest.param("@foo(A)", 2, "unexpected 'foo'", "COUNT, SUM, AVG", id="at-unknown"),
        pytest.param("duration > 1", 1, "usable only inside an aggregate", "AVG(", id="row-name"),
        pytest.param("frobnicate(1)", 1, "unknown function 'frobnicate'", "kvnum", id="unknown-fn"),
        pytest.param("x + 1", 1, "unknown name 'x'", "interval_length", id="unknown-name"),
        pytest.param('kvnum(udata, "a")', 1, "kvnum reads an action", "AVG(", id="kv-outside"),
        pytest.param('COUNT(A; kvnum(ani, "a"))', 16, "key-value list", "udata", id="kv-arg"),
        pytest.param("COUNT(A; udata)", 10, "udata is a key-value list", "kvnum", id="bare-kv"),
        pytest.param("round()", 1, "round takes 1 or 2 arguments, got 0", "round(x", id="arity"),
        pytest.param("1 < 2 < 3", 7, "cannot be chained", "'&' or '|'", id="chained"),
        pytest.param('"abc', 1, "unterminated string", "closing", id="open-string"),
        pytest.param("5 # 3", 3, "unexpected character '#'", "an operator", id="bad-character"),
        pytest.param("()", 2, "unexpected ')'", "a number", id="empty-parentheses"),
    ],
)
def test_formula_errors(text: str, column: int, problem: str, expected: str) -> None:
    """Every malformed formula raises ExprError with the column and what is accepted."""
    with pytest.raises(ExprError) as info:
        compile_formula(text)
    err = info.value
    assert err.column == column
    assert problem in err.problem
    assert expected in err.expected


@pytest.mark.parametrize(
    ("text", "column", "problem", "expected"),
    [
        pytest.param("DistByConnID", 13, "unexpected end", "',' and the value", id="no-comma"),
        pytest.param("DistByConnID,", 14, "unexpected end", "a number", id="no-value"),
        pytest.param("COUNT(A)", 1, "aggregates are not available", "", id="aggregate"),
        pytest.param("now", 1, "unknown name 'now'", "duration", id="system-variable"),
        pytest.param('GetNumber("a", 1, 2)', 1, "takes 1 or 2 arguments", "", id="arity"),
    ],
)
def test_custom_value_errors(text: str, column: int, problem: str, expected: str) -> None:
    """Custom values accept one row expression, optionally after 'DistByConnID,'."""
    with pytest.raises(ExprError) as info:
        compile_custom_value(text)
    err = info.value
    assert err.column == column
    assert problem in err.problem
    assert expected in err.expected
