"""The honest headline of a run: each claim with its cases, words, confidence and drivers.

:func:`headline_sections` adds three report sections to a run (plain data, saved as
``analysis/<name>.json``):

``drivers``
    What drives each claim under the baseline policy (:mod:`spillover.analysis.drivers`).
``cases``
    Each case, what it reads differently, and its claims per policy (when cases ran).
``headline``
    Per claim and policy: the pooled probability (the scenario as written, whose
    distributions blend the readings) with its interval and words, the range across cases
    and its words, and whether it is 0 or 1 by construction; and the key judgments under
    the baseline policy: probability, words, confidence with its inputs
    (:mod:`spillover.analysis.confidence`), the two strongest drivers and the policy that
    changes the claim most; the policy that changes the claims most; what the model leaves out.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.cases import CaseRun
from spillover.analysis.claims import (
    BY_CONSTRUCTION,
    ClaimSpec,
    claim_indicator,
    estimative_words,
)
from spillover.analysis.confidence import ConfidenceInputs, confidence, points
from spillover.analysis.construction import by_construction
from spillover.analysis.drivers import PERMUTATIONS, claim_drivers, input_labels, label_shares
from spillover.results.result import RunResult

__all__ = ["DRIVER_RUNS", "HEADLINE_COLUMNS", "baseline_policy", "change_text", "claim_rows", "driver_text",
           "drivers_section", "headline_sections", "judgments", "sentence", "weigh_judgments"]

DRIVER_RUNS = 10_000
"""Runs (the first ones) over which the drivers are computed; their floor shrinks as 1/√runs."""

HEADLINE_COLUMNS = ("claim", "policy", "probability", "lo", "hi", "words", "by_construction", "cases",
                    "case_lo", "case_hi", "case_words")
"""Columns of the headline table (one row per claim and policy)."""

Section = dict[str, Any]


def baseline_policy(result: RunResult) -> str:
    """The policy the others are compared with: the run's first."""
    policies = (result.manifest or {}).get("policies") or list(pd.unique(result.claims["policy"]))
    return str(policies[0])


def _specs(result: RunResult) -> list[ClaimSpec]:
    first = result.claims.drop_duplicates("claim")
    return [ClaimSpec(str(r.claim), str(r.text), str(r.expr)) for r in first.itertuples()]


def _policy_rows(result: RunResult, policy: str) -> pd.DataFrame:
    out = result.outcomes
    return out[out["policy"] == policy].sort_values("run", kind="stable").reset_index(drop=True)


def drivers_section(result: RunResult, policy: str) -> Section:
    """The drivers of every claim under ``policy``, over the first :data:`DRIVER_RUNS` runs."""
    rows = _policy_rows(result, policy)
    rows = rows[rows["run"] < DRIVER_RUNS]
    exp = result.experiments.set_index("run").loc[rows["run"].to_numpy()].reset_index()
    indicators = {c.id: claim_indicator(rows, c) for c in _specs(result)}
    seed = int((result.manifest or {}).get("seed") or 0)
    table, floors = claim_drivers(exp, indicators, input_labels(result.scenario_summary), seed)
    return {"table": table, "floors": floors, "policy": policy, "runs": len(rows),
            "permutations": PERMUTATIONS}


def _constructed(result: RunResult, claims: list[ClaimSpec]) -> dict[tuple[str, str], bool]:
    """(claim, policy) → 0 or 1 by construction (:func:`~spillover.analysis.construction.by_construction`)."""
    out = {}
    for policy in pd.unique(result.claims["policy"]):
        rows = _policy_rows(result, str(policy))
        for c in claims:
            out[(c.id, str(policy))] = by_construction(rows, c)
    return out


def claim_rows(result: RunResult, cases: pd.DataFrame | None = None) -> pd.DataFrame:
    """The headline table (:data:`HEADLINE_COLUMNS`): pooled claims beside the range across cases."""
    fixed = _constructed(result, _specs(result))
    rows = []
    for r in result.claims.itertuples():
        built = fixed.get((str(r.claim), str(r.policy)), False) and r.k in (0, r.n)
        ps = np.array([]) if cases is None else cases.loc[
            (cases["claim"] == r.claim) & (cases["policy"] == r.policy), "probability"].to_numpy(float)
        case_lo, case_hi = (float(ps.min()), float(ps.max())) if len(ps) else (np.nan, np.nan)
        rows.append({"claim": r.claim, "policy": r.policy, "probability": r.probability, "lo": r.lo,
                     "hi": r.hi, "words": BY_CONSTRUCTION if built else estimative_words(r.lo, r.hi),
                     "by_construction": bool(built), "cases": len(ps), "case_lo": case_lo,
                     "case_hi": case_hi, "case_words": estimative_words(case_lo, case_hi) if len(ps) else ""})
    return pd.DataFrame(rows, columns=list(HEADLINE_COLUMNS))


