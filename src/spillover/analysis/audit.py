"""The audit of a scenario: every number with its tag, and how much of each claim rests on judgment.

The numbers come from :func:`spillover.scenario.audit.numbers`. Each claim's attribution is
the one the headline uses (:mod:`spillover.analysis.drivers`, over the runs of the baseline
policy): the share of its driver scores from judged inputs is its *judgment share*, the share
from sourced inputs the *sourced share* of the confidence rule.
"""

from __future__ import annotations

import pandas as pd

from spillover.analysis.drivers import label_shares
from spillover.analysis.headline import baseline_policy, drivers_section
from spillover.results.result import RunResult
from spillover.scenario.audit import NUMBER_COLUMNS, numbers
from spillover.scenario.model import Scenario

__all__ = ["AUDIT_COLUMNS", "audit_table", "claim_attribution"]

AUDIT_COLUMNS = ("kind", *NUMBER_COLUMNS, "judgment_share", "sourced_share")
"""Columns of :func:`audit_table`. ``kind`` is ``number`` (one row per number, see
:data:`spillover.scenario.audit.NUMBER_COLUMNS`) or ``claim`` (one row per claim: ``path``
``claims.<id>``, ``value`` its test, ``source`` its source, ``rationale`` its strongest
drivers, and the two shares of its attribution; both empty when no driver stands above the
noise floor)."""


def claim_attribution(sc: Scenario, result: RunResult) -> pd.DataFrame:
    """Per claim, under the run's baseline policy: the judgment and sourced shares of its
    attribution and its drivers, strongest first."""
    section = drivers_section(result, baseline_policy(result))
    table: pd.DataFrame = section["table"]
    rows = []
    for c, claim in sc.claims.items():
        mine = table[table["claim"] == c]
        shares = label_shares(mine)
        drivers = ", ".join(f"{r.input} ({r.label})" for r in mine.itertuples())
        rows.append({"kind": "claim", "path": f"claims.{c}", "input": "", "value": claim.expr,
                     "low": float("nan"), "high": float("nan"), "tag": "", "source": claim.source or "",
                     "rationale": drivers or "no driver above the noise floor",
                     "judgment_share": shares["judgment"] if shares else float("nan"),
                     "sourced_share": shares["sourced"] if shares else float("nan")})
    return pd.DataFrame(rows, columns=list(AUDIT_COLUMNS))


def audit_table(sc: Scenario, result: RunResult | None = None) -> pd.DataFrame:
    """Every number of ``sc`` (kind ``number``) and, given a run of it, every claim with the
    shares of its attribution (kind ``claim``); columns :data:`AUDIT_COLUMNS`."""
    nums = numbers(sc).assign(kind="number", judgment_share=float("nan"), sourced_share=float("nan"))
    parts = [nums[list(AUDIT_COLUMNS)]]
    if result is not None:
        parts.append(claim_attribution(sc, result))
    return pd.concat(parts, ignore_index=True)
