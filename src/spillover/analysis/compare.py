"""Paired policy differences under common random numbers.

Every policy is simulated on the same runs (same seeds and sampled inputs), so the
difference between a policy and the baseline is best estimated run by run: the noise the
two share cancels, and the interval on the mean of the paired differences is far
narrower than one comparing two independent samples would be.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from spillover.analysis.claims import ClaimLike, claim_indicator, claims_of, outcome_columns
from spillover.scenario.expr import Column, Expr, ExprError, compile_expr, parse
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import compared_columns

__all__ = ["COMPARISON_COLUMNS", "analysed_columns", "compare_policies", "key_quantities",
           "paired_differences", "paired_summary", "weighted_paired_summary"]

COMPARISON_COLUMNS = (
    "policy",
    "baseline",
    "quantity",
    "kind",
    "n",
    "mean_diff",
    "lo",
    "hi",
    "share_lower",
    "share_higher",
)
"""Columns of :func:`paired_differences`' result, in order."""

FloatArray = npt.NDArray[np.float64]


def paired_summary(
    differences: npt.ArrayLike, level: float = 0.9
) -> tuple[int, float, float, float, float, float]:
    """Summarise per-run differences (policy - baseline).

    NaN differences are dropped first.  The interval is Student's t interval on the mean
    difference at ``level``; when every difference is the same it collapses to that
    value, and with fewer than two differences it is undefined (NaN).

    Returns
    -------
    tuple
        ``(n, mean_diff, lo, hi, share_lower, share_higher)``: the number of differences
        kept, their mean, the interval, and the shares of runs where the policy is lower
        (difference < 0) and higher (> 0) than the baseline.

    Examples
    --------
    >>> n, mean, lo, hi, lower, higher = paired_summary([1.0, 2.0, 0.0, float("nan")])
    >>> n, mean, round(lo, 4), round(hi, 4), lower, round(higher, 4)
    (3, 1.0, -0.6859, 2.6859, 0.0, 0.6667)
    >>> paired_summary([0.5, 0.5, 0.5])
    (3, 0.5, 0.5, 0.5, 0.0, 1.0)
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    d = np.asarray(differences, dtype=np.float64)
    d = d[~np.isnan(d)]
    n = int(d.size)
    if n == 0:
        return 0, np.nan, np.nan, np.nan, np.nan, np.nan
    share_lower = float(np.mean(d < 0))
    share_higher = float(np.mean(d > 0))
    if np.all(d == d[0]):
        mean = float(d[0])
        lo = hi = mean if n >= 2 else np.nan
        return n, mean, lo, hi, share_lower, share_higher
    with np.errstate(invalid="ignore", over="ignore"):  # infinite differences give NaN ends
        mean = float(np.mean(d))
        half = float(stats.t.ppf(0.5 + level / 2.0, n - 1) * np.std(d, ddof=1) / np.sqrt(n))
    return n, mean, mean - half, mean + half, share_lower, share_higher


def weighted_paired_summary(
    differences: npt.ArrayLike, weights: npt.ArrayLike, level: float = 0.9
) -> tuple[int, float, float, float, float, float, float]:
    """:func:`paired_summary` of differences weighted by the evidence (one weight per run).

    NaN differences and their weights are dropped. The mean and the shares are weighted;
    the interval is Student's t on the weighted mean with the effective sample size
    ``ESS = (Σw)² / Σw²`` of the kept weights in place of the count: ``mean ± t(ESS-1) ·
    s / √ESS``, ``s²`` the weighted variance with the reliability-weights correction (the
    sample variance when the weights are equal, so equal weights give :func:`paired_summary`).

    Returns ``(n, mean_diff, lo, hi, share_lower, share_higher, ess)``; ``n`` counts the
    runs with a positive weight.

    >>> n, mean, lo, hi, lower, higher, e = weighted_paired_summary([1.0, 2.0, 0.0], [1, 1, 1])
    >>> n, mean, round(lo, 4), round(hi, 4), e
    (3, 1.0, -0.6859, 2.6859, 3.0)
    >>> weighted_paired_summary([1.0, 2.0, 0.0], [0.0, 1.0, 0.0])[:2]
    (1, 2.0)
    """
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be strictly between 0 and 1, got {level!r}")
    d, w = np.asarray(differences, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    keep = ~np.isnan(d) & (w > 0)
    d, w = d[keep], w[keep]
    if d.size == 0:
        return 0, np.nan, np.nan, np.nan, np.nan, np.nan, 0.0
    total = float(w.sum())
    w = w / total
    e = 1.0 / float(np.sum(w * w))
    lower, higher = float(np.sum(w[d < 0])), float(np.sum(w[d > 0]))
    if np.all(d == d[0]):
        return int(d.size), float(d[0]), float(d[0]), float(d[0]), lower, higher, e
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        mean = float(np.sum(w * d))
        var = float(np.sum(w * (d - mean) ** 2)) / (1.0 - 1.0 / e)
        half = float(stats.t.ppf(0.5 + level / 2.0, e - 1.0) * np.sqrt(var / e)) if e > 1.0 else np.nan
    return int(d.size), mean, mean - half, mean + half, lower, higher, e


def paired_differences(
    outcomes: pd.DataFrame,
    baseline: str,
    quantities: Mapping[str, str] | None = None,
    claims: Sequence[ClaimLike] = (),
    level: float = 0.9,
    weights: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Per-run differences of each policy from the baseline, paired by ``run``.

    Parameters
    ----------
    outcomes
        One row per (run, policy): ``run``, ``policy`` and outcome columns.  Every policy
        must have exactly the runs the baseline has.
    baseline
        The policy the others are compared with.
    quantities
        Name -> expression (see :mod:`spillover.scenario.expr`), numeric or yes/no; a
        yes/no expression counts as 0/1.  None (the default) compares every numeric or
        boolean outcome column as it is; pass ``{}`` for none.
    claims
        Claims compared as 0/1 indicators (their ``id`` is the quantity name).
    level
        Coverage of the t interval on each mean difference.
    weights
        The evidence's weights (``run``, ``weight``): the differences are then weighted
        (:func:`weighted_paired_summary`) and the table gains ``ess``. None: unweighted.

    Returns
    -------
    pandas.DataFrame
        One row per (policy, quantity) with the columns of :data:`COMPARISON_COLUMNS`:
        policies other than the baseline in order of first appearance, quantities in the
        given order and then the claims; ``kind`` is ``"outcome"`` or ``"claim"``;
        ``n``, ``mean_diff``, ``lo``, ``hi``, ``share_lower``, ``share_higher`` as in
        :func:`paired_summary` (runs with a NaN difference, e.g. an event that never
        fired, are left out of ``n``).

    Raises
    ------
    ValueError
        When ``run`` or ``policy`` is missing, the baseline is unknown, a (run, policy)
        pair repeats, or a policy's runs differ from the baseline's.
    ExprError
        Naming the quantity or claim whose expression is invalid.

    Examples
    --------
    >>> frame = pd.DataFrame({
    ...     "run": [0, 1, 2, 0, 1, 2],
    ...     "policy": ["base"] * 3 + ["interdict"] * 3,
    ...     "days_of_fire.x": [300.0, 400.0, 500.0, 250.0, 360.0, 470.0],
    ... })
    >>> table = paired_differences(frame, "base", {"days": "days_of_fire.x"})
    >>> table[["policy", "quantity", "n", "mean_diff", "share_lower"]]
          policy quantity  n  mean_diff  share_lower
    0  interdict     days  3      -40.0          1.0
    """
    _check_table(outcomes)
    policies = list(pd.unique(outcomes["policy"]))
    if baseline not in policies:
        known = ", ".join(repr(p) for p in policies)
        raise ValueError(f"baseline policy {baseline!r} is not in the outcomes ({known})")
    measures = _measures(outcomes, quantities, claims)
    rows: list[tuple[Any, ...]] = []
    base_rows = _rows_by_run(outcomes, baseline)
    for policy in policies:
        if policy == baseline:
            continue
        policy_rows = _rows_by_run(outcomes, policy)
        _check_same_runs(outcomes, policy, policy_rows, baseline, base_rows)
        w = None if weights is None else _run_weights(weights, outcomes["run"].to_numpy()[base_rows])
        for name, kind, values in measures:
            d = values[policy_rows] - values[base_rows]
            summary = paired_summary(d, level) if w is None else weighted_paired_summary(d, w, level)
            rows.append((policy, baseline, name, kind, *summary))
    return _table(rows, weighted=weights is not None)


