"""The charts: actors and transfers, the daily series over time, and the events."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spillover.report.figures.events import event_probability_figure, firing_day_histogram
from spillover.report.figures.fans import constant_value, fan_chart, identical_policies, series_titles
from spillover.report.figures.network import network_figure
from spillover.report.format import fmt_number
from spillover.report.outcome_labels import SERIES_GROUPS, series_label
from spillover.report.page import Page

__all__ = ["MAX_POINTS", "MIN_POINTS", "SERIES_VALUE_BUDGET", "events", "network", "series"]

#: About how many numbers the fan charts may embed in all; long or many series are
#: thinned to fit (see :func:`series_points`), which keeps a report near 6 MB.
SERIES_VALUE_BUDGET = 100_000
#: Fewest and most days a fan chart or event curve shows.
MIN_POINTS, MAX_POINTS = 60, 400


def series_points(series: pd.DataFrame, policies: list[str]) -> int:
    """Points per fan-chart line so that all fan charts fit :data:`SERIES_VALUE_BUDGET`."""
    if series.empty or "series" not in series.columns:
        return MAX_POINTS
    arrays = series["series"].nunique() * max(len(policies), 1) * 5
    return int(min(MAX_POINTS, max(MIN_POINTS, SERIES_VALUE_BUDGET // max(arrays, 1))))


def network(page: Page) -> dict[str, Any] | None:
    """The actors and the transfers between them."""
    if not (page.summary.get("actors") or page.summary.get("transfers")):
        return None
    return {"figure": page.add(network_figure(page.summary), "network")}


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _same_caption(rows: pd.DataFrame, name: str, policies: list[str], points: int) -> str:
    """Which policies' lines coincide in this chart, if any."""
    groups = identical_policies(rows, name, policies, max_points=points)
    return " ".join(f"{_and(g)} give the same series: drawn once, in the colour of {g[0]}."
                    for g in groups)


def _by_name(series_df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Each series' rows: the table (every series, policy and day) split once, not scanned
    again for each chart."""
    if series_df.empty or "series" not in series_df.columns:
        return {}
    return {str(k): v for k, v in series_df.groupby(series_df["series"].astype(str), sort=False)}


def series(page: Page) -> dict[str, Any] | None:
    """Fan charts of every daily series, grouped by kind; constant series named, not drawn."""
    if page.summary.get("start") is None:
        return None
    titles = {kind: title for kind, title, _ in SERIES_GROUPS}
    points = series_points(page.series, page.policies)
    rows = _by_name(page.series)
    groups: list[dict[str, Any]] = []
    for kind, name, title, y_title in series_titles(page.series, page.summary):
        if not groups or groups[-1]["kind"] != kind:
            groups.append({"kind": kind, "title": titles[kind], "figures": [], "constant": []})
        value = constant_value(rows[name], name)
        if value is not None:  # named, not drawn
            groups[-1]["constant"].append(f"{series_label(page.summary, name)} ({fmt_number(value)})")
            continue
        fig = fan_chart(rows[name], name, page.summary.get("start"), policies=page.policies,
                        colors=page.colors, title=title, y_title=y_title, max_points=points)
        caption = _same_caption(rows[name], name, page.policies, points)
        groups[-1]["figures"].append({**page.add(fig, "series"), "caption": caption})
    return {"groups": groups} if groups else None


def event_ids(summary: dict[str, Any], outcomes: pd.DataFrame) -> list[str]:
    """Events with a ``fired_day`` column: the scenario's in order, then any others."""
    ids = [str(e["id"]) for e in summary.get("events") or [] if "id" in e]
    for col in outcomes.columns:
        if str(col).startswith("fired_day."):
            e = str(col).partition(".")[2]
            if e not in ids:
                ids.append(e)
    return [e for e in ids if f"fired_day.{e}" in outcomes.columns]


def _horizon(page: Page, ids: list[str]) -> int:
    horizon = page.summary.get("horizon")
    if horizon is not None:
        return int(horizon)
    finite = page.outcomes[[f"fired_day.{e}" for e in ids]].to_numpy(dtype=float)
    finite = finite[~np.isnan(finite)]
    return int(finite.max()) + 1 if finite.size else 1


def events(page: Page) -> dict[str, Any] | None:
    """When each event fires: the probability by date, and a histogram per event."""
    start = page.summary.get("start")
    ids = event_ids(page.summary, page.outcomes) if start is not None else []
    if not ids:
        return None
    names = {str(e["id"]): str(e.get("name") or e["id"]) for e in page.summary.get("events") or []}
    horizon = _horizon(page, ids)
    prob = page.add(event_probability_figure(page.outcomes, ids, start, horizon, policies=page.policies,
                                             colors=page.colors, event_names=names,
                                             max_points=MAX_POINTS), "events")
    fired = [e for e in ids if page.outcomes[f"fired_day.{e}"].notna().any()]
    hists = [page.add(firing_day_histogram(page.outcomes, e, start, horizon=horizon, policies=page.policies,
                                           colors=page.colors, event_name=names.get(e, e)), "events")
             for e in fired]
    notes = [f"No run fired {names.get(e, e)} within the horizon, under any policy: its histogram "
             "is not drawn." for e in ids if e not in fired]
    return {"probability": prob, "histograms": hists, "notes": notes}
