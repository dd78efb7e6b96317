"""Claims: the probability that a stated outcome holds, with an interval and a word.

A claim is a yes/no expression over per-run outcomes (see :mod:`spillover.scenario.expr`),
e.g. ``days_of_fire.prk_rus_shells > 365`` for "the transfers keep Russia firing for over a
year".  For each policy, the share of runs in which it holds estimates its probability;
:func:`binomial_interval` gives the uncertainty due to the finite number of runs, and
:func:`estimative_word` the words an analyst would use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, overload

import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow.dataset as ds
from scipy import stats

from spillover.scenario.expr import ExprError, compile_expr, parse
from spillover.scenario.model import Scenario

__all__ = [
    "BY_CONSTRUCTION",
    "CLAIM_COLUMNS",
    "ESTIMATIVE_BANDS",
    "ClaimLike",
    "ClaimSpec",
    "binomial_interval",
    "claim_columns",
    "claim_counts",
    "claim_indicator",
    "claims_of",
    "claims_over",
    "claims_table",
    "estimative_word",
    "estimative_words",
    "evaluate_claims",
    "outcome_columns",
]

Method = Literal["jeffreys", "wilson"]

ESTIMATIVE_BANDS: tuple[tuple[str, float, float], ...] = (
    ("almost no chance", 0.00, 0.05),
    ("very unlikely", 0.05, 0.20),
    ("unlikely", 0.20, 0.45),
    ("roughly even chance", 0.45, 0.55),
    ("likely", 0.55, 0.80),
    ("very likely", 0.80, 0.95),
    ("almost certain", 0.95, 1.00),
)
"""The estimative words with their probability bands (word, low, high), per the MODEL spec.

The spec's lowest band is 1–5% and its highest 95–99%; below 1% is still "almost no
chance" and above 99% still "almost certain", so the bands here run from 0 to 1.
"""

CLAIM_COLUMNS = ("claim", "policy", "text", "expr", "n", "k", "probability", "lo", "hi", "word")
"""Columns of :func:`evaluate_claims`' result, in order."""

RESERVED_COLUMNS = ("run", "policy")
"""Outcome-table columns that identify a row rather than describe an outcome."""


class ClaimLike(Protocol):
    """Anything with a claim's ``id``, ``text`` (the statement in words) and ``expr``."""

    @property
    def id(self) -> str: ...

    @property
    def text(self) -> str: ...

    @property
    def expr(self) -> str: ...


# --------------------------------------------------------------------------- intervals


@overload
def binomial_interval(
    k: int | np.integer[Any], n: int | np.integer[Any], level: float = ..., method: Method = ...
) -> tuple[float, float]: ...


