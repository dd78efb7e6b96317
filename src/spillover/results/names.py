"""The names of the outcomes a scenario produces: one column each in ``outcomes.parquet``."""

from __future__ import annotations

from spillover.scenario.model import Scenario


def demand_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """(actor, munition) pairs with a declared demand, in file order."""
    return [(a, m) for a, by in scenario.demand.items() for m in by]


def outcome_names(scenario: Scenario) -> list[str]:
    """Every outcome column of the scenario, in a stable order.

    ``days_of_fire.<transfer>`` exists for transfers whose recipient has a demand for the
    munition; ``first_shortfall.<actor>.<munition>`` is the first day with unmet demand
    (the horizon when there is none); ``*_without_transfers`` (first shortfall, peak and
    final indicator levels, events) come from the batch's counterfactual, the same runs
    under the same policy with every transfer removed.
    """
    names: list[str] = []
    pairs = set(demand_pairs(scenario))
    for f, tr in scenario.transfers.items():
        names += [f"shipped.{f}", f"delivered.{f}", f"lost.{f}"]
        if (tr.recipient, tr.munition) in pairs:
            names.append(f"days_of_fire.{f}")
    for a, m in demand_pairs(scenario):
        names += [
            f"fired_total.{a}.{m}",
            f"shortfall.{a}.{m}",
            f"first_shortfall.{a}.{m}",
            f"first_shortfall_without_transfers.{a}.{m}",
            f"shortfall_days.{a}.{m}",
        ]
    for a, by in scenario.stocks.items():
        names += [f"final_stock.{a}.{m}" for m in by]
    for k in scenario.indicators:
        names += [
            f"final.{k}",
            f"peak.{k}",
            f"final_without_transfers.{k}",
            f"peak_without_transfers.{k}",
            f"days_above.{k}",
            f"miscalc_peak.{k}",
            f"miscalc_mean.{k}",
        ]
    names.append("miscalc_peak")
    names.append("miscalc_mean")
    for e in scenario.events:
        names += [f"fired.{e}", f"fired_day.{e}", f"fired_without_transfers.{e}"]
    return names
