"""A small, safe expression language for claims and quantities over per-run outcomes.

Analysts write claims such as ``days_of_fire.prk_rus_shells > 365`` or
``fired[kor_arms_ukraine] and peak.kor_threat >= 0.6``.  This module turns such text into
an abstract syntax tree of frozen dataclasses with a hand-written tokenizer and a
recursive-descent (Pratt) parser, and evaluates the tree with numpy over all rows of an
outcomes table at once.  Nothing is ever passed to
:func:`eval`; the only things a name can reach are the columns of the table.

Grammar (precedence from loosest to tightest, as in Python)::

    expr     := or
    or       := and ("or" and)*
    and      := not ("and" not)*
    not      := "not" not | compare
    compare  := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum)*
    sum      := product (("+" | "-") product)*
    product  := unary (("*" | "/") unary)*
    unary    := "-" unary | atom
    atom     := NUMBER | "true" | "false" | "(" expr ")"
              | NAME                                   -- a column, e.g. peak.kor_threat
              | NAME "(" arg ("," arg)* ")"            -- the column NAME.arg1.arg2...
              | NAME "[" arg ("," arg)* "]"            -- the same, index form
              | ("abs" | "min" | "max") "(" expr ("," expr)* ")"
    arg      := NAME | 'quoted' | "quoted"

Semantics
---------
* Chained comparisons mean what they mean in Python: ``0.2 < x <= 0.5`` is
  ``0.2 < x and x <= 0.5``.
* Booleans are 0/1 in arithmetic and comparisons; a number used as a truth value (by
  ``and``, ``or``, ``not``) is true when it is non-zero and not NaN.
* NaN follows IEEE 754 as numpy does: ``<``, ``<=``, ``>``, ``>=`` and ``==`` are False
  when either side is NaN and ``!=`` is True.  So ``fired_day.kor_arms_ukraine < 180`` is
  False in runs where the event never fired (NaN).  ``not (a > b)`` therefore equals
  ``a <= b`` only when neither side is NaN.
* Division by zero gives ``inf`` (or NaN for ``0 / 0``) without a warning;
  ``min``/``max`` propagate NaN.
* Call and index forms of ``abs``, ``min`` and ``max`` differ: ``min(a, b)`` is the
  elementwise minimum, ``min[a]`` and ``min.a`` are the column ``min.a``.
"""

from __future__ import annotations

import difflib
import re
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "Arith",
    "BoolOp",
    "Column",
    "Compare",
    "Constant",
    "Expr",
    "ExprError",
    "Func",
    "Neg",
    "Not",
    "Number",
    "check_columns",
    "compile_expr",
    "parse",
]

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
    """One lexical token: ``kind`` is NUMBER, NAME, STRING, KEYWORD, OP or EOF."""

    kind: str
    text: str
    column: int
    value: float | str | None = None

    def describe(self) -> str:
        """Describe the token for an error message, e.g. ``name 'b'`` or ``')'``."""
        if self.kind == "EOF":
            return "the end of the expression"
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
    if not np.isfinite(value):
        raise ExprError(f"number {literal!r} is too large", pos + 1, text)
    return Token("NUMBER", literal, pos + 1, value)


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


# --------------------------------------------------------------------------- syntax tree

Array = npt.NDArray[Any]

# Rendering precedence of each node kind; a child of lower or equal precedence than an
# n-ary parent (or lower than a unary parent) is wrapped in parentheses.
_PREC_OR, _PREC_AND, _PREC_NOT, _PREC_COMPARE, _PREC_SUM, _PREC_PRODUCT, _PREC_NEG = range(1, 8)
_PREC_ATOM = 8


