"""The report's sections: one entry each, in page order.

A section has an id (its anchor), a title, a function that returns its template data
from the :class:`~spillover.report.page.Page` (``None`` leaves the section out), the
template partial that draws it, and whether the table of contents lists it. The page is
built by going through :data:`SECTIONS` in order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from spillover.report.page import Page
from spillover.report.sections import analysis, charts, evidence, head, headline, results, scenario

__all__ = ["SECTIONS", "Built", "Section", "build"]


@dataclass(frozen=True)
class Section:
    """One section of the report."""

    id: str
    title: str
    context: Callable[[Page], dict[str, Any] | None]
    template: str
    in_toc: bool = True
    toc_title: str | None = None
    region: Literal["head", "main"] = "main"


@dataclass(frozen=True)
class Built:
    """A section with its template data, ready to render."""

    section: Section
    data: dict[str, Any]

    @property
    def id(self) -> str:
        return self.section.id

    @property
    def title(self) -> str:
        return self.section.title

    @property
    def template(self) -> str:
        return self.section.template


SECTIONS: tuple[Section, ...] = (
    Section("overview", "Overview", head.overview, "_head.html.j2", in_toc=False, region="head"),
    Section("claims", "Claims", results.claims, "_claims.html.j2"),
    Section("drivers", "What drives each claim", headline.drivers, "_drivers.html.j2"),
    Section("cases", "Cases", headline.cases, "_cases.html.j2"),
    Section("evidence", "Claims against the evidence", evidence.evidence, "_evidence.html.j2",
            toc_title="Evidence"),
    Section("comparison", "Policy comparison", results.comparison, "_comparison.html.j2"),
    Section("outcomes", "Key outcomes by policy", results.outcomes, "_outcomes.html.j2",
            toc_title="Key outcomes"),
    Section("network", "Actors and transfers", charts.network, "_network.html.j2"),
    Section("series", "Over time", charts.series, "_series.html.j2"),
    Section("events", "Events", charts.events, "_events.html.j2"),
    Section("orders", "Orders of effect", analysis.orders, "_orders.html.j2"),
    Section("attribution", "Attribution by ablation", analysis.attribution, "_attribution.html.j2"),
    Section("sensitivity", "What drives the results", analysis.sensitivity, "_sensitivity.html.j2"),
    Section("discovery", "When it happens", analysis.discovery, "_discovery.html.j2"),
    Section("calibration", "Fit to observations", analysis.calibration, "_calibration.html.j2"),
    Section("robustness", "Robustness across policies", analysis.robustness, "_robustness.html.j2"),
    Section("scenario", "Scenario and sources", scenario.scenario, "_scenario.html.j2"),
    Section("limitations", "What this model leaves out", scenario.limitations, "_limitations.html.j2"),
)


def build(page: Page, sections: tuple[Section, ...] = SECTIONS) -> list[Built]:
    """Each section that has something to show, with its data, in page order."""
    built = []
    for section in sections:
        data = section.context(page)
        if data is not None:
            built.append(Built(section, data))
    return built
