"""Read a run folder back into a :class:`~spillover.RunResult` and shape it for the pages.

Everything numeric comes from the library: the claims and the paired comparison are the
tables :func:`spillover.run` wrote, the figures are :mod:`spillover.report.figures` and
the formatting is :mod:`spillover.report.tables`.
"""

from __future__ import annotations

import io
import json
import threading
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.io as pio
import pyarrow.parquet as pq

from spillover.analysis.claims import ClaimSpec, evaluate_claims
from spillover.analysis.compare import paired_differences
from spillover.report import figures as F
from spillover.report import tables as T
from spillover.report.html import figure_json, write_report
from spillover.results.result import RunResult
from spillover.results.store import read_result

__all__ = ["NotARun", "case_records", "case_view", "claim_records", "comparison_view", "ensure_report",
           "judgment_view", "key_outcomes", "pair_results", "policies_of", "query", "read_run",
           "result_figures", "template_json"]

_REPORT_LOCK = threading.Lock()
#: Points per fan-chart line on the page (the report thins the same way).
FAN_POINTS = 200


class NotARun(LookupError):
    """The folder is not a finished run (no manifest)."""


def parquet_bytes(path: Path) -> bytes:
    """A Parquet dataset folder (or file) as the bytes of one Parquet file."""
    sink = io.BytesIO()
    pq.write_table(pq.read_table(path), sink)
    return sink.getvalue()


def read_run(folder: Path) -> RunResult:
    """The tables of a run folder as a :class:`RunResult` (``path`` set to the folder)."""
    try:
        return read_result(folder)
    except FileNotFoundError:
        raise NotARun(f"{folder.name} is not a finished run (no manifest.json)") from None


def ensure_report(folder: Path, result: RunResult) -> Path:
    """``report.html`` of a run folder, rendered (atomically) if it is not there yet."""
    path = folder / "report.html"
    with _REPORT_LOCK:
        if not path.exists():
            write_report(result, path)
    return path


def policies_of(result: RunResult) -> list[str]:
    """The run's policies in their declared order (the first is the comparison baseline)."""
    return T.policy_order(result.manifest, None, result.outcomes, result.claims)


def claim_records(result: RunResult) -> list[dict[str, Any]]:
    """The claims table as JSON-ready records (NaN as None)."""
    claims = result.claims
    if claims.empty:
        return []
    return json.loads(claims.to_json(orient="records"))


def case_records(result: RunResult) -> list[dict[str, Any]]:
    """Each case's claims as JSON-ready records (empty when the run ran no case)."""
    cases = result.cases
    if cases.empty:
        return []
    return json.loads(cases.to_json(orient="records"))


def _headline(result: RunResult) -> dict[str, Any]:
    return dict(((result.extra or {}).get("analysis") or {}).get("headline") or {})


def case_view(result: RunResult) -> dict[str, Any] | None:
    """The claims by case: per claim and policy, as written, each case and the range across cases."""
    cases, table = result.cases, _headline(result).get("table")
    if cases.empty or not isinstance(table, pd.DataFrame) or table.empty:
        return None
    names = list(dict.fromkeys(cases["case"].astype(str)))
    by = cases.set_index(["claim", "policy", "case"])["probability"]
    rows = [{"claim": str(r.claim), "policy": str(r.policy), "pooled": T.fmt_pct(r.probability),
             "words": str(r.words), "cells": [T.fmt_pct(by.get((r.claim, r.policy, n))) for n in names],
             "range": f"{T.fmt_pct(r.case_lo)}–{T.fmt_pct(r.case_hi)}", "case_words": str(r.case_words)}
            for r in table.itertuples()]
    return {"names": names, "rows": rows}


def judgment_view(result: RunResult) -> list[dict[str, Any]]:
    """The key judgments, one sentence each (see :func:`spillover.analysis.headline.sentence`)."""
    from spillover.analysis.headline import sentence

    return [{"claim": str(j["claim"]), "level": j["confidence"]["level"] or "not rated", "text": sentence(j)}
            for j in _headline(result).get("judgments") or []]


def key_outcomes(result: RunResult) -> list[dict[str, Any]]:
    """Mean, median and 5-95% range of the key outcomes (miscalculation first), per policy."""
    out = result.outcomes
    if out.empty:
        return []
    summary = result.scenario_summary
    cols = [c for c in ("miscalc_peak", "miscalc_mean") if c in out.columns]
    cols += [c for c in out.columns if c.startswith(("days_of_fire.", "peak.", "fired."))]
    policy = out["policy"].astype(str)
    rows = []
    for col in cols:
        for p in policies_of(result):
            stats = T.outcome_stats(out.loc[policy == p, col].astype(float))
            rows.append({"quantity": col, "label": T.outcome_label(summary, col), "policy": p,
                         **{k: (None if pd.isna(v) else float(v)) for k, v in stats.items()}})
    return rows