class Expr(ABC):
    """Base class of the syntax tree; every node is a frozen dataclass.

    Examples
    --------
    >>> e = parse("peak(kor_threat) > 0.5 and not fired[kor_arms_ukraine]")
    >>> sorted(e.columns())
    ['fired.kor_arms_ukraine', 'peak.kor_threat']
    >>> e.is_predicate
    True
    >>> print(e)
    peak.kor_threat > 0.5 and not fired.kor_arms_ukraine
    >>> e.evaluate({"peak.kor_threat": [0.4, 0.7, 0.9],
    ...             "fired.kor_arms_ukraine": [False, False, True]})
    array([False,  True, False])
    """

    precedence: ClassVar[int] = _PREC_ATOM

    @property
    def is_predicate(self) -> bool:
        """True when the top node always yields booleans (comparison, logic, literal).

        A bare column is not a predicate by this static test even when its data is
        boolean; :meth:`evaluate` returns a boolean array for it all the same.
        """
        return False

    def children(self) -> tuple[Expr, ...]:
        """The direct sub-expressions of this node."""
        return ()

    def walk(self) -> Iterator[Expr]:
        """Yield this node and all nodes below it, depth first, left to right."""
        stack: list[Expr] = [self]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.children()))

    def columns(self) -> frozenset[str]:
        """The column names this expression refers to.

        Examples
        --------
        >>> sorted(parse("first_shortfall[RUS, shell152] - 30 > days_of_fire.x").columns())
        ['days_of_fire.x', 'first_shortfall.RUS.shell152']
        """
        return frozenset(node.name for node in self.walk() if isinstance(node, Column))

    def evaluate(self, frame: Mapping[str, Any] | Any) -> Array:
        """Evaluate over every row of ``frame``, vectorised.

        Parameters
        ----------
        frame
            A pandas DataFrame, or any mapping of column name to a 1-D array-like.

        Returns
        -------
        numpy.ndarray
            One value per row: ``bool`` for predicates and boolean columns, ``float64``
            otherwise.

        Raises
        ------
        ExprError
            When a referenced column is missing or not numeric, or the referenced
            columns differ in length.

        Examples
        --------
        >>> parse("0.2 < x <= 0.5").evaluate({"x": [0.1, 0.3, 0.5, float("nan")]})
        array([False,  True,  True, False])
        >>> parse("max(x, 2) / 4").evaluate({"x": [1, 6]})
        array([0.5, 1.5])
        """
        env = _Environment.from_frame(frame, self)
        with np.errstate(all="ignore"):
            result = self._eval(env)
        return np.array(np.broadcast_to(result, (env.rows,)))

    @abstractmethod
    def _eval(self, env: _Environment) -> Array:
        """The node's values for every row."""

    @abstractmethod
    def _render(self, needed: int = 0) -> str:
        """Render, in parentheses when this node binds looser than ``needed``.

        Each node renders its children directly (one stack frame per tree level), so
        the deepest tree :func:`parse` accepts renders well within Python's recursion
        limit.
        """

    def __str__(self) -> str:
        return self._render()


def _paren(text: str, wrap: bool) -> str:
    return f"({text})" if wrap else text


def _render_chain(first: Expr, rest: tuple[tuple[str, Expr], ...], needed: int) -> str:
    parts = [first._render(needed)]
    for op, operand in rest:
        parts.append(op)
        parts.append(operand._render(needed))
    return " ".join(parts)


def _truth(values: Array) -> Array:
    """Booleans as they are; numbers are true when non-zero and not NaN."""
    if values.dtype == np.bool_:
        return values
    return (values != 0) & ~np.isnan(values)


def _number(values: Array) -> Array:
    """Numbers as float64; booleans as 0.0 / 1.0."""
    return values.astype(np.float64, copy=False)


@dataclass(frozen=True)
class Number(Expr):
    """A numeric literal, e.g. ``365`` or ``1e3``."""

    value: float

    def _eval(self, env: _Environment) -> Array:
        return np.asarray(self.value, dtype=np.float64)

    def _render(self, needed: int = 0) -> str:
        if self.value.is_integer() and abs(self.value) < 1e16:
            return str(int(self.value))
        return repr(self.value)


