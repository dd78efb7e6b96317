"""Figures as compact JSON that is safe inside a ``<script>`` element."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from spillover.report.figures.style import TEMPLATE

__all__ = ["figure_json", "plain", "script_safe", "template_json"]


def _number(x: float, digits: int) -> float | int | None:
    if math.isnan(x) or math.isinf(x):
        return None
    x = float(f"{x:.{digits}g}")
    if math.isinf(x):  # a finite number at the edge of the range rounds up to infinity
        return None
    # Whole numbers without the ".0": shorter, and the same number to JavaScript.
    return int(x) if x.is_integer() and abs(x) < 2**53 else x


def plain(obj: Any, digits: int = 4) -> Any:
    """JSON-ready copy of ``obj``: numpy to lists, floats to ``digits`` significant digits."""
    if isinstance(obj, dict):
        return {str(k): plain(v, digits) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [plain(v, digits) for v in obj]
    if isinstance(obj, np.ndarray):
        return [plain(v, digits) for v in obj.tolist()]
    if isinstance(obj, bool | np.bool_):
        return bool(obj)
    if isinstance(obj, int | np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        return _number(float(obj), digits)
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    if obj is None or isinstance(obj, str):
        return obj
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    return str(obj)


def script_safe(text: str) -> str:
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
    data = {"data": plain(spec.get("data") or []), "layout": plain(layout)}
    return script_safe(json.dumps(data, separators=(",", ":"), allow_nan=False))


@lru_cache(maxsize=1)
def template_json() -> str:
    """The shared plotly template, once for the whole page."""
    spec = pio.templates[TEMPLATE].to_plotly_json()
    return script_safe(json.dumps(plain(spec), separators=(",", ":"), allow_nan=False))
