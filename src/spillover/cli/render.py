"""Pure formatters: result tables → rich renderables. No model logic, no printing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from rich.table import Table

from spillover.results.result import RunResult


def pct(x: float) -> str:
    """A probability in percent as the report writes it: whole points, one decimal below 1% and
    above 99% (``0.006 -> "0.6%"``, not "1%")."""
    from spillover.analysis.confidence import points

    return "–" if pd.isna(x) else f"{points(float(x))}%"


def render_claims(claims: pd.DataFrame, words: dict[tuple[str, str], str] | None = None) -> Table:
    """Claim, policy, probability, 90% interval and the estimative words.

    ``words`` (claim, policy) → the words for the interval (both words when it crosses a band
    edge, or "by construction"); without it, the word of the probability.
    """
    t = Table(title="Claims (probability over runs, 90% interval)", show_lines=False)
    for col in ("claim", "policy", "probability", "90% interval", "in words"):
        t.add_column(col, justify="right" if col in ("probability", "90% interval") else "left")
    last = None
    for row in claims.itertuples():
        name = "" if row.claim == last else str(row.claim)
        last = row.claim
        word = (words or {}).get((str(row.claim), str(row.policy)), str(row.word))
        t.add_row(name, str(row.policy), pct(row.probability), f"{pct(row.lo)}–{pct(row.hi)}", word)
    return t


def _fmt(x: float) -> str:
    if pd.isna(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def key_columns(outcomes: pd.DataFrame) -> list[str]:
    """The outcome columns shown in the terminal summary: the catalogue's headline outcomes."""
    from spillover.scenario.outcomes import headline_columns

    return headline_columns([str(c) for c in outcomes.columns])


def _is_flag(column: str) -> bool:
    """A yes/no outcome (an event firing), shown as a share of runs."""
    from spillover.scenario.outcomes import family_of

    fam = family_of(column)
    return fam is not None and fam.kind == "flag"


def render_outcomes(outcomes: pd.DataFrame) -> Table:
    """Median and 5–95% range of the key outcomes per policy (event columns: probability)."""
    t = Table(title="Key outcomes per policy: median (5–95%) — events: share of runs")
    t.add_column("outcome", overflow="fold", min_width=24)  # long names wrap whole, never cut to "…"
    policies = list(dict.fromkeys(outcomes["policy"]))
    for p in policies:
        t.add_column(p, justify="right")
    groups = {p: g for p, g in outcomes.groupby("policy", sort=False)}
    for col in key_columns(outcomes):
        cells = []
        for p in policies:
            v = groups[p][col].to_numpy(dtype=float)
            if _is_flag(col):
                cells.append(pct(float(np.mean(v))))
            else:
                lo, med, hi = np.nanpercentile(v, [5, 50, 95]) if np.isfinite(v).any() else (np.nan,) * 3
                cells.append(f"{_fmt(med)} ({_fmt(lo)}–{_fmt(hi)})")
        t.add_row(col, *cells)
    return t


def terminal_comparison(comparison: pd.DataFrame) -> pd.DataFrame:
    """The rows worth a terminal: claims, days of fire and miscalculation (the report has all)."""
    keep = (comparison["kind"] == "claim") | comparison["quantity"].str.startswith(
        ("days_of_fire.", "miscalc_peak"))
    return comparison[keep]


def render_comparison(comparison: pd.DataFrame) -> Table:
    """Paired differences against the baseline policy, with 90% intervals."""
    base = comparison["baseline"].iloc[0] if len(comparison) else ""
    t = Table(title=f"Policy comparison: paired difference vs {base} (90% interval)")
    for col in ("policy", "quantity", "difference", "90% interval", "runs lower / higher"):
        t.add_column(col, justify="left" if col in ("policy", "quantity") else "right",
                     overflow="fold" if col == "quantity" else "ellipsis")
    for row in comparison.itertuples():
        scale = 100 if row.kind == "claim" or _is_flag(str(row.quantity)) else 1
        unit = " pp" if scale == 100 else ""
        t.add_row(str(row.policy), str(row.quantity), f"{scale * row.mean_diff:+.3g}{unit}",
                  f"{scale * row.lo:+.3g} to {scale * row.hi:+.3g}",
                  f"{pct(row.share_lower)} / {pct(row.share_higher)}")
    return t


def _headline(result: RunResult) -> dict[str, Any]:
    return dict(((result.extra or {}).get("analysis") or {}).get("headline") or {})


def _first_sentence(text: str) -> str:
    head = text.strip().split(". ")[0].rstrip(".")
    return head + "."


