"""The in-memory result of an ensemble run: aligned tables an analyst can use in a notebook."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

TABLES = ("experiments", "outcomes", "series", "claims", "comparison")
"""The result's tables, each a :class:`pandas.DataFrame`."""


def text_as_str(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` with each ``object`` column that holds only text (and gaps) in pandas' string
    dtype, as the same table read back from its run folder has it; gaps become NaN, as
    there. Other columns (and every column of a table whose column names repeat) are left
    as they are, as is text that pandas cannot store as a string (a lone surrogate)."""
    if not df.columns.is_unique:
        return df
    converted = {}
    for c in df.columns:
        if df[c].dtype != object or pd.api.types.infer_dtype(df[c], skipna=True) != "string":
            continue
        try:
            converted[c] = df[c].astype(pd.StringDtype(na_value=float("nan")))
        except (UnicodeError, ValueError, TypeError):
            continue
    if not converted:
        return df
    out = df.copy(deep=False)
    for c, column in converted.items():
        out[c] = column
    return out


@dataclass
class RunResult:
    """Everything one `spillover.run` call produced.

    Attributes
    ----------
    scenario_summary
        Plain-data description of the scenario (see ``spillover.scenario.summary``):
        name, title, description, start, horizon, actors, munitions, transfers,
        indicators, events, levers, policies, claims, inputs (each sampled input with
        its distribution and source or judgment), sources and limitations.
    manifest
        What ``manifest.json`` holds: scenario sha256, seed, design, runs, policies,
        package versions, command line, timings.
    experiments
        One row per run: ``run`` plus one column per sampled input.
    outcomes
        One row per (run, policy): ``run``, ``policy`` and one column per outcome.
    series
        Daily quantile series, long format: ``policy``, ``series``, ``day``, ``date``,
        ``q05``, ``q25``, ``q50``, ``q75``, ``q95``, ``mean``.
    claims
        One row per (claim, policy): ``claim``, ``policy``, ``text``, ``expr``, ``n``,
        ``k``, ``probability``, ``lo``, ``hi``, ``word``.
    comparison
        Paired policy differences against the baseline policy: ``policy``,
        ``baseline``, ``quantity``, ``kind`` (``claim`` or ``outcome``), ``n``,
        ``mean_diff``, ``lo``, ``hi``, ``share_lower``, ``share_higher`` (shares of runs
        where the policy is below or above the baseline).
    path
        The run folder, when the result was written to disk.
    """

    scenario_summary: dict[str, Any]
    manifest: dict[str, Any]
    experiments: pd.DataFrame
    outcomes: pd.DataFrame
    series: pd.DataFrame
    claims: pd.DataFrame
    comparison: pd.DataFrame
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in TABLES:  # text columns as str whether made here or read from a folder
            table = getattr(self, name)
            if isinstance(table, pd.DataFrame):
                setattr(self, name, text_as_str(table))

    @property
    def cases(self) -> pd.DataFrame:
        """Each case's claims: one row per (case, claim, policy) with the columns of ``claims``
        after ``case``; empty when no case ran (``spillover.run(..., cases=True)``)."""
        section = (self.extra.get("analysis") or {}).get("cases") or {}
        table = section.get("claims")
        return text_as_str(table) if isinstance(table, pd.DataFrame) else pd.DataFrame()
