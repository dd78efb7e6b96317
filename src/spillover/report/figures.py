"""Pure functions that build plotly figures from a run's tables.

They take plain data (the scenario summary dict, the ``outcomes`` and ``series``
DataFrames) and return :class:`plotly.graph_objects.Figure` objects, so the HTML
report and a web app can share them. Numbers put into figures are rounded to four
significant digits to keep the embedded JSON small, and any text that comes from a
scenario is HTML-escaped because plotly renders a subset of HTML in labels.
"""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy import stats

from spillover.report.tables import _to_date, fmt_pct, series_label

__all__ = [
    "PALETTE",
    "TEMPLATE",
    "event_probability_figure",
    "fan_chart",
    "firing_day_histogram",
    "jeffreys_interval",
    "network_figure",
    "policy_colors",
    "round_sig",
    "series_figures",
]

#: Colour-blind-safe colours (Okabe–Ito) assigned to policies in order.
PALETTE: tuple[str, ...] = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#999933",
)
#: The plotly template every figure uses (the report embeds it once).
TEMPLATE = "plotly_white"

_DAY_MS = 86_400_000
_ARMS_COLOR = "#B2182B"
_COMPENSATION_COLOR = "#1B7837"
_DORMANT_COLOR = "#9E9E9E"
_NODE_COLOR = "#34495E"
_NETWORK_ASPECT = 1.8  # width / height of the network layout


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def round_sig(values: Iterable[Any], digits: int = 4) -> list[float | None]:
    """Round each value to ``digits`` significant digits; NaN and None become None."""
    out: list[float | None] = []
    for v in values:
        if v is None:
            out.append(None)
            continue
        x = float(v)
        if math.isnan(x) or math.isinf(x):
            out.append(None)
        else:
            out.append(float(f"{x:.{digits}g}"))
    return out


def _esc(text: Any) -> str:
    """Escape text for plotly labels, which understand a small subset of HTML."""
    return html.escape(str(text), quote=False)


def _rgba(color: str, alpha: float) -> str:
    c = color.lstrip("#")
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def policy_colors(policies: Sequence[str]) -> dict[str, str]:
    """A stable colour for each policy, by position."""
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(policies)}


def _policies(frame: pd.DataFrame, policies: Sequence[str] | None) -> list[str]:
    present = [str(p) for p in pd.unique(frame["policy"])] if "policy" in frame.columns else []
    if policies is None:
        return present
    ordered = [p for p in policies if p in present]
    return ordered + [p for p in present if p not in ordered]


def _dates(start: Any, days: Iterable[float]) -> list[str]:
    d0 = _to_date(start)
    return [(d0 + timedelta(days=math.floor(float(d)))).isoformat() for d in days]


def _empty(title: str, message: str) -> go.Figure:
    fig = go.Figure()
    fig.update_layout(
        template=TEMPLATE,
        title=_esc(title),
        height=200,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": _esc(message),
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
            }
        ],
    )
    return fig


