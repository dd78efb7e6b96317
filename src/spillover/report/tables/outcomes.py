"""Display rows for the key outcomes: mean, median and 5–95% range per policy."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.claims import binomial_interval
from spillover.report.format import fmt_count, fmt_date, fmt_number, fmt_pct, fmt_prob_interval
from spillover.report.outcome_labels import group_columns, outcome_label
from spillover.scenario.outcomes import FAMILIES, Scope

__all__ = ["outcome_groups", "outcome_stats"]

_FLAGS = {f.name for f in FAMILIES if f.kind == "flag" and f.scope is Scope.EVENT}


def outcome_stats(values: Any) -> dict[str, float]:
    """Mean, median, 5th and 95th percentile and count of the non-missing values."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").astype(float).to_numpy()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        nan = float("nan")
        return {"n": 0, "mean": nan, "median": nan, "q05": nan, "q95": nan}
    q05, median, q95 = np.quantile(arr, [0.05, 0.5, 0.95])
    return {
        "n": int(arr.size),
        "mean": float(arr.mean()),
        "median": float(median),
        "q05": float(q05),
        "q95": float(q95),
    }


def _fired(values: pd.Series, stats: Mapping[str, float], what: str = "fired") -> dict[str, str]:
    """Share of runs in which an event fired (or another flag holds), with its Jeffreys interval."""
    k, n = float(np.nansum(values)), int(stats["n"])
    try:
        lo, hi = binomial_interval(round(k), n) if n else (float("nan"), float("nan"))
    except ValueError:  # not a yes/no column: show the share alone
        lo, hi = float("nan"), float("nan")
    return {
        "mean": fmt_prob_interval(stats["mean"], lo, hi),
        "median": "—",
        "range": "—",
        "note": f"{what} in {fmt_count(k)} of {fmt_count(n)} runs; 90% Jeffreys interval in brackets",
    }


def _fired_day(stats: Mapping[str, float], total: int, start: Any) -> dict[str, str]:
    """Firing dates over the runs in which the event fired."""
    share = stats["n"] / total if total else float("nan")
    span = f"{fmt_date(start, stats['q05'])} to {fmt_date(start, stats['q95'])}" if stats["n"] else "—"
    return {
        "mean": fmt_date(start, stats["mean"]),
        "median": fmt_date(start, stats["median"]),
        "range": span,
        "note": f"over the {fmt_count(stats['n'])} runs ({fmt_pct(share)}) in which it fired",
    }


def _number(
    values: pd.Series, stats: Mapping[str, float], prefix: str, horizon: Any
) -> dict[str, str]:
    """Mean, median and range of a plain number; first shortfalls say how often none came."""
    span = f"{fmt_number(stats['q05'])} to {fmt_number(stats['q95'])}" if stats["n"] else "—"
    row = {"mean": fmt_number(stats["mean"]), "median": fmt_number(stats["median"]), "range": span,
           "note": ""}
    if prefix.startswith("first_shortfall") and horizon is not None and len(values):
        censored = float((values >= float(horizon)).mean())
        row["note"] = (
            f"no shortfall within the horizon in {fmt_pct(censored)} of runs "
            f"(counted as day {fmt_count(horizon)})"
        )
    return row


def _row(values: pd.Series, policy: str, prefix: str, summary: Mapping[str, Any]) -> dict[str, Any]:
    stats = outcome_stats(values)
    start = summary.get("start")
    if prefix == "fired":
        cells = _fired(values, stats)
    elif prefix in _FLAGS:  # the events' shadows: fired_true, misfired, missed
        cells = _fired(values, stats, "true")
    elif prefix == "fired_day" and start:
        cells = _fired_day(stats, len(values), start)
    else:
        cells = _number(values, stats, prefix, summary.get("horizon"))
    return {"policy": policy, "n": stats["n"], **cells}


def _present_policies(outcomes: pd.DataFrame, policies: Sequence[str] | None) -> list[str]:
    order = list(policies or [])
    present = [str(p) for p in pd.unique(outcomes["policy"])]
    order += [p for p in present if p not in order]
    return [p for p in order if p in present]


def outcome_groups(
    outcomes: pd.DataFrame | None,
    summary: Mapping[str, Any],
    policies: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Key outcomes per policy: ``[{"name", "quantities": [{label, column, rows}]}]``.

    Each quantity has one row per policy with ``mean``, ``median`` and ``range`` (5–95 %)
    formatted, plus a ``note`` (share of runs censored at the horizon, share of runs in
    which an event fired). Event firing days are shown as dates over the runs in which
    the event fired.
    """
    if outcomes is None or outcomes.empty or "policy" not in outcomes.columns:
        return []
    order = _present_policies(outcomes, policies)
    policy_col = outcomes["policy"].astype(str)
    parts = {p: outcomes[policy_col == p] for p in order}  # each policy's runs, split once
    groups: list[dict[str, Any]] = []
    for group, columns in group_columns(outcomes.columns):
        quantities = []
        for column in columns:
            prefix = column.partition(".")[0]
            rows = [
                _row(pd.to_numeric(parts[p][column], errors="coerce").astype(float), p, prefix, summary)
                for p in order
            ]
            quantities.append({"column": column, "label": outcome_label(summary, column), "rows": rows})
        groups.append({"name": group, "quantities": quantities})
    return groups