@dataclass(frozen=True)
class Constant(Expr):
    """The literal ``true`` or ``false``."""

    value: bool

    @property
    def is_predicate(self) -> bool:
        return True

    def _eval(self, env: _Environment) -> Array:
        return np.asarray(self.value, dtype=np.bool_)

    def _render(self, needed: int = 0) -> str:
        return "true" if self.value else "false"


@dataclass(frozen=True)
class Column(Expr):
    """A reference to an outcome column, e.g. ``peak.kor_threat``.

    ``position`` is the 1-based column in the source text (ignored in comparisons).
    """

    name: str
    position: int | None = field(default=None, compare=False)

    def _eval(self, env: _Environment) -> Array:
        return env.column(self)

    def _render(self, needed: int = 0) -> str:
        parts = self.name.split(".")
        plain = all(_FULL_IDENT_RE.match(part) for part in parts)
        if plain and (len(parts) > 1 or self.name not in KEYWORDS):
            return self.name
        # Unusual parts (spaces, leading digits) came from a quoted argument: keep the
        # leading identifier parts as the head and quote the rest as one argument.
        head = 1
        while head < len(parts) and _FULL_IDENT_RE.match(parts[head]):
            head += 1
        rest = ".".join(parts[head:])
        return f"{'.'.join(parts[:head])}[{rest!r}]"


@dataclass(frozen=True)
class Neg(Expr):
    """Unary minus."""

    operand: Expr
    precedence: ClassVar[int] = _PREC_NEG

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def _eval(self, env: _Environment) -> Array:
        return -_number(self.operand._eval(env))

    def _render(self, needed: int = 0) -> str:
        sign = "- " if isinstance(self.operand, Neg) else "-"  # "- -x" rather than "--x"
        return _paren(f"{sign}{self.operand._render(_PREC_NEG)}", needed > _PREC_NEG)


@dataclass(frozen=True)
class Not(Expr):
    """Logical ``not``."""

    operand: Expr
    precedence: ClassVar[int] = _PREC_NOT

    @property
    def is_predicate(self) -> bool:
        return True

    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)

    def _eval(self, env: _Environment) -> Array:
        return ~_truth(self.operand._eval(env))

    def _render(self, needed: int = 0) -> str:
        return _paren(f"not {self.operand._render(_PREC_NOT)}", needed > _PREC_NOT)


_ARITH = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.true_divide,
}


@dataclass(frozen=True)
class Arith(Expr):
    """A left-to-right chain of ``+ -`` or of ``* /``: ``first op1 x1 op2 x2 ...``."""

    first: Expr
    rest: tuple[tuple[str, Expr], ...]

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return _PREC_SUM if self.rest[0][0] in "+-" else _PREC_PRODUCT

    def children(self) -> tuple[Expr, ...]:
        return (self.first, *(operand for _, operand in self.rest))

    def _eval(self, env: _Environment) -> Array:
        result = _number(self.first._eval(env))
        for op, operand in self.rest:
            result = _ARITH[op](result, _number(operand._eval(env)))
        return result

    def _render(self, needed: int = 0) -> str:
        own = self.precedence
        return _paren(_render_chain(self.first, self.rest, own + 1), own < needed)


_COMPARE = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}


@dataclass(frozen=True)
class Compare(Expr):
    """A comparison chain ``first op1 x1 op2 x2 ...`` meaning ``first op1 x1 and x1 op2 x2``."""

    first: Expr
    rest: tuple[tuple[str, Expr], ...]
    precedence: ClassVar[int] = _PREC_COMPARE

    @property
    def is_predicate(self) -> bool:
        return True

    def children(self) -> tuple[Expr, ...]:
        return (self.first, *(operand for _, operand in self.rest))

    def _eval(self, env: _Environment) -> Array:
        left = _number(self.first._eval(env))
        result: Array = np.asarray(True)
        for op, operand in self.rest:
            right = _number(operand._eval(env))
            result = result & _COMPARE[op](left, right)
            left = right
        return result

    def _render(self, needed: int = 0) -> str:
        text = _render_chain(self.first, self.rest, _PREC_COMPARE + 1)
        return _paren(text, needed > _PREC_COMPARE)