def _run_weights(weights: pd.DataFrame, runs: npt.NDArray[Any]) -> FloatArray:
    """Each run's weight, in the order of ``runs`` (0 for a run without one)."""
    return weights.set_index("run")["weight"].reindex(runs).fillna(0.0).to_numpy(np.float64)


def _check_table(outcomes: pd.DataFrame) -> None:
    missing = [c for c in ("run", "policy") if c not in outcomes.columns]
    if missing:
        raise ValueError(f"the outcomes table has no {' or '.join(map(repr, missing))} column")
    repeated = outcomes.duplicated(["run", "policy"])
    if repeated.any():
        first = outcomes.loc[repeated, ["run", "policy"]].iloc[0]
        raise ValueError(
            f"{int(repeated.sum())} repeated (run, policy) rows, e.g. run {first['run']} "
            f"of policy {first['policy']!r}; each run must appear once per policy"
        )


def _rows_by_run(outcomes: pd.DataFrame, policy: str) -> npt.NDArray[np.intp]:
    """Positions of the policy's rows, sorted by run."""
    positions = np.flatnonzero((outcomes["policy"] == policy).to_numpy())
    runs = outcomes["run"].to_numpy()[positions]
    return positions[np.argsort(runs, kind="stable")]


def _check_same_runs(
    outcomes: pd.DataFrame,
    policy: str,
    policy_rows: npt.NDArray[np.intp],
    baseline: str,
    base_rows: npt.NDArray[np.intp],
) -> None:
    runs = outcomes["run"].to_numpy()
    mine, theirs = set(runs[policy_rows].tolist()), set(runs[base_rows].tolist())
    if mine == theirs:
        return
    problems = []
    for who, lacking in ((policy, theirs - mine), (baseline, mine - theirs)):
        if lacking:
            shown = ", ".join(str(r) for r in sorted(lacking)[:5])
            more = f" and {len(lacking) - 5} more" if len(lacking) > 5 else ""
            problems.append(f"{who!r} lacks run {shown}{more}")
    raise ValueError(
        f"cannot pair policy {policy!r} with baseline {baseline!r} run by run: "
        + "; ".join(problems)
    )


