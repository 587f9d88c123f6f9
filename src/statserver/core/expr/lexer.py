"""The tokenizer shared by every expression language.

Two modes:

* the *normal* mode (group scripts, formulas, custom values) knows names
  (``[A-Za-z_][A-Za-z0-9_]*``), numbers (``12``, ``1.5``, ``.5``, ``2e3``), double-quoted
  strings and the operators;
* the *words* mode (filters) has no numbers: any run of characters that are not blanks,
  quotes (``"`` or ``'``), parentheses, commas or operator characters (``& | ~ ! = < >``)
  is one word, so unquoted values such as ``5551234``, ``8000@SW1`` or ``a.b-c`` stay whole.

Strings are delimited by double quotes; ``\\"`` is a quote and ``\\\\`` a backslash inside
them, any other backslash is kept as written (``"C:\\temp"``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final, Literal

from .errors import ExprError

__all__ = ["END", "NAME", "NUM", "OP", "STR", "Token", "describe", "tokenize"]

NAME: Final = "name"
NUM: Final = "num"
STR: Final = "str"
OP: Final = "op"
END: Final = "end"

Kind = Literal["name", "num", "str", "op", "end"]


@dataclass(frozen=True, slots=True)
class Token:
    """One token: its kind, its source text, where it starts (0-based) and its value.

    ``value`` is the number for numbers, the unescaped text for strings and the source text
    for names, words and operators.
    """

    kind: Kind
    text: str
    pos: int
    value: int | float | str

    @property
    def end(self) -> int:
        """Index just after the token."""
        return self.pos + len(self.text)

    def is_op(self, *ops: str) -> bool:
        return self.kind == OP and self.text in ops


_OPERATORS: Final = ("==", "!=", "<>", "<=", ">=", "=", "<", ">", "&", "|", "~", "!")
_PUNCTUATION: Final = ("(", ")", ",", ";", "+", "-", "*", "/", "@")
_NAME_RE: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER_RE: Final = re.compile(r"(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?")
_WORD_RE: Final = re.compile(r"[^\s()&|~!=<>,\"']+")
_BLANKS_RE: Final = re.compile(r"\s+")


def tokenize(text: str, *, words: bool = False) -> list[Token]:
    """The tokens of ``text``, ending with one ``END`` token; raises :class:`ExprError`."""
    tokens: list[Token] = []
    pos = 0
    n = len(text)
    while True:
        blank = _BLANKS_RE.match(text, pos)
        if blank:
            pos = blank.end()
        if pos >= n:
            tokens.append(Token(END, "", n, ""))
            return tokens
        ch = text[pos]
        if ch == '"':
            tokens.append(_string(text, pos))
        elif m := (_WORD_RE if words else _NAME_RE).match(text, pos):
            tokens.append(Token(NAME, m.group(), pos, m.group()))
        elif m := _NUMBER_RE.match(text, pos):
            raw = m.group()
            number: int | float = float(raw) if any(c in raw for c in ".eE") else int(raw)
            tokens.append(Token(NUM, raw, pos, number))
        else:
            op = next((o for o in _OPERATORS if text.startswith(o, pos)), None)
            if op is None and ch in _PUNCTUATION:
                op = ch
            if op is None:
                if ch == "'":
                    raise ExprError(
                        "unexpected single quote", text=text, pos=pos, expected='"double quotes"'
                    )
                raise ExprError(
                    f"unexpected character {ch!r}",
                    text=text,
                    pos=pos,
                    expected="a name, a number, a double-quoted string or an operator",
                )
            tokens.append(Token(OP, op, pos, op))
        pos = tokens[-1].end


def _string(text: str, start: int) -> Token:
    out: list[str] = []
    i = start + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in '"\\':
            out.append(text[i + 1])
            i += 2
        elif ch == '"':
            return Token(STR, text[start : i + 1], start, "".join(out))
        else:
            out.append(ch)
            i += 1
    raise ExprError("unterminated string", text=text, pos=start, expected="a closing '\"'")


def describe(token: Token) -> str:
    """How an error message names ``token``."""
    if token.kind == END:
        return "end"
    if token.kind == STR:
        return f"string {token.text}"
    if token.kind == NUM:
        return f"number {token.text}"
    return repr(token.text)
