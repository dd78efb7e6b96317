"""The network figure: actors as nodes, each transfer an arrow from supplier to recipient."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import plotly.graph_objects as go

from spillover.report.figures.style import base_layout, empty_figure, esc, round_sig

__all__ = ["network_figure"]

_ARMS_COLOR = "#B2182B"
_COMPENSATION_COLOR = "#1B7837"
_DORMANT_COLOR = "#9E9E9E"
_NODE_COLOR = "#34495E"
_ASPECT = 1.8  # width / height of the network layout
_NODE_R = 0.11
_LEGEND = (
    ("Transfer (overt)", _ARMS_COLOR, "solid"),
    ("Transfer (covert)", _ARMS_COLOR, "dash"),
    ("Compensation flow", _COMPENSATION_COLOR, "solid"),
    ("Dormant (starts on an event)", _DORMANT_COLOR, "dot"),
)

Transfer = Mapping[str, Any]


@dataclass
class _Canvas:
    """The figure being drawn, with the annotations and hover points collected on the way."""

    fig: go.Figure
    pos: dict[str, np.ndarray]
    annotations: list[dict[str, Any]] = field(default_factory=list)
    hover_x: list[float | None] = field(default_factory=list)
    hover_y: list[float | None] = field(default_factory=list)
    hover_text: list[str] = field(default_factory=list)


def _one(x: float) -> float | None:
    return round_sig([x])[0]


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


def _positions(nodes: list[str], transfers: Sequence[Transfer], seed: int) -> dict[str, np.ndarray]:
    """Spring layout with a fixed seed, centred and stretched to the page's width.

    Every pair of actors is joined by a weak spring so actors without transfers stay on
    the page instead of drifting off; each transfer adds a strong one.
    """
    if len(nodes) == 1:
        return {nodes[0]: np.array([0.0, 0.0])}
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
    raw = nx.spring_layout(graph, seed=seed, k=1.5 / math.sqrt(len(nodes)), iterations=300, weight="weight")
    coords = np.array([raw[n] for n in nodes], dtype=float)
    coords -= coords.mean(axis=0)
    coords /= np.abs(coords).max() or 1.0
    coords[:, 0] *= _ASPECT  # use the width of the page
    return {n: coords[i] for i, n in enumerate(nodes)}


def _style(t: Transfer) -> tuple[str, str]:
    """Line colour and dash: dormant dotted grey, compensation green, covert dashed."""
    if t.get("dormant"):
        return _DORMANT_COLOR, "dot"
    color = _COMPENSATION_COLOR if t.get("compensation_for") else _ARMS_COLOR
    return color, "dash" if float(t.get("covertness") or 0.0) >= 0.5 else "solid"


def _arrow(pts: np.ndarray, color: str) -> dict[str, Any]:
    tail, head = pts[-2], pts[-1]
    return {
        "x": _one(head[0]), "y": _one(head[1]), "ax": _one(tail[0]), "ay": _one(tail[1]),
        "xref": "x", "yref": "y", "axref": "x", "ayref": "y", "text": "", "showarrow": True,
        "arrowhead": 2, "arrowsize": 1.3, "arrowwidth": 2, "arrowcolor": color, "standoff": 0,
    }  # fmt: skip


def _hover(t: Transfer, u: str, v: str, label: str) -> str:
    kind = []
    if t.get("dormant"):
        kind.append("dormant: starts only when an event fires")
    if t.get("compensation_for"):
        kind.append(f"compensation for {t.get('compensation_for')}")
    if t.get("covertness") is not None:
        kind.append(f"covertness {float(t['covertness']):.2g}")
    parts = [f"{t.get('id', '')}: {u} → {v}", label, "; ".join(kind), str(t.get("description") or "")]
    return "<br>".join(esc(s) for s in parts if s)


def _draw_transfer(c: _Canvas, t: Transfer, ctrl: np.ndarray, label: str) -> str:
    """One curved arrow with its hover point; returns its coloured label."""
    u, v = str(t["supplier"]), str(t["recipient"])
    curve = _bezier(c.pos[u], ctrl, c.pos[v])
    keep = (np.hypot(*(curve - c.pos[u]).T) > _NODE_R) & (np.hypot(*(curve - c.pos[v]).T) > _NODE_R * 1.25)
    pts = curve[keep] if keep.sum() >= 2 else curve
    color, dash = _style(t)
    c.fig.add_trace(go.Scatter(
        x=round_sig(pts[:, 0]), y=round_sig(pts[:, 1]), mode="lines",
        line={"color": color, "width": 2.2, "dash": dash}, hoverinfo="skip", showlegend=False,
    ))  # fmt: skip
    c.annotations.append(_arrow(pts, color))
    mid = _bezier(c.pos[u], ctrl, c.pos[v], n=3)[1]
    c.hover_x.append(_one(mid[0]))
    c.hover_y.append(_one(mid[1]))
    c.hover_text.append(_hover(t, u, v, label))
    return f'<span style="color:{color}">{esc(_short_label(label))}</span>'


def _label_note(spot: np.ndarray, side_vec: np.ndarray, u: str, v: str, lines: list[str]) -> dict[str, Any]:
    vx, vy = side_vec
    return {
        "x": _one(spot[0]), "y": _one(spot[1]), "xref": "x", "yref": "y",
        "text": f"<b>{esc(u)} → {esc(v)}</b><br>" + "<br>".join(lines),
        "showarrow": False, "align": "left",
        "xanchor": "left" if vx > 0.35 else "right" if vx < -0.35 else "center",
        "yanchor": "bottom" if vy > 0.35 else "top" if vy < -0.35 else "middle",
        "font": {"size": 10, "color": _NODE_COLOR}, "bgcolor": "rgba(255,255,255,0.85)",
    }  # fmt: skip


def _draw_pair(c: _Canvas, a: str, b: str, group: list[Transfer], munitions: Mapping[str, Any]) -> None:
    """The transfers between ``a`` and ``b``, spread into a bundle, with one label per direction."""
    pa, pb = c.pos[a], c.pos[b]
    d = pb - pa
    length = float(np.hypot(*d)) or 1.0
    perp = np.array([-d[1], d[0]]) / length
    # a -> b arrows bend to one side, b -> a arrows to the other.
    group = sorted(group, key=lambda t: str(t["supplier"]) != a)
    labels: dict[tuple[str, str], list[str]] = {}
    reach: dict[tuple[str, str], list[float]] = {}
    for i, t in enumerate(group):
        offset = (i - (len(group) - 1) / 2.0) * 0.5 * length
        m = munitions.get(str(t.get("munition")), {})
        label = str(m.get("name") or t.get("munition") or t.get("id", ""))
        key = (str(t["supplier"]), str(t["recipient"]))
        labels.setdefault(key, []).append(_draw_transfer(c, t, (pa + pb) / 2.0 + offset * perp, label))
        reach.setdefault(key, []).append(offset)
    # One label block per direction, just outside the bundle on that direction's side.
    for (u, v), lines in labels.items():
        side = -1.0 if u == a or len(labels) == 1 else 1.0
        outer = max([abs(o) for o in reach[(u, v)] if o * side >= 0] or [0.0])
        spot = (pa + pb) / 2.0 + perp * side * (outer * 0.5 + 0.05)
        c.annotations.append(_label_note(spot, perp * side, u, v, lines))


def _draw_nodes(c: _Canvas, nodes: list[str], actors: Mapping[str, Any]) -> None:
    """The hover points of the arrows, the actors, and each actor's name under it."""
    if c.hover_x:
        c.fig.add_trace(go.Scatter(
            x=c.hover_x, y=c.hover_y, mode="markers", marker={"size": 14, "color": "rgba(0,0,0,0)"},
            text=c.hover_text, hoverinfo="text", showlegend=False,
        ))  # fmt: skip
    c.fig.add_trace(go.Scatter(
        x=round_sig(c.pos[n][0] for n in nodes), y=round_sig(c.pos[n][1] for n in nodes),
        mode="markers+text",
        marker={"size": 44, "color": _NODE_COLOR, "line": {"color": "white", "width": 2}},
        text=[esc(n) for n in nodes], textfont={"color": "white", "size": 11},
        textposition="middle center", hovertext=[esc(actors.get(n, {}).get("name") or n) for n in nodes],
        hoverinfo="text", showlegend=False,
    ))  # fmt: skip
    for n in nodes:
        name = str(actors.get(n, {}).get("name") or n)
        if name != n:
            c.annotations.append({
                "x": _one(c.pos[n][0]), "y": _one(c.pos[n][1] - 0.15), "xref": "x", "yref": "y",
                "text": esc(name), "showarrow": False, "font": {"size": 11, "color": _NODE_COLOR},
            })  # fmt: skip


