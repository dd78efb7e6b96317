"""The report's first screen, what drives each claim, and the cases.

They read the ``headline``, ``drivers`` and ``cases`` sections of a run
(:mod:`spillover.analysis.headline`); a run saved before they existed shows none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from spillover.analysis.confidence import RULE
from spillover.report.format import fmt_number, fmt_pct, fmt_prob_interval, is_missing
from spillover.report.page import Page
from spillover.report.tables.scenario import basis

__all__ = ["cases", "drivers", "first_screen", "interval_words"]


def _section(page: Page, name: str) -> Mapping[str, Any]:
    return (page.extra.get("analysis") or {}).get(name) or {}


def _frame(x: Any) -> pd.DataFrame:
    return x if isinstance(x, pd.DataFrame) else pd.DataFrame(x if x is not None else [])


def interval_words(page: Page) -> dict[tuple[str, str], str]:
    """(claim, policy) → the words for its interval ("by construction", or both words at an edge)."""
    table = _frame(_section(page, "headline").get("table"))
    if table.empty:
        return {}
    return {(str(r.claim), str(r.policy)): str(r.words) for r in table.itertuples()}


def _range(lo: Any, hi: Any) -> str:
    return "—" if is_missing(lo) else f"{fmt_pct(lo)}–{fmt_pct(hi)}"


def _driver(d: Mapping[str, Any]) -> dict[str, Any]:
    up = (d.get("direction") or 0) > 0
    return {"input": d["input"], "label": d["label"], "sign": "+" if up else "−",
            "title": f"holds more often at {'higher' if up else 'lower'} values; KS {fmt_number(d['score'])}"}


def _change(c: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if not c:
        return None
    better = c.get("better")
    verdict = "no direction declared" if better is None else "better" if better else "worse"
    return {"policy": c["policy"], "points": f"{100 * c['diff']:+.0f}".replace("-", "−"), "verdict": verdict}


def _judgment(j: Mapping[str, Any]) -> dict[str, Any]:
    conf = j["confidence"]
    missing = [b["name"] for b in conf["basis"] if b["value"] == "not available"]
    basis = [b for b in conf["basis"] if b["value"] != "not available"]
    cases = _range(j.get("case_lo"), j.get("case_hi")) if j.get("case_words") else ""
    return {
        "claim": j["claim"], "text": str(j["text"]).rstrip("."), "by_construction": j["by_construction"],
        "probability": fmt_pct(j["probability"]),
        "display": fmt_prob_interval(j["probability"], j["lo"], j["hi"]), "words": j["words"], "cases": cases,
        "case_words": j.get("case_words") or "", "level": conf["level"] or "not rated",
        "basis": basis, "missing": missing, "drivers": [_driver(d) for d in j["drivers"]],
        "change": _change(j.get("change")),
        "weighted": _weighted(j),
    }


def _weighted(j: Mapping[str, Any]) -> dict[str, str] | None:
    """With evidence: the effective sample size behind the posterior, and the prior probability."""
    w = j.get("weighted")
    if not w:
        return None
    return {"ess": f"{w['ess']:,.0f}", "runs": f"{w['runs']:,}", "prior": fmt_pct(j["prior"]["probability"])}


def _case_table(page: Page, policy: str, names: list[str]) -> dict[str, Any] | None:
    """The headline table: each claim under ``policy``, as written and per case, and the range."""
    claims = _frame(_section(page, "cases").get("claims"))
    table = _frame(_section(page, "headline").get("table"))
    if claims.empty or table.empty:
        return None
    mine = claims[claims["policy"] == policy].set_index(["claim", "case"])["probability"]
    rows = []
    for r in table[table["policy"] == policy].itertuples():
        rows.append({"claim": r.claim, "pooled": fmt_pct(r.probability), "words": r.words,
                     "cases": [fmt_pct(mine.get((r.claim, n))) for n in names],
                     "range": _range(r.case_lo, r.case_hi), "case_words": r.case_words})
    return {"names": names, "rows": rows}


def first_screen(page: Page) -> dict[str, Any] | None:
    """The key judgments, the policy that moves them most, what is left out, the claims by case."""
    h = _section(page, "headline")
    if not h or not h.get("judgments"):
        return None
    most = h.get("most")
    return {
        "policy": h["policy"], "judgments": [_judgment(j) for j in h["judgments"]],
        "most": {**most, "points": f"{most['points']:.0f}"} if most else None,
        "limitations": list(h.get("limitations") or []), "more_limitations": h.get("more_limitations") or 0,
        "by_case": _case_table(page, h["policy"], list(h.get("cases") or [])),
        "reading": page.manifest.get("case"), "rule": RULE,
        "basis": basis(page.summary),
    }


def drivers(page: Page) -> dict[str, Any] | None:
    """Each claim's drivers above the noise floor under the baseline policy."""
    s = _section(page, "drivers")
    table = _frame(s.get("table"))
    if not s:
        return None
    floors = s.get("floors") or {}
    first = page.claims.drop_duplicates("claim") if "claim" in page.claims else pd.DataFrame()
    texts = {str(r["claim"]): str(r.get("text", r["claim"])) for r in first.to_dict("records")}
    claims = []
    for claim, floor in floors.items():
        rows = table[table["claim"] == claim] if not table.empty else table
        claims.append({"id": claim, "text": texts.get(str(claim), claim),
                       "floor": "—" if floor is None else fmt_number(floor),
                       "rows": [{**_driver(r), "score": fmt_number(r["score"]),
                                 "source": "" if is_missing(r.get("source")) else str(r["source"])}
                                for r in rows.to_dict("records")]})
    return {"policy": s.get("policy"), "runs": s.get("runs"), "permutations": s.get("permutations"),
            "claims": claims}


def cases(page: Page) -> dict[str, Any] | None:
    """The cases: what each reads differently, and each claim's probability per case and policy."""
    s = _section(page, "cases")
    if not s or not s.get("cases"):
        return None
    claims = _frame(s.get("claims"))
    names = [c["name"] for c in s["cases"]]
    groups = []
    for claim in pd.unique(claims["claim"]):
        mine = claims[claims["claim"] == claim]
        rows = [{"policy": p, "cells": [fmt_pct(g.loc[g["case"] == n, "probability"].iloc[0])
                                        if (g["case"] == n).any() else "—" for n in names]}
                for p, g in mine.groupby("policy", sort=False)]
        groups.append({"claim": claim, "rows": rows})
    return {"cases": s["cases"], "names": names, "groups": groups}
