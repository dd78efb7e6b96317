"""A plain-data summary of a scenario for reports, web pages and notebooks."""

from __future__ import annotations

from typing import Any

from spillover.scenario.inputs import scenario_inputs
from spillover.scenario.model import Effect, Scenario


def _effect_text(eff: Effect) -> str:
    if eff.start is not None:
        return f"starts {eff.start}"
    if eff.start_production is not None:
        return f"starts the production of {eff.start_production.munition} by {eff.start_production.actor}"
    if eff.add_beta is not None:
        return f"adds {eff.add_beta.value.describe()} to the base level of {eff.add_beta.indicator}"
    if eff.scale_weight is not None:
        sw = eff.scale_weight
        return f"scales the weight of {sw.input} on {sw.indicator} by {sw.factor.describe()}"
    sr = eff.scale_rate
    assert sr is not None
    what = sr.transfer or (
        f"production of {sr.production.munition} by {sr.production.actor}" if sr.production
        else f"demand for {sr.demand.munition} by {sr.demand.actor}"  # type: ignore[union-attr]
    )
    return f"scales {what} by {sr.factor.describe()}"


def _trigger_text(sc: Scenario, e: str) -> str:
    trig = sc.events[e].trigger
    if trig.on is not None:
        return f"on {trig.on.describe()} (a date: it fires whatever the transfers do)"
    if trig.hazard is not None:
        h = trig.hazard
        return (f"hazard on {h.indicator}, rising past {h.theta.describe()} "
                f"(up to {h.rate.describe()} a day)")
    t = trig.threshold
    assert t is not None
    return f"{t.indicator} at or over {t.theta.describe()} for {t.days} days"


def summarize(sc: Scenario) -> dict[str, Any]:
    """Everything a reader needs to see about a scenario, as plain data.

    >>> from spillover.scenario.load import load_scenario
    >>> summarize(load_scenario("nk-russia-2023"))["start"]
    '2023-08-01'
    """
    inputs = []
    for inp in scenario_inputs(sc):
        q = inp.quantity
        inputs.append({
            "name": inp.name, "distribution": q.describe(), "source": q.source,
            "judgment": q.judgment, "note": q.note or "",
            "citation": "; ".join(sc.sources[k].citation for k in q.sources if k in sc.sources) or None,
        })
    return {
        "name": sc.name, "title": sc.title, "description": sc.description,
        "start": sc.start.isoformat(), "horizon": sc.horizon, "file": sc.origin, "sha256": sc.sha256,
        "actors": [{"id": a, "name": x.name} for a, x in sc.actors.items()],
        "munitions": [{"id": m, "name": x.name, "unit": x.unit, "kind": x.kind}
                      for m, x in sc.munitions.items()],
        "transfers": [{
            "id": f, "supplier": t.supplier, "recipient": t.recipient, "munition": t.munition,
            "covertness": t.covertness.nominal, "dormant": t.dormant,
            "compensation_for": ", ".join(t.compensation.parents) or None if t.compensation else None,
            "description": t.description or "",
        } for f, t in sc.transfers.items()],
        "signals": [{"id": s, "description": x.description or f"{x.kind} signal",
                     "covert": bool(x.flow and sc.transfers[x.flow].covertness.nominal > 0)}
                    for s, x in sc.signals.items()],
        "indicators": [{
            "id": k, "name": x.name, "observer": x.observer, "kind": x.kind, "threshold": x.threshold,
            "inputs": [{"from": j, "weight": q.describe(), "sign": 1 if q.nominal >= 0 else -1}
                       for j, q in x.inputs.items()],
        } for k, x in sc.indicators.items()],
        "events": [{"id": e, "name": x.name, "trigger": _trigger_text(sc, e),
                    "effects": [_effect_text(eff) for eff in x.effects]}
                   for e, x in sc.events.items()],
        "levers": [{"id": name, "kind": x.kind, "description": x.description or "",
                    "default": x.default} for name, x in sc.levers.items()],
        "policies": [{"id": p, "description": x.description or "", "rationale": x.rationale or "",
                      "levers": {name: x.setting_text(name, sc.levers[name].default) for name in sc.levers}}
                     for p, x in sc.policies.items()],
        "claims": [{"id": c, "text": x.text, "expr": x.expr, "source": x.source, "prefer": x.prefer,
                    "rationale": x.rationale} for c, x in sc.claims.items()],
        "inputs": inputs,
        "cases": [{"id": n, "description": x.description or ""} for n, x in sc.cases.items()],
        "sources": [{"id": s, "citation": x.citation, "url": x.url, "grade": x.grade, "note": x.note}
                    for s, x in sc.sources.items()],
        "limitations": list(sc.limitations),
    }
