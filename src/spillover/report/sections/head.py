"""The page's head: title, description and what was run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spillover.report.page import Page
from spillover.report.tables.metadata import metadata_rows

__all__ = ["overview", "report_title"]


def report_title(summary: Mapping[str, Any]) -> str:
    """The scenario's title, else its name."""
    return str(summary.get("title") or summary.get("name") or "spillover report")


def overview(page: Page) -> dict[str, Any]:
    """Title, scenario name and description, and the run's metadata."""
    s = page.summary
    return {
        "title": report_title(s),
        "name": str(s.get("name") or ""),
        "description": str(s.get("description") or ""),
        "metadata": metadata_rows(page.manifest, s),
    }
