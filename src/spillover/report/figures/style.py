"""The look every report figure shares: colours, template, title and legend, and small helpers."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from spillover.report.format import to_date

__all__ = [
    "DAY_MS",
    "PALETTE",
    "TEMPLATE",
    "base_layout",
    "dates",
    "empty_figure",
    "esc",
    "figure_from",
    "layout_spec",
    "policies_in",
    "policy_colors",
    "rgba",
    "round_sig",
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
#: One day in milliseconds, plotly's unit for steps along a date axis.
DAY_MS = 86_400_000
_FONT = "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"


def _template() -> Any:
    """The template object itself: plotly copies it into each figure faster than it looks a
    template up by name and copies that (8 ms a figure against 21)."""
    import plotly.io as pio

    return pio.templates[TEMPLATE]


def _floats(values: Iterable[Any]) -> np.ndarray:
    """A flat sequence of numbers as floats, missing values (None, NaN, pandas' NA, a
    masked array's masked entries) as NaN; anything nested is refused."""
    if isinstance(values, np.ma.MaskedArray):
        values = np.ma.filled(values.astype(float), np.nan)
    elif isinstance(values, pd.Series | pd.Index | pd.api.extensions.ExtensionArray):
        values = pd.Series(values).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    arr = np.asarray(values if isinstance(values, np.ndarray) else list(values), dtype=float)
    if arr.ndim != 1:
        raise TypeError(f"round_sig takes a flat sequence of numbers, not {arr.ndim}-dimensional data")
    return arr


def round_sig(values: Iterable[Any], digits: int = 4) -> list[float | None]:
    """Round each value to ``digits`` significant digits; NaN, infinities, None (and a
    finite value so large that it rounds to infinity) become None.

    >>> round_sig([1234567.0, 0.000123456, None, float("inf"), -2.5e-300, 1.79769e308])
    [1235000.0, 0.0001235, None, None, -2.5e-300, None]
    """
    spec = f".{digits}g"
    out: list[float | None] = [float(format(x, spec)) for x in _floats(values).tolist()]
    for i in np.flatnonzero(~np.isfinite(np.asarray(out, dtype=float))).tolist():
        out[i] = None
    return out


def esc(text: Any) -> str:
    """Escape text for plotly labels, which understand a small subset of HTML."""
    return html.escape(str(text), quote=False)


def rgba(color: str, alpha: float) -> str:
    """``#RRGGBB`` with an opacity, as plotly's ``rgba(r,g,b,a)``."""
    c = color.lstrip("#")
    r, g, b = (int(c[i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def policy_colors(policies: Sequence[str]) -> dict[str, str]:
    """A stable colour for each policy, by position."""
    return {p: PALETTE[i % len(PALETTE)] for i, p in enumerate(policies)}


def policies_in(frame: pd.DataFrame, policies: Sequence[str] | None) -> list[str]:
    """The policies ``frame`` holds: those of ``policies`` first, in that order."""
    present = [str(p) for p in pd.unique(frame["policy"])] if "policy" in frame.columns else []
    if policies is None:
        return present
    ordered = [p for p in policies if p in present]
    return ordered + [p for p in present if p not in ordered]


def dates(start: Any, days: Iterable[float]) -> list[str]:
    """ISO dates ``start + day`` (fractions of a day floor)."""
    d0 = to_date(start)
    return [(d0 + timedelta(days=math.floor(float(d)))).isoformat() for d in days]


def empty_figure(title: str, message: str) -> go.Figure:
    """A short figure that only says why there is nothing to draw."""
    fig = go.Figure()
    note = {"text": esc(message), "showarrow": False, "xref": "paper", "yref": "paper", "x": 0.5, "y": 0.5}
    fig.update_layout(
        template=_template(),
        title=esc(title),
        height=200,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[note],
    )
    return fig


def layout_spec(title: str, height: int, *, legend_below: bool = False) -> dict[str, Any]:
    """Shared look as a layout: title over the plot's left edge, legend above (or below) the plot."""
    margin = {"l": 60, "r": 20, "t": 80, "b": 40}
    legend = {"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "xanchor": "left"}
    if legend_below:
        margin = {"l": 60, "r": 20, "t": 60, "b": 90}
        plot_height = max(height - margin["t"] - margin["b"], 50)
        # About 36 px under the plot area, below the date ticks.
        legend = {**legend, "yanchor": "top", "y": round(-36 / plot_height, 3)}
    return {
        "template": _template(),
        "title": {"text": esc(title), "x": 0, "xref": "paper", "xanchor": "left", "font": {"size": 15}},
        "height": height,
        "margin": margin,
        "legend": legend,
        "font": {"family": _FONT, "size": 12},
    }


def base_layout(fig: go.Figure, title: str, height: int, *, legend_below: bool = False) -> None:
    """Shared look: title over the plot's left edge, legend above (or below) the plot."""
    fig.update_layout(**layout_spec(title, height, legend_below=legend_below))


def figure_from(data: list[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """A figure from traces and a layout this module built in plotly's own terms (each
    trace with its ``type``): made without checking each property, about ten times faster
    for long series, and checked as usual from then on (``fig.update_layout`` and the like)."""
    fig = go.Figure(data=data, layout=layout, _validate=False)
    fig._validate = True
    return fig
