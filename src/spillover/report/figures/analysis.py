"""Plotly figures for the analysis sections of the report (see :mod:`spillover.analysis.sections`).

Pure functions of plain data: the layered orders-of-effect diagram, the ablation heatmap,
the sensitivity bar chart, PRIM's coverage/density curve and the calibration fit.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from spillover.report.figures.style import base_layout as _base_layout
from spillover.report.figures.style import empty_figure as _empty
from spillover.report.figures.style import esc as _esc
from spillover.report.figures.style import round_sig

__all__ = [
    "LABEL_COLORS",
    "ablation_heatmap",
    "calibration_figure",
    "layer_positions",
    "orders_figure",
    "sensitivity_figure",
    "tradeoff_figure",
]

#: Colour of each kind of input in the sensitivity chart.
LABEL_COLORS = {"sourced": "#0072B2", "judgment": "#E69F00", "unsourced": "#D55E00", "random": "#999999"}
_POS, _NEG, _CHAIN = "#B2182B", "#2166AC", "#E69F00"
_SYMBOL = {"transfer": "square", "signal": "circle", "indicator": "circle", "event": "diamond"}
_SIZE = {"transfer": 16, "signal": 8, "indicator": 16, "event": 18}
_ORDINAL = {1: "1st", 2: "2nd", 3: "3rd"}


def _frame(x: Any) -> pd.DataFrame:
    return x if isinstance(x, pd.DataFrame) else pd.DataFrame(x if x is not None else [])


# --------------------------------------------------------------------------- orders


def _columns(nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[str, float]:
    """Column of each node: 2·order for transfers, indicators and events, 2·order + 1 for signals."""
    col: dict[str, float] = {}
    for r in nodes.itertuples():
        if not math.isnan(r.order):
            col[r.key] = 2 * r.order + (1 if r.kind == "signal" else 0)
    for r in nodes.itertuples():  # unreached (levers): just before the first node they feed
        if r.key not in col:
            succ = [col[t] for t in edges.loc[edges["source"] == r.key, "target"] if t in col]
            col[r.key] = (min(succ) - 1) if succ else -1.0
    return col


def layer_positions(nodes: pd.DataFrame, edges: pd.DataFrame) -> dict[str, tuple[float, float]]:
    """(x, y) of every node: x its column, y ordered within the column by its parents' mean y."""
    col = _columns(nodes, edges)
    parents: dict[str, list[str]] = {k: [] for k in col}
    for r in edges.itertuples():
        if r.target in parents and col.get(r.source, math.inf) < col[r.target]:
            parents[r.target].append(r.source)
    y: dict[str, float] = {}
    for c in sorted(set(col.values())):
        members = sorted((k for k in col if col[k] == c), key=lambda k: k.partition(":")[2])
        score = {k: np.mean([y[p] for p in parents[k] if p in y]) if any(p in y for p in parents[k])
                 else 0.0 for k in members}
        members.sort(key=lambda k: score[k])
        n = len(members)
        for i, k in enumerate(members):
            y[k] = (i - (n - 1) / 2) if n > 1 else 0.0
    return {k: (col[k], y[k]) for k in col}


def _edge_trace(x0: float, y0: float, x1: float, y1: float, color: str, width: float, dash: str,
                back: bool) -> go.Scatter:
    if back:  # feedback: bow outwards so it does not run along a column or over the nodes
        t = np.linspace(0, 1, 20)
        mx, my = ((x0 + 0.8, (y0 + y1) / 2) if x0 == x1 else ((x0 + x1) / 2, max(y0, y1) + 1.2))
        xs = (1 - t) ** 2 * x0 + 2 * (1 - t) * t * mx + t**2 * x1
        ys = (1 - t) ** 2 * y0 + 2 * (1 - t) * t * my + t**2 * y1
    else:
        xs, ys = np.array([x0, x1]), np.array([y0, y1])
    return go.Scatter(x=round_sig(xs), y=round_sig(ys), mode="lines", hoverinfo="skip", showlegend=False,
                      line={"color": color, "width": width, "dash": dash})


def _layer_name(order: int) -> str:
    """``transfers`` for order 0, then ``1st order``, ``2nd order``…"""
    return "transfers" if order == 0 else f"{_ORDINAL.get(order, f'{order}th')} order"


