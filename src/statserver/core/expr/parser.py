"""The parser shared by every expression language: tokens in, an immutable AST out.

A Pratt parser.  Binding powers, loosest first::

    |  or                10   (left-associative)
    &  and               20   (left-associative)
    ~  !  not  (prefix)  30
    =  ==  !=  <>  <  <=  >  >=   40   (cannot be chained: a < b < c is an error)
    +  -                 50   (left-associative)
    *  /                 60   (left-associative)
    -  (prefix)          70

A :class:`Grammar` says which operators a language has and whether it has aggregates
(``COUNT(...)``, ``@SUM(...)``); each language's module checks the AST it gets (names,
argument counts, operand kinds) and compiles it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from .errors import ExprError
from .lexer import END, NAME, NUM, OP, STR, Token, describe, tokenize

__all__ = [
    "COMPARISONS",
    "FILTER",
    "FORMULA",
    "ROW",
    "SCRIPT",
    "AggCall",
    "Binary",
    "Call",
    "Grammar",
    "Name",
    "Node",
    "Num",
    "Parser",
    "Str",
    "Unary",
    "one_of",
    "parse",
]


@dataclass(frozen=True, slots=True)
class Num:
    value: int | float
    pos: int


@dataclass(frozen=True, slots=True)
class Str:
    value: str
    pos: int


@dataclass(frozen=True, slots=True)
class Name:
    """An identifier, or in filters any unquoted word (``5551234``, ``8000@SW1``)."""

    name: str
    pos: int


@dataclass(frozen=True, slots=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "not" or "-"
    operand: Node
    pos: int


@dataclass(frozen=True, slots=True)
class Binary:
    """``op`` is canonical: and, or, =, !=, <, <=, >, >=, +, -, *, /; ``pos`` is the operator's."""

    op: str
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True, slots=True)
class AggCall:
    """``@COUNT(actions; condition)``: ``sections`` are the expressions after the action list."""

    current: bool
    func: str  # upper case: COUNT, SUM, AVG, MIN, MAX
    actions: tuple[str, ...]
    sections: tuple[Node, ...]
    pos: int


Node = Num | Str | Name | Call | Unary | Binary | AggCall

COMPARISONS: Final = frozenset({"=", "!=", "<", "<=", ">", ">="})
_LOGIC: Final = frozenset({"and", "or"})
_ARITH: Final = frozenset({"+", "-", "*", "/"})
_BP: Final = {"or": 10, "and": 20, **dict.fromkeys(COMPARISONS, 40), "+": 50, "-": 50}
_BP.update({"*": 60, "/": 60})
_NOT_BP: Final = 30
_NEG_BP: Final = 70
_CANONICAL: Final = {"&": "and", "|": "or", "==": "=", "<>": "!="}
_SPELLINGS: Final = {
    "and": "&, and",
    "or": "|, or",
    "=": "=, ==",
    "!=": "!=, <>",
    **{op: op for op in ("<", "<=", ">", ">=", "+", "-", "*", "/")},
}
_AGGREGATES: Final = frozenset({"COUNT", "SUM", "AVG", "MIN", "MAX"})
_SCALAR_TOO: Final = frozenset({"MIN", "MAX"})  # also the scalar min(a, b, ...) / max(...)


