"""Fan charts of the daily series: median line, 50% band and 90% band edges per policy."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from spillover.report.figures.style import (
    DAY_MS,
    PALETTE,
    dates,
    empty_figure,
    esc,
    figure_from,
    layout_spec,
    policies_in,
    policy_colors,
    rgba,
    round_sig,
)
from spillover.report.outcome_labels import SERIES_GROUPS, series_label

__all__ = ["constant_value", "fan_chart", "identical_policies", "series_figures", "series_titles", "thin"]

_HOVER = ",.4~r"
_QUANTILES = ("q05", "q25", "q50", "q75", "q95")


def thin(n: int, max_points: int) -> np.ndarray:
    """Indices of at most ``max_points`` evenly spaced points out of ``n`` (the first kept)."""
    if n > max_points > 1:
        return np.arange(0, n, math.ceil((n - 1) / (max_points - 1)))
    return np.arange(n)


def _xspec(start: Any, days: np.ndarray) -> dict[str, Any]:
    """Evenly spaced whole days as ``x0`` and ``dx`` (smaller JSON); other days as dates."""
    steps = np.diff(days)
    if len(days) > 1 and np.allclose(steps, steps[0]) and float(steps[0]).is_integer():
        return {"x0": dates(start, days[:1])[0], "dx": int(steps[0]) * DAY_MS}
    return {"x": dates(start, days)}


def _drawn(sub: pd.DataFrame, max_points: int) -> tuple[Any, ...]:
    """What a policy's lines would show: its days and quantiles, thinned and rounded."""
    days = sub["day"].to_numpy(dtype=float)
    idx = thin(len(days), max_points)
    cols = [round_sig(sub[q].to_numpy(dtype=float)[idx]) for q in _QUANTILES if q in sub.columns]
    return tuple(tuple(c) for c in [round_sig(days[idx]), *cols])


