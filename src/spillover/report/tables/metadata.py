"""The run's policies in order, and the (label, value) pairs that describe the run."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from spillover.report.format import fmt_count, fmt_date, fmt_number, is_missing

__all__ = ["metadata_rows", "policy_order"]


def policy_order(
    manifest: Mapping[str, Any] | None,
    summary: Mapping[str, Any] | None,
    *frames: pd.DataFrame | None,
) -> list[str]:
    """Policy ids in the order the run declared them, then any others the frames hold."""
    order: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, Mapping):
            value = value.get("id")
        if value is None or is_missing(value):
            return
        if str(value) not in order:
            order.append(str(value))

    for p in (manifest or {}).get("policies") or []:
        add(p)
    if not order:  # the run's own policies when known, else the scenario's
        for p in (summary or {}).get("policies") or []:
            add(p)
    for frame in frames:
        if frame is not None and "policy" in frame.columns:
            for p in pd.unique(frame["policy"]):
                add(p)
    return order


def _period(summary: Mapping[str, Any]) -> str:
    """The run's first day, its length and its last day (day ``horizon - 1``).

    >>> _period({"start": "2024-01-01", "horizon": 366})
    '2024-01-01 + 366 days (last day 2024-12-31)'
    """
    horizon = summary.get("horizon")
    span = f"{summary['start']}"
    if horizon is not None:
        span += f" + {fmt_count(horizon)} days (last day {fmt_date(summary['start'], int(horizon) - 1)})"
    return span


def _run_time(timings: Mapping[str, Any]) -> Any:
    total = timings.get("total")
    if total is None and timings:
        try:
            total = sum(float(v) for v in timings.values())
        except (TypeError, ValueError):
            total = None
    return total


def _command(command: Any) -> str:
    if isinstance(command, list | tuple):
        return " ".join(str(c) for c in command)
    return str(command)


def metadata_rows(manifest: Mapping[str, Any], summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs describing the run, for the report's header."""
    from spillover import __version__

    rows: list[tuple[str, str]] = []
    scenario = manifest.get("scenario") or summary.get("name")
    if scenario:
        rows.append(("Scenario", str(scenario)))
    if summary.get("start"):
        rows.append(("Period", _period(summary)))
    if manifest.get("runs") is not None:
        rows.append(("Runs per policy", fmt_count(manifest["runs"])))
    if manifest.get("seed") is not None:
        rows.append(("Seed", str(manifest["seed"])))
    if manifest.get("design"):
        rows.append(("Design", str(manifest["design"])))
    policies = policy_order(manifest, summary)
    if policies:
        rows.append(("Policies", ", ".join(policies)))
    if manifest.get("case"):
        rows.append(("Case", f"{manifest['case']} (instead of the scenario as written)"))
    if manifest.get("cases"):
        rows.append(("Cases", ", ".join(map(str, manifest["cases"]))))
    if manifest.get("created"):
        rows.append(("Created", str(manifest["created"])))
    if manifest.get("scenario_sha256"):
        rows.append(("Scenario SHA-256", str(manifest["scenario_sha256"])[:12]))
    versions = manifest.get("versions") or {}
    rows.append(("spillover version", str(versions.get("spillover") or __version__)))
    if manifest.get("command"):
        rows.append(("Command", _command(manifest["command"])))
    total = _run_time(manifest.get("timings") or {})
    if total is not None and not is_missing(total):
        rows.append(("Run time", f"{fmt_number(total)} s"))
    return rows
