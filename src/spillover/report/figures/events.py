"""Event figures: the probability that each event has fired by each date, and when it fires."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from spillover.analysis.claims import binomial_interval
from spillover.report.figures.style import (
    DAY_MS,
    PALETTE,
    base_layout,
    dates,
    empty_figure,
    esc,
    policies_in,
    policy_colors,
    rgba,
    round_sig,
)
from spillover.report.format import fmt_pct

__all__ = ["event_probability_figure", "firing_day_histogram"]


def _fired_days(outcomes: pd.DataFrame, policy: str, event_id: str) -> np.ndarray:
    col = f"fired_day.{event_id}"
    return pd.to_numeric(
        outcomes.loc[outcomes["policy"].astype(str) == policy, col], errors="coerce"
    ).to_numpy(dtype=float)


def _curve_days(fired: np.ndarray, start: Any, horizon: int, max_points: int) -> tuple[np.ndarray, dict]:
    """Days at which to evaluate a step curve, and their x specification."""
    change = np.unique(fired[fired > 0])
    if change.size + 2 <= max_points:
        # Exact: one point at the start, one at each day the curve steps, one at the end.
        days = np.unique(np.concatenate([[0.0], change, [float(horizon)]]))
        return days, {"x": dates(start, days)}
    # Many distinct days: evaluate on an even grid (steps may show up to stride - 1 days
    # late) so the figure stays small.
    stride = math.ceil(horizon / (max_points - 1))
    days = np.arange(0, horizon + 1, stride, dtype=float)
    return days, {"x0": dates(start, [0])[0], "dx": stride * DAY_MS}


def _band(xspec: dict, lo: np.ndarray, hi: np.ndarray, color: str, group: str) -> list[go.Scatter]:
    common = {"mode": "lines", "line": {"width": 0, "color": color, "shape": "hv"}, "hoverinfo": "skip",
              "showlegend": False, "legendgroup": group}
    return [
        go.Scatter(**xspec, y=round_sig(lo), **common),
        go.Scatter(**xspec, y=round_sig(hi), fill="tonexty", fillcolor=rgba(color, 0.18), **common),
    ]


def _event_panel(fig: go.Figure, row: int, values_by_policy: list[tuple[str, str, np.ndarray]],
                 start: Any, horizon: int, band: bool, level: float, max_points: int) -> float:
    """One event's step curves (and bands) in subplot ``row``; returns the highest value drawn."""
    row_max = 0.0
    for policy, color, values in values_by_policy:
        n = values.size
        if n == 0:
            continue
        fired = np.sort(np.clip(np.floor(values[~np.isnan(values)]), 0, horizon))
        days, xspec = _curve_days(fired, start, horizon, max_points)
        k = np.searchsorted(fired, days, side="right").astype(float)
        group = f"policy-{policy}"
        row_max = max(row_max, float(k.max()) / n)
        if band:
            lo, hi = binomial_interval(k, n, level)
            row_max = max(row_max, float(hi.max()))
            for trace in _band(xspec, lo, hi, color, group):
                fig.add_trace(trace, row=row, col=1)
        fig.add_trace(go.Scatter(
            **xspec, y=round_sig(k / n), mode="lines", line={"color": color, "width": 2, "shape": "hv"},
            name=esc(policy), legendgroup=group, showlegend=row == 1, yhoverformat=".1%",
        ), row=row, col=1)  # fmt: skip
    return row_max


