"""Formatters for a run conditioned on evidence: prior against posterior. No printing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from rich.table import Table

from spillover.report.evidence_cells import input_formatter, percentile_text, reported_text, stands_out

__all__ = ["ess_line", "render_evidence", "render_fit", "stands_out"]


def pct(x: float) -> str:
    return "–" if pd.isna(x) else f"{100 * x:.0f}%"


def _g(x: float) -> str:
    return "–" if pd.isna(x) else (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}")


def ess_line(cond: Any) -> str:
    """The effective sample size, and what it means for the numbers below it."""
    as_of = f" as of {cond.as_of}" if cond.as_of else ""
    n = len(cond.used)
    head = (f"Evidence{as_of}: {n} observation{'' if n == 1 else 's'}, effective sample size "
            f"{cond.ess:,.1f} of {cond.runs:,} runs")
    if cond.resampled:
        r = cond.resampled
        head += (f" after resample-move ({r['stages']} stages, {r['simulated_runs']:,} runs simulated; "
                 f"before it, {r['prior_ess']:,.1f})")
    if cond.confident:
        return head
    worst = ", ".join(cond.worst) or "none"
    floor = cond.summary()["ess_floor"]
    return (f"{head}: below the floor of {floor:.0f}, so the posterior numbers are "
            f"not findings (fitting worst: {worst}); {_remedy(cond, floor)}")


def _remedy(cond: Any, floor: float) -> str:
    """What could lift the effective sample size over the floor, for this run."""
    if not cond.used:
        return "no observation is known by then: choose a later --as-of"
    if cond.runs < floor:
        return f"it can never reach {floor:.0f} with {cond.runs:,} runs: run at least {floor:.0f} runs"
    return "run more runs" if cond.resampled else "run more runs or add --resample"


def render_evidence_claims(cond: Any) -> Table:
    """Each claim before and after the evidence, with both 90% intervals."""
    t = Table(title="Claims before and after the evidence (90% intervals; the posterior's from the ESS)")
    for col in ("claim", "policy", "prior", "prior 90%", "posterior", "posterior 90%", "in words"):
        t.add_column(col, justify="left" if col in ("claim", "policy", "in words") else "right")
    last = None
    for row in cond.claims.itertuples():
        name = "" if row.claim == last else str(row.claim)
        last = row.claim
        post = (pct(row.posterior), f"{pct(row.lo)}–{pct(row.hi)}") if cond.confident else ("–", "–")
        t.add_row(name, str(row.policy), pct(row.prior), f"{pct(row.prior_lo)}–{pct(row.prior_hi)}", *post,
                  str(row.word))
    return t


def render_inputs_moved(cond: Any, top: int = 6, summary: dict[str, Any] | None = None) -> Table:
    """The inputs the evidence moved most: prior and posterior 5/50/95% quantiles (dates as dates)."""
    v = input_formatter(summary or {}, _g)
    t = Table(title="Inputs the evidence moved most: median (5–95%)")
    for col in ("input", "prior", "posterior", "median shift", "narrowing"):
        t.add_column(col, justify="left" if col == "input" else "right")
    for row in cond.inputs.head(top).itertuples():
        n = str(row.input)
        post = (f"{v(n, row.posterior_q50)} ({v(n, row.posterior_q05)}–{v(n, row.posterior_q95)})",
                f"{100 * row.shift:+.0f}% of range", pct(row.narrowing)) if cond.confident else ("–",) * 3
        t.add_row(n, f"{v(n, row.prior_q50)} ({v(n, row.prior_q05)}–{v(n, row.prior_q95)})", *post)
    return t


def render_fit(cond: Any) -> Table:
    """Each observation's predictive percentile: near 0% or 100%, the report stands out."""
    t = Table(title="Observations: where each report falls among the runs (prior → posterior percentile)")
    for col in ("observation", "date", "grade", "reported", "prior", "posterior", "used"):
        t.add_column(col, justify="right" if col in ("reported", "prior", "posterior") else "left")
    for row in cond.fit.itertuples():
        post = percentile_text(row.form, row.percentile) if cond.confident else "–"
        t.add_row(str(row.observation), row.date, row.grade, reported_text(row.form, row.reported),
                  percentile_text(row.form, row.prior_percentile), post, "yes" if row.used else "later")
    return t


def _cell(kind: str, mid: float, lo: float, hi: float) -> str:
    if kind == "event":
        return f"{pct(mid)} ({pct(lo)}–{pct(hi)})"
    return f"{_g(mid)} ({_g(lo)}–{_g(hi)})"


def render_evidence_outcomes(cond: Any) -> Table:
    """The key outcomes per policy before and after the evidence."""
    t = Table(title="Key outcomes before and after the evidence: median (5–95%) — events: share of runs "
                    "(90% interval; the posterior's from the ESS)")
    for col in ("outcome", "policy", "prior", "posterior"):
        t.add_column(col, justify="right" if col in ("prior", "posterior") else "left")
    table = cond.outcomes
    for outcome in dict.fromkeys(table["outcome"]):
        rows = table[table["outcome"] == outcome]
        for i, row in enumerate(rows.itertuples()):
            post = _cell(row.kind, row.posterior, row.lo, row.hi) if cond.confident else "–"
            t.add_row(str(outcome) if i == 0 else "", str(row.policy),
                      _cell(row.kind, row.prior, row.prior_lo, row.prior_hi), post)
    return t


def _titled(t: Table) -> Table:
    t.title = f"{t.title} — after the evidence (intervals from the ESS)"
    return t


def render_evidence(cond: Any, summary: dict[str, Any] | None = None,
                    comparison: Callable[[pd.DataFrame], Table] | None = None) -> list[object]:
    """Everything ``spillover run --evidence`` adds to the summary; ``comparison`` renders the
    paired comparison under the weights as the run's own is rendered."""
    claims = [render_evidence_claims(cond)] if len(cond.claims) else []
    more: list[object] = []
    if cond.outcomes is not None and len(cond.outcomes):
        more.append(render_evidence_outcomes(cond))
    if comparison is not None and cond.comparison is not None and len(cond.comparison):
        more.append(_titled(comparison(cond.comparison)) if cond.confident else
                    "Policy comparison after the evidence: not shown (the effective sample size is below "
                    "the floor).")
    return [ess_line(cond), *claims, *more, render_inputs_moved(cond, summary=summary), render_fit(cond)]
