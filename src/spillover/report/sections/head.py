"""The page's head: title, description and what was run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spillover.report.page import Page
from spillover.report.sections.headline import first_screen, interval_words
from spillover.report.tables.claims import claim_tables
from spillover.report.tables.metadata import metadata_rows

__all__ = ["claims_at_a_glance", "overview", "report_title"]


def report_title(summary: Mapping[str, Any]) -> str:
    """The scenario's title, else its name."""
    return str(summary.get("title") or summary.get("name") or "spillover report")


def claims_at_a_glance(page: Page) -> tuple[list[str], list[dict[str, Any]]]:
    """The policies, and each claim with its probability and word under each of them."""
    tables = claim_tables(page.claims, page.summary, page.policies)
    present = {r["policy"] for c in tables for r in c["rows"]}
    policies = [p for p in page.policies if p in present]
    rows = []
    words = interval_words(page)
    for c in tables:
        for r in c["rows"]:
            r["word"] = words.get((c["id"], r["policy"]), r["word"])
        by_policy = {r["policy"]: r for r in c["rows"]}
        rows.append({"id": c["id"], "text": c["text"], "cells": [by_policy.get(p) for p in policies]})
    return policies, rows


def overview(page: Page) -> dict[str, Any]:
    """Title, scenario name and description, the claims at a glance and the run's metadata."""
    s = page.summary
    policies, claims = claims_at_a_glance(page)
    return {
        "title": report_title(s),
        "name": str(s.get("name") or ""),
        "description": str(s.get("description") or ""),
        "policies": policies,
        "claims": claims,
        "first": first_screen(page),
        "metadata": metadata_rows(page.manifest, s),
    }