def orders_figure(section: Mapping[str, Any], height: int | None = None) -> go.Figure:
    """The influence graph in layers: transfers, then first-, second-, third-order effects…

    Red edges raise their target, blue ones lower it; width follows |weight|. Dashed
    edges are event effects. The strongest chain is drawn over in orange.
    """
    nodes, edges = _frame(section.get("nodes")), _frame(section.get("edges"))
    title = "Orders of effect"
    if nodes.empty:
        return _empty(title, "The scenario has no transfers, signals, indicators or events.")
    pos = layer_positions(nodes, edges)
    fig = go.Figure()
    chains = _frame(section.get("chains"))
    best = list(chains["nodes"].iloc[0]) if len(chains) else []
    on_chain = set(itertools.pairwise(best))
    for r in edges.itertuples():
        (x0, y0), (x1, y1) = pos[r.source], pos[r.target]
        dash = "dash" if r.kind in ("start", "add_beta", "scale_weight", "scale_rate", "trigger") else "solid"
        width = 1.0 + 1.5 * min(abs(float(r.weight)), 4.0) / 4.0 if r.kind == "weight" else 1.0
        fig.add_trace(_edge_trace(x0, y0, x1, y1, _POS if r.sign > 0 else _NEG, width, dash, x1 <= x0))
        if (r.source, r.target) in on_chain:
            fig.add_trace(_edge_trace(x0, y0, x1, y1, _CHAIN, width + 3, "solid", x1 <= x0))
            fig.data[-1].opacity = 0.45
    for kind, group in nodes.groupby("kind", sort=False):
        xs = [pos[k][0] for k in group["key"]]
        ys = [pos[k][1] for k in group["key"]]
        hover = [f"{_esc(r.id)} ({kind})<br>{_esc(r.label)}<br>"
                 + ("order " + f"{r.order:g}" if not math.isnan(r.order) else "not reached from a transfer")
                 for r in group.itertuples()]
        fig.add_trace(go.Scatter(
            x=round_sig(xs), y=round_sig(ys), mode="markers+text", name=str(kind),
            text=[_esc(i) for i in group["id"]] if kind != "signal" else None,
            textposition="top center", textfont={"size": 10}, hovertext=hover, hoverinfo="text",
            marker={"symbol": _SYMBOL.get(str(kind), "circle"), "size": _SIZE.get(str(kind), 12),
                    "color": "#34495E" if kind != "signal" else "#AAAAAA",
                    "line": {"color": "white", "width": 1}}))
    top = max(y for _, y in pos.values()) + 1.0
    cols = sorted({x for x, _ in pos.values() if x >= 0 and x % 2 == 0})
    notes = [{"x": c, "y": top, "text": _layer_name(int(c // 2)), "showarrow": False,
              "font": {"size": 11, "color": "#555"}} for c in cols]
    rows = max(sum(1 for x, _ in pos.values() if x == c) for c in {x for x, _ in pos.values()})
    _base_layout(fig, title, height or max(380, 46 * rows + 140))
    fig.update_layout(xaxis={"visible": False}, yaxis={"visible": False}, annotations=notes,
                      hovermode="closest")
    return fig


# --------------------------------------------------------------------------- ablation


def ablation_heatmap(effects: pd.DataFrame, quantities: list[str] | None = None,
                     title: str = "Effect of removing each transfer or channel") -> go.Figure:
    """Items × claims (percentage points) or other quantities: the paired mean difference.

    Cells whose interval includes zero are shown in brackets.
    """
    eff = _frame(effects)
    if eff.empty:
        return _empty(title, "No ablation was run.")
    qs = quantities or list(dict.fromkeys(eff.loc[eff["quantity_kind"] == "claim", "quantity"]))
    sub = eff[eff["quantity"].isin(qs)]
    items = list(dict.fromkeys(sub["item"]))
    scale = {q: 100.0 if k == "claim" or str(q).startswith("fired.") else 1.0
             for q, k in zip(sub["quantity"], sub["quantity_kind"], strict=True)}
    z = np.full((len(items), len(qs)), np.nan)
    text = [["" for _ in qs] for _ in items]
    for r in sub.itertuples():
        i, j = items.index(r.item), qs.index(r.quantity)
        v = r.mean_diff * scale[r.quantity]
        z[i, j] = v
        clear = not (math.isnan(r.lo) or r.lo <= 0 <= r.hi)
        text[i][j] = f"{v:+.2g}" if clear else f"({v:+.2g})"
    lim = float(np.nanmax(np.abs(z))) if np.isfinite(z).any() else 1.0
    fig = go.Figure(go.Heatmap(
        z=[round_sig(row) for row in z], x=[_esc(q) for q in qs], y=[_esc(i) for i in items],
        text=text, texttemplate="%{text}", colorscale="RdBu", reversescale=True, zmin=-lim, zmax=lim,
        colorbar={"title": "change"}, hovertemplate="%{y}<br>%{x}: %{z}<extra></extra>"))
    _base_layout(fig, title, max(320, 24 * len(items) + 160))
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis={"side": "top", "tickangle": -30})
    return fig


# --------------------------------------------------------------------------- sensitivity


def sensitivity_figure(section: Mapping[str, Any], top: int = 15) -> go.Figure:
    """Bars of the top inputs' index with their intervals, coloured sourced / judgment."""
    table = _frame(section.get("table")).head(top)
    measure = {"ST": "total-order Sobol' index", "mu_star": "Morris μ*",
               "median": "PAWN index (median KS)"}.get(str(section.get("measure")), "index")
    title = f"What drives {section.get('outcome', '')}: {measure}"
    if table.empty:
        return _empty(title, "No sensitivity analysis was run.")
    table = table.iloc[::-1]
    fig = go.Figure()
    for label, group in table.groupby("label", sort=False):
        fig.add_trace(go.Bar(
            y=[_esc(i) for i in group["input"]], x=round_sig(group["index"]), orientation="h",
            name=str(label), marker={"color": LABEL_COLORS.get(str(label), "#777777")},
            error_x={"type": "data", "symmetric": False, "array": round_sig(group["hi"] - group["index"]),
                     "arrayminus": round_sig(group["index"] - group["lo"]), "color": "#444", "thickness": 1},
            hovertemplate="%{y}: %{x}<extra>" + _esc(label) + "</extra>"))
    _base_layout(fig, title, max(320, 26 * len(table) + 140))
    fig.update_layout(barmode="overlay", yaxis={"categoryorder": "array",
                                                "categoryarray": [_esc(i) for i in table["input"]]},
                      xaxis={"title": measure, "rangemode": "tozero"})
    return fig


# --------------------------------------------------------------------------- discovery


def tradeoff_figure(section: Mapping[str, Any]) -> go.Figure:
    """PRIM's peeling trajectory: coverage against density, the chosen box marked."""
    traj = _frame(section.get("trajectory"))
    title = "PRIM: coverage and density of each box"
    if traj.empty:
        return _empty(title, "No scenario discovery was run.")
    fig = go.Figure(go.Scatter(
        x=round_sig(traj["coverage"]), y=round_sig(traj["density"]), mode="lines+markers",
        marker={"color": traj["restricted"].tolist(), "colorscale": "Viridis", "size": 7,
                "colorbar": {"title": "inputs limited"}},
        line={"color": "#BBBBBB"}, name="peeling", text=[f"step {s}" for s in traj["step"]],
        hovertemplate="%{text}<br>coverage %{x}<br>density %{y}<extra></extra>"))
    c = int(section.get("chosen", 0))
    if 0 <= c < len(traj):
        fig.add_trace(go.Scatter(x=round_sig([traj["coverage"].iloc[c]]),
                                 y=round_sig([traj["density"].iloc[c]]), mode="markers",
                                 name="chosen (before pruning)",
                                 marker={"symbol": "star", "size": 16, "color": "#D55E00"}))
    if section.get("coverage") is not None and not math.isnan(float(section["coverage"])):
        fig.add_trace(go.Scatter(x=round_sig([section["coverage"]]), y=round_sig([section["density"]]),
                                 mode="markers", name="box shown",
                                 marker={"symbol": "diamond", "size": 14, "color": "#009E73"}))
    _base_layout(fig, title, 380)
    fig.update_layout(xaxis={"title": "coverage", "range": [0, 1.02]},
                      yaxis={"title": "density", "range": [0, 1.02]})
    return fig


# --------------------------------------------------------------------------- calibration


def calibration_figure(fitted: pd.DataFrame, target: str) -> go.Figure:
    """Observed points, the fitted central run and the run before fitting, for one target."""
    sub = _frame(fitted)
    sub = sub[sub["target"] == target] if "target" in sub.columns else sub
    title = f"Calibration: {target}"
    if sub.empty:
        return _empty(title, "No calibration was run.")
    x = [str(d)[:10] for d in sub["date"]]
    fig = go.Figure([
        go.Scatter(x=x, y=round_sig(sub["observed"]), mode="markers", name="observed",
                   marker={"color": "#000000", "size": 6}),
        go.Scatter(x=x, y=round_sig(sub["fitted"]), mode="lines", name="fitted", line={"color": "#0072B2"}),
        go.Scatter(x=x, y=round_sig(sub["start"]), mode="lines", name="before fitting",
                   line={"color": "#999999", "dash": "dot"}),
    ])
    _base_layout(fig, title, 360)
    fig.update_layout(xaxis={"type": "date"})
    return fig