@dataclass(frozen=True)
class BoolOp(Expr):
    """``a and b and ...`` or ``a or b or ...`` (``op`` is ``"and"`` or ``"or"``)."""

    op: str
    operands: tuple[Expr, ...]

    @property
    def precedence(self) -> int:  # type: ignore[override]
        return _PREC_AND if self.op == "and" else _PREC_OR

    @property
    def is_predicate(self) -> bool:
        return True

    def children(self) -> tuple[Expr, ...]:
        return self.operands

    def _eval(self, env: _Environment) -> Array:
        combine = np.logical_and if self.op == "and" else np.logical_or
        result = _truth(self.operands[0]._eval(env))
        for operand in self.operands[1:]:
            result = combine(result, _truth(operand._eval(env)))
        return result

    def _render(self, needed: int = 0) -> str:
        own = self.precedence
        parts = []
        for operand in self.operands:
            parts.append(operand._render(own + 1))
        return _paren(f" {self.op} ".join(parts), own < needed)


_FUNCS = {"min": np.minimum, "max": np.maximum}


@dataclass(frozen=True)
class Func(Expr):
    """A built-in numeric function: ``abs(x)``, ``min(a, b, ...)``, ``max(a, b, ...)``."""

    name: str
    args: tuple[Expr, ...]

    def children(self) -> tuple[Expr, ...]:
        return self.args

    def _eval(self, env: _Environment) -> Array:
        result = _number(self.args[0]._eval(env))
        if self.name == "abs":
            return np.abs(result)
        combine = _FUNCS[self.name]
        for arg in self.args[1:]:
            result = combine(result, _number(arg._eval(env)))
        return result

    def _render(self, needed: int = 0) -> str:
        parts = []
        for arg in self.args:
            parts.append(arg._render())
        return f"{self.name}({', '.join(parts)})"


# --------------------------------------------------------------------------- evaluation


@dataclass
class _Environment:
    """Column lookup for one evaluation, with the row count."""

    data: Mapping[str, Any]
    rows: int

    @classmethod
    def from_frame(cls, frame: Mapping[str, Any] | Any, expr: Expr) -> _Environment:
        names = sorted(expr.columns())
        missing = [name for name in names if name not in frame]
        if missing:
            check_columns(expr, [name for name in frame if isinstance(name, str)])
        lengths = {name: len(frame[name]) for name in names}
        if len(set(lengths.values())) > 1:
            detail = ", ".join(f"{name!r} has {n}" for name, n in lengths.items())
            raise ExprError(f"columns differ in length: {detail}")
        if lengths:
            rows = next(iter(lengths.values()))
        elif hasattr(frame, "shape"):
            rows = int(frame.shape[0])
        else:
            rows = len(next(iter(frame.values()))) if len(frame) else 0
        return cls(frame, rows)

    def column(self, node: Column) -> Array:
        return _column_array(node.name, self.data[node.name], node.position)


def _column_array(name: str, values: Any, position: int | None) -> Array:
    """Return a column as a bool or float64 numpy array, refusing anything else."""
    dtype = getattr(values, "dtype", None)
    if dtype is not None and not isinstance(dtype, np.dtype) and hasattr(values, "to_numpy"):
        # A pandas extension dtype (nullable boolean or integer): missing values -> NaN.
        kind = getattr(dtype, "kind", "O")
        if kind in "biuf":
            has_missing = bool(values.isna().any())
            if kind == "b" and not has_missing:
                return values.to_numpy(dtype=np.bool_)
            return values.to_numpy(dtype=np.float64, na_value=np.nan)
    array = values.to_numpy() if hasattr(values, "to_numpy") else np.asarray(values)
    if array.ndim != 1:
        raise ExprError(f"outcome {name!r} is not one-dimensional", position)
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind in "iuf":
        return array.astype(np.float64, copy=False)
    raise ExprError(f"outcome {name!r} is not numeric (dtype {array.dtype})", position)