def query(result: RunResult, expr: str) -> list[dict[str, Any]]:
    """Share of runs per policy where ``expr`` holds, parsed by the safe expression parser.

    Raises :class:`spillover.scenario.expr.ExprError` for an invalid expression.
    """
    table = evaluate_claims(result.outcomes, [ClaimSpec("query", expr, expr)])
    return json.loads(table.to_json(orient="records"))


def template_json() -> str:
    """The plotly template the figures are drawn with (sent once per page)."""
    return json.dumps(pio.templates[F.TEMPLATE].to_plotly_json(), separators=(",", ":"))


def result_figures(result: RunResult) -> dict[str, Any]:
    """Fan charts (stocks, indicators, miscalculation) and event probability, as JSON text."""
    summary = result.scenario_summary
    policies = policies_of(result)
    colors = F.policy_colors(policies)
    fans = []
    if summary.get("start") is not None:
        for name, fig in _fans(result, policies, colors):
            fans.append({"kind": name.partition(".")[0], "name": name, "json": figure_json(fig)})
    events = None
    ids = [str(e["id"]) for e in summary.get("events") or []
           if f"fired_day.{e['id']}" in result.outcomes.columns]
    if ids and summary.get("start") is not None:
        names = {str(e["id"]): str(e.get("name") or e["id"]) for e in summary.get("events") or []}
        fig = F.event_probability_figure(result.outcomes, ids, summary["start"], int(summary["horizon"]),
                                         policies=policies, colors=colors, event_names=names)
        events = figure_json(fig)
    return {"fans": fans, "events": events}


def _fans(result: RunResult, policies: list[str], colors: dict[str, str]) -> list[tuple[str, Any]]:
    triples = F.series_figures(result.series, result.scenario_summary, policies=policies,
                               colors=colors, max_points=FAN_POINTS)
    return [(name, fig) for _kind, name, fig in triples]


def comparison_view(result: RunResult) -> list[dict[str, Any]]:
    """Display rows of the paired policy comparison: claims first, then key quantities."""
    policies = policies_of(result)
    return T.comparison_rows(result.comparison, result.scenario_summary, result.claims, policies)



#: Manifest entries two runs must share for one's preset to pair with the other's setting.
PAIRING_KEYS = ("scenario_sha256", "runs", "seed", "design")


def pair_results(alone: RunResult, paired: RunResult, paired_id: str) -> RunResult:
    """A setting run alone (a lever-only rerun) with the preset of an earlier paired run.

    The Explore page reruns only the custom setting while the levers move: the preset's
    runs and random draws do not depend on the levers, so its rows of the earlier paired
    run are exactly what a new pair would give. Given the same scenario, runs, seed and
    design, this puts the preset's rows beside the setting's and computes the paired
    comparison with the library (:func:`spillover.analysis.compare.paired_differences`),
    over the quantities the paired run compared and the scenario's claims.

    Raises ``ValueError`` saying why the two runs cannot be paired.
    """
    mine, theirs = policies_of(alone), policies_of(paired)
    if len(mine) != 1:
        raise ValueError(f"this run has {len(mine)} policies: it holds its own comparison")
    if len(theirs) < 2:
        raise ValueError(f"run '{paired_id}' has no preset beside its setting to pair with")
    differ = [k for k in PAIRING_KEYS if alone.manifest.get(k) != paired.manifest.get(k)]
    if differ:
        raise ValueError(f"run '{paired_id}' differs in {', '.join(differ)}: its runs are not these runs")
    baseline, custom = theirs[0], mine[0]
    if baseline == custom:
        raise ValueError(f"run '{paired_id}' has no preset other than '{custom}'")

    def preset_then_mine(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
        if a.empty or "policy" not in a.columns:
            return b
        return pd.concat([a[a["policy"].astype(str) == baseline], b], ignore_index=True)

    outcomes = preset_then_mine(paired.outcomes, alone.outcomes)
    compared = paired.comparison
    quantities = [] if compared.empty else list(dict.fromkeys(compared.loc[compared["kind"] == "outcome",
                                                                           "quantity"].astype(str)))
    claims = [ClaimSpec(str(c["id"]), str(c.get("text", "")), str(c["expr"]))
              for c in alone.scenario_summary.get("claims") or []]
    comparison = paired_differences(outcomes, baseline, {q: q for q in quantities}, claims)
    manifest = {**alone.manifest, "policies": [baseline, custom], "paired_with": paired_id}
    table = preset_then_mine(paired.claims, alone.claims)
    if not table.empty and "claim" in table.columns:  # claim by claim, as a paired run lists them
        order = {c.id: i for i, c in enumerate(claims)}
        table = table.sort_values("claim", key=lambda col: col.map(order), kind="stable", ignore_index=True)
    return RunResult(scenario_summary=alone.scenario_summary, manifest=manifest,
                     experiments=alone.experiments, outcomes=outcomes,
                     series=preset_then_mine(paired.series, alone.series), claims=table,
                     comparison=comparison, path=alone.path)
