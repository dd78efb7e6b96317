"""The run's results: claims, the paired policy comparison and the key outcomes."""

from __future__ import annotations

from typing import Any

from spillover.report.outcome_labels import is_headline
from spillover.report.page import Page
from spillover.report.sections.headline import interval_words
from spillover.report.tables.claims import claim_tables, estimative_scale
from spillover.report.tables.comparison import comparison_rows, group_rows, level_text
from spillover.report.tables.outcomes import outcome_groups

__all__ = ["claims", "comparison", "outcomes"]


def claims(page: Page) -> dict[str, Any] | None:
    """Each claim's probability per policy, with the estimative scale."""
    tables = claim_tables(page.claims, page.summary, page.policies)
    if not tables:
        return None
    words = interval_words(page)  # both words where the interval crosses a band edge
    for c in tables:
        for r in c["rows"]:
            r["word"] = words.get((c["id"], r["policy"]), r["word"])
    return {"claims": tables, "scale": estimative_scale()}


def comparison(page: Page) -> dict[str, Any] | None:
    """Paired differences against the baseline, grouped by quantity."""
    rows = comparison_rows(page.comparison, page.summary, page.claims, page.policies)
    if not rows:
        return None
    return {
        "groups": group_rows(rows),
        "level": level_text(page.manifest.get("comparison_level", 0.9)),
        "has_shares": any(r["share_lower"] is not None for r in rows),
        "baselines": page.baselines,
    }


def outcomes(page: Page) -> dict[str, Any] | None:
    """Mean, median and range of every outcome per policy: the headline ones, then all in groups."""
    groups = outcome_groups(page.outcomes, page.summary, page.policies)
    if not groups:
        return None
    headline = [q for g in groups for q in g["quantities"] if is_headline(q["column"])]
    return {"headline": headline, "groups": groups, "sample_runs": page.extra.get("outcomes_sample_runs")}
