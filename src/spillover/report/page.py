"""What every section of one report draws on: the run's tables, its policies and its figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from spillover.report.embed import figure_json
from spillover.report.figures.style import policy_colors
from spillover.report.tables.metadata import policy_order
from spillover.results.result import RunResult

__all__ = ["Page"]


def _frame(df: Any) -> pd.DataFrame:
    return df if isinstance(df, pd.DataFrame) else pd.DataFrame()


@dataclass
class Page:
    """One report being built: the run, its policies in order, and the figures added so far."""

    result: RunResult
    summary: dict[str, Any]
    manifest: dict[str, Any]
    outcomes: pd.DataFrame
    series: pd.DataFrame
    claims: pd.DataFrame
    comparison: pd.DataFrame
    policies: list[str]
    colors: dict[str, str]
    figures: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, result: RunResult) -> Page:
        """The page for ``result``, with its policies in the order the run declared them."""
        summary: dict[str, Any] = dict(result.scenario_summary or {})
        manifest: dict[str, Any] = dict(result.manifest or {})
        frames = [_frame(x) for x in (result.outcomes, result.series, result.claims, result.comparison)]
        outcomes, series, claims, comparison = frames
        policies = policy_order(manifest, summary, outcomes, claims, series, comparison)
        return cls(result, summary, manifest, outcomes, series, claims, comparison, policies,
                   policy_colors(policies))

    @property
    def extra(self) -> dict[str, Any]:
        """``RunResult.extra``, or an empty dict."""
        return dict(self.result.extra or {})

    @property
    def baselines(self) -> list[str]:
        """The baseline policies of the comparison."""
        if "baseline" not in self.comparison.columns:
            return []
        return [str(b) for b in pd.unique(self.comparison["baseline"])]

    def add(self, fig: go.Figure, section: str, caption: str = "") -> dict[str, Any]:
        """Embed ``fig`` in the page (numbered in order) and return its entry for a template."""
        entry = {"id": f"fig-{len(self.figures) + 1}", "section": section, "json": figure_json(fig),
                 "caption": caption}
        self.figures.append(entry)
        return entry