def _base_layout(fig: go.Figure, title: str, height: int, *, legend_below: bool = False) -> None:
    """Shared look: title over the plot's left edge, legend above (or below) the plot."""
    margin = {"l": 60, "r": 20, "t": 80, "b": 40}
    legend = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "xanchor": "left"}
    if legend_below:
        margin = {"l": 60, "r": 20, "t": 60, "b": 90}
        plot_height = max(height - margin["t"] - margin["b"], 50)
        # About 36 px under the plot area, below the date ticks.
        legend = {**legend, "yanchor": "top", "y": round(-36 / plot_height, 3)}
    fig.update_layout(
        template=TEMPLATE,
        title={
            "text": _esc(title),
            "x": 0,
            "xref": "paper",
            "xanchor": "left",
            "font": {"size": 15},
        },
        height=height,
        margin=margin,
        legend=legend,
        font={"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 12},
    )


def jeffreys_interval(
    k: np.ndarray | Sequence[int], n: int, level: float = 0.90
) -> tuple[np.ndarray, np.ndarray]:
    """Equal-tailed Jeffreys interval for ``k`` successes out of ``n`` (vectorised).

    The lower bound is 0 when ``k == 0`` and the upper bound 1 when ``k == n``.
    """
    k = np.asarray(k, dtype=float)
    if n <= 0:
        return np.zeros_like(k), np.ones_like(k)
    alpha = (1.0 - level) / 2.0
    lo = np.where(k > 0, stats.beta.ppf(alpha, k + 0.5, n - k + 0.5), 0.0)
    hi = np.where(k < n, stats.beta.ppf(1.0 - alpha, k + 0.5, n - k + 0.5), 1.0)
    return lo, hi


# ---------------------------------------------------------------------------
# Network
# ---------------------------------------------------------------------------


def _short_label(text: str, limit: int = 34) -> str:
    """A label short enough to sit on an arrow: no parenthetical, at most ``limit`` chars."""
    base = text.split(" (", 1)[0].strip() or text
    if len(base) <= limit:
        return base
    cut = base[: limit - 1].rsplit(" ", 1)[0]
    return f"{cut}…"


def _bezier(p0: np.ndarray, p1: np.ndarray, p2: np.ndarray, n: int = 30) -> np.ndarray:
    t = np.linspace(0.0, 1.0, n)[:, None]
    return (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2


def network_figure(summary: Mapping[str, Any], *, seed: int = 7, height: int = 540) -> go.Figure:
    """The actors and the transfers between them.

    Actors are nodes; each transfer is an arrow from supplier to recipient labelled
    with what it carries. Covert transfers are dashed, dormant transfers (started
    only by an event) are dotted grey, and compensation flows (what pays for another
    transfer) are green. Parallel transfers between the same pair are drawn as curves.
    The layout is networkx's spring layout with a fixed ``seed``.
    """
    actors = {str(a["id"]): a for a in summary.get("actors") or [] if "id" in a}
    munitions = {str(m["id"]): m for m in summary.get("munitions") or [] if "id" in m}
    transfers = [t for t in summary.get("transfers") or [] if t.get("supplier") and t.get("recipient")]
    title = "Actors and transfers"
    if not actors and not transfers:
        return _empty(title, "The scenario declares no actors.")

    # Every pair of actors is joined by a weak spring so actors without transfers stay
    # on the page instead of drifting off; each transfer adds a strong one.
    nodes = list(actors)
    for t in transfers:
        for end in (str(t["supplier"]), str(t["recipient"])):
            if end not in nodes:
                nodes.append(end)
    graph = nx.Graph()
    graph.add_nodes_from(nodes)
    for i, u in enumerate(nodes):
        for v in nodes[i + 1 :]:
            graph.add_edge(u, v, weight=0.3)
    for t in transfers:
        u, v = str(t["supplier"]), str(t["recipient"])
        if u != v:
            # Linked actors pull together, but not so hard that parallel arrows crowd.
            graph[u][v]["weight"] = 0.8
    if len(nodes) == 1:
        pos = {nodes[0]: np.array([0.0, 0.0])}
    else:
        k = 1.5 / math.sqrt(len(nodes))
        raw = nx.spring_layout(graph, seed=seed, k=k, iterations=300, weight="weight")
        coords = np.array([raw[n] for n in nodes], dtype=float)
        coords -= coords.mean(axis=0)
        scale = np.abs(coords).max() or 1.0
        coords /= scale
        coords[:, 0] *= _NETWORK_ASPECT  # use the width of the page
        pos = {n: coords[i] for i, n in enumerate(nodes)}

    fig = go.Figure()
    annotations: list[dict[str, Any]] = []
    node_r = 0.11

    # Group transfers by unordered pair, so parallel ones can be spread out.
    pairs: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for t in transfers:
        u, v = str(t["supplier"]), str(t["recipient"])
        if u == v:
            continue
        pairs.setdefault((min(u, v), max(u, v)), []).append(t)

    hover_x: list[float | None] = []
    hover_y: list[float | None] = []
    hover_text: list[str] = []
    for (a, b), group in sorted(pairs.items()):
        pa, pb = pos[a], pos[b]
        d = pb - pa
        length = float(np.hypot(*d)) or 1.0
        perp = np.array([-d[1], d[0]]) / length
        # a -> b arrows bend to one side, b -> a arrows to the other.
        group = sorted(group, key=lambda t: str(t["supplier"]) != a)
        m = len(group)
        labels: dict[tuple[str, str], list[str]] = {}
        reach: dict[tuple[str, str], list[float]] = {}
        for i, t in enumerate(group):
            u, v = str(t["supplier"]), str(t["recipient"])
            offset = (i - (m - 1) / 2.0) * 0.5 * length
            ctrl = (pa + pb) / 2.0 + offset * perp
            curve = _bezier(pos[u], ctrl, pos[v])
            dist_u = np.hypot(*(curve - pos[u]).T)
            dist_v = np.hypot(*(curve - pos[v]).T)
            keep = (dist_u > node_r) & (dist_v > node_r * 1.25)
            pts = curve[keep] if keep.sum() >= 2 else curve
            dormant = bool(t.get("dormant"))
            compensation = bool(t.get("compensation_for"))
            covert = float(t.get("covertness") or 0.0) >= 0.5
            if dormant:
                color, dash = _DORMANT_COLOR, "dot"
            else:
                color = _COMPENSATION_COLOR if compensation else _ARMS_COLOR
                dash = "dash" if covert else "solid"
            fig.add_trace(
                go.Scatter(
                    x=round_sig(pts[:, 0]),
                    y=round_sig(pts[:, 1]),
                    mode="lines",
                    line={"color": color, "width": 2.2, "dash": dash},
                    hoverinfo="skip",
                    showlegend=False,
                )
            )
            tail, head = pts[-2], pts[-1]
            annotations.append(
                {
                    "x": round_sig([head[0]])[0],
                    "y": round_sig([head[1]])[0],
                    "ax": round_sig([tail[0]])[0],
                    "ay": round_sig([tail[1]])[0],
                    "xref": "x",
                    "yref": "y",
                    "axref": "x",
                    "ayref": "y",
                    "text": "",
                    "showarrow": True,
                    "arrowhead": 2,
                    "arrowsize": 1.3,
                    "arrowwidth": 2,
                    "arrowcolor": color,
                    "standoff": 0,
                }
            )
            munition = munitions.get(str(t.get("munition")), {})
            label = str(munition.get("name") or t.get("munition") or t.get("id", ""))
            labels.setdefault((u, v), []).append(
                f'<span style="color:{color}">{_esc(_short_label(label))}</span>'
            )
            reach.setdefault((u, v), []).append(offset)
            kind = []
            if dormant:
                kind.append("dormant: starts only when an event fires")
            if compensation:
                kind.append(f"compensation for {t.get('compensation_for')}")
            cov = t.get("covertness")
            if cov is not None:
                kind.append(f"covertness {float(cov):.2g}")
            mid = _bezier(pos[u], ctrl, pos[v], n=3)[1]
            hover_x.append(round_sig([mid[0]])[0])
            hover_y.append(round_sig([mid[1]])[0])
            hover_text.append(
                "<br>".join(
                    _esc(s)
                    for s in [
                        f"{t.get('id', '')}: {u} → {v}",
                        label,
                        "; ".join(kind),
                        str(t.get("description") or ""),
                    ]
                    if s
                )
            )
        # One label block per direction, just outside the bundle on that direction's side.
        for (u, v), lines in labels.items():
            side = -1.0 if u == a else 1.0
            if len(labels) == 1:
                side = -1.0
            outer = max([abs(o) for o in reach[(u, v)] if o * side >= 0] or [0.0])
            spot = (pa + pb) / 2.0 + perp * side * (outer * 0.5 + 0.05)
            vx, vy = perp * side
            annotations.append(
                {
                    "x": round_sig([spot[0]])[0],
                    "y": round_sig([spot[1]])[0],
                    "xref": "x",
                    "yref": "y",
                    "text": f"<b>{_esc(u)} → {_esc(v)}</b><br>" + "<br>".join(lines),
                    "showarrow": False,
                    "align": "left",
                    "xanchor": "left" if vx > 0.35 else "right" if vx < -0.35 else "center",
                    "yanchor": "bottom" if vy > 0.35 else "top" if vy < -0.35 else "middle",
                    "font": {"size": 10, "color": _NODE_COLOR},
                    "bgcolor": "rgba(255,255,255,0.85)",
                }
            )

    if hover_x:
        fig.add_trace(
            go.Scatter(
                x=hover_x,
                y=hover_y,
                mode="markers",
                marker={"size": 14, "color": "rgba(0,0,0,0)"},
                text=hover_text,
                hoverinfo="text",
                showlegend=False,
            )
        )

    fig.add_trace(
        go.Scatter(
            x=round_sig(pos[n][0] for n in nodes),
            y=round_sig(pos[n][1] for n in nodes),
            mode="markers+text",
            marker={"size": 44, "color": _NODE_COLOR, "line": {"color": "white", "width": 2}},
            text=[_esc(n) for n in nodes],
            textfont={"color": "white", "size": 11},
            textposition="middle center",
            hovertext=[_esc(actors.get(n, {}).get("name") or n) for n in nodes],
            hoverinfo="text",
            showlegend=False,
        )
    )
    for n in nodes:
        name = str(actors.get(n, {}).get("name") or n)
        if name != n:
            annotations.append(
                {
                    "x": round_sig([pos[n][0]])[0],
                    "y": round_sig([pos[n][1] - 0.15])[0],
                    "xref": "x",
                    "yref": "y",
                    "text": _esc(name),
                    "showarrow": False,
                    "font": {"size": 11, "color": _NODE_COLOR},
                }
            )

    legend_items = [
        ("Transfer (overt)", _ARMS_COLOR, "solid"),
        ("Transfer (covert)", _ARMS_COLOR, "dash"),
        ("Compensation flow", _COMPENSATION_COLOR, "solid"),
        ("Dormant (starts on an event)", _DORMANT_COLOR, "dot"),
    ]
    for name, color, dash in legend_items:
        fig.add_trace(
            go.Scatter(
                x=[None],
                y=[None],
                mode="lines",
                line={"color": color, "width": 2.2, "dash": dash},
                name=name,
                hoverinfo="skip",
            )
        )
    _base_layout(fig, title, height)
    fig.update_layout(
        xaxis={"visible": False, "range": [-1.35 * _NETWORK_ASPECT, 1.35 * _NETWORK_ASPECT]},
        yaxis={"visible": False, "range": [-1.35, 1.35], "scaleanchor": "x", "scaleratio": 1},
        annotations=annotations,
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
    )
    return fig


# ---------------------------------------------------------------------------
# Fan charts
# ---------------------------------------------------------------------------


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
    days so the figure stays small.
    """
    title = title or series_name
    if series_df is None or series_df.empty or "series" not in series_df.columns:
        return _empty(title, "No data for this series.")
    df = series_df[series_df["series"] == series_name]
    if df.empty:
        return _empty(title, "No data for this series.")
    order = _policies(df, policies)
    colors = dict(colors or policy_colors(order))
    fig = go.Figure()
    medians: list[go.Scatter] = []  # drawn last, on top of every policy's bands
    for i, policy in enumerate(order):
        color = colors.get(policy, PALETTE[i % len(PALETTE)])
        sub = df[df["policy"].astype(str) == policy].sort_values("day")
        if sub.empty:
            continue
        days = sub["day"].to_numpy(dtype=float)
        n = len(days)
        if n > max_points > 1:
            stride = math.ceil((n - 1) / (max_points - 1))
            idx = np.arange(0, n, stride)
        else:
            idx = np.arange(n)
        days = days[idx]
        steps = np.diff(days)
        xspec: dict[str, Any]
        if len(days) > 1 and np.allclose(steps, steps[0]) and float(steps[0]).is_integer():
            xspec = {"x0": _dates(start, days[:1])[0], "dx": int(steps[0]) * _DAY_MS}
        else:
            xspec = {"x": _dates(start, days)}

        def col(name: str, sub: pd.DataFrame = sub, idx: np.ndarray = idx) -> list | None:
            if name not in sub.columns:
                return None
            return round_sig(sub[name].to_numpy(dtype=float)[idx])

        group = f"policy-{policy}"
        # 90% band: thin dotted edges; 50% band: filled. Overlapping fills of several
        # policies would blend into grey, so only the inner band is shaded.
        for lo_name, hi_name, label in (("q05", "q95", "90%"), ("q25", "q75", "50%")):
            lo, hi = col(lo_name), col(hi_name)
            if lo is None or hi is None:
                continue
            inner = label == "50%"
            edge = (
                {"width": 0, "color": color}
                if inner
                else {"width": 1, "color": _rgba(color, 0.7), "dash": "dot"}
            )
            hover = {"hoverinfo": "skip"} if inner else {}
            fig.add_trace(
                go.Scatter(
                    **xspec,
                    y=lo,
                    mode="lines",
                    line=edge,
                    name=f"{_esc(policy)} {lo_name}",
                    legendgroup=group,
                    showlegend=False,
                    yhoverformat=",.4~r",
                    **hover,
                )
            )
            fig.add_trace(
                go.Scatter(
                    **xspec,
                    y=hi,
                    mode="lines",
                    line=edge,
                    name=f"{_esc(policy)} {hi_name}",
                    legendgroup=group,
                    showlegend=False,
                    yhoverformat=",.4~r",
                    **({"fill": "tonexty", "fillcolor": _rgba(color, 0.18)} if inner else {}),
                    **hover,
                )
            )
        median = col("q50")
        if median is not None:
            medians.append(
                go.Scatter(
                    **xspec,
                    y=median,
                    mode="lines",
                    line={"color": color, "width": 2.4},
                    name=_esc(policy),
                    legendgroup=group,
                    showlegend=True,
                    yhoverformat=",.4~r",
                )
            )
    for trace in medians:
        fig.add_trace(trace)
    _base_layout(fig, title, height)
    fig.update_layout(
        hovermode="x unified",
        xaxis={"type": "date"},
        yaxis={"title": {"text": _esc(y_title)}} if y_title else {},
    )
    return fig


# ---------------------------------------------------------------------------
# Events
# ---------------------------------------------------------------------------


def _fired_days(outcomes: pd.DataFrame, policy: str, event_id: str) -> tuple[np.ndarray, int]:
    col = f"fired_day.{event_id}"
    values = pd.to_numeric(
        outcomes.loc[outcomes["policy"].astype(str) == policy, col], errors="coerce"
    ).to_numpy(dtype=float)
    return values, int(values.size)


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
        return _empty(title, "No event firing days in these results.")
    names = dict(event_names or {})
    order = _policies(outcomes, policies)
    colors = dict(colors or policy_colors(order))
    fig = make_subplots(
        rows=len(events),
        cols=1,
        shared_xaxes=True,
        vertical_spacing=min(0.12, 0.3 / len(events)),
        subplot_titles=[_esc(names.get(e, e)) for e in events],
    )
    horizon = int(horizon)
    for row, event in enumerate(events, start=1):
        row_max = 0.0
        for i, policy in enumerate(order):
            color = colors.get(policy, PALETTE[i % len(PALETTE)])
            values, n = _fired_days(outcomes, policy, event)
            if n == 0:
                continue
            fired = np.sort(np.clip(np.floor(values[~np.isnan(values)]), 0, horizon))
            change = np.unique(fired[fired > 0])
            xspec: dict[str, Any]
            if change.size + 2 <= max_points:
                # Exact: one point at the start, one at each day the curve steps, one at the end.
                days = np.concatenate([[0.0], change, [float(horizon)]])
                days = np.unique(days)
                xspec = {"x": _dates(start, days)}
            else:
                # Many distinct days: evaluate on an even grid (steps may show up to
                # stride - 1 days late) so the figure stays small.
                stride = math.ceil(horizon / (max_points - 1))
                days = np.arange(0, horizon + 1, stride, dtype=float)
                xspec = {"x0": _dates(start, [0])[0], "dx": stride * _DAY_MS}
            k = np.searchsorted(fired, days, side="right").astype(float)
            group = f"policy-{policy}"
            row_max = max(row_max, float(k.max()) / n)
            if band:
                lo, hi = jeffreys_interval(k, n, level)
                row_max = max(row_max, float(hi.max()))
                fig.add_trace(
                    go.Scatter(
                        **xspec,
                        y=round_sig(lo),
                        mode="lines",
                        line={"width": 0, "color": color, "shape": "hv"},
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=group,
                    ),
                    row=row,
                    col=1,
                )
                fig.add_trace(
                    go.Scatter(
                        **xspec,
                        y=round_sig(hi),
                        mode="lines",
                        line={"width": 0, "color": color, "shape": "hv"},
                        fill="tonexty",
                        fillcolor=_rgba(color, 0.18),
                        hoverinfo="skip",
                        showlegend=False,
                        legendgroup=group,
                    ),
                    row=row,
                    col=1,
                )
            fig.add_trace(
                go.Scatter(
                    **xspec,
                    y=round_sig(k / n),
                    mode="lines",
                    line={"color": color, "width": 2, "shape": "hv"},
                    name=_esc(policy),
                    legendgroup=group,
                    showlegend=row == 1,
                    yhoverformat=".1%",
                ),
                row=row,
                col=1,
            )
        # Zoom on small probabilities (a flat line at 0-2% tells nothing) but never past 100%.
        top = min(1.0, max(0.05, 1.15 * row_max))
        fig.update_yaxes(range=[0, top], tickformat=".1~%", title_text="P(fired by date)", row=row, col=1)
    height = 150 + 250 * len(events)
    # Subplot titles sit where the legend usually goes: put the legend underneath.
    _base_layout(fig, title, height, legend_below=True)
    fig.update_xaxes(type="date")
    fig.update_layout(hovermode="x unified")
    return fig


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
    name = event_name or event_id
    title = f"When it fires: {name}"
    col = f"fired_day.{event_id}"
    if outcomes is None or outcomes.empty or col not in outcomes.columns:
        return _empty(title, "No firing days for this event.")
    order = _policies(outcomes, policies)
    colors = dict(colors or policy_colors(order))
    all_days = pd.to_numeric(outcomes[col], errors="coerce").to_numpy(dtype=float)
    if horizon is None:
        finite = all_days[~np.isnan(all_days)]
        horizon = int(finite.max()) + 1 if finite.size else 1
    horizon = max(int(horizon), 1)
    if bin_days is None:
        bin_days = 7 if horizon <= 180 else 14 if horizon <= 365 else 30
    edges = np.arange(0, horizon + bin_days, bin_days, dtype=float)
    fig = go.Figure()
    centres = _dates(start, edges[:-1] + bin_days // 2)
    spans = list(
        zip(
            _dates(start, edges[:-1]),
            _dates(start, np.minimum(edges[1:], horizon + 1) - 1),
            strict=True,
        )
    )
    any_fired = False
    for i, policy in enumerate(order):
        color = colors.get(policy, PALETTE[i % len(PALETTE)])
        values, n = _fired_days(outcomes, policy, event_id)
        if n == 0:
            continue
        fired = np.clip(values[~np.isnan(values)], 0, horizon)
        any_fired = any_fired or fired.size > 0
        counts, _ = np.histogram(fired, bins=edges)
        fig.add_trace(
            go.Bar(
                x=centres,
                y=round_sig(counts / n),
                customdata=[list(s) for s in spans],
                name=f"{_esc(policy)} (fires in {fmt_pct(fired.size / n)} of runs)",
                marker={"color": color},
                hovertemplate="%{customdata[0]} to %{customdata[1]}: %{y:.1%} of runs",
            )
        )
    _base_layout(fig, title, 380, legend_below=True)
    if not any_fired:
        fig.update_layout(
            annotations=[
                {
                    "text": "No run fired this event within the horizon, under any policy.",
                    "showarrow": False,
                    "xref": "paper",
                    "yref": "paper",
                    "x": 0.5,
                    "y": 0.6,
                    "font": {"size": 13},
                }
            ],
            yaxis={"range": [0, 0.05]},
        )
    fig.update_layout(
        barmode="group",
        bargap=0.15,
        xaxis={"type": "date"},
        yaxis={"tickformat": ".1~%", "title": {"text": "share of runs"}, "rangemode": "tozero"},
    )
    return fig


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
    if series_df is None or series_df.empty or "series" not in series_df.columns:
        return []
    names = [str(s) for s in pd.unique(series_df["series"])]
    start = summary.get("start")
    units = {str(m["id"]): str(m.get("unit") or "") for m in summary.get("munitions") or [] if "id" in m}
    out = []
    kinds = (("stock", "stock"), ("indicator", "index (0–1)"), ("miscalc", "miscalculation"))
    for kind, default_title in kinds:
        for name in names:
            if name.partition(".")[0] == kind:
                y_title = default_title
                if kind == "stock":
                    y_title = units.get(name.rpartition(".")[2]) or default_title
                fig = fan_chart(
                    series_df,
                    name,
                    start,
                    policies=policies,
                    colors=colors,
                    title=series_label(summary, name),
                    y_title=y_title,
                    max_points=max_points,
                )
                out.append((kind, name, fig))
    return out
