"""Numbers in a scenario: a fixed value or a distribution, each with its source or judgment."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from spillover.scenario.errors import NameSet

Kind = Literal["value", "uniform", "triangular", "normal", "lognormal", "beta", "choice"]
KINDS: tuple[str, ...] = ("value", "uniform", "triangular", "normal", "lognormal", "beta", "choice")
META_KEYS = frozenset({"source", "judgment", "note", "name", "bounds", "weights"})
MAX_MAGNITUDE = 1e15
"""The largest magnitude of a scenario number: far beyond any stock, rate or price (a
trillion shells a day is 1e12), and small enough that whole numbers stay exact in
floating point and sums over days, actors and runs cannot overflow."""


class Quantity(BaseModel):
    """A scenario number: fixed (``value``) or uncertain (a distribution).

    Attributes
    ----------
    kind
        ``value`` or one of ``uniform``, ``triangular``, ``normal``, ``lognormal``,
        ``beta``, ``choice``.
    params
        The distribution's parameters, in the order of the YAML list form
        (uniform: low, high; triangular: low, mode, high; normal: mean, sd;
        lognormal: median, sigma; beta: a, b; choice: the options).
    bounds
        Truncation bounds for ``normal``; the range ``beta`` is scaled to.
    sources, judgment
        Where the number comes from: keys of the scenario's ``sources`` (``source: KEY``
        or ``source: [KEY, KEY]`` in the file), or ``judgment: true`` when it is the
        modeller's judgment.
    """

    model_config = ConfigDict(frozen=True)

    kind: Kind
    params: tuple[float, ...]
    weights: tuple[float, ...] | None = None
    bounds: tuple[float, float] | None = None
    sources: tuple[str, ...] = ()
    judgment: bool = False
    note: str | None = None
    name: str | None = None

    @property
    def source(self) -> str | None:
        """The source keys as one string (``"a, b"``), or None."""
        return ", ".join(self.sources) or None

    @property
    def uncertain(self) -> bool:
        """True when the quantity is sampled (a distribution with more than one value)."""
        return self.kind != "value" and not (self.kind == "choice" and len(self.params) == 1)

    @property
    def nominal(self) -> float:
        """A representative value: the value, or the distribution's median."""
        if self.kind == "value":
            return self.params[0]
        return float(self.ppf(np.array([0.5]))[0])

    def support(self) -> tuple[float, float]:
        """The smallest and largest values the quantity can take."""
        p = self.params
        if self.kind == "value":
            return (p[0], p[0])
        if self.kind in ("uniform", "triangular"):
            return (p[0], p[-1])
        if self.kind == "normal":
            return self.bounds or (-math.inf, math.inf)
        if self.kind == "lognormal":
            return (0.0, math.inf)
        if self.kind == "beta":
            return self.bounds or (0.0, 1.0)
        return (min(p), max(p))

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map uniform design values ``u`` in [0, 1) to values of the quantity."""
        u = np.asarray(u, dtype=float)
        p = self.params
        if self.kind == "value":
            return np.full(u.shape, p[0])
        if self.kind == "uniform":
            return p[0] + u * (p[1] - p[0])
        from scipy import stats  # here, not at import: engine workers never sample

        if self.kind == "triangular":
            lo, mode, hi = p
            c = 0.5 if hi == lo else (mode - lo) / (hi - lo)
            return np.asarray(stats.triang.ppf(u, c, loc=lo, scale=hi - lo), dtype=float)
        if self.kind == "normal":
            mean, sd = p
            if self.bounds is None:
                return np.asarray(stats.norm.ppf(u, loc=mean, scale=sd), dtype=float)
            a, b = ((x - mean) / sd for x in self.bounds)
            return np.asarray(stats.truncnorm.ppf(u, a, b, loc=mean, scale=sd), dtype=float)
        if self.kind == "lognormal":
            median, sigma = p
            return np.asarray(median * np.exp(sigma * stats.norm.ppf(u)), dtype=float)
        if self.kind == "beta":
            lo, hi = self.bounds or (0.0, 1.0)
            return lo + (hi - lo) * np.asarray(stats.beta.ppf(u, p[0], p[1]), dtype=float)
        options = np.asarray(p, dtype=float)
        w = np.asarray(self.weights or [1.0] * len(p), dtype=float)
        edges = np.cumsum(w / w.sum())
        idx = np.minimum(np.searchsorted(edges, u, side="right"), len(p) - 1)
        return options[idx]

    def describe(self) -> str:
        """Human-readable form, e.g. ``lognormal(median=20000, sigma=0.45)``."""
        p = [_fmt(x) for x in self.params]
        if self.kind == "value":
            return p[0]
        if self.kind == "lognormal":
            return f"lognormal(median={p[0]}, sigma={p[1]})"
        if self.kind == "normal":
            extra = f", bounds={_fmt(self.bounds[0])}..{_fmt(self.bounds[1])}" if self.bounds else ""
            return f"normal(mean={p[0]}, sd={p[1]}{extra})"
        if self.kind == "beta" and self.bounds:
            return f"beta({p[0]}, {p[1]}) on {_fmt(self.bounds[0])}..{_fmt(self.bounds[1])}"
        if self.kind == "choice" and self.weights:
            w = ", ".join(_fmt(x) for x in self.weights)
            return f"choice({', '.join(p)}; weights {w})"
        return f"{self.kind}({', '.join(p)})"


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def _numbers(value: Any, what: str, n: int | None = None) -> tuple[float, ...]:
    if isinstance(value, bool) or not isinstance(value, list | tuple):
        raise ValueError(f"{what} needs a list of numbers")
    out = []
    for v in value:
        if isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{what} needs numbers, got {_shown(v)}")
        try:
            x = float(v)
        except OverflowError:  # an integer beyond the range of a float
            raise ValueError(f"{what} needs numbers within ±1e15, got one far beyond") from None
        if not math.isfinite(x):
            raise ValueError(f"{what} needs finite numbers, got {v!r}")
        if abs(x) > MAX_MAGNITUDE:
            raise ValueError(f"{what} needs numbers within ±1e15, got {x:.6g} (sums over "
                             "days, actors and runs would lose precision or overflow)")
        out.append(x)
    if n is not None and len(out) != n:
        raise ValueError(f"{what} needs {n} numbers, got {len(out)}")
    return tuple(out)


def _shown(v: Any) -> str:
    text = repr(v)
    return text if len(text) <= 60 else text[:57] + "…"


def unknown_key(key: str, hint: str, where: str = "in a number") -> PydanticCustomError:
    """The error for an unknown key in a mapping the schema parses by hand; the key is in ctx."""
    return PydanticCustomError("unknown_key", "unknown key '{key}' {where}{hint}",
                               {"key": key, "where": where, "hint": hint})


def _named(value: Any, what: str, names: tuple[str, str]) -> tuple[float, ...]:
    if isinstance(value, dict):
        unknown = set(value) - set(names)
        if unknown or set(names) - set(value):
            raise ValueError(f"{what} needs keys {' and '.join(names)}")
        value = [value[k] for k in names]
    return _numbers(value, what, 2)


def _check(kind: str, p: tuple[float, ...], bounds: tuple[float, float] | None) -> None:
    if kind == "uniform" and not p[0] < p[1]:
        raise ValueError(f"uniform needs low < high, got {_fmt(p[0])} and {_fmt(p[1])}")
    if kind == "triangular" and not (p[0] <= p[1] <= p[2] and p[0] < p[2]):
        raise ValueError("triangular needs low <= mode <= high with low < high")
    if kind == "normal" and p[1] <= 0:
        raise ValueError(f"normal needs sd > 0, got {_fmt(p[1])}")
    if kind == "lognormal" and (p[0] <= 0 or p[1] <= 0):
        raise ValueError("lognormal needs median > 0 and sigma > 0")
    if kind == "beta" and (p[0] <= 0 or p[1] <= 0):
        raise ValueError("beta needs a > 0 and b > 0")
    if kind == "choice" and not p:
        raise ValueError("choice needs at least one option")
    if bounds is not None and not bounds[0] < bounds[1]:
        raise ValueError("bounds need low < high")


def _kind(raw: dict[Any, Any]) -> str:
    """The one distribution key of a number's mapping; unknown keys get a suggestion."""
    unknown = [k for k in raw if k not in KINDS and k not in META_KEYS]
    if unknown:
        close = NameSet([*KINDS, *META_KEYS]).closest(str(unknown[0]))
        hint = f" (did you mean '{close}'?)" if close else (
            f" (use one of {', '.join(KINDS)}, with source, judgment, note, name, bounds, weights)")
        raise unknown_key(str(unknown[0]), hint)
    kinds = [k for k in raw if k in KINDS]
    if len(kinds) != 1:
        raise ValueError(f"a number needs exactly one of {', '.join(KINDS)}")
    return str(kinds[0])