def render_judgments(h: dict[str, Any], case: str | None = None) -> list[object]:
    """The key judgments, one sentence each, then the policy that moves them most and what is left out.

    ``case``: the case the run read instead of the scenario as written (``--case``), named in
    the title.
    """
    from rich.text import Text

    from spillover.analysis.headline import sentence

    reading = f", case {case}" if case else ""
    out: list[object] = [Text(f"Key judgments (policy {h['policy']}{reading})", style="bold")]
    for j in h.get("judgments") or []:
        line = Text("• ")
        line.append(str(j["claim"]), style="bold")
        line.append(" — " + sentence(j))
        out.append(line)
    out.append(Text("Drivers: + the claim holds more often at higher values of the input, − at lower; "
                    "each is sourced or the modeller's judgment.", style="dim"))
    most = h.get("most")
    if most:
        out.append(Text(f"The policy that changes the claims most: {most['policy']} "
                        f"({most['points']:.0f} points summed over {most['claims']} claims, against "
                        f"{most['baseline']})."))
    limits = [_first_sentence(str(x)) for x in h.get("limitations") or []]
    if limits:
        more = h.get("more_limitations") or 0
        tail = f" And {more} more in the report." if more else ""
        out.append(Text("What the model leaves out: " + " ".join(limits) + tail))
    return out


def render_cases(h: dict[str, Any], cases: pd.DataFrame) -> Table | None:
    """Each claim's probability per case beside the scenario as written, and the range across
    cases: one row per reading, one column per claim (the words are in the key judgments)."""
    from spillover.analysis.confidence import points

    if cases is None or cases.empty:
        return None
    policy = h["policy"]
    names = list(dict.fromkeys(cases["case"]))
    table = h["table"][h["table"]["policy"] == policy]
    mine = cases[cases["policy"] == policy].set_index(["case", "claim"])["probability"]

    def p(x: float) -> str:  # 0.7% rather than 1%, so that a case near 0 or 1 reads as it is
        return "–" if pd.isna(x) else f"{points(float(x))}%"

    t = Table(title=f"Claims by case ({policy}): the scenario as written, each case on the same runs, "
                    "and the range across cases")
    t.add_column("reading", no_wrap=True)
    claims = [str(c) for c in table["claim"]]
    for c in claims:
        t.add_column(c, justify="right")
    t.add_row("as written", *[p(x) for x in table["probability"]], end_section=True)
    for n in names:
        t.add_row(n, *[p(mine.get((n, c), np.nan)) for c in claims])
    t.add_row("range", *[f"{p(a)}–{p(b)}" for a, b in zip(table["case_lo"], table["case_hi"], strict=True)],
              style="bold")
    return t


def render_summary(result: RunResult) -> list[object]:
    """Everything ``spillover run`` prints, in order: the first screen, then the tables."""
    out: list[object] = []
    h = _headline(result)
    words = None
    if h:
        out += render_judgments(h, (result.manifest or {}).get("case"))
        cases = render_cases(h, result.cases)
        if cases is not None:
            out.append(cases)
        words = {(str(r.claim), str(r.policy)): str(r.words) for r in h["table"].itertuples()}
    if len(result.claims):
        out.append(render_claims(result.claims, words))
    out.append(render_outcomes(result.outcomes))
    if len(result.comparison):
        out.append(render_comparison(terminal_comparison(result.comparison)))
    if "evidence" in result.extra:
        from spillover.cli.render_evidence import render_evidence

        out += render_evidence(result.extra["evidence"], result.scenario_summary,
                               lambda c: render_comparison(terminal_comparison(c)))
    return out


def _range_text(row: Any) -> str:
    lo, hi = float(row.low), float(row.high)
    return _fmt(lo) if lo == hi else f"{_fmt(lo)}–{_fmt(hi)}"


def render_audit_numbers(table: pd.DataFrame, scenario: str) -> Table:
    """The numbers of an audit (:func:`spillover.api.audit`): path, value, range, tag, source or rationale."""
    t = Table(title=f"Every number of {scenario}: sourced, or the modeller's judgment", show_lines=False)
    for col in ("path", "value", "range", "tag", "source or rationale"):
        t.add_column(col, overflow="fold")
    for row in table[table["kind"] == "number"].itertuples():
        why = "; ".join(x for x in (str(row.source), str(row.rationale)) if x)
        t.add_row(str(row.path), str(row.value), _range_text(row), str(row.tag), why or "–")
    return t


def render_audit_claims(table: pd.DataFrame, runs: int) -> Table:
    """The claims of an audit: the shares of each claim's attribution from judged and sourced inputs."""
    t = Table(title=f"Claims: where their attribution comes from (baseline policy, {runs:,} runs)")
    for col in ("claim", "judgment share", "sourced share", "drivers"):
        t.add_column(col, justify="right" if "share" in col else "left", overflow="fold")
    for row in table[table["kind"] == "claim"].itertuples():
        t.add_row(str(row.path).removeprefix("claims."), pct(row.judgment_share), pct(row.sourced_share),
                  str(row.rationale))
    return t
