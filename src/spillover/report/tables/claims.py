"""Display rows for the claims: probability, interval, estimative word and run counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from spillover.analysis.claims import ESTIMATIVE_BANDS
from spillover.report.format import (
    EN_DASH,
    fmt_count,
    fmt_pct,
    fmt_prob_interval,
    is_missing,
    pct_number,
)
from spillover.report.names import by_id

__all__ = ["claim_tables", "estimative_scale"]


def estimative_scale() -> list[tuple[str, str, str]]:
    """The estimative words of :mod:`spillover.analysis.claims` with their bands in percent."""
    return [(word, f"{lo * 100:g}", f"{hi * 100:g}") for word, lo, hi in ESTIMATIVE_BANDS]


def _claim_row(r: Mapping[str, Any]) -> dict[str, str]:
    n, k = r.get("n"), r.get("k")
    lo: Any = r.get("lo")
    hi: Any = r.get("hi")
    return {
        "policy": str(r.get("policy")),
        "probability": fmt_pct(r.get("probability")),
        "interval": (
            f"{pct_number(lo)}{EN_DASH}{pct_number(hi)}%" if not (is_missing(lo) or is_missing(hi)) else "—"
        ),
        "display": fmt_prob_interval(r.get("probability"), lo, hi),
        "word": str(r.get("word") or ""),
        "runs": f"{fmt_count(k)} of {fmt_count(n)}" if not (is_missing(n) or is_missing(k)) else "",
    }


def _claim_entry(claim_id: Any, rows: pd.DataFrame, summary: Mapping[str, Any]) -> dict[str, Any]:
    """A claim's text, expression and source: from the claims table, else from the scenario."""
    meta = by_id(summary.get("claims")).get(str(claim_id), {})
    first = rows.iloc[0]
    text = first.get("text") if "text" in rows.columns else None
    expr = first.get("expr") if "expr" in rows.columns else None
    source = meta.get("source")
    known = source and str(source) in by_id(summary.get("sources"))
    return {
        "id": str(claim_id),
        "text": str(text if not is_missing(text) else meta.get("text", claim_id)),
        "expr": str(expr if not is_missing(expr) else meta.get("expr", "")),
        "source": str(source or ""),
        "source_anchor": f"src-{source}" if known else None,
        "rows": [],
    }


def claim_tables(
    claims: pd.DataFrame | None,
    summary: Mapping[str, Any],
    policies: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One entry per claim: its text, expression, source and one row per policy."""
    if claims is None or claims.empty or "claim" not in claims.columns:
        return []
    rank = {p: i for i, p in enumerate(policies or [])}
    out: list[dict[str, Any]] = []
    for claim_id in pd.unique(claims["claim"]):
        rows = claims[claims["claim"] == claim_id]
        entry = _claim_entry(claim_id, rows, summary)
        records = rows.to_dict("records")
        records.sort(key=lambda r: rank.get(str(r.get("policy")), len(rank)))
        entry["rows"] = [_claim_row(r) for r in records]
        out.append(entry)
    return out