def _grades(summary: Mapping[str, Any]) -> dict[str, str | None]:
    return {str(s["id"]): s.get("grade") for s in summary.get("sources") or []}


def _basis(drivers: pd.DataFrame, summary: Mapping[str, Any]) -> tuple[float | None, list[str | None]]:
    """The share of the claim's driver scores from sourced inputs, and the grades of their sources."""
    if drivers.empty:
        return None, []
    sourced = drivers[drivers["label"] == "sourced"]
    grades = _grades(summary)
    keys = [k.strip() for s in sourced["source"].dropna() for k in str(s).split(",")]
    shares = label_shares(drivers)
    return (shares or {}).get("sourced"), [grades.get(k) for k in dict.fromkeys(keys)]


def _change(comparison: pd.DataFrame, claim: str, prefer: str | None) -> dict[str, Any] | None:
    """The policy whose paired difference from the baseline moves the claim most."""
    if comparison is None or comparison.empty:
        return None
    mine = comparison[(comparison["kind"] == "claim") & (comparison["quantity"] == claim)]
    if mine.empty:
        return None
    r = mine.loc[mine["mean_diff"].abs().idxmax()]
    diff = float(r["mean_diff"])
    better = None if prefer is None or diff == 0 else (diff < 0) == (prefer == "lower")
    return {"policy": str(r["policy"]), "baseline": str(r["baseline"]), "diff": diff, "lo": float(r["lo"]),
            "hi": float(r["hi"]), "better": better}


def _top(drivers: pd.DataFrame, n: int = 2) -> list[dict[str, Any]]:
    cols = ["input", "score", "direction", "label", "source"]
    top = drivers.head(n)[cols].to_dict("records")
    return [{k: (None if pd.isna(v) else v) for k, v in d.items()} for d in top]


def judgments(result: RunResult, table: pd.DataFrame, drivers: pd.DataFrame, policy: str,
              evidence: Mapping[str, Mapping[str, float]] | None = None) -> list[dict[str, Any]]:
    """The key judgments: one entry per claim under ``policy`` (see the module's description)."""
    summary = result.scenario_summary or {}
    prefer = {str(c["id"]): c.get("prefer") for c in summary.get("claims") or []}
    cases = result.extra.get("analysis", {}).get("cases", {}).get("claims")
    declared = len(summary.get("cases") or [])
    out = []
    for r in table[table["policy"] == policy].itertuples():
        mine = drivers[drivers["claim"] == r.claim]
        share, grades = _basis(mine, summary)
        ps = [] if cases is None else \
            cases[(cases["claim"] == r.claim) & (cases["policy"] == policy)]["probability"].tolist()
        ev = (evidence or {}).get(str(r.claim), {})
        conf = confidence(ConfidenceInputs(ps, r.probability, share, grades, ev.get("ess"), ev.get("skill"),
                                           declared_cases=declared), by_construction=r.by_construction)
        text = result.claims.loc[result.claims["claim"] == r.claim, "text"].iloc[0]
        out.append({"claim": r.claim, "text": str(text), "policy": policy, "probability": r.probability,
                    "lo": r.lo, "hi": r.hi, "words": r.words, "by_construction": r.by_construction,
                    "case_lo": r.case_lo, "case_hi": r.case_hi, "case_words": r.case_words,
                    "confidence": conf.plain(), "drivers": _top(mine), "prefer": prefer.get(str(r.claim)),
                    "change": _change(result.comparison, str(r.claim), prefer.get(str(r.claim)))})
    return out


def _most(comparison: pd.DataFrame) -> dict[str, Any] | None:
    """The policy whose paired differences move the claims most, summed over the claims."""
    if comparison is None or comparison.empty:
        return None
    claims = comparison[comparison["kind"] == "claim"]
    if claims.empty:
        return None
    total = claims.assign(size=claims["mean_diff"].abs()).groupby("policy", sort=False)["size"].sum()
    return {"policy": str(total.idxmax()), "points": float(100 * total.max()),
            "claims": int(claims["quantity"].nunique()), "baseline": str(claims["baseline"].iloc[0])}


