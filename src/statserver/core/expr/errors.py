"""The one error every expression language raises: :class:`ExprError`.

Messages follow the Stat Server rule for user errors: say what was wrong, where (1-based
column), show the text, and say what is accepted::

    unexpected ')' at column 14 in 'Skill("x")>=5)'; expected an operator or the end
"""

from __future__ import annotations

__all__ = ["ExprError"]


class ExprError(ValueError):
    """A filter, group script, formula or custom value is malformed.

    ``problem`` says what is wrong, ``column`` where (1-based, ``len(text) + 1`` for the
    end), ``text`` is the whole expression and ``expected`` what would have been accepted.
    """

    def __init__(self, problem: str, *, text: str, pos: int, expected: str = "") -> None:
        self.problem = problem
        self.text = text
        self.column = pos + 1
        self.expected = expected
        message = f"{problem} at column {self.column} in {text!r}"
        if expected:
            message += f"; expected {expected}"
        super().__init__(message)

    def __reduce__(self) -> tuple[object, ...]:  # keep pickling working with keyword args
        return (_rebuild, (self.problem, self.text, self.column - 1, self.expected))


def _rebuild(problem: str, text: str, pos: int, expected: str) -> ExprError:
    return ExprError(problem, text=text, pos=pos, expected=expected)
