"""Render a :class:`~spillover.results.result.RunResult` as one self-contained HTML file.

The page embeds plotly.js once, inline, and each figure as JSON in a
``<script type="application/json">`` block drawn with ``Plotly.newPlot``; it loads
nothing from the network, so it can be mailed, archived or opened offline.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from spillover.report import figures as F
from spillover.report import tables as T
from spillover.report.analysis import TOC as ANALYSIS_TOC
from spillover.report.analysis import analysis_context
from spillover.results.result import RunResult

__all__ = ["figure_json", "render_report", "write_report"]

_TEMPLATES = Path(__file__).with_name("templates")

#: About how many numbers the fan charts may embed in all; long or many series are
#: thinned to fit (see :func:`_series_points`), which keeps a report near 6 MB.
SERIES_VALUE_BUDGET = 100_000
#: Fewest and most days a fan chart or event curve shows.
MIN_POINTS, MAX_POINTS = 60, 400


def _series_points(series: pd.DataFrame, policies: list[str]) -> int:
    """Points per fan-chart line so that all fan charts fit :data:`SERIES_VALUE_BUDGET`."""
    if series.empty or "series" not in series.columns:
        return MAX_POINTS
    arrays = series["series"].nunique() * max(len(policies), 1) * 5
    return int(min(MAX_POINTS, max(MIN_POINTS, SERIES_VALUE_BUDGET // max(arrays, 1))))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # plotly.js contains no "</script"; make sure it never closes our tag early.
    return get_plotlyjs().replace("</script", "<\\/script")


def _plain(obj: Any, digits: int = 4) -> Any:
    """JSON-ready copy of ``obj``: numpy to lists, floats to ``digits`` significant digits."""
    if isinstance(obj, dict):
        return {str(k): _plain(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_plain(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return [_plain(v, digits) for v in obj.tolist()]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        x = float(obj)
        if math.isnan(x) or math.isinf(x):
            return None
        x = float(f"{x:.{digits}g}")
        # Whole numbers without the ".0": shorter, and the same number to JavaScript.
        return int(x) if x.is_integer() and abs(x) < 2**53 else x
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def _script_safe(text: str) -> str:
    """Make JSON safe inside a ``<script>`` element (no ``</script>``, ``<!--``)."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def figure_json(fig: go.Figure, *, keep_template: bool = False) -> str:
    """Compact JSON for ``fig``, safe to place inside a ``<script>`` element.

    Numbers are rounded to four significant digits. Unless ``keep_template``, the
    layout's template is dropped: the report embeds the shared template once.
    """
    spec = fig.to_plotly_json()
    layout = dict(spec.get("layout") or {})
    if not keep_template:
        layout.pop("template", None)
    data = {"data": _plain(spec.get("data") or []), "layout": _plain(layout)}
    return _script_safe(json.dumps(data, separators=(",", ":"), allow_nan=False))


@lru_cache(maxsize=1)
def _template_json() -> str:
    spec = pio.templates[F.TEMPLATE].to_plotly_json()
    return _script_safe(json.dumps(_plain(spec), separators=(",", ":"), allow_nan=False))


def _frame(df: pd.DataFrame | None) -> pd.DataFrame:
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame()


def _event_ids(summary: dict[str, Any], outcomes: pd.DataFrame) -> list[str]:
    ids = [str(e["id"]) for e in summary.get("events") or [] if "id" in e]
    for col in outcomes.columns:
        if str(col).startswith("fired_day."):
            e = str(col).partition(".")[2]
            if e not in ids:
                ids.append(e)
    return [e for e in ids if f"fired_day.{e}" in outcomes.columns]


def _group_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive comparison rows about the same quantity, as one group each."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        key = (row["kind"], row["quantity"])
        if not groups or groups[-1]["key"] != key:
            groups.append(
                {
                    "key": key,
                    "label": row["label"],
                    "kind": row["kind"],
                    "quantity": row["quantity"],
                    "rows": [],
                }
            )
        groups[-1]["rows"].append(row)
    return groups


def _level(value: Any) -> str:
    try:
        return f"{float(value) * 100:g}%"
    except (TypeError, ValueError):
        return "90%"


