"""The analysis sections (see :mod:`spillover.analysis.sections`): rows and figures.

Each comes from ``RunResult.extra["analysis"]`` and is shown only when present.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from spillover.report.figures import analysis as AF
from spillover.report.format import fmt_count, fmt_number, fmt_pct, fmt_signed
from spillover.report.page import Page

__all__ = ["attribution", "calibration", "discovery", "orders", "robustness", "sensitivity"]


def _frame(x: Any) -> pd.DataFrame:
    return x if isinstance(x, pd.DataFrame) else pd.DataFrame(x if x is not None else [])


def _data(page: Page, name: str) -> Mapping[str, Any] | None:
    return (page.extra.get("analysis") or {}).get(name) or None


def _interval(lo: Any, hi: Any, pp: bool = False) -> str:
    return f"{fmt_signed(lo, percentage_points=pp)} to {fmt_signed(hi, percentage_points=pp)}"


def _clear(lo: Any, hi: Any) -> bool:
    try:
        return not (math.isnan(float(lo)) or float(lo) <= 0 <= float(hi))
    except (TypeError, ValueError):
        return False


def _limit(x: Any) -> str:
    return "—" if pd.isna(x) else fmt_number(x)


def _order_rows(table: pd.DataFrame) -> list[dict[str, Any]]:
    """Each indicator and event with its name (a row's ``.name`` would be its index)."""
    return [{"id": r["id"], "kind": r["kind"], "name": r["name"],
             "order": "—" if pd.isna(r["order"]) else f"{r['order']:g}",
             "via": "—" if pd.isna(r["from"]) or not r["from"] else r["from"]}
            for r in table.to_dict("records")]


def _check_rows(check: pd.DataFrame) -> list[dict[str, Any]]:
    rows = []
    for r in check.itertuples():
        pp = r.quantity.startswith("fired.")
        rows.append({"chain": r.chain, "removed": r.removed, "quantity": r.quantity,
                     "effect": fmt_signed(r.mean_diff, percentage_points=pp),
                     "interval": _interval(r.lo, r.hi, pp), "verdict": r.verdict})
    return rows


def orders(page: Page) -> dict[str, Any] | None:
    """Orders of effect: each indicator's and event's order, the strongest chains, their check."""
    s = _data(page, "orders")
    if not s:
        return None
    chains = [{"chain": r.chain, "strength": fmt_number(r.strength), "sign": "+" if r.sign > 0 else "−"}
              for r in _frame(s.get("chains")).itertuples()]
    return {"figure": page.add(AF.orders_figure(s), "orders"), "rows": _order_rows(_frame(s.get("table"))),
            "chains": chains, "checks": _check_rows(_frame(s.get("check"))),
            "max_steps": s.get("max_steps"), "roots": ", ".join(s.get("roots") or [])}


def attribution(page: Page) -> dict[str, Any] | None:
    """Attribution by ablation: the change in each claim when an item is removed."""
    s = _data(page, "ablation")
    if not s:
        return None
    eff = _frame(s.get("effects"))
    claims = eff[eff["quantity_kind"] == "claim"] if not eff.empty else eff
    rows = [{"item": r.item, "kind": r.kind, "quantity": r.quantity,
             "effect": fmt_signed(r.mean_diff, percentage_points=True),
             "interval": _interval(r.lo, r.hi, True), "clear": _clear(r.lo, r.hi)}
            for r in claims.itertuples()]
    fig = page.add(AF.ablation_heatmap(eff), "attribution") if not claims.empty else None
    return {"figure": fig, "rows": rows, "policy": s.get("policy"), "runs": fmt_count(s.get("runs")),
            "level": fmt_pct(s.get("level", 0.9))}


def sensitivity(page: Page) -> dict[str, Any] | None:
    """Global sensitivity: the top inputs and their indices."""
    s = _data(page, "sensitivity")
    if not s:
        return None
    table = _frame(s.get("table"))
    rows = [{"rank": int(r["rank"]), "input": r.input, "label": r.label, "index": fmt_number(r["index"]),
             "interval": f"{fmt_number(r.lo)} to {fmt_number(r.hi)}"} for _, r in table.head(20).iterrows()]
    return {"figure": page.add(AF.sensitivity_figure(s), "sensitivity"), "rows": rows,
            "method": s.get("method"), "outcome": s.get("outcome"), "policy": s.get("policy"),
            "n": fmt_count(s.get("n")), "runs": fmt_count(s.get("runs")), "warnings": s.get("warnings") or [],
            "level": fmt_pct(s.get("level", 0.95)), "more": max(len(table) - 20, 0)}


def discovery(page: Page) -> dict[str, Any] | None:
    """Scenario discovery: PRIM's box and the classification tree's leaves."""
    s = _data(page, "discovery")
    if not s:
        return None
    box = [{"input": r.input, "label": getattr(r, "label", ""), "lo": _limit(r.lo), "hi": _limit(r.hi),
            "range": f"{fmt_number(r.min)} to {fmt_number(r.max)}", "qp": f"{r.qp:.2g}"}
           for r in _frame(s.get("box")).itertuples()]
    tree = [{"rule": r.rule, "n": fmt_count(r.n), "density": fmt_pct(r.density),
             "coverage": fmt_pct(r.coverage)} for r in _frame(s.get("tree")).head(6).itertuples()]
    return {"figure": page.add(AF.tradeoff_figure(s), "discovery"), "box": box, "tree": tree,
            "where": s.get("where"), "policy": s.get("policy"), "runs": fmt_count(s.get("runs")),
            "share": fmt_pct(s.get("share")), "coverage": fmt_pct(s.get("coverage")),
            "density": fmt_pct(s.get("density")), "warnings": s.get("warnings") or []}


def _posterior(abc: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [{"input": r.input, "label": r.label,
             "prior": f"{fmt_number(r.prior_lo)} to {fmt_number(r.prior_hi)}",
             "posterior": f"{fmt_number(r.post_lo)} to {fmt_number(r.post_hi)}",
             "narrowing": fmt_pct(max(r.narrowing, 0.0))}
            for r in _frame(abc.get("summary")).head(15).itertuples()]


def calibration(page: Page) -> dict[str, Any] | None:
    """Fit to observations: least squares and the ABC posterior."""
    s = _data(page, "calibration")
    if not s:
        return None
    fitted = _frame(s.get("fitted"))
    targets = dict.fromkeys(fitted["target"]) if "target" in fitted.columns else {}
    figs = [page.add(AF.calibration_figure(fitted, t), "calibration") for t in targets]
    rows = [{"input": r.input, "label": r.label, "estimate": fmt_number(r.estimate),
             "interval": f"{fmt_number(r.lo)} to {fmt_number(r.hi)}",
             "range": f"{fmt_number(r.min)} to {fmt_number(r.max)}", "at_bound": bool(r.at_bound)}
            for r in _frame(s.get("table")).itertuples()]
    abc = s.get("abc") or {}
    return {"figures": figs, "rows": rows, "posterior": _posterior(abc) if abc.get("fits", True) else [],
            "warnings": s.get("warnings") or [], "target": s.get("target"),
            "rmse": fmt_number(s.get("rmse")), "points": fmt_count(s.get("points")),
            "level": fmt_pct(s.get("level", 0.9)), "accepted": fmt_count(abc.get("accepted")),
            "abc_runs": fmt_count(abc.get("runs")), "epsilon": fmt_number(abc.get("epsilon"))}


def robustness(page: Page) -> dict[str, Any] | None:
    """Regret across policies: the minimax choice and how often each policy is best."""
    s = _data(page, "regret")
    if not s:
        return None
    groups, unscored = [], []
    for q, g in _frame(s.get("table")).groupby("quantity", sort=False):
        if g["better"].iloc[0] == "undeclared":
            unscored.append(q)
            continue
        groups.append({"quantity": q, "better": g["better"].iloc[0], "rows": [
            {"policy": r.policy, "mean": fmt_number(r.mean), "best": fmt_pct(r.best_share),
             "mean_regret": fmt_number(r.mean_regret), "max_regret": fmt_number(r.max_regret),
             "minimax": bool(r.minimax)} for r in g.itertuples()]})
    summary = [{"policy": r.policy, "minimax": int(r.minimax), "best": int(r.most_often_best)}
               for r in _frame(s.get("summary")).itertuples()]
    return {"groups": groups, "summary": summary, "n": len(groups), "unscored": unscored}
