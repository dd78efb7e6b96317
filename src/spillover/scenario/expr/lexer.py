"""Tokens of the expression language, its limits, and the error every part raises."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

MAX_LENGTH = 2_000
"""Longest expression text accepted, in characters."""

MAX_DEPTH = 50
"""Deepest nesting accepted: levels of the syntax tree, and of parentheses."""

BUILTINS: dict[str, tuple[int, int | None]] = {"abs": (1, 1), "min": (2, None), "max": (2, None)}
"""Built-in numeric functions with their (least, most) number of arguments."""

KEYWORDS = frozenset({"and", "or", "not", "true", "false", "True", "False"})
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")

_IDENT = r"[A-Za-z_][A-Za-z0-9_]*"
_FULL_IDENT_RE = re.compile(_IDENT + r"\Z")
_NAME_RE = re.compile(rf"{_IDENT}(?:\.{_IDENT})*")
_DIGITS = r"[0-9](?:_?[0-9])*"
_EXPONENT = rf"(?:[eE][+-]?{_DIGITS})?"
_NUMBER_RE = re.compile(rf"(?:{_DIGITS}(?:\.(?:{_DIGITS})?)?|\.{_DIGITS}){_EXPONENT}")
_NUMBER_TAIL_RE = re.compile(r"[A-Za-z0-9_.]+")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?![A-Za-z0-9_.])")
"""A date literal, YYYY-MM-DD: an argument of a windowed outcome such as shortfall_days(A, m, d1, d2)."""

_MISTAKES = {
    "&&": "use 'and' instead of '&&'",
    "||": "use 'or' instead of '||'",
    "**": "'**' (power) is not supported",
    "=": "use '==' to compare; a single '=' is not an operator",
    "&": "use 'and' instead of '&'",
    "|": "use 'or' instead of '|'",
    "!": "use 'not' instead of '!'",
    "~": "use 'not' instead of '~'",
}


class ExprError(ValueError):
    """A problem with an expression, located at a 1-based column of its text.

    Parameters
    ----------
    message
        What is wrong, in one line.
    column
        1-based position in ``text`` the problem points at, or None.
    text
        The expression text, or None.
    source
        Where the expression came from, e.g. ``"claim 'long-fire'"``; prefixed to
        ``str(error)``.

    Examples
    --------
    >>> try:
    ...     parse("peak.x > ")
    ... except ExprError as err:
    ...     print(err)
    ...     print(err.caret())
    column 10: expected a name or number after '>'
    peak.x >
             ^
    """

    __module__ = "spillover.scenario.expr"  # where users import it from

    def __init__(
        self,
        message: str,
        column: int | None = None,
        text: str | None = None,
        source: str | None = None,
    ) -> None:
        self.message = message
        self.column = column
        self.text = text
        self.source = source
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[ExprError], tuple[str, int | None, str | None, str | None]]:
        return (ExprError, (self.message, self.column, self.text, self.source))

    def __str__(self) -> str:
        where = [part for part in (self.source,) if part]
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message

    def with_source(self, source: str) -> ExprError:
        """Return a copy of this error that names where the expression came from.

        Examples
        --------
        >>> print(ExprError("bad", 3, "a b").with_source("claim 'c1'"))
        claim 'c1', column 3: bad
        """
        return ExprError(self.message, self.column, self.text, source)

    def caret(self) -> str:
        """Return the offending line of the text with a ``^`` under the column.

        Without text or column this is just ``str(self)``.

        Examples
        --------
        >>> print(ExprError("unknown", 5, "1 + zz").caret())
        1 + zz
            ^
        """
        if self.text is None or self.column is None:
            return str(self)
        offset = self.column - 1
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        line = self.text[start : end if end >= 0 else len(self.text)]
        return f"{line.rstrip()}\n{' ' * (offset - start)}^"


# --------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    """One lexical token: ``kind`` is NUMBER, DATE, NAME, STRING, KEYWORD, OP or EOF."""

    kind: str
    text: str
    column: int
    value: float | str | None = None

    def describe(self) -> str:
        """Describe the token for an error message, e.g. ``name 'b'`` or ``')'``."""
        if self.kind == "EOF":
            return "the end of the expression"
        if self.kind == "DATE":
            return f"date {self.text}"
        if self.kind in ("NAME", "NUMBER", "STRING"):
            return f"{self.kind.lower()} {self.text!r}" if self.kind != "STRING" else self.text
        return repr(self.text)


def tokenize(text: str) -> list[Token]:
    """Split expression text into tokens, ending with an EOF token.

    Raises
    ------
    ExprError
        For characters and literals that are not part of the language.

    Examples
    --------
    >>> [t.text for t in tokenize("peak[kor_threat] >= 1e3")]
    ['peak', '[', 'kor_threat', ']', '>=', '1e3', '']
    """
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        char = text[pos]
        if char in " \t\r\n":
            pos += 1
            continue
        token = _next_token(text, pos)
        tokens.append(token)
        pos += len(token.text)
    tokens.append(Token("EOF", "", len(text) + 1))
    return tokens


def _next_token(text: str, pos: int) -> Token:
    char = text[pos]
    column = pos + 1
    if char.isascii() and char.isdigit() and DATE_RE.match(text, pos):
        return _date_token(text, pos)
    if char.isascii() and (char.isdigit() or (char == "." and text[pos + 1 : pos + 2].isdigit())):
        return _number_token(text, pos)
    if char.isascii() and (char.isalpha() or char == "_"):
        return _name_token(text, pos)
    if char in "'\"":
        return _string_token(text, pos)
    for op in ("<=", ">=", "==", "!=", "&&", "||", "**"):
        if text.startswith(op, pos):
            if op in _MISTAKES:
                raise ExprError(_MISTAKES[op], column, text)
            return Token("OP", op, column)
    if char in "<>+-*/()[],":
        return Token("OP", char, column)
    if char in _MISTAKES:
        raise ExprError(_MISTAKES[char], column, text)
    raise ExprError(f"unexpected character {char!r}", column, text)


def _number_token(text: str, pos: int) -> Token:
    match = _NUMBER_RE.match(text, pos)
    assert match is not None  # the caller checked for a digit
    end = match.end()
    tail = _NUMBER_TAIL_RE.match(text, end)
    if tail is not None:
        bad = text[pos : tail.end()]
        raise ExprError(f"malformed number {bad!r}", pos + 1, text)
    literal = match.group()
    value = float(literal.replace("_", ""))
    if not math.isfinite(value):
        raise ExprError(f"number {literal!r} is too large", pos + 1, text)
    return Token("NUMBER", literal, pos + 1, value)


def _date_token(text: str, pos: int) -> Token:
    literal = text[pos : pos + 10]
    try:
        dt.date.fromisoformat(literal)
    except ValueError:
        raise ExprError(f"{literal!r} is not a date (YYYY-MM-DD)", pos + 1, text) from None
    return Token("DATE", literal, pos + 1, literal)


def _name_token(text: str, pos: int) -> Token:
    match = _NAME_RE.match(text, pos)
    assert match is not None  # the caller checked for a letter or '_'
    end = match.end()
    if text[end : end + 1] == ".":
        raise ExprError(
            "expected a name after '.'; quote unusual parts, e.g. peak['1st']", end + 2, text
        )
    name = match.group()
    kind = "KEYWORD" if name in KEYWORDS else "NAME"
    return Token(kind, name, pos + 1, name)


def _string_token(text: str, pos: int) -> Token:
    quote = text[pos]
    end = pos + 1
    while end < len(text) and text[end] not in "'\"\\\n":
        end += 1
    if end >= len(text) or text[end] == "\n":
        raise ExprError(f"unterminated string; expected a closing {quote}", pos + 1, text)
    if text[end] != quote:
        raise ExprError("quoted names cannot contain quotes or backslashes", end + 1, text)
    content = text[pos + 1 : end]
    if not content.strip():
        raise ExprError("empty quoted name", pos + 1, text)
    return Token("STRING", text[pos : end + 1], pos + 1, content)
