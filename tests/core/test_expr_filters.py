"""The filter language (``[Filters]`` conditions): atoms, operators, precedence, errors."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from statserver.core.expr import ExprError, compile_filter
from statserver.core.items import Attrs

ATTRS = Attrs(
    conn_id="0001",
    call_type="Inbound",
    ani="5550001",
    dnis="8005551234",
    customer_id="Acme",
    this_queue="8000",  # events carry the bare queue number
    other_dn="7001@SW1",
    treatment_type="Music",
    media_type="email",
    user_data={"Priority": 5, "Segment": "Gold", "Score": 1.5},
    reasons={"ReasonCode": "Lunch", "Source": "IVR"},
    extensions={"Ext": "yes"},
)


def check(text: str, attrs: Attrs = ATTRS) -> bool:
    return compile_filter(text)(attrs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param('PairExists("Segment", "Gold")', True, id="pair-in-user-data"),
        pytest.param('PairExists("Segment", "Silver")', False, id="pair-other-value"),
        pytest.param('PairExists("Source", "IVR")', True, id="pair-in-reasons"),
        pytest.param('PairExists("Ext", "yes")', True, id="pair-in-extensions"),
        pytest.param('PairExists("Priority", "5")', True, id="pair-number-as-text"),
        pytest.param('PairExists("Score", "1.5")', True, id="pair-float-as-text"),
        pytest.param('PairExists("Priority", "*")', True, id="pair-any-value"),
        pytest.param('PairExists("Missing", "*")', False, id="pair-any-value-missing-key"),
        pytest.param('PairExist("Segment", "Gold")', True, id="pair-misspelling-accepted"),
        pytest.param("PairExists(Segment, Gold)", True, id="pair-unquoted-arguments"),
        pytest.param('pairexists("Segment","Gold")', True, id="function-name-any-case"),
        pytest.param('PairExists("segment", "Gold")', False, id="keys-are-case-sensitive"),
        pytest.param('KeyExists("Priority")', True, id="key-in-user-data"),
        pytest.param('KeyExists("Source")', True, id="key-in-reasons"),
        pytest.param('KeyExists("Ext")', True, id="key-in-extensions"),
        pytest.param('KeyExists("Nope")', False, id="key-missing"),
        pytest.param('ValueExists("Gold")', True, id="value-in-user-data"),
        pytest.param('ValueExists("Lunch")', True, id="value-in-reasons"),
        pytest.param('ValueExists("5")', True, id="value-number-as-text"),
        pytest.param('ValueExists("Platinum")', False, id="value-missing"),
    ],
)
def test_key_value_functions(text: str, expected: bool) -> None:
    """PairExists/KeyExists/ValueExists look in user data, reasons and extensions."""
    assert check(text) is expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("DNIS = 8005551234", True, id="unquoted"),
        pytest.param('DNIS = "8005551234"', True, id="quoted"),
        pytest.param("DNIS == 8005551234", True, id="double-equals"),
        pytest.param("DNIS != 8005551234", False, id="not-equal"),
        pytest.param("DNIS <> 1", True, id="angle-not-equal"),
        pytest.param('DNIS = "800*"', True, id="prefix-wildcard"),
        pytest.param("DNIS = 800*", True, id="unquoted-prefix-wildcard"),
        pytest.param('DNIS = "900*"', False, id="prefix-wildcard-no-match"),
        pytest.param('DNIS != "900*"', True, id="not-prefix"),
        pytest.param('DNIS = "*"', True, id="wildcard-any-present-value"),
        pytest.param("dnis = 8005551234", True, id="attribute-any-case"),
        pytest.param("ANI = 5550001", True, id="ani"),
        pytest.param("CustomerID = Acme", True, id="customer-id"),
        pytest.param("TenantID = Acme", True, id="tenant-id-alias"),
        pytest.param("MediaType = email", True, id="media-type"),
        pytest.param("MediaType = Email", True, id="media-type-any-case"),
        pytest.param("ThisQueue = 8000@SW1", True, id="this-queue-with-at-sign"),
        pytest.param("ThisQueue = 8000", True, id="this-queue-number"),
        pytest.param("ThisQueue = 8001@SW1", False, id="this-queue-other"),
        pytest.param("OtherDN = 7001@SW1", True, id="other-dn"),
        pytest.param("TreatmentType = music", True, id="treatment-type-any-case"),
        pytest.param("CallType = Inbound", True, id="call-type"),
        pytest.param("CallType = Outbound", False, id="call-type-other"),
        pytest.param("ExtensionReasonCode = Lunch", True, id="reason-code-from-reasons"),
        pytest.param("CustomerID = Acme-2.b", False, id="unquoted-punctuation"),
        pytest.param("CustomerID != and", True, id="keyword-as-plain-value"),
    ],
)
def test_attribute_tests(text: str, expected: bool) -> None:
    """Attributes compare as text with = == != <>; a trailing * matches a prefix."""
    assert check(text) is expected


def test_missing_attribute_equal_is_false_and_not_equal_is_true() -> None:
    """An attribute the action lacks never equals anything and differs from everything."""
    bare = Attrs()
    assert check("ANI = 1", bare) is False
    assert check("ANI != 1", bare) is True
    assert check('ANI = "*"', bare) is False
    assert check("ExtensionReasonCode != Lunch", bare) is True


def test_extension_reason_code_prefers_extensions() -> None:
    """ExtensionReasonCode reads extensions["ReasonCode"], then reasons["ReasonCode"]."""
    both = Attrs(extensions={"ReasonCode": "Break"}, reasons={"ReasonCode": "Lunch"})
    assert check("ExtensionReasonCode = Break", both)
    assert not check("ExtensionReasonCode = Lunch", both)


T, F = 'KeyExists("Priority")', 'KeyExists("Nope")'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(f"{T} & {F}", False, id="and"),
        pytest.param(f"{T} | {F}", True, id="or"),
        pytest.param(f"~{T}", False, id="tilde-not"),
        pytest.param(f"!{F}", True, id="bang-not"),
        pytest.param(f"{T} AND {F}", False, id="word-and"),
        pytest.param(f"{F} or {T}", True, id="word-or"),
        pytest.param(f"Not {T}", False, id="word-not"),
        pytest.param(f"not({F})", True, id="word-not-before-parenthesis"),
        pytest.param(f"~~{T}", True, id="double-not"),
        pytest.param(f"{T} | {T} & {F}", True, id="and-binds-tighter-than-or"),
        pytest.param(f"({T} | {T}) & {F}", False, id="parentheses-override"),
        pytest.param(f"~{T} & {F}", False, id="not-binds-tighter-than-and"),
        pytest.param(f"~{F} | {F}", True, id="not-binds-tighter-than-or"),
        pytest.param("~ DNIS = 1", True, id="not-applies-to-the-comparison"),
        pytest.param(f"{F}|DNIS=8005551234&ANI=5550001", True, id="no-whitespace"),
        pytest.param(f"\n  {T}\t&\n ( {T} )  ", True, id="any-whitespace"),
    ],
)
def test_boolean_operators(text: str, expected: bool) -> None:
    """& and, | or, ~ ! not; precedence ~ > & > |; parentheses; whitespace is free."""
    assert check(text) is expected


@pytest.mark.parametrize(
    ("text", "column", "problem", "expected"),
    [
        pytest.param("", 1, "unexpected end", "a condition such as", id="empty"),
        pytest.param("DNIS", 1, "DNIS needs a comparison", "'=' or '!='", id="bare-attribute"),
        pytest.param("DNIS =", 7, "unexpected end", "a value", id="missing-value"),
        pytest.param("Colour = red", 1, "unknown attribute 'Colour'", "DNIS", id="unknown-attr"),
        pytest.param('Has("x")', 1, "unknown function 'Has'", "KeyExists", id="unknown-function"),
        pytest.param(
            'PairExists("a")', 1, "takes 2 arguments, got 1", 'PairExists("key"', id="arity"
        ),
        pytest.param("DNIS = 1 2", 10, "unexpected '2'", "an operator or the end", id="two-values"),
        pytest.param('(KeyExists("a")', 16, "unexpected end", "')'", id="unclosed-paren"),
        pytest.param('KeyExists("a"))', 15, "unexpected ')'", "the end", id="extra-paren"),
        pytest.param('KeyExists("a) & x', 11, "unterminated string", "closing", id="open-quote"),
        pytest.param("DNIS > 5", 6, "operator '>' is not available", "=, ==", id="ordering-op"),
        pytest.param('KeyExists("a") &', 17, "unexpected end", "a condition", id="dangling-and"),
        pytest.param("KeyExists('a')", 11, "unexpected single quote", "double quotes", id="quote"),
        pytest.param('"x" = DNIS', 1, "left side of '=' must be an attribute", "DNIS", id="flip"),
        pytest.param('KeyExists(KeyExists("a"))', 11, "must be a plain value", "", id="nested"),
    ],
)
def test_errors_name_the_problem_column_and_what_is_accepted(
    text: str, column: int, problem: str, expected: str
) -> None:
    """Every malformed filter raises ExprError with the column and what is accepted."""
    with pytest.raises(ExprError) as info:
        compile_filter(text)
    err = info.value
    assert isinstance(err, ExprError)
    assert isinstance(err, ValueError)
    assert err.column == column
    assert problem in err.problem
    assert expected in err.expected
    assert f"at column {column} in {text!r}" in str(err)


# -- property: the compiled filter agrees with a direct evaluation of the same tree --------

KEYS = ("A", "B", "C")
VALUES = ("1", "2", "x")
Tree = tuple[Any, ...]

atoms = st.one_of(
    st.tuples(st.just("pair"), st.sampled_from(KEYS), st.sampled_from((*VALUES, "*"))),
    st.tuples(st.just("key"), st.sampled_from(KEYS)),
)
trees = st.recursive(
    atoms,
    lambda sub: st.one_of(
        st.tuples(st.just("not"), sub),
        st.tuples(st.sampled_from(("and", "or")), sub, sub),
    ),
    max_leaves=12,
)
kv_maps = st.dictionaries(st.sampled_from(KEYS), st.sampled_from((1, 2, "1", "2", "x")))
PREC = {"or": 1, "and": 2, "not": 3, "pair": 4, "key": 4}
SPELL = {"and": ("&", "and", "AND"), "or": ("|", "or", "Or"), "not": ("~", "!", "not")}


def render(tree: Tree, data: st.DataObject) -> str:
    """Filter text for ``tree``, with minimal parentheses and random spellings."""
    kind = tree[0]
    if kind == "pair":
        text = f'PairExists("{tree[1]}", "{tree[2]}")'
    elif kind == "key":
        text = f'KeyExists("{tree[1]}")'
    elif kind == "not":
        text = f"{data.draw(st.sampled_from(SPELL['not']))} {wrap(tree[1], 3, data)}"
    else:
        op = data.draw(st.sampled_from(SPELL[kind]))
        p = PREC[kind]
        text = f"{wrap(tree[1], p, data)} {op} {wrap(tree[2], p, data)}"
    if data.draw(st.booleans()):
        text = f"({text})"
    return text


def wrap(tree: Tree, prec: int, data: st.DataObject) -> str:
    text = render(tree, data)
    return f"({text})" if PREC[tree[0]] < prec else text


def evaluate(tree: Tree, maps: tuple[dict[str, Any], ...]) -> bool:
    kind = tree[0]
    if kind == "pair":
        _, key, value = tree
        return any(key in m and (value == "*" or str(m[key]) == value) for m in maps)
    if kind == "key":
        return any(tree[1] in m for m in maps)
    if kind == "not":
        return not evaluate(tree[1], maps)
    left, right = evaluate(tree[1], maps), evaluate(tree[2], maps)
    return left and right if kind == "and" else left or right


@given(tree=trees, user_data=kv_maps, reasons=kv_maps, extensions=kv_maps, data=st.data())
def test_compiled_filter_equals_direct_evaluation(
    tree: Tree,
    user_data: dict[str, Any],
    reasons: dict[str, Any],
    extensions: dict[str, Any],
    data: st.DataObject,
) -> None:
    """Any boolean combination of PairExists/KeyExists means what a direct evaluation says."""
    text = render(tree, data)
    attrs = Attrs(user_data=user_data, reasons=reasons, extensions=extensions)
    assert compile_filter(text)(attrs) is evaluate(tree, (user_data, reasons, extensions))