def _by_policy(df: pd.DataFrame, order: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Each policy's rows by day, in ``order``: the table split once, not compared per policy."""
    groups = dict(tuple(df.groupby(df["policy"].astype(str), sort=False))) if len(df) else {}
    return {p: groups[p].sort_values("day") for p in order if p in groups}


def _same_lines(subs: Mapping[str, pd.DataFrame], max_points: int) -> list[list[str]]:
    """Policies grouped by what their lines would show, in order of first appearance."""
    groups: dict[tuple[Any, ...], list[str]] = {}
    for policy, sub in subs.items():
        groups.setdefault(_drawn(sub, max_points), []).append(policy)
    return list(groups.values())


def identical_policies(series_df: pd.DataFrame, series_name: str, policies: Sequence[str] | None = None,
                       max_points: int = 400) -> list[list[str]]:
    """Groups of two or more policies whose fan charts of ``series_name`` would be identical.

    Compared as drawn: the same days and the same quantiles to four significant digits.
    """
    if series_df is None or series_df.empty or "series" not in series_df.columns:
        return []
    df = series_df[series_df["series"] == series_name]
    subs = _by_policy(df, policies_in(df, policies))
    return [g for g in _same_lines(subs, max_points) if len(g) > 1]


def constant_value(series_df: pd.DataFrame, series_name: str) -> float | None:
    """The one value ``series_name`` takes on every day under every policy, if it is constant.

    Quantiles are compared to four significant digits, as drawn; ``None`` when they vary,
    are all missing or the series is absent.
    """
    if series_df is None or series_df.empty or "series" not in series_df.columns:
        return None
    df = series_df[series_df["series"] == series_name]
    cols = [q for q in _QUANTILES if q in df.columns]
    values = df[cols].to_numpy(dtype=float).ravel()
    values = values[np.isfinite(values)]  # NaN and ±inf are drawn as gaps
    if not len(values):
        return None
    # Rounding to significant digits never reverses an order: every value rounds as the
    # smallest and the largest do exactly when those two round alike.
    lo, hi = round_sig([values.min(), values.max()])
    return lo if lo == hi else None


def _bands(sub: pd.DataFrame, idx: np.ndarray, xspec: dict[str, Any], policy: str,
           color: str) -> list[dict[str, Any]]:
    """The 90% band as thin dotted edges and the 50% band filled.

    Overlapping fills of several policies would blend into grey, so only the inner band
    is shaded.
    """
    traces = []
    group = f"policy-{policy}"
    for lo_name, hi_name in (("q05", "q95"), ("q25", "q75")):
        if lo_name not in sub.columns or hi_name not in sub.columns:
            continue
        inner = lo_name == "q25"
        dotted = {"width": 1, "color": rgba(color, 0.7), "dash": "dot"}
        edge = {"width": 0, "color": color} if inner else dotted
        hover = {"hoverinfo": "skip"} if inner else {}
        fill = {"fill": "tonexty", "fillcolor": rgba(color, 0.18)} if inner else {}
        for name, extra in ((lo_name, {}), (hi_name, fill)):
            traces.append(dict(
                type="scatter", **xspec, y=round_sig(sub[name].to_numpy(dtype=float)[idx]), mode="lines",
                line=edge, name=f"{esc(policy)} {name}", legendgroup=group, showlegend=False,
                yhoverformat=_HOVER, **extra, **hover,
            ))  # fmt: skip
    return traces


def _median(sub: pd.DataFrame, idx: np.ndarray, xspec: dict[str, Any], group: list[str],
            color: str) -> dict[str, Any] | None:
    """The median line, named after every policy in ``group`` (their lines are identical)."""
    if "q50" not in sub.columns:
        return None
    return dict(
        type="scatter", **xspec, y=round_sig(sub["q50"].to_numpy(dtype=float)[idx]), mode="lines",
        line={"color": color, "width": 2.4}, name=" = ".join(esc(p) for p in group),
        legendgroup=f"policy-{group[0]}", showlegend=True, yhoverformat=_HOVER,
    )  # fmt: skip


def fan_chart(
    series_df: pd.DataFrame,
    series_name: str,
    start: Any,
    *,
    policies: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    title: str | None = None,
    y_title: str | None = None,
    max_points: int = 400,
    height: int = 380,
) -> go.Figure:
    """Quantile fan chart of one series, one colour per policy.

    Each policy gets its median (``q50``) as a line, the 50 % band (``q25``–``q75``)
    as a shaded area and the 90 % band (``q05``–``q95``) as dotted edges. The x axis is in dates,
    ``start + day``. Long series are thinned to at most ``max_points`` evenly spaced
    days so the figure stays small. Policies whose lines would be identical (see
    :func:`identical_policies`) are drawn once, under one legend entry ``a = b``.
    """
    title = title or series_name
    if series_df is None or series_df.empty or "series" not in series_df.columns:
        return empty_figure(title, "No data for this series.")
    df = series_df[series_df["series"] == series_name]
    if df.empty:
        return empty_figure(title, "No data for this series.")
    order = policies_in(df, policies)
    colors = dict(colors or policy_colors(order))
    subs = _by_policy(df, order)
    traces: list[dict[str, Any]] = []
    medians: list[dict[str, Any]] = []  # drawn last, on top of every policy's bands
    # Policies whose lines would coincide are drawn once, in the first one's colour.
    for group in _same_lines(subs, max_points):
        policy, sub = group[0], subs[group[0]]
        color = colors.get(policy, PALETTE[order.index(policy) % len(PALETTE)])
        days = sub["day"].to_numpy(dtype=float)
        idx = thin(len(days), max_points)
        xspec = _xspec(start, days[idx])
        traces += _bands(sub, idx, xspec, policy, color)
        median = _median(sub, idx, xspec, group, color)
        if median is not None:
            medians.append(median)
    layout = {**layout_spec(title, height), "hovermode": "x unified", "xaxis": {"type": "date"}}
    if y_title:
        layout["yaxis"] = {"title": {"text": esc(y_title)}}
    return figure_from(traces + medians, layout)


def series_titles(series_df: pd.DataFrame, summary: Mapping[str, Any]) -> list[tuple[str, str, str, str]]:
    """``(kind, series name, title, y-axis title)`` of every series, in display order:
    stocks, then indicators, then miscalculation."""
    if series_df is None or series_df.empty or "series" not in series_df.columns:
        return []
    names = [str(s) for s in pd.unique(series_df["series"])]
    units = {str(m["id"]): str(m.get("unit") or "") for m in summary.get("munitions") or [] if "id" in m}
    out = []
    for kind, _, default_title in SERIES_GROUPS:
        for name in (n for n in names if n.partition(".")[0] == kind):
            unit = units.get(name.rpartition(".")[2]) if kind == "stock" else None
            out.append((kind, name, series_label(summary, name), unit or default_title))
    return out


def series_figures(
    series_df: pd.DataFrame,
    summary: Mapping[str, Any],
    *,
    policies: Sequence[str] | None = None,
    colors: Mapping[str, str] | None = None,
    max_points: int = 400,
) -> list[tuple[str, str, go.Figure]]:
    """Fan charts for every series: stocks, then indicators, then miscalculation.

    Returns ``(kind, series name, figure)`` triples in display order; ``max_points``
    is passed on to :func:`fan_chart`.
    """
    return [(kind, name, fan_chart(series_df, name, summary.get("start"), policies=policies, colors=colors,
                                   title=title, y_title=y_title, max_points=max_points))
            for kind, name, title, y_title in series_titles(series_df, summary)]