# --------------------------------------------------------------------------- parser


_POWER_OR, _POWER_AND, _POWER_NOT, _POWER_COMPARE, _POWER_SUM, _POWER_PRODUCT, _POWER_NEG = (
    10, 20, 30, 40, 50, 60, 70
)
_INFIX_POWER = {
    "or": _POWER_OR,
    "and": _POWER_AND,
    **dict.fromkeys(COMPARISONS, _POWER_COMPARE),
    "+": _POWER_SUM,
    "-": _POWER_SUM,
    "*": _POWER_PRODUCT,
    "/": _POWER_PRODUCT,
}


class _Parser:
    """Recursive-descent (Pratt) parser over a token list.

    Two guards keep every later recursive walk of the tree (evaluation, rendering and
    the dataclass ``==``/``repr``) far from Python's recursion limit: the descent depth
    (nested operands and parentheses) and the height of the tree being built are both
    capped at :data:`MAX_DEPTH`.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = -1  # the outermost expression is level 0
        self.heights: dict[int, int] = {}  # id(node) -> tree height, for inner nodes

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    @property
    def previous(self) -> Token | None:
        return self.tokens[self.index - 1] if self.index else None

    def advance(self) -> Token:
        token = self.current
        if token.kind != "EOF":
            self.index += 1
        return token

    def at(self, kind: str, *texts: str) -> bool:
        token = self.current
        return token.kind == kind and (not texts or token.text in texts)

    def error(self, message: str, token: Token | None = None) -> ExprError:
        return ExprError(message, (token or self.current).column, self.text)

    def too_deep(self, token: Token) -> ExprError:
        return self.error(f"expression is nested too deeply (limit {MAX_DEPTH} levels)", token)

    def built(self, node: Expr, token: Token) -> Expr:
        """Record the height of a new inner node, refusing trees taller than MAX_DEPTH."""
        height = 1 + max(self.heights.get(id(child), 1) for child in node.children())
        if height > MAX_DEPTH:
            raise self.too_deep(token)
        self.heights[id(node)] = height
        return node

    def parse(self) -> Expr:
        if self.current.kind == "EOF":
            raise self.error("the expression is empty")
        expr = self.expression(0, self.current)
        if self.current.kind != "EOF":
            raise self.error(self.unexpected_after_operand())
        return expr

    def unexpected_after_operand(self) -> str:
        token = self.current
        if token.kind == "NAME" and token.text.lower() in KEYWORDS:
            return f"expected an operator, found {token.text!r}; write {token.text.lower()!r}"
        if token.text in (")", "]"):
            return f"unmatched {token.text!r}"
        return f"expected an operator or the end of the expression, found {token.describe()}"

    def infix_power(self) -> int:
        """Binding power of the current token as an infix operator, 0 if it is not one."""
        token = self.current
        return _INFIX_POWER.get(token.text, 0) if token.kind in ("OP", "KEYWORD") else 0

    def expression(self, min_power: int, opener: Token) -> Expr:
        """Parse operators binding tighter than ``min_power`` (Pratt's loop).

        Operators of one precedence level are gathered into one n-ary node, so a flat
        chain such as ``a + b - c + ...`` costs no recursion.  ``opener`` is the token
        that made this a nested operand, blamed when nesting goes too deep.
        """
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.too_deep(opener)
        left = self.prefix(min_power)
        power = self.infix_power()
        while power > min_power:
            first_op = self.current
            rest: list[tuple[str, Expr]] = []
            while self.infix_power() == power:
                op = self.advance()
                rest.append((op.text, self.expression(power, op)))
            if power in (_POWER_OR, _POWER_AND):
                node: Expr = BoolOp(first_op.text, (left, *(operand for _, operand in rest)))
            elif power == _POWER_COMPARE:
                node = Compare(left, tuple(rest))
            else:
                node = Arith(left, tuple(rest))
            left = self.built(node, first_op)
            power = self.infix_power()
        self.depth -= 1
        return left

    def prefix(self, min_power: int) -> Expr:
        """Parse what may start an operand: a literal, name, '(' group, '-' or 'not'."""
        token = self.current
        if token.kind == "NUMBER":
            self.advance()
            assert isinstance(token.value, float)
            return Number(token.value)
        if token.kind == "KEYWORD" and token.text.lower() in ("true", "false"):
            self.advance()
            return Constant(token.text.lower() == "true")
        if token.kind == "NAME":
            return self.parse_name()
        if self.at("OP", "("):
            self.advance()
            inner = self.expression(0, token)
            self.expect_close(")", token)
            return inner
        if self.at("OP", "-"):
            self.advance()
            return self.built(Neg(self.expression(_POWER_NEG, token)), token)
        if self.at("KEYWORD", "not") and min_power <= _POWER_NOT:
            self.advance()
            return self.built(Not(self.expression(_POWER_NOT, token)), token)
        raise self.error(self.expected_operand())

    def expected_operand(self) -> str:
        token, previous = self.current, self.previous
        if token.kind == "KEYWORD" and token.text == "not":
            return "put 'not ...' in parentheses here"
        if token.kind == "STRING":
            return (
                f"quoted text {token.text} is only allowed inside name(...) or name[...], "
                "e.g. peak('kor_threat')"
            )
        if token.kind == "EOF" and previous is not None:
            return f"expected a name or number after {previous.text!r}"
        return f"expected a name or number, found {token.describe()}"

    def expect_close(self, close: str, opener: Token) -> None:
        if self.at("OP", close):
            self.advance()
            return
        found = self.current.describe()
        raise self.error(
            f"expected {close!r} to close {opener.text!r} at column {opener.column}, "
            f"found {found}"
        )

    def parse_name(self) -> Expr:
        head = self.advance()
        name = head.text
        if self.at("OP", "(") and name in BUILTINS:
            return self.parse_builtin(head)
        if not self.at("OP", "(", "["):
            return Column(name, head.column)
        opener = self.advance()
        close = ")" if opener.text == "(" else "]"
        parts = [name, self.parse_argument(head, opener)]
        while self.at("OP", ","):
            self.advance()
            parts.append(self.parse_argument(head, opener))
        self.expect_close(close, opener)
        return Column(".".join(parts), head.column)

    def parse_argument(self, head: Token, opener: Token) -> str:
        token = self.current
        if token.kind in ("NAME", "STRING"):
            self.advance()
            assert isinstance(token.value, str)
            return token.value
        close = ")" if opener.text == "(" else "]"
        if token.text == close and self.previous is opener:
            message = f"'{head.text}{opener.text}{close}' needs a name inside, e.g. peak[kor_threat]"
        else:
            message = (
                f"expected a name or quoted name inside {head.text}{opener.text}...{close}, "
                f"found {token.describe()}"
            )
        raise self.error(message)

    def parse_builtin(self, head: Token) -> Expr:
        opener = self.advance()
        args = [self.expression(0, opener)]
        while self.at("OP", ","):
            self.advance()
            args.append(self.expression(0, opener))
        self.expect_close(")", opener)
        least, most = BUILTINS[head.text]
        if len(args) < least or (most is not None and len(args) > most):
            wanted = f"exactly {least}" if least == most else f"at least {least}"
            raise self.error(
                f"{head.text}() takes {wanted} argument{'s' if least > 1 else ''}, "
                f"got {len(args)}; for the column {head.text}.x write {head.text}[x]",
                head,
            )
        return self.built(Func(head.text, tuple(args)), head)


def parse(text: str) -> Expr:
    """Parse expression text into a syntax tree.

    Parameters
    ----------
    text
        The expression, at most :data:`MAX_LENGTH` characters.

    Returns
    -------
    Expr
        The root node.

    Raises
    ------
    ExprError
        For any syntax error, pointing at the offending column.

    Examples
    --------
    >>> parse("x < 3")
    Compare(first=Column(name='x', position=1), rest=(('<', Number(value=3.0)),))
    >>> print(parse("first_shortfall[RUS, 'shell152'] < 365"))
    first_shortfall.RUS.shell152 < 365
    >>> print(parse("peak('chn_rus_friction')"))
    peak.chn_rus_friction
    >>> parse("days_of_fire.prk_rus_shells >")
    Traceback (most recent call last):
    ...
    spillover.scenario.expr.ExprError: column 30: expected a name or number after '>'
    """
    if not isinstance(text, str):
        raise TypeError(f"expression must be a string, not {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise ExprError(
            f"expression is too long ({len(text):,} characters; the limit is {MAX_LENGTH:,})",
            MAX_LENGTH + 1,  # the first character over the limit
            text,
        )
    return _Parser(text).parse()


def _closest(name: str, available: list[str]) -> list[str]:
    return difflib.get_close_matches(name, available, n=3, cutoff=0.6)


def _quote_list(names: list[str]) -> str:
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _unknown_message(name: str, available: list[str]) -> str:
    """Explain an unknown column name with the closest valid names."""
    close = _closest(name, available)
    if close:
        return f"unknown outcome {name!r} (did you mean {_quote_list(close)}?)"
    family = name.split(".", 1)[0]
    relatives = sorted(a for a in available if a.split(".", 1)[0] == family)
    if relatives:
        shown = ", ".join(repr(a) for a in relatives[:5])
        more = f" and {len(relatives) - 5} more" if len(relatives) > 5 else ""
        return f"unknown outcome {name!r}; outcomes under {family!r} are {shown}{more}"
    if not available:
        return f"unknown outcome {name!r}; no outcomes are available"
    families = sorted({a.split(".", 1)[0] for a in available})
    shown = ", ".join(repr(f) for f in families[:12])
    more = ", ..." if len(families) > 12 else ""
    return f"unknown outcome {name!r}; outcome families are {shown}{more}"


def check_columns(expr: Expr, available: Iterable[str], text: str | None = None) -> None:
    """Check that every column ``expr`` refers to is available.

    Parameters
    ----------
    expr
        A parsed expression.
    available
        The valid column names.
    text
        The source text, used for :meth:`ExprError.caret`.

    Raises
    ------
    ExprError
        Naming the first unknown column (in text order), its position and the closest
        valid names; when nothing is close, some valid names of the same family (the part
        before the first dot).

    Examples
    --------
    >>> names = ["peak.chn_rus_friction", "peak.kor_threat"]
    >>> check_columns(parse("peak.chn_rus_fricton > 1"), names)
    Traceback (most recent call last):
    ...
    spillover.scenario.expr.ExprError: column 1: unknown outcome 'peak.chn_rus_fricton' (did you mean 'peak.chn_rus_friction'?)
    """  # noqa: E501 - the error in the example is one long line
    valid = [name for name in dict.fromkeys(available) if isinstance(name, str)]
    known = set(valid)
    unknown = [n for n in expr.walk() if isinstance(n, Column) and n.name not in known]
    if unknown:
        first = min(unknown, key=lambda node: node.position or 0)
        raise ExprError(_unknown_message(first.name, valid), first.position, text)


def compile_expr(text: str, available: Iterable[str]) -> Expr:
    """Parse ``text`` and check its columns against ``available``.

    Examples
    --------
    >>> e = compile_expr("peak[kor_threat] >= 0.6", ["peak.kor_threat"])
    >>> e.evaluate({"peak.kor_threat": [0.5, 0.6]})
    array([False,  True])
    """
    expr = parse(text)
    check_columns(expr, available, text)
    return expr
