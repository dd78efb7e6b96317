"""Pure functions that build plotly figures from a run's tables.

They take plain data (the scenario summary dict, the ``outcomes`` and ``series``
DataFrames) and return :class:`plotly.graph_objects.Figure` objects, so the HTML
report and a web app can share them. Numbers put into figures are rounded to four
significant digits to keep the embedded JSON small, and any text that comes from a
scenario is HTML-escaped because plotly renders a subset of HTML in labels.

One module per topic: :mod:`.network`, :mod:`.fans` (daily series), :mod:`.events`
and :mod:`.analysis` (the analysis sections); :mod:`.style` holds the shared look.
"""

from __future__ import annotations

from spillover.report.figures.events import event_probability_figure, firing_day_histogram
from spillover.report.figures.fans import fan_chart, series_figures
from spillover.report.figures.network import network_figure
from spillover.report.figures.style import PALETTE, TEMPLATE, policy_colors, round_sig

__all__ = [
    "PALETTE",
    "TEMPLATE",
    "event_probability_figure",
    "fan_chart",
    "firing_day_histogram",
    "network_figure",
    "policy_colors",
    "round_sig",
    "series_figures",
]