@overload
def binomial_interval(
    k: npt.NDArray[Any] | Sequence[int],
    n: npt.NDArray[Any] | Sequence[int] | int,
    level: float = ...,
    method: Method = ...,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...


def binomial_interval(
    k: Any, n: Any, level: float = 0.9, method: Method = "jeffreys"
) -> tuple[Any, Any]:
    """Two-sided interval for a binomial proportion: ``k`` successes in ``n`` trials.

    Parameters
    ----------
    k, n
        Successes and trials: integers, or arrays of them (broadcast together).
    level
        Coverage of the interval, strictly between 0 and 1.
    method
        ``"jeffreys"`` (default): the equal-tailed interval of the Beta(k + 1/2,
        n - k + 1/2) posterior, with the conventional ends of Brown, Cai & DasGupta
        (2001): the lower end is 0 when k = 0 and the upper end is 1 when k = n.
        ``"wilson"``: the score interval of Wilson (1927).

    Returns
    -------
    tuple
        ``(lo, hi)`` as floats for scalar input, as float arrays for array input.  With
        no trials (n = 0) the interval is the whole of [0, 1].

    Raises
    ------
    ValueError
        For a level outside (0, 1), an unknown method, non-integer counts or k outside
        [0, n].

    Examples
    --------
    >>> lo, hi = binomial_interval(81, 263, level=0.95, method="wilson")
    >>> print(f"{lo:.4f} {hi:.4f}")  # Newcombe (1998), Table I
    0.2553 0.3662
    >>> lo, hi = binomial_interval(0, 20)
    >>> print(f"{lo:.4f} {hi:.4f}")
    0.0000 0.0905
    >>> los, his = binomial_interval([0, 5, 10], 10)
    >>> [round(float(x), 3) for x in los]
    [0.0, 0.262, 0.829]
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    k_arr, n_arr = _counts(k, n)
    if method == "jeffreys":
        lo, hi = _jeffreys(k_arr, n_arr, level)
    elif method == "wilson":
        lo, hi = _wilson(k_arr, n_arr, level)
    else:
        raise ValueError(f"unknown interval method {method!r}; use 'jeffreys' or 'wilson'")
    if lo.ndim == 0:
        return float(lo), float(hi)
    return lo, hi


def _counts(k: Any, n: Any) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Validate successes and trials, returning them as broadcast float arrays."""
    k_arr, n_arr = np.broadcast_arrays(np.asarray(k, dtype=float), np.asarray(n, dtype=float))
    if not (np.all(np.isfinite(k_arr)) and np.all(np.isfinite(n_arr))):
        raise ValueError("successes and trials must be finite")
    if np.any(k_arr != np.round(k_arr)) or np.any(n_arr != np.round(n_arr)):
        raise ValueError("successes and trials must be whole numbers")
    if np.any(k_arr < 0) or np.any(k_arr > n_arr):
        raise ValueError("successes must lie between 0 and the number of trials")
    return k_arr, n_arr


def _jeffreys(
    k: npt.NDArray[np.float64], n: npt.NDArray[np.float64], level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    tail = (1.0 - level) / 2.0
    a, b = k + 0.5, n - k + 0.5
    lo = np.where(k == 0, 0.0, stats.beta.ppf(tail, a, b))
    hi = np.where(k == n, 1.0, stats.beta.ppf(1.0 - tail, a, b))
    return lo, hi


def _wilson(
    k: npt.NDArray[np.float64], n: npt.NDArray[np.float64], level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    z = float(stats.norm.ppf(1.0 - (1.0 - level) / 2.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = k / n
        shrink = 1.0 + z * z / n
        centre = (p + z * z / (2.0 * n)) / shrink
        half = z / shrink * np.sqrt(p * (1.0 - p) / n + z * z / (4.0 * n * n))
    # The closed form gives exactly 0 at k = 0 and 1 at k = n; pin them against rounding.
    lo = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return lo, hi


# --------------------------------------------------------------------------- words


def estimative_word(p: float) -> str:
    """The estimative word for a probability, per :data:`ESTIMATIVE_BANDS`.

    Boundary rule: a probability exactly on a band edge takes the band nearer to even
    chance, the more cautious word.  So 0.05 is "very unlikely", 0.45 and 0.55 are
    "roughly even chance", 0.95 is "very likely"; and the words are symmetric:
    ``estimative_word(p)`` mirrors ``estimative_word(1 - p)``.

    Raises
    ------
    ValueError
        When ``p`` is NaN or outside [0, 1].

    Examples
    --------
    >>> for p in (0.0, 0.05, 0.3, 0.45, 0.5, 0.55, 0.7, 0.95, 1.0):
    ...     print(f"{p:.2f} {estimative_word(p)}")
    0.00 almost no chance
    0.05 very unlikely
    0.30 unlikely
    0.45 roughly even chance
    0.50 roughly even chance
    0.55 roughly even chance
    0.70 likely
    0.95 very likely
    1.00 almost certain
    """
    p = float(p)
    if not 0.0 <= p <= 1.0:  # also refuses NaN
        raise ValueError(f"probability must lie in [0, 1], got {p!r}")
    even = ESTIMATIVE_BANDS[3][0]
    if p < 0.5:  # below even chance a band's upper edge belongs to the band above
        for word, _, high in ESTIMATIVE_BANDS[:3]:
            if p < high:
                return word
        return even
    for word, low, _ in reversed(ESTIMATIVE_BANDS[4:]):  # above: lower edges go below
        if p > low:
            return word
    return even


def estimative_words(lo: float, hi: float) -> str:
    """The words for a range of probabilities (an interval, or the range across cases).

    One word when the whole range lies in one band; when it crosses a band edge, the words
    at both ends, so that a claim near an edge does not flip its word with the seed.

    Examples
    --------
    >>> estimative_words(0.17, 0.21)
    'very unlikely to unlikely'
    >>> estimative_words(0.6, 0.7)
    'likely'
    >>> estimative_words(0.04, 0.97)
    'almost no chance to almost certain'
    """
    low, high = estimative_word(min(lo, hi)), estimative_word(max(lo, hi))
    return low if low == high else f"{low} to {high}"


BY_CONSTRUCTION = "by construction"
"""What the report says instead of an estimative word for a claim fixed by the model's structure."""


# --------------------------------------------------------------------------- claims


def outcome_columns(outcomes: pd.DataFrame) -> list[str]:
    """The outcome columns of an outcomes table: every string column but run and policy.

    Examples
    --------
    >>> outcome_columns(pd.DataFrame(columns=["run", "policy", "peak.kor_threat"]))
    ['peak.kor_threat']
    """
    return [c for c in outcomes.columns if isinstance(c, str) and c not in RESERVED_COLUMNS]


def claim_indicator(outcomes: pd.DataFrame, claim: ClaimLike) -> npt.NDArray[np.bool_]:
    """Whether the claim holds, one boolean per row of ``outcomes``.

    A row where the expression meets NaN counts as "does not hold" under the NaN rules of
    :mod:`spillover.scenario.expr` (comparisons with NaN are False, except ``!=``).

    Raises
    ------
    ExprError
        Naming the claim, when its expression does not parse, refers to an unknown
        outcome, or gives numbers rather than yes/no.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> claim = SimpleNamespace(id="long-fire", text="Russia fires for over a year",
    ...                         expr="days_of_fire.prk_rus_shells > 365")
    >>> frame = pd.DataFrame({"days_of_fire.prk_rus_shells": [200.0, 400.0]})
    >>> claim_indicator(frame, claim)
    array([False,  True])
    """
    source = f"claim {claim.id!r}"
    try:
        expr = compile_expr(claim.expr, outcome_columns(outcomes))
        values = expr.evaluate(outcomes)
    except ExprError as error:
        raise error.with_source(source) from None
    if values.dtype != np.bool_:
        raise ExprError(
            f"{claim.expr!r} gives numbers, not yes/no; compare it with a threshold, "
            f"e.g. '{claim.expr} > 0'",
            text=claim.expr,
            source=source,
        )
    return values


def evaluate_claims(
    outcomes: pd.DataFrame, claims: Sequence[ClaimLike], level: float = 0.9
) -> pd.DataFrame:
    """Probability of each claim under each policy, with a Jeffreys interval and a word.

    Parameters
    ----------
    outcomes
        One row per (run, policy): a ``policy`` column and the outcome columns.
    claims
        The claims, each with a unique ``id``.
    level
        Coverage of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per (claim, policy), claims in the given order and policies in order of
        first appearance, with the columns of :data:`CLAIM_COLUMNS`: ``n`` runs of the
        policy, ``k`` of them where the claim holds, ``probability`` = k / n, ``lo`` and
        ``hi`` the interval, ``word`` the estimative word for ``probability``.

    Raises
    ------
    ExprError
        Naming the claim whose expression is invalid or not a yes/no statement.
    ValueError
        For a missing ``policy`` column, missing policy labels or duplicate claim ids.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> claim = SimpleNamespace(id="long-fire", text="Russia fires for over a year",
    ...                         expr="days_of_fire.prk_rus_shells > 365")
    >>> frame = pd.DataFrame({
    ...     "run": [0, 1, 2, 3, 0, 1, 2, 3],
    ...     "policy": ["baseline"] * 4 + ["interdict"] * 4,
    ...     "days_of_fire.prk_rus_shells": [400, 500, 380, 200, 300, 390, 100, 150],
    ... })
    >>> table = evaluate_claims(frame, [claim])
    >>> table[["policy", "n", "k", "probability", "word"]]
          policy  n  k  probability      word
    0   baseline  4  3         0.75    likely
    1  interdict  4  1         0.25  unlikely
    """
    policies, n, k = claim_counts(outcomes, claims)
    return claims_table(claims, policies, n, k, level)


def claim_counts(
    outcomes: pd.DataFrame, claims: Sequence[ClaimLike]
) -> tuple[list[Any], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Policies (in order of first appearance), runs per policy and, per claim and policy,
    the runs where the claim holds: the integer counts :func:`claims_table` needs.

    Counts add up exactly, so a table too large for memory can be counted part by part.
    """
    policies, codes = _policy_codes(outcomes)
    ids = [claim.id for claim in claims]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise ValueError(f"duplicate claim ids: {', '.join(map(repr, duplicates))}")
    n = np.bincount(codes, minlength=len(policies)).astype(np.int64)
    k = np.zeros((len(claims), len(policies)), dtype=np.int64)
    for c, claim in enumerate(claims):
        holds = claim_indicator(outcomes, claim)
        k[c] = np.bincount(codes, weights=holds, minlength=len(policies)).astype(np.int64)
    return policies, n, k


def claims_table(claims: Sequence[ClaimLike], policies: Sequence[Any], n: npt.NDArray[np.int64],
                 k: npt.NDArray[np.int64], level: float = 0.9) -> pd.DataFrame:
    """The claims table of :func:`evaluate_claims` from counts (see :func:`claim_counts`)."""
    columns: dict[str, list[Any]] = {name: [] for name in CLAIM_COLUMNS}
    for c, claim in enumerate(claims):
        lo, hi = binomial_interval(k[c], n, level)
        for i, policy in enumerate(policies):
            probability = k[c, i] / n[i]
            row = (claim.id, policy, claim.text, claim.expr, n[i], k[c, i], probability,
                   lo[i], hi[i], estimative_word(probability))
            for name, value in zip(CLAIM_COLUMNS, row, strict=True):
                columns[name].append(value)
    return pd.DataFrame(
        {
            **{name: pd.Series(columns[name], dtype=object) for name in CLAIM_COLUMNS[:4]},
            "n": np.asarray(columns["n"], dtype=np.int64),
            "k": np.asarray(columns["k"], dtype=np.int64),
            "probability": np.asarray(columns["probability"], dtype=np.float64),
            "lo": np.asarray(columns["lo"], dtype=np.float64),
            "hi": np.asarray(columns["hi"], dtype=np.float64),
            "word": pd.Series(columns["word"], dtype=object),
        }
    )


def _policy_codes(outcomes: pd.DataFrame) -> tuple[list[Any], npt.NDArray[np.intp]]:
    """Policies in order of first appearance, and each row's index into that list."""
    if "policy" not in outcomes.columns:
        raise ValueError("the outcomes table has no 'policy' column")
    labels = outcomes["policy"]
    if labels.isna().any():
        raise ValueError("the outcomes table has rows without a policy")
    codes, uniques = pd.factorize(labels, sort=False)
    return list(uniques), codes.astype(np.intp)


# --------------------------------------------------------------------------- a scenario's claims


@dataclass(frozen=True)
class ClaimSpec:
    """A claim of a scenario: its id, its sentence and the expression that tests it."""

    id: str
    text: str
    expr: str


def claims_of(sc: Scenario) -> list[ClaimSpec]:
    """The scenario's claims in file order."""
    return [ClaimSpec(c, x.text, x.expr) for c, x in sc.claims.items()]


def claim_columns(claims: Sequence[ClaimLike]) -> list[str]:
    """The outcome columns the claims read."""
    return sorted(set().union(*(parse(c.expr).columns() for c in claims))) if claims else []


def claims_over(data: ds.Dataset, claims: Sequence[ClaimLike], policies: Sequence[str]) -> pd.DataFrame:
    """The claims table counted over every run of a (large) outcomes dataset, a batch at a time.

    Counts are integers, so the table equals :func:`evaluate_claims` over the whole table.
    """
    n = np.zeros(len(policies), dtype=np.int64)
    k = np.zeros((len(claims), len(policies)), dtype=np.int64)
    for batch in data.to_batches(columns=["policy", *claim_columns(claims)], batch_size=1 << 16):
        if batch.num_rows == 0:
            continue
        seen, nb, kb = claim_counts(batch.to_pandas(), claims)
        at = [list(policies).index(p) for p in seen]
        n[at] += nb
        k[:, at] += kb
    return claims_table(claims, policies, n, k)