def _context(result: RunResult) -> dict[str, Any]:
    summary: dict[str, Any] = dict(result.scenario_summary or {})
    manifest: dict[str, Any] = dict(result.manifest or {})
    outcomes = _frame(result.outcomes)
    series = _frame(result.series)
    claims = _frame(result.claims)
    comparison = _frame(result.comparison)
    policies = T.policy_order(manifest, summary, outcomes, claims, series, comparison)
    colors = F.policy_colors(policies)
    start = summary.get("start")
    horizon = summary.get("horizon")

    figures: list[dict[str, Any]] = []

    def add(fig: go.Figure, section: str, caption: str = "") -> dict[str, Any]:
        entry = {
            "id": f"fig-{len(figures) + 1}",
            "section": section,
            "json": figure_json(fig),
            "caption": caption,
        }
        figures.append(entry)
        return entry

    network = None
    if summary.get("actors") or summary.get("transfers"):
        network = add(F.network_figure(summary), "network")

    series_groups: list[dict[str, Any]] = []
    if start is not None:
        labels = {
            "stock": "Stocks",
            "indicator": "Indicators",
            "miscalc": "Miscalculation",
        }
        points = _series_points(series, policies)
        for kind, _name, fig in F.series_figures(
            series, summary, policies=policies, colors=colors, max_points=points
        ):
            if not series_groups or series_groups[-1]["kind"] != kind:
                series_groups.append({"kind": kind, "title": labels[kind], "figures": []})
            series_groups[-1]["figures"].append(add(fig, "series"))

    events: dict[str, Any] | None = None
    event_ids = _event_ids(summary, outcomes) if start is not None else []
    if event_ids:
        names = {str(e["id"]): str(e.get("name") or e["id"]) for e in summary.get("events") or []}
        if horizon is None:
            finite = outcomes[[f"fired_day.{e}" for e in event_ids]].to_numpy(dtype=float)
            finite = finite[~np.isnan(finite)]
            horizon = int(finite.max()) + 1 if finite.size else 1
        prob = add(
            F.event_probability_figure(
                outcomes,
                event_ids,
                start,
                int(horizon),
                policies=policies,
                colors=colors,
                event_names=names,
                max_points=MAX_POINTS,
            ),
            "events",
        )
        hists = [
            add(
                F.firing_day_histogram(
                    outcomes,
                    e,
                    start,
                    horizon=int(horizon),
                    policies=policies,
                    colors=colors,
                    event_name=names.get(e, e),
                ),
                "events",
            )
            for e in event_ids
        ]
        events = {"probability": prob, "histograms": hists}

    baselines = (
        [str(b) for b in pd.unique(comparison["baseline"])] if "baseline" in comparison.columns else []
    )
    scenario = {
        "actors": T.actor_rows(summary),
        "munitions": T.munition_rows(summary),
        "transfers": T.transfer_rows(summary),
        "signals": T.signal_rows(summary),
        "indicators": T.indicator_rows(summary),
        "events": T.event_rows(summary),
        "levers": T.lever_rows(summary),
        "policies": T.policy_rows(summary),
    }
    comparison_rows = T.comparison_rows(comparison, summary, claims, policies)
    analysis = analysis_context((result.extra or {}).get("analysis"), add)
    return {
        "sample_runs": (result.extra or {}).get("outcomes_sample_runs"),
        "title": str(summary.get("title") or summary.get("name") or "spillover report"),
        "name": str(summary.get("name") or ""),
        "description": str(summary.get("description") or ""),
        "metadata": T.metadata_rows(manifest, summary),
        "policies": policies,
        "colors": colors,
        "scale": T.ESTIMATIVE_SCALE,
        "claims": T.claim_tables(claims, summary, policies),
        "comparison": comparison_rows,
        "comparison_groups": _group_rows(comparison_rows),
        "comparison_level": _level(manifest.get("comparison_level", 0.9)),
        "comparison_has_shares": any(r["share_lower"] is not None for r in comparison_rows),
        "baselines": baselines,
        "outcome_groups": T.outcome_groups(outcomes, summary, policies),
        "network": network,
        "series_groups": series_groups,
        "events": events,
        "analysis": analysis,
        "analysis_toc": [(a, t) for a, t in ANALYSIS_TOC if a in analysis],
        "scenario": scenario,
        "has_scenario": any(scenario.values()),
        "inputs": T.input_rows(summary),
        "sources": T.source_rows(summary),
        "limitations": [str(x) for x in summary.get("limitations") or []],
        "engine_limitations": T.ENGINE_LIMITATIONS,
        "figures": figures,
        "plotly_template_json": _template_json(),
        "plotly_js": _plotly_js(),
    }


def render_report(result: RunResult) -> str:
    """The report for ``result`` as one self-contained HTML document."""
    return _environment().get_template("report.html.j2").render(**_context(result))


def write_report(result: RunResult, path: Path) -> Path:
    """Render ``result`` and write it to ``path`` atomically; returns ``path``.

    The page is rendered first and written to a temporary file beside ``path``, which
    then replaces ``path`` in one step: on any error no partial file is left behind
    and an existing report at ``path`` is untouched.
    """
    path = Path(path)
    text = render_report(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
