"""What an observation can measure: model quantities at the end of a given day.

An evidence file's ``measures:`` is an expression (see :mod:`spillover.scenario.expr`) over
these quantities, the scenario's named inputs and the evidence file's own inputs. Each
quantity is written like an outcome, ``delivered(prk_rus_shells)`` or
``stock(RUS, shell152)``, and stands for its value at the end of the observation's day.

>>> from spillover.scenario.load import load_scenario
>>> names = measure_names(load_scenario("nk-russia-2023"))
>>> "shipped.prk_rus_shells" in names, "indicator.kor_threat" in names
(True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import demand_pairs

Scope = Literal["transfer", "cell", "demand", "indicator", "event"]


@dataclass(frozen=True)
class Measure:
    """One family of measurable quantities: its name, what it is keyed by and what it is."""

    name: str
    scope: Scope
    description: str
    flag: bool = False


MEASURES: tuple[Measure, ...] = (
    Measure("shipped", "transfer", "cumulative quantity shipped since the start"),
    Measure("delivered", "transfer", "cumulative quantity delivered since the start"),
    Measure("lost", "transfer", "cumulative quantity lost on the way"),
    Measure("shipped_today", "transfer", "quantity shipped on the day (a daily rate)"),
    Measure("delivered_today", "transfer", "quantity delivered on the day (a daily rate)"),
    Measure("stock", "cell", "the actor's stock of the munition"),
    Measure("produced", "cell", "cumulative production since the start"),
    Measure("fired_total", "cell", "cumulative rounds fired since the start"),
    Measure("demanded", "cell", "cumulative demand since the start"),
    Measure("shortfall", "cell", "cumulative demand that could not be fired"),
    Measure("fired_today", "demand", "rounds fired on the day (a daily rate)"),
    Measure("indicator", "indicator", "the indicator's level (driven by the perceived signals)"),
    Measure("indicator_true", "indicator", "the indicator driven by the true signals"),
    Measure("fired", "event", "1 when the event has fired by the end of the day, else 0", flag=True),
    Measure("fired_true", "event", "1 when the true indicators have triggered the event by the end of the "
            "day (its shadow, see the fired_true outcome), else 0", flag=True),
)
"""Every family of quantities an observation can measure, by name."""

BY_NAME = {m.name: m for m in MEASURES}


def keys(sc: Scenario, scope: Scope) -> list[str]:
    """The keys of a scope in the scenario: ``f``, ``A.m``, ``k`` or ``e``."""
    if scope == "transfer":
        return list(sc.transfers)
    if scope == "cell":
        return [f"{a}.{m}" for a in sc.actors for m in sc.munitions]
    if scope == "demand":
        return [f"{a}.{m}" for a, m in demand_pairs(sc)]
    if scope == "indicator":
        return list(sc.indicators)
    return list(sc.events)


def measure_names(sc: Scenario) -> list[str]:
    """Every quantity column an observation of ``sc`` may read, e.g. ``delivered.prk_rus_shells``."""
    return [f"{m.name}.{k}" for m in MEASURES for k in keys(sc, m.scope)]


def is_flag(column: str) -> bool:
    """True for a yes/no quantity (an event having fired)."""
    m = BY_NAME.get(column.partition(".")[0])
    return m is not None and m.flag
