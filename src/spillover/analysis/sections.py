"""Analysis results as report sections: plain data in ``RunResult.extra["analysis"]``.

Each section is a dict of plain values and DataFrames, keyed by its name (``orders``,
``ablation``, ``sensitivity``, ``discovery``, ``calibration``, ``regret``). The report
renders a section only when it is present. Sections are saved in a run folder as
``analysis/<name>.json`` and read back by :mod:`spillover.results.store`.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from spillover.analysis.graph import (
    default_steps,
    influence_graph,
    order_table,
    orders,
    roots,
    strongest_chains,
)
from spillover.results.result import RunResult
from spillover.scenario.model import Scenario

__all__ = [
    "SECTIONS",
    "ablation_section",
    "calibration_section",
    "discovery_section",
    "enrich",
    "orders_section",
    "regret_section",
    "sensitivity_section",
]

SECTIONS = ("orders", "ablation", "sensitivity", "discovery", "calibration", "regret")
"""Section names, in the order the report shows them."""

Section = dict[str, Any]


def orders_section(sc: Scenario, top: int = 10, check: pd.DataFrame | None = None) -> Section:
    """The influence graph, each node's order, and the strongest chains (cross-checked if given).

    >>> from spillover.scenario.load import load_scenario
    >>> s = orders_section(load_scenario("nk-russia-2023"))
    >>> s["chains"]["chain"].iloc[0].split(" → ")[-1]
    'chn_rus_friction'
    """
    g = influence_graph(sc)
    by = orders(g)
    base = roots(g)
    nodes = []
    for key, d in g.nodes(data=True):
        reach = [by[f][key] for f in base if key in by[f]]
        nodes.append({"key": key, "kind": d["kind"], "id": d["id"], "label": d["label"],
                      "dormant": bool(d["dormant"]), "order": float(min(reach)) if reach else math.nan,
                      "root": d["kind"] == "transfer" and d["id"] in base})
    edges = [{"source": u, "target": v, **{k: d[k] for k in ("kind", "weight", "lo", "hi", "sign")}}
             for u, v, d in g.edges(data=True)]
    chains = strongest_chains(g, top=top)
    chain_rows = [{"chain": c.text(), "strength": c.strength, "sign": c.sign, "source": c.source,
                   "target": c.target.partition(":")[2], "nodes": list(c.nodes)} for c in chains]
    cols = ["chain", "strength", "sign", "source", "target", "nodes"]
    node_cols = ["key", "kind", "id", "label", "dormant", "order", "root"]
    edge_cols = ["source", "target", "kind", "weight", "lo", "hi", "sign"]
    return {"table": order_table(g), "nodes": pd.DataFrame(nodes, columns=node_cols),
            "edges": pd.DataFrame(edges, columns=edge_cols),
            "chains": pd.DataFrame(chain_rows, columns=cols), "max_steps": default_steps(g), "roots": base,
            "check": check}


def ablation_section(ab: Any) -> Section:
    """An :class:`~spillover.analysis.ablation.Ablation` as a report section."""
    return {"effects": ab.effects, "policy": ab.policy, "runs": ab.runs, "level": ab.level,
            "seconds": ab.seconds}


def sensitivity_section(res: Any) -> Section:
    """A :class:`~spillover.analysis.sensitivity.Sensitivity` as a report section."""
    return {"table": res.table, "method": res.method, "outcome": res.outcome, "policy": res.policy,
            "n": res.n, "runs": res.runs, "measure": res.measure, "level": res.level,
            "warnings": list(res.warnings)}


def discovery_section(d: Any) -> Section:
    """A :class:`~spillover.analysis.discovery.Discovery` as a report section."""
    tree = d.tree.drop(columns=["limits"])
    box = d.prim.box.copy()
    box.insert(1, "label", [d.labels.get(i, "") for i in box["input"]])
    return {"where": d.where, "policy": d.policy, "runs": d.runs, "share": d.share,
            "trajectory": d.prim.trajectory, "chosen": d.prim.chosen, "box": box,
            "coverage": d.prim.coverage, "density": d.prim.density, "tree": tree,
            "warnings": list(d.warnings)}


def calibration_section(fit: Any = None, posterior: Any = None, target: str = "") -> Section:
    """A least-squares :class:`~spillover.analysis.calibration.Fit` and/or an ABC result."""
    out: Section = {"target": target, "warnings": [w for w in (getattr(fit, "warning", None),
                                                               getattr(posterior, "warning", None)) if w]}
    if fit is not None:
        out.update({"table": fit.table, "fitted": fit.fitted, "rmse": fit.rmse, "points": fit.points,
                    "level": fit.level, "success": fit.success, "message": fit.message})
    if posterior is not None:
        out["abc"] = {"summary": posterior.summary, "epsilon": posterior.epsilon, "accept": posterior.accept,
                      "runs": posterior.runs, "accepted": len(posterior.posterior),
                      "fits": getattr(posterior, "fits", True)}
    return out


def regret_section(table: pd.DataFrame) -> Section:
    """A :func:`~spillover.analysis.robustness.regret_table` as a report section."""
    from spillover.analysis.robustness import regret_summary

    return {"table": table, "summary": regret_summary(table)}


def enrich(result: RunResult, scenario: Scenario) -> RunResult:
    """Add the cheap analyses to a run: orders of effect, and the regret table (2+ policies).

    Fills ``result.extra["analysis"]`` in place and returns ``result``.

    >>> import spillover
    >>> sc = spillover.load_scenario("nk-russia-2023")
    >>> res = enrich(spillover.run(sc, runs=32, seed=1), sc)
    >>> sorted(res.extra["analysis"])
    ['orders', 'regret']
    """
    from spillover.analysis.robustness import default_higher, default_quantities, regret_table

    sections = result.extra.setdefault("analysis", {})
    sections["orders"] = orders_section(scenario)
    out = result.outcomes
    if "policy" in out.columns and out["policy"].nunique() > 1:
        qs = {k: v for k, v in default_quantities(scenario).items() if v in out.columns}
        higher = [q for q in default_higher(scenario) if q in qs]
        sections["regret"] = regret_section(regret_table(out, qs, higher))
    return result
