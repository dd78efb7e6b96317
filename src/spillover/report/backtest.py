"""``backtest.html``: the scorecard of ``spillover backtest`` and a plot of each method's CRPS.

A self-contained page (plotly.js embedded, as in ``report.html``): per unit, the mean CRPS
of spillover, persistence and climatology at each origin, then the scorecard and every
scored forecast.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any, BinaryIO

import pandas as pd

COLORS = {"spillover": "#1f5fa8", "climatology": "#8a8a8a", "persistence": "#c2620a"}


def crps_figure(card: pd.DataFrame) -> Any:
    """Mean CRPS by origin, one panel per unit, one line per method (lower is better)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    units = list(dict.fromkeys(card["unit"]))
    fig = make_subplots(rows=len(units), cols=1, subplot_titles=[f"CRPS, {u}" for u in units],
                        vertical_spacing=0.12 if len(units) > 1 else 0.2)
    for i, unit in enumerate(units, start=1):
        part = card[card["unit"] == unit]
        for method, rows in part.groupby("method", sort=False):
            fig.add_trace(go.Scatter(x=rows["origin"], y=rows["crps"], mode="lines+markers", name=str(method),
                                     legendgroup=str(method), showlegend=i == 1,
                                     line={"color": COLORS.get(str(method), "#444")}), row=i, col=1)
    fig.update_layout(height=260 * len(units) + 80, margin={"l": 60, "r": 20, "t": 50, "b": 40},
                      template="plotly_white",
                      title="Backtest: mean CRPS of the later observations by origin")
    fig.update_xaxes(type="category", title_text="origin", categoryorder="array",
                     categoryarray=sorted(card["origin"].astype(str).unique()))  # one order in every panel
    fig.update_yaxes(rangemode="tozero", tickformat="~g")  # from 0: near-equal CRPS are not blown up
    return fig


def _worse(card: pd.DataFrame) -> list[str]:
    from spillover.analysis.backtest import worse_than_climatology

    return worse_than_climatology(card) if "skill" in card else []


def _table(df: pd.DataFrame) -> str:
    return df.to_html(index=False, classes="num",
                      float_format=lambda x: f"{x:,.3g}" if abs(x) < 100 else f"{x:,.0f}",
                      na_rep="–", border=0)


def write_backtest_report(table: pd.DataFrame, card: pd.DataFrame, manifest: dict[str, Any],
                          path: Path) -> None:
    """Write the page to ``path`` (atomically)."""
    from spillover.report.html import _plotly_js
    from spillover.results.store import atomic_write

    fig = crps_figure(card).to_html(full_html=False, include_plotlyjs=False, config={"responsive": True}) \
        if len(card) else "<p>Nothing to score.</p>"
    title = f"Backtest of {html.escape(str(manifest.get('scenario', '')))}"
    css = (Path(__file__).parent / "templates" / "_styles.css.j2").read_text(encoding="utf-8")
    from spillover.analysis.backtest import fixed_targets

    worse = "".join(f"<p><strong>{html.escape(line)}.</strong></p>" for line in _worse(card)) + \
        "".join(f"<p>{html.escape(line)}.</p>" for line in fixed_targets(table))
    body = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{title}</title>"
            f"<script>{_plotly_js()}</script><style>{css}</style></head><body><main class='page'>"
            f"<h1>{title}</h1><p class='explain'>Origins "
            f"{html.escape(', '.join(manifest.get('origins', [])))}; "
            f"{manifest.get('runs')} runs, seed {manifest.get('seed')}, policy "
            f"{html.escape(str(manifest.get('policy')))}. At each origin the runs are weighted by the "
            f"observations known then (spillover), left unweighted (climatology), or the last observed "
            f"value or rate is carried forward (persistence). CRPS: lower is better. CRPS skill = "
            f"1 − CRPS / climatology's CRPS: above 0 spillover beats climatology, below 0 it does worse. "
            f"See docs/evidence.md.</p>{worse}{fig}"
            f"<h2>Scorecard</h2><div class='table-wrap'>{_table(card)}</div>"
            f"<h2>Every forecast</h2><div class='table-wrap'>{_table(table)}</div></main></body></html>")
    data = body.encode("utf-8")

    def save(f: BinaryIO) -> None:
        f.write(data)

    atomic_write(path, save)
