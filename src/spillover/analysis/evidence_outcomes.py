"""The key outcomes and the policy comparison before and after the evidence.

The prior is the ensemble as run (every run counts once); the posterior weighs each run
by the evidence (:mod:`spillover.analysis.evidence`), or is the final population of
resample-move under its survival counts. A number's median and 5–95% range are weighted
quantiles; an event's share has the Jeffreys interval of the effective sample size (ESS),
as a weighted claim's has; the paired comparison's t intervals use the ESS in place of the
run count (:func:`spillover.analysis.compare.weighted_paired_summary`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.claims import binomial_interval
from spillover.analysis.compare import compare_policies
from spillover.analysis.evidence import ess
from spillover.analysis.evidence_tables import run_weights, weighted_interval, weighted_quantiles
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import family_of, headline_columns

OUTCOME_COLUMNS = ["policy", "outcome", "kind", "prior", "prior_lo", "prior_hi", "posterior", "lo", "hi",
                   "ess"]
"""Columns of :func:`weighted_outcomes`: for a number the median and 5–95% range, for an
event the share of runs in which it fired and its 90% interval."""


def _is_flag(column: str) -> bool:
    fam = family_of(column)
    return fam is not None and fam.kind == "flag"


def _number(v: np.ndarray, after: np.ndarray, w: np.ndarray) -> tuple[float, ...]:
    """Prior median, 5%, 95% (as the terminal's table computes them), then the weighted ones."""
    prior = np.nanpercentile(v, [50, 5, 95]) if np.isfinite(v).any() else (np.nan,) * 3
    keep = np.isfinite(after) & (w > 0)
    post = weighted_quantiles(after[keep], w[keep], (0.5, 0.05, 0.95)) if keep.any() else (np.nan,) * 3
    return (*map(float, prior), *map(float, post), ess(w[keep]))


def _flag(v: np.ndarray, after: np.ndarray, w: np.ndarray, level: float) -> tuple[float, ...]:
    """Prior share and its Jeffreys interval over the runs; posterior share over the ESS."""
    n = len(v)
    k = int(np.nansum(v > 0.5))
    p = k / n if n else np.nan
    lo, hi = binomial_interval(k, n, level) if n else (np.nan, np.nan)
    e = ess(w)
    post = float(np.sum(w * (after > 0.5)) / np.sum(w)) if w.sum() > 0 else np.nan
    plo, phi = weighted_interval(post, e, level) if np.isfinite(post) else (np.nan, np.nan)
    return p, float(lo), float(hi), post, plo, phi, e


def weighted_outcomes(outcomes: pd.DataFrame, weights: pd.DataFrame, columns: Sequence[str] | None = None,
                      level: float = 0.9, posterior: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per policy and key outcome (default: the terminal's headline outcomes), the prior
    and the posterior (``outcomes`` under ``weights``, or the ``posterior`` runs under them):
    see :data:`OUTCOME_COLUMNS`. A number's NaN values (an event that never fired) are left
    out with their weights."""
    after = outcomes if posterior is None else posterior
    cols = list(columns) if columns is not None else headline_columns([str(c) for c in outcomes.columns])
    groups = after.groupby("policy", sort=False).indices
    rows: list[dict[str, Any]] = []
    for policy, idx in outcomes.groupby("policy", sort=False).indices.items():
        j = groups.get(policy, np.zeros(0, np.int64))
        w = run_weights(weights, after["run"].to_numpy()[j])
        for col in cols:
            v = outcomes[col].to_numpy(float)[idx]
            a = after[col].to_numpy(float)[j]
            flag = _is_flag(col)
            cells = _flag(v, a, w, level) if flag else _number(v, a, w)
            rows.append(dict(zip(OUTCOME_COLUMNS, (policy, col, "event" if flag else "number", *cells),
                                 strict=True)))
    return pd.DataFrame(rows, columns=OUTCOME_COLUMNS)


def weighted_comparison(outcomes: pd.DataFrame, sc: Scenario, policies: Sequence[str],
                        weights: pd.DataFrame) -> pd.DataFrame:
    """The paired policy comparison of :func:`~spillover.analysis.compare.compare_policies`
    under the evidence's weights (``outcomes``: the runs the weights are of)."""
    return compare_policies(outcomes, sc, list(policies), weights=weights)


__all__ = ["OUTCOME_COLUMNS", "weighted_comparison", "weighted_outcomes"]
