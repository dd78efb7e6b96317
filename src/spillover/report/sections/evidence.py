"""The evidence section: each claim before and after the evidence, the inputs it moved most
and where each observation falls among the runs (a run conditioned with ``--evidence``)."""

from __future__ import annotations

import math
from typing import Any

from spillover.report.evidence_cells import (
    input_formatter,
    percentile_text,
    reported_text,
    shown_file,
    shown_where,
)
from spillover.report.page import Page


def _pct(x: float) -> str:
    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.0f}%"


def _num(x: float) -> str:
    return "–" if isinstance(x, float) and math.isnan(x) else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}")


def _cell(kind: str, mid: float, lo: float, hi: float) -> str:
    if kind == "event":
        return f"{_pct(mid)} ({_pct(lo)}–{_pct(hi)})"
    return f"{_num(mid)} ({_num(lo)}–{_num(hi)})"


def _outcomes(cond: Any, confident: bool) -> list[dict[str, str]]:
    table = getattr(cond, "outcomes", None)  # (absent in results made before it was added)
    if table is None:
        return []
    return [{"outcome": r.outcome, "policy": r.policy,
             "prior": _cell(r.kind, r.prior, r.prior_lo, r.prior_hi),
             "posterior": _cell(r.kind, r.posterior, r.lo, r.hi) if confident else "–"}
            for r in table.itertuples()]


def _comparison(cond: Any, confident: bool) -> list[dict[str, str]]:
    table = getattr(cond, "comparison", None)
    if table is None or not confident:
        return []
    rows = []
    for r in table.itertuples():
        scale, unit = (100, " pp") if r.kind == "claim" else (1, "")
        rows.append({"policy": r.policy, "baseline": r.baseline, "quantity": r.quantity,
                     "difference": f"{scale * r.mean_diff:+.3g}{unit}",
                     "range": f"{scale * r.lo:+.3g} to {scale * r.hi:+.3g}",
                     "shares": f"{_pct(r.share_lower)} / {_pct(r.share_higher)}", "ess": f"{r.ess:,.0f}"})
    return rows


def evidence(page: Page) -> dict[str, Any] | None:
    """Prior against posterior, or None for a run without evidence."""
    cond = page.result.extra.get("evidence")
    if cond is None:
        return None
    confident = bool(cond.confident)
    claims = [{"claim": r.claim, "policy": r.policy, "prior": _pct(r.prior),
               "prior_range": f"{_pct(r.prior_lo)}–{_pct(r.prior_hi)}",
               "posterior": _pct(r.posterior) if confident else "–",
               "range": f"{_pct(r.lo)}–{_pct(r.hi)}" if confident else "–", "word": r.word}
              for r in cond.claims.itertuples()]
    v = input_formatter(getattr(page.result, "scenario_summary", {}) or {}, _num)
    inputs = [{"input": r.input,
               "prior": f"{v(r.input, r.prior_q50)} ({v(r.input, r.prior_q05)}–{v(r.input, r.prior_q95)})",
               "posterior": f"{v(r.input, r.posterior_q50)} ({v(r.input, r.posterior_q05)}–"
                            f"{v(r.input, r.posterior_q95)})" if confident else "–",
               "shift": f"{100 * r.shift:+.0f}%" if confident else "–"}
              for r in cond.inputs.head(8).itertuples()]
    fit = [{"observation": r.observation, "date": r.date, "grade": r.grade,
            "reported": reported_text(r.form, r.reported),
            "prior": percentile_text(r.form, r.prior_percentile),
            "posterior": percentile_text(r.form, r.percentile) if confident else "–",
            "used": "yes" if r.used else "later", "where": shown_where(str(r.where))}
           for r in cond.fit.itertuples()]
    files = [{**f, "file": shown_file(f["file"])} for f in page.manifest.get("evidence", {}).get("files", [])]
    summary = cond.summary()
    return {"claims": claims, "inputs": inputs, "fit": fit, "ess": f"{cond.ess:,.1f}",
            "outcomes": _outcomes(cond, confident), "comparison": _comparison(cond, confident),
            "series": getattr(cond, "series", None) is not None,
            "runs": f"{cond.runs:,}",
            "as_of": summary["as_of"], "used": len(cond.used), "confident": confident,
            "floor": f"{summary['ess_floor']:.0f}", "worst": ", ".join(cond.worst),
            "files": files, "resampled": cond.resampled}
