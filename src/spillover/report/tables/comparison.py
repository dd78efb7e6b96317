"""Display rows for the paired policy comparison."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from spillover.report.format import fmt_count, fmt_pct, fmt_signed, is_missing
from spillover.report.names import by_id
from spillover.report.outcome_labels import outcome_label

__all__ = ["comparison_rows", "group_rows", "level_text"]


def _claim_texts(summary: Mapping[str, Any], claims: pd.DataFrame | None) -> dict[str, str]:
    texts = {str(k): str(v.get("text", k)) for k, v in by_id(summary.get("claims")).items()}
    if claims is not None and not claims.empty and {"claim", "text"} <= set(claims.columns):
        for cid, text in zip(claims["claim"], claims["text"], strict=True):
            texts.setdefault(str(cid), str(text))
    return texts


def _sorted_records(comparison: pd.DataFrame, policies: Sequence[str] | None) -> list[dict[str, Any]]:
    """Claims first, then outcomes; each quantity's policies together, in policy order."""
    rank = {p: i for i, p in enumerate(policies or [])}
    records = comparison.to_dict("records")
    first_seen: dict[str, int] = {}
    for r in records:
        first_seen.setdefault(str(r.get("quantity")), len(first_seen))
    records.sort(
        key=lambda r: (
            0 if r.get("kind") == "claim" else 1,
            first_seen[str(r.get("quantity"))],
            rank.get(str(r.get("policy")), len(rank)),
        )
    )
    return records


def _row(r: Mapping[str, Any], label: str, has_shares: bool) -> dict[str, Any]:
    is_claim = r.get("kind") == "claim"
    lo: Any = r.get("lo")
    hi: Any = r.get("hi")
    bounded = not (is_missing(lo) or is_missing(hi))
    return {
        "policy": str(r.get("policy")),
        "baseline": str(r.get("baseline")),
        "kind": "claim" if is_claim else "outcome",
        "quantity": str(r.get("quantity")),
        "label": label,
        "n": fmt_count(r.get("n")),
        "mean_diff": fmt_signed(r.get("mean_diff"), percentage_points=is_claim),
        "interval": (
            f"{fmt_signed(lo, percentage_points=is_claim)} to {fmt_signed(hi, percentage_points=is_claim)}"
            if bounded
            else "—"
        ),
        "excludes_zero": bounded and (float(lo) > 0 or float(hi) < 0),
        "share_lower": fmt_pct(r.get("share_lower")) if has_shares else None,
        "share_higher": fmt_pct(r.get("share_higher")) if has_shares else None,
    }


def comparison_rows(
    comparison: pd.DataFrame | None,
    summary: Mapping[str, Any],
    claims: pd.DataFrame | None = None,
    policies: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Display rows for the paired policy comparison.

    Claim differences are differences of probabilities and shown in percentage points;
    outcome differences are in the outcome's own unit.
    """
    if comparison is None or comparison.empty:
        return []
    texts = _claim_texts(summary, claims)
    has_shares = {"share_lower", "share_higher"} <= set(comparison.columns)
    rows = []
    for r in _sorted_records(comparison, policies):
        quantity = str(r.get("quantity"))
        is_claim = r.get("kind") == "claim"
        label = texts.get(quantity, quantity) if is_claim else outcome_label(summary, quantity)
        rows.append(_row(r, label, has_shares))
    return rows


def group_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive comparison rows about the same quantity, as one group each."""
    groups: list[dict[str, Any]] = []
    for row in rows:
        key = (row["kind"], row["quantity"])
        if not groups or groups[-1]["key"] != key:
            groups.append({"key": key, "label": row["label"], "kind": row["kind"],
                           "quantity": row["quantity"], "rows": []})
        groups[-1]["rows"].append(row)
    return groups


def level_text(value: Any) -> str:
    """A coverage level as a percentage: ``0.9 -> "90%"`` (90% when unreadable)."""
    try:
        return f"{float(value) * 100:g}%"
    except (TypeError, ValueError):
        return "90%"