def _params(kind: str, spec: Any) -> tuple[float, ...]:
    """A distribution's parameters, from its list or its mapping of named parameters."""
    if kind == "value":
        return _numbers([spec], "value", 1)
    if kind == "triangular":
        if isinstance(spec, dict):
            spec = [spec.get("low"), spec.get("mode"), spec.get("high")]
        return _numbers(spec, "triangular", 3)
    named = {"uniform": ("low", "high"), "normal": ("mean", "sd"), "lognormal": ("median", "sigma"),
             "beta": ("a", "b")}
    if kind in named:
        return _named(spec, kind, named[kind])
    return _numbers(spec, "choice")


def parse_quantity(raw: Any) -> Quantity | Any:
    """Turn the YAML form of a number into a :class:`Quantity`.

    >>> parse_quantity({"uniform": [1, 3], "judgment": True}).describe()
    'uniform(1, 3)'
    >>> parse_quantity(4.5).params
    (4.5,)
    """
    if isinstance(raw, Quantity):
        return raw
    if isinstance(raw, bool):
        raise ValueError("expected a number or a distribution, got a true/false value")
    if isinstance(raw, int | float):
        return Quantity(kind="value", params=_numbers([raw], "a number", 1))
    if not isinstance(raw, dict):
        raise ValueError(
            "expected a number or a mapping such as {value: 3, source: KEY} or "
            "{uniform: [1, 5], judgment: true}"
        )
    kind = _kind(raw)
    params = _params(kind, raw[kind])
    bounds = _numbers(raw["bounds"], "bounds", 2) if "bounds" in raw else None
    weights = _numbers(raw["weights"], "weights", len(params)) if "weights" in raw else None
    if weights is not None and (min(weights) < 0 or sum(weights) <= 0):
        raise ValueError("weights need to be >= 0 with a positive sum")
    _check(kind, params, bounds)  # type: ignore[arg-type]
    source = raw.get("source", [])
    source = [source] if isinstance(source, str) else source
    if not isinstance(source, list) or not all(isinstance(x, str) for x in source):
        raise ValueError("source needs the key of an entry in the scenario's sources, or a list of keys")
    judgment = raw.get("judgment", False)
    if not isinstance(judgment, bool):
        raise ValueError("judgment needs true or false")
    for text in ("note", "name"):
        if raw.get(text) is not None and not isinstance(raw[text], str):
            raise ValueError(f"{text} needs text, got {_shown(raw[text])}")
    return Quantity(
        kind=kind,
        params=params,
        weights=weights,
        bounds=bounds,
        sources=tuple(source),
        judgment=judgment,
        note=raw.get("note"),
        name=raw.get("name"),
    )


def _within(lo: float, hi: float, what: str) -> Callable[[Quantity], Quantity]:
    """The field's check that every value ``q`` can take lies in [lo, hi]; the bounds are kept
    on the check (``limits``) for values given outside the file (an experiments table)."""

    def check(q: Quantity) -> Quantity:
        a, b = q.support()
        if a < lo or b > hi:
            hint = ""
            if q.kind == "normal" and q.bounds is None:
                hint = "; give bounds: [low, high] or use lognormal"
            raise ValueError(f"{what}, but {q.describe()} can reach {_fmt(a if a < lo else b)}{hint}")
        return q

    check.limits = (lo, hi, what)  # type: ignore[attr-defined]
    return check


Q = Annotated[Quantity, BeforeValidator(parse_quantity)]
NonNegQ = Annotated[Q, AfterValidator(_within(0.0, math.inf, "must not be negative"))]
PositiveQ = Annotated[Q, AfterValidator(_within(1e-12, math.inf, "must be positive"))]
FractionQ = Annotated[Q, AfterValidator(_within(0.0, 1.0, "must lie between 0 and 1"))]
AtLeastOneQ = Annotated[
    Q, AfterValidator(_within(1.0, math.inf, "must be at least 1 (days; a daily step overshoots below 1)"))
]
