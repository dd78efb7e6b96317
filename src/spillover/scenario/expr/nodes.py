"""The syntax tree of an expression, its rendering, and its evaluation over outcome columns."""

from __future__ import annotations

import difflib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from spillover.scenario.expr.lexer import _FULL_IDENT_RE, DATE_RE, KEYWORDS, ExprError

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
    >>> from spillover.scenario.expr import parse
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
        >>> from spillover.scenario.expr import parse
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
        >>> from spillover.scenario.expr import parse
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
        dated = [bool(DATE_RE.fullmatch(p)) for p in parts]
        if any(dated) and all(d or _FULL_IDENT_RE.match(p) for p, d in zip(parts, dated, strict=True)):
            return f"{parts[0]}({', '.join(parts[1:])})"  # a windowed outcome: name(a, m, from, to)
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
        return f"{self.name}({', '.join(arg._render() for arg in self.args)})"


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
    >>> from spillover.scenario.expr import parse
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