def event_probability_figure(
    outcomes: pd.DataFrame,
    event_ids: Sequence[str],
    start: Any,
    horizon: int,
    *,
    policies: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    event_names: Mapping[str, str] | None = None,
    band: bool = True,
    level: float = 0.90,
    max_points: int = 400,
) -> go.Figure:
    """P(event has fired by date), one panel per event, one step curve per policy.

    Read from the ``fired_day.<event>`` columns (NaN: never fired). With ``band``, a
    Jeffreys interval at ``level`` over the runs is drawn around each curve. Curves
    with more than ``max_points`` steps are evaluated on an even grid of days.
    """
    title = "Probability each event has fired, by date"
    events = [e for e in event_ids if outcomes is not None and f"fired_day.{e}" in outcomes.columns]
    if not events or outcomes.empty:
        return empty_figure(title, "No event firing days in these results.")
    names = dict(event_names or {})
    order = policies_in(outcomes, policies)
    colors = dict(colors or policy_colors(order))
    fig = make_subplots(rows=len(events), cols=1, shared_xaxes=True,
                        vertical_spacing=min(0.12, 0.3 / len(events)),
                        subplot_titles=[esc(names.get(e, e)) for e in events])
    for row, event in enumerate(events, start=1):
        values = [(p, colors.get(p, PALETTE[i % len(PALETTE)]), _fired_days(outcomes, p, event))
                  for i, p in enumerate(order)]
        row_max = _event_panel(fig, row, values, start, int(horizon), band, level, max_points)
        # Zoom on small probabilities (a flat line at 0-2% tells nothing) but never past 100%.
        top = min(1.0, max(0.05, 1.15 * row_max))
        fig.update_yaxes(range=[0, top], tickformat=".1~%", title_text="P(fired by date)", row=row, col=1)
    # Subplot titles sit where the legend usually goes: put the legend underneath.
    base_layout(fig, title, 150 + 250 * len(events), legend_below=True)
    fig.update_xaxes(type="date")
    fig.update_layout(hovermode="x unified")
    return fig


def _bins(all_days: np.ndarray, horizon: int | None, bin_days: int | None) -> tuple[int, int, np.ndarray]:
    """The horizon (from the data when not given), the bin length and the bin edges in days."""
    if horizon is None:
        finite = all_days[~np.isnan(all_days)]
        horizon = int(finite.max()) + 1 if finite.size else 1
    horizon = max(int(horizon), 1)
    if bin_days is None:
        bin_days = 7 if horizon <= 180 else 14 if horizon <= 365 else 30
    return horizon, bin_days, np.arange(0, horizon + bin_days, bin_days, dtype=float)


def _nothing_fired(fig: go.Figure) -> None:
    note = {"text": "No run fired this event within the horizon, under any policy.", "showarrow": False,
            "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.6, "font": {"size": 13}}
    fig.update_layout(annotations=[note], yaxis={"range": [0, 0.05]})


def firing_day_histogram(
    outcomes: pd.DataFrame,
    event_id: str,
    start: Any,
    *,
    horizon: int | None = None,
    policies: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    event_name: str | None = None,
    bin_days: int | None = None,
) -> go.Figure:
    """When an event fires: share of all runs firing in each period, per policy.

    Bars are shares of *all* runs, so they add up to the probability of firing within
    the horizon (given in the legend); runs in which the event never fires are not
    drawn. Bins are ``bin_days`` long (default: 7, 14 or 30 days by horizon).
    """
    title = f"When it fires: {event_name or event_id}"
    col = f"fired_day.{event_id}"
    if outcomes is None or outcomes.empty or col not in outcomes.columns:
        return empty_figure(title, "No firing days for this event.")
    order = policies_in(outcomes, policies)
    colors = dict(colors or policy_colors(order))
    all_days = pd.to_numeric(outcomes[col], errors="coerce").to_numpy(dtype=float)
    horizon, bin_days, edges = _bins(all_days, horizon, bin_days)
    fig = go.Figure()
    centres = dates(start, edges[:-1] + bin_days // 2)
    ends = dates(start, np.minimum(edges[1:], horizon + 1) - 1)
    spans = [[a, b] for a, b in zip(dates(start, edges[:-1]), ends, strict=True)]
    any_fired = False
    for i, policy in enumerate(order):
        values = _fired_days(outcomes, policy, event_id)
        if values.size == 0:
            continue
        fired = np.clip(values[~np.isnan(values)], 0, horizon)
        any_fired = any_fired or fired.size > 0
        counts, _ = np.histogram(fired, bins=edges)
        fig.add_trace(go.Bar(
            x=centres, y=round_sig(counts / values.size), customdata=spans,
            name=f"{esc(policy)} (fires in {fmt_pct(fired.size / values.size)} of runs)",
            marker={"color": colors.get(policy, PALETTE[i % len(PALETTE)])},
            hovertemplate="%{customdata[0]} to %{customdata[1]}: %{y:.1%} of runs",
        ))  # fmt: skip
    base_layout(fig, title, 380, legend_below=True)
    if not any_fired:
        _nothing_fired(fig)
    fig.update_layout(
        barmode="group",
        bargap=0.15,
        xaxis={"type": "date"},
        yaxis={"tickformat": ".1~%", "title": {"text": "share of runs"}, "rangemode": "tozero"},
    )
    return fig