@dataclass(frozen=True, slots=True)
class Grammar:
    """What one expression language accepts."""

    name: str  # "filters", "group scripts", ...: used in messages
    words: bool  # tokenizer mode: unquoted words instead of names and numbers
    binary: frozenset[str]  # canonical binary operators
    minus: bool  # prefix '-'
    aggregates: bool  # COUNT(...), @SUM(...)
    operand: str  # what an operand may be, for "expected ..." in messages
    value: str  # what may follow a comparison operator

    def operators(self) -> str:
        order = ("or", "and", "=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "/")
        return ", ".join(_SPELLINGS[o] for o in order if o in self.binary)


FILTER: Final = Grammar(
    "filters",
    words=True,
    binary=_LOGIC | {"=", "!="},
    minus=False,
    aggregates=False,
    operand='a condition such as PairExists("key", "value"), KeyExists("key"), '
    "DNIS = 5551234, '~' or '('",
    value='a value such as 5551234 or "555*"',
)
SCRIPT: Final = Grammar(
    "group scripts",
    words=False,
    binary=_LOGIC | COMPARISONS,
    minus=True,
    aggregates=False,
    operand='Skill("name") >= level, SkillExists("name"), LoggedIn("queue or switch"), '
    "'~' or '('",
    value="a whole number",
)
_VALUE: Final = "a number, a \"string\", a name, a function call, '-', '~' or '('"
FORMULA: Final = Grammar(
    "formulas",
    words=False,
    binary=_LOGIC | COMPARISONS | _ARITH,
    minus=True,
    aggregates=True,
    operand=_VALUE + " (or an aggregate such as COUNT(CallWait) at the top level)",
    value=_VALUE,
)
ROW: Final = Grammar(
    "custom values",
    words=False,
    binary=_LOGIC | COMPARISONS | _ARITH,
    minus=True,
    aggregates=False,
    operand=_VALUE,
    value=_VALUE,
)


def one_of(names: Iterable[str]) -> str:
    """``one of A, B, C`` for messages (sorted case-insensitively)."""
    return "one of " + ", ".join(sorted(names, key=str.lower))


def parse(text: str, grammar: Grammar) -> Node:
    """The AST of ``text``; raises :class:`ExprError`."""
    return Parser(text, grammar).parse()


class Parser:
    """A parser over one text.  A caller may consume leading tokens (advance ``i``) before
    :meth:`parse`: custom values take their ``DistByConnID,`` prefix that way."""

    def __init__(self, text: str, grammar: Grammar) -> None:
        self.text = text
        self.grammar = grammar
        self.tokens = tokenize(text, words=grammar.words)
        self.i = 0
        self._in_aggregate = False

    # -- helpers -------------------------------------------------------------------------

    def peek(self, k: int = 0) -> Token:
        return self.tokens[min(self.i + k, len(self.tokens) - 1)]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != END:
            self.i += 1
        return tok

    def error(self, tok: Token, expected: str, problem: str = "") -> ExprError:
        problem = problem or f"unexpected {describe(tok)}"
        return ExprError(problem, text=self.text, pos=tok.pos, expected=expected)

    def expect(self, op: str, expected: str) -> Token:
        tok = self.peek()
        if not tok.is_op(op):
            raise self.error(tok, expected)
        return self.advance()

    def _binary(self, tok: Token) -> str | None:
        """The canonical binary operator ``tok`` is, if it is one this language has."""
        if tok.kind == NAME and tok.text.lower() in _LOGIC:
            return tok.text.lower()
        if tok.kind != OP:
            return None
        op = _CANONICAL.get(tok.text, tok.text)
        if op not in _BP:
            return None
        if op not in self.grammar.binary:
            raise self.error(
                tok,
                f"one of {self.grammar.operators()}",
                f"operator {tok.text!r} is not available in {self.grammar.name}",
            )
        return op

    # -- grammar -------------------------------------------------------------------------

    def parse(self) -> Node:
        node = self.expression(0)
        tok = self.peek()
        if tok.kind != END:
            raise self.error(tok, "an operator or the end")
        return node

    def expression(self, min_bp: int, expected: str = "") -> Node:
        left = self.operand(expected or self.grammar.operand, value=bool(expected))
        while True:
            tok = self.peek()
            op = self._binary(tok)
            if op is None or _BP[op] <= min_bp:
                return left
            self.advance()
            right = self.expression(_BP[op], self.grammar.value if op in COMPARISONS else "")
            left = Binary(op, left, right, tok.pos)
            if op in COMPARISONS and self._binary(self.peek()) in COMPARISONS:
                raise self.error(
                    self.peek(),
                    "'&' or '|' between two comparisons",
                    "comparisons cannot be chained",
                )

    def operand(self, expected: str, *, value: bool = False) -> Node:
        """One operand; ``value``: it follows a comparison (filters then take any word,
        even ``and`` or ``not``, as a plain value)."""
        tok = self.peek()
        if value and self.grammar.words and tok.kind == NAME and not self.peek(1).is_op("("):
            self.advance()
            return Name(tok.text, tok.pos)
        if tok.kind == NUM:
            self.advance()
            assert not isinstance(tok.value, str)
            return Num(tok.value, tok.pos)
        if tok.kind == STR:
            self.advance()
            return Str(str(tok.value), tok.pos)
        if tok.is_op("~", "!") or (tok.kind == NAME and tok.text.lower() == "not"):
            self.advance()
            return Unary("not", self.expression(_NOT_BP), tok.pos)
        if tok.is_op("-") and self.grammar.minus:
            self.advance()
            return Unary("-", self.expression(_NEG_BP), tok.pos)
        if tok.is_op("(") and self.peek(1).is_op(")"):
            raise self.error(self.peek(1), expected)
        if tok.is_op("("):
            self.advance()
            node = self.expression(0)
            self.expect(")", "an operator or ')'")
            return node
        if tok.is_op("@") and self.grammar.aggregates:
            return self.aggregate()
        if tok.kind == NAME and tok.text.lower() not in _LOGIC:
            if not self.peek(1).is_op("("):
                self.advance()
                return Name(tok.text, tok.pos)
            if self.grammar.aggregates and self._is_aggregate():
                return self.aggregate()
            return self.call()
        raise self.error(tok, expected)

    def call(self) -> Call:
        name = self.advance()
        self.advance()  # "("
        args: list[Node] = []
        if self.peek().is_op(")"):
            self.advance()
            return Call(name.text, (), name.pos)
        while True:
            args.append(self.expression(0))
            tok = self.advance()
            if tok.is_op(")"):
                return Call(name.text, tuple(args), name.pos)
            if not tok.is_op(","):
                raise self.error(tok, "an operator, ',' or ')'")

    # -- aggregates (formulas) -----------------------------------------------------------

    def _is_aggregate(self) -> bool:
        """Whether the ``NAME (`` ahead is an aggregate rather than a scalar function."""
        func = self.peek().text.upper()
        if func not in _AGGREGATES:
            return False
        if func not in _SCALAR_TOO:
            return True
        if self._in_aggregate:
            return False  # min(a, b) inside a condition or a value
        depth = 0
        for tok in self.tokens[self.i + 1 :]:
            if tok.is_op("("):
                depth += 1
            elif tok.is_op(")"):
                depth -= 1
                if depth == 0:
                    return False
            elif tok.is_op(";") and depth == 1:
                return True
        return False

    def aggregate(self) -> AggCall:
        start = self.peek()
        current = start.is_op("@")
        if current:
            self.advance()
        name = self.peek()
        funcs = "COUNT, SUM, AVG, MIN or MAX"
        if name.kind != NAME or name.text.upper() not in _AGGREGATES:
            raise self.error(name, f"{funcs} after '@'")
        if self._in_aggregate:
            raise self.error(
                start, "a value or a condition", "an aggregate cannot be used inside another"
            )
        self.advance()
        func = name.text.upper()
        self.expect("(", f"'(' after {func}")
        actions = self.actions()
        sections: list[Node] = []
        self._in_aggregate = True
        try:
            while self.peek().is_op(";"):
                semi = self.advance()
                if func == "COUNT" and len(sections) == 1:
                    raise self.error(
                        semi, "')'", "COUNT takes an action list and one optional condition"
                    )
                if len(sections) == 2:
                    raise self.error(
                        semi, "')'", f"{func} takes an action list, a value and a condition"
                    )
                sections.append(self.expression(0))
        finally:
            self._in_aggregate = False
        close = self.peek()
        if not close.is_op(")"):
            raise self.error(close, "an operator, ';' or ')'" if sections else "',', ';' or ')'")
        if func != "COUNT" and not sections:
            raise self.error(
                close,
                "';' and a value, as in SUM(CallInbound; duration)",
                f"{func} needs a value expression after the action list",
            )
        self.advance()
        return AggCall(current, func, tuple(actions), tuple(sections), start.pos)

    def actions(self) -> list[str]:
        """``CallWait, ~CallConsult, Call*``: names, ``*`` masks, ``~`` exclusions."""
        items: list[str] = []
        while True:
            parts: list[str] = []
            if self.peek().is_op("~", "!"):
                parts.append("~")
                self.advance()
            last: Token | None = None
            while True:
                tok = self.peek()
                glued = last is None or tok.pos == last.end
                if not glued or not (tok.kind == NAME or tok.is_op("*")):
                    break
                parts.append(tok.text)
                last = self.advance()
            if last is None:
                raise self.error(self.peek(), "an action name, '*' or '~Name'")
            items.append("".join(parts))
            if not self.peek().is_op(","):
                return items
            self.advance()