def _nodes(actors: Mapping[str, Any], transfers: Sequence[Transfer]) -> list[str]:
    nodes = list(actors)
    for t in transfers:
        for end in (str(t["supplier"]), str(t["recipient"])):
            if end not in nodes:
                nodes.append(end)
    return nodes


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
        return empty_figure(title, "The scenario declares no actors.")
    nodes = _nodes(actors, transfers)
    c = _Canvas(go.Figure(), _positions(nodes, transfers, seed))
    pairs: dict[tuple[str, str], list[Transfer]] = {}
    for t in transfers:
        u, v = str(t["supplier"]), str(t["recipient"])
        if u != v:
            pairs.setdefault((min(u, v), max(u, v)), []).append(t)
    for (a, b), group in sorted(pairs.items()):
        _draw_pair(c, a, b, group, munitions)
    _draw_nodes(c, nodes, actors)
    for name, color, dash in _LEGEND:
        c.fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=name, hoverinfo="skip",
                                   line={"color": color, "width": 2.2, "dash": dash}))
    base_layout(c.fig, title, height)
    c.fig.update_layout(
        xaxis={"visible": False, "range": [-1.35 * _ASPECT, 1.35 * _ASPECT]},
        yaxis={"visible": False, "range": [-1.35, 1.35], "scaleanchor": "x", "scaleratio": 1},
        annotations=c.annotations,
        hovermode="closest",
        margin={"l": 10, "r": 10, "t": 80, "b": 10},
    )
    return c.fig
