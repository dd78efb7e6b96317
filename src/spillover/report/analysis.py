"""The analysis sections of the report: rows for the template and the figures to embed.

Each section comes from ``RunResult.extra["analysis"]`` (see
:mod:`spillover.analysis.sections`) and is shown only when present.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from spillover.report import analysis_figures as AF
from spillover.report.tables import fmt_count, fmt_number, fmt_pct, fmt_signed

__all__ = ["TOC", "analysis_context"]

Add = Callable[[go.Figure, str], dict[str, Any]]

#: (anchor, title) of each section, in page order.
TOC = (("orders", "Orders of effect"), ("attribution", "Attribution by ablation"),
       ("sensitivity", "What drives the results"), ("discovery", "When it happens"),
       ("calibration", "Fit to observations"), ("robustness", "Robustness across policies"))


def _frame(x: Any) -> pd.DataFrame:
    return x if isinstance(x, pd.DataFrame) else pd.DataFrame(x if x is not None else [])


def _interval(lo: Any, hi: Any, pp: bool = False) -> str:
    return f"{fmt_signed(lo, percentage_points=pp)} to {fmt_signed(hi, percentage_points=pp)}"


def _clear(lo: Any, hi: Any) -> bool:
    try:
        return not (math.isnan(float(lo)) or float(lo) <= 0 <= float(hi))
    except (TypeError, ValueError):
        return False


def _orders(s: Mapping[str, Any], add: Add) -> dict[str, Any]:
    table = _frame(s.get("table"))
    rows = [{"id": r.id, "kind": r.kind, "name": r.name,
             "order": "—" if pd.isna(r.order) else f"{r.order:g}", "via": r["from"] or "—"}
            for _, r in table.iterrows()]
    chains = [{"chain": r.chain, "strength": fmt_number(r.strength), "sign": "+" if r.sign > 0 else "−"}
              for r in _frame(s.get("chains")).itertuples()]
    check = _frame(s.get("check"))
    checks = [{"chain": r.chain, "removed": r.removed, "quantity": r.quantity,
               "effect": fmt_signed(r.mean_diff, percentage_points=r.quantity.startswith("fired.")),
               "interval": _interval(r.lo, r.hi, r.quantity.startswith("fired.")), "verdict": r.verdict}
              for r in check.itertuples()] if not check.empty else []
    return {"figure": add(AF.orders_figure(s), "orders"), "rows": rows, "chains": chains, "checks": checks,
            "max_steps": s.get("max_steps"), "roots": ", ".join(s.get("roots") or [])}


def _ablation(s: Mapping[str, Any], add: Add) -> dict[str, Any]:
    eff = _frame(s.get("effects"))
    claims = eff[eff["quantity_kind"] == "claim"] if not eff.empty else eff
    rows = [{"item": r.item, "kind": r.kind, "quantity": r.quantity,
             "effect": fmt_signed(r.mean_diff, percentage_points=True),
             "interval": _interval(r.lo, r.hi, True), "clear": _clear(r.lo, r.hi)}
            for r in claims.itertuples()]
    fig = add(AF.ablation_heatmap(eff), "attribution") if not claims.empty else None
    return {"figure": fig, "rows": rows, "policy": s.get("policy"), "runs": fmt_count(s.get("runs")),
            "level": fmt_pct(s.get("level", 0.9))}


def _sensitivity(s: Mapping[str, Any], add: Add) -> dict[str, Any]:
    table = _frame(s.get("table"))
    rows = [{"rank": int(r["rank"]), "input": r.input, "label": r.label, "index": fmt_number(r["index"]),
             "interval": f"{fmt_number(r.lo)} to {fmt_number(r.hi)}"} for _, r in table.head(20).iterrows()]
    return {"figure": add(AF.sensitivity_figure(s), "sensitivity"), "rows": rows,
            "method": s.get("method"), "outcome": s.get("outcome"), "policy": s.get("policy"),
            "n": fmt_count(s.get("n")), "runs": fmt_count(s.get("runs")), "warnings": s.get("warnings") or [],
            "level": fmt_pct(s.get("level", 0.95)), "more": max(len(table) - 20, 0)}


def _limit(x: Any) -> str:
    return "—" if pd.isna(x) else fmt_number(x)


def _discovery(s: Mapping[str, Any], add: Add) -> dict[str, Any]:
    box = [{"input": r.input, "label": getattr(r, "label", ""), "lo": _limit(r.lo), "hi": _limit(r.hi),
            "range": f"{fmt_number(r.min)} to {fmt_number(r.max)}", "qp": f"{r.qp:.2g}"}
           for r in _frame(s.get("box")).itertuples()]
    tree = [{"rule": r.rule, "n": fmt_count(r.n), "density": fmt_pct(r.density),
             "coverage": fmt_pct(r.coverage)} for r in _frame(s.get("tree")).head(6).itertuples()]
    return {"figure": add(AF.tradeoff_figure(s), "discovery"), "box": box, "tree": tree,
            "where": s.get("where"), "policy": s.get("policy"), "runs": fmt_count(s.get("runs")),
            "share": fmt_pct(s.get("share")), "coverage": fmt_pct(s.get("coverage")),
            "density": fmt_pct(s.get("density")), "warnings": s.get("warnings") or []}


def _calibration(s: Mapping[str, Any], add: Add) -> dict[str, Any]:
    fitted = _frame(s.get("fitted"))
    targets = dict.fromkeys(fitted["target"]) if "target" in fitted.columns else {}
    figs = [add(AF.calibration_figure(fitted, t), "calibration") for t in targets]
    rows = [{"input": r.input, "label": r.label, "estimate": fmt_number(r.estimate),
             "interval": f"{fmt_number(r.lo)} to {fmt_number(r.hi)}",
             "range": f"{fmt_number(r.min)} to {fmt_number(r.max)}", "at_bound": bool(r.at_bound)}
            for r in _frame(s.get("table")).itertuples()]
    abc = s.get("abc") or {}
    post = [{"input": r.input, "label": r.label,
             "prior": f"{fmt_number(r.prior_lo)} to {fmt_number(r.prior_hi)}",
             "posterior": f"{fmt_number(r.post_lo)} to {fmt_number(r.post_hi)}",
             "narrowing": fmt_pct(max(r.narrowing, 0.0))}
            for r in _frame(abc.get("summary")).head(15).itertuples()]
    return {"figures": figs, "rows": rows, "posterior": post, "target": s.get("target"),
            "rmse": fmt_number(s.get("rmse")), "points": fmt_count(s.get("points")),
            "level": fmt_pct(s.get("level", 0.9)), "accepted": fmt_count(abc.get("accepted")),
            "abc_runs": fmt_count(abc.get("runs")), "epsilon": fmt_number(abc.get("epsilon"))}


def _regret(s: Mapping[str, Any], add: Add) -> dict[str, Any]:
    table = _frame(s.get("table"))
    groups = []
    for q, g in table.groupby("quantity", sort=False):
        groups.append({"quantity": q, "better": g["better"].iloc[0], "rows": [
            {"policy": r.policy, "mean": fmt_number(r.mean), "best": fmt_pct(r.best_share),
             "mean_regret": fmt_number(r.mean_regret), "max_regret": fmt_number(r.max_regret),
             "minimax": bool(r.minimax)} for r in g.itertuples()]})
    summary = [{"policy": r.policy, "minimax": int(r.minimax), "best": int(r.most_often_best)}
               for r in _frame(s.get("summary")).itertuples()]
    return {"groups": groups, "summary": summary, "n": len(groups)}


_BUILDERS: dict[str, tuple[str, Callable[[Mapping[str, Any], Add], dict[str, Any]]]] = {
    "orders": ("orders", _orders), "ablation": ("attribution", _ablation),
    "sensitivity": ("sensitivity", _sensitivity), "discovery": ("discovery", _discovery),
    "calibration": ("calibration", _calibration), "regret": ("robustness", _regret),
}


def analysis_context(sections: Mapping[str, Any] | None, add: Add) -> dict[str, Any]:
    """Template data for each analysis section present, keyed by its page anchor.

    ``add(figure, section)`` registers a figure with the page and returns its entry.
    """
    out: dict[str, Any] = {}
    for name, (anchor, build) in _BUILDERS.items():
        data = (sections or {}).get(name)
        if data:
            out[anchor] = build(data, add)
    return out