def headline_sections(result: RunResult, cases: CaseRun | None = None,
                      evidence: Mapping[str, Mapping[str, float]] | None = None) -> dict[str, Section]:
    """The ``drivers``, ``cases`` (when cases ran) and ``headline`` sections of a run.

    ``evidence`` maps a claim to its evidence inputs of the confidence rule (``ess``: the
    effective sample size of the weighted runs, ``skill``: the backtest skill); None while
    the scenario has no evidence, and the rule shows them as not available.
    """
    if result.claims is None or result.claims.empty:
        return {}
    policy = baseline_policy(result)
    sections: dict[str, Section] = {"drivers": drivers_section(result, policy)}
    if cases is not None:
        sections["cases"] = {"cases": cases.meta, "claims": cases.claims}
        result.extra.setdefault("analysis", {})["cases"] = sections["cases"]
    table = claim_rows(result, cases.claims if cases is not None else None)
    summary = result.scenario_summary or {}
    limits = list(summary.get("limitations") or [])
    sections["headline"] = {
        "policy": policy, "table": table,
        "judgments": judgments(result, table, sections["drivers"]["table"], policy, evidence),
        "most": _most(result.comparison), "cases": [m["name"] for m in cases.meta] if cases else [],
        "limitations": limits[:3], "more_limitations": max(0, len(limits) - 3),
    }
    return sections


def weigh_judgments(result: RunResult, cond: Any) -> None:
    """Put the evidence into the key judgments of ``result`` (after
    :func:`spillover.analysis.conditioning.condition`, ``cond``): each judgment's probability,
    interval and words become the posterior's (the runs weighted by the evidence), the prior's
    are kept under ``prior``, and the confidence reads the claim's effective sample size.

    The cases ran unweighted: their range, and the agreement the confidence reads from it,
    stay the prior's. Nothing changes when no observation was known on the date asked.
    """
    from spillover.analysis.evidence import ESS_FLOOR

    h = result.extra.get("analysis", {}).get("headline")
    if not h or not cond.used:
        return
    post = cond.claims[cond.claims["policy"] == h["policy"]].set_index("claim")
    ev = {str(c): {"ess": float(r["ess"])} for c, r in post.iterrows()}
    drivers = result.extra["analysis"]["drivers"]["table"]
    h["judgments"] = judgments(result, h["table"], drivers, h["policy"], ev)
    h["evidence"] = {"runs": int(cond.runs), "observations": len(cond.used), "ess": float(cond.ess)}
    for j in h["judgments"]:
        if j["claim"] not in post.index or j["by_construction"]:
            continue
        r = post.loc[j["claim"]]
        j["prior"] = {k: j[k] for k in ("probability", "lo", "hi", "words")}
        enough = float(r["ess"]) >= ESS_FLOOR
        j.update(probability=float(r["posterior"]), lo=float(r["lo"]), hi=float(r["hi"]),
                 words=estimative_words(float(r["lo"]), float(r["hi"])) if enough else "not enough evidence",
                 weighted={"ess": float(r["ess"]), "runs": int(cond.runs)})


# --------------------------------------------------------------------------- words


def _pct(x: float) -> str:
    return f"{points(x)}%"


def driver_text(d: Mapping[str, Any]) -> str:
    """A driver in a few words: ``rus_fire_rate (sourced, −)`` (− : the claim holds more often
    at lower values of the input, + at higher)."""
    return f"{d['input']} ({d['label']}, {'+' if d['direction'] > 0 else '−'})"


def change_text(change: Mapping[str, Any] | None) -> str:
    """The policy that moves a claim most, e.g. ``recommended: −40 points (better)``."""
    if not change:
        return "no other policy"
    verdict = {True: "better", False: "worse", None: "no direction declared"}[change.get("better")]
    diff = f"{100 * change['diff']:+.0f}".replace("-", "−")
    return f"{change['policy']}: {diff} points ({verdict})"


def sentence(j: Mapping[str, Any]) -> str:
    """A key judgment as one sentence: probability, words, cases, confidence, drivers, policy."""
    text = str(j["text"]).rstrip(".")
    if j["by_construction"]:
        head = f"{text}: {_pct(j['probability'])} by construction (no input moves it under {j['policy']})."
    else:
        head = f"{text}: {j['words']}, {_pct(j['probability'])} ({_pct(j['lo'])}–{_pct(j['hi'])})"
        w = j.get("weighted")
        if w:
            head += (f" given the evidence (ESS {w['ess']:,.0f} of {w['runs']:,} runs; "
                     f"{_pct(j['prior']['probability'])} before it)")
        if j.get("case_words"):
            when = " before the evidence" if w else ""
            head += f"; across the cases{when} {_pct(j['case_lo'])}–{_pct(j['case_hi'])} ({j['case_words']})"
        head += "."
    parts = [head, f"Confidence {j['confidence']['text']}."]
    if j["drivers"]:
        parts.append("Drivers: " + " and ".join(driver_text(d) for d in j["drivers"]) + ".")
    if j.get("change"):
        parts.append(f"Changed most by {change_text(j['change'])}.")
    return " ".join(parts)