def _measures(
    outcomes: pd.DataFrame, quantities: Mapping[str, str] | None, claims: Sequence[ClaimLike]
) -> list[tuple[str, str, FloatArray]]:
    """(name, kind, per-row values) for every quantity and claim, values as floats."""
    measures: list[tuple[str, str, FloatArray]] = []
    if quantities is None:
        for name in outcome_columns(outcomes):
            if _is_numeric(outcomes[name]):
                values = Column(name).evaluate(outcomes).astype(np.float64)
                measures.append((name, "outcome", values))
    else:
        available = outcome_columns(outcomes)
        for name, text in quantities.items():
            try:
                expr: Expr = compile_expr(text, available)
                values = expr.evaluate(outcomes).astype(np.float64)
            except ExprError as error:
                raise error.with_source(f"quantity {name!r}") from None
            measures.append((name, "outcome", values))
    for claim in claims:
        measures.append((claim.id, "claim", claim_indicator(outcomes, claim).astype(np.float64)))
    return measures


def _is_numeric(column: pd.Series) -> bool:
    return pd.api.types.is_bool_dtype(column) or pd.api.types.is_numeric_dtype(column)


def _table(rows: list[tuple[Any, ...]], weighted: bool = False) -> pd.DataFrame:
    names = (*COMPARISON_COLUMNS, "ess") if weighted else COMPARISON_COLUMNS
    columns = list(zip(*rows, strict=True)) if rows else [()] * len(names)
    data: dict[str, Any] = {}
    for name, values in zip(names, columns, strict=True):
        if name in ("policy", "baseline", "quantity", "kind"):
            data[name] = pd.Series(list(values), dtype=object)
        elif name == "n":
            data[name] = np.asarray(values, dtype=np.int64)
        else:
            data[name] = np.asarray(values, dtype=np.float64)
    return pd.DataFrame(data)


def key_quantities(sc: Scenario) -> dict[str, str]:
    """The outcomes policies are compared on (the catalogue's ``compared`` families).

    >>> from spillover.scenario.load import load_scenario
    >>> list(key_quantities(load_scenario("nk-russia-2023")))[:2]
    ['days_of_fire.prk_rus_shells', 'days_of_fire.west_ukr_shells']
    """
    return {c: c for c in compared_columns(sc)}


def analysed_columns(sc: Scenario) -> list[str]:
    """The outcome columns that the claims and the policy comparison read."""
    exprs = [c.expr for c in claims_of(sc)] + list(key_quantities(sc).values())
    return sorted(set().union(*(parse(e).columns() for e in exprs))) if exprs else []


def compare_policies(outcomes: pd.DataFrame, sc: Scenario, policies: Sequence[str],
                     weights: pd.DataFrame | None = None) -> pd.DataFrame:
    """The paired comparison of every policy with the first, on the key quantities and claims
    (an empty table with its columns when there is one policy); weighted by the evidence's
    ``weights`` when given (see :func:`paired_differences`)."""
    if len(policies) < 2:
        return pd.DataFrame(columns=list(COMPARISON_COLUMNS) + ([] if weights is None else ["ess"]))
    return paired_differences(outcomes, policies[0], key_quantities(sc), claims_of(sc), weights=weights)
