"""The reference model in Mesa 3: seven ``Actor`` agents stepped by a ``mesa.Model``, run by ``batch_run``.

Each actor holds its armament level and its munitions stockpile. A day runs in the reference
order: the model ships the transfer (actor 0 → actor 1, capped by the supplier's stock),
then every actor produces, fires and computes its next armament level from the *previous*
day's levels of the others (``step``), and only then do all actors take their new levels
(``advance``). This is Mesa's simultaneous activation (in Mesa 3, ``agents.do("step")``
followed by ``agents.do("advance")``); the agents are shuffled in each phase, as Mesa's
examples do, and the synchronous update makes the result independent of that order.

Outcomes are model reporters of a ``DataCollector`` collected every day, as ``batch_run``
requires; ``batch_run`` returns the last day's row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import mesa
import pandas as pd

from benchmarks.make_richardson7 import ACTORS, CONSUMPTION, PRODUCTION, STOCK
from benchmarks.peers.loop_model import HORIZON, LINKS, OUTCOMES, SHORT_TOL, THRESHOLD, ident


class Actor(mesa.Agent):
    """One state: its armament level ``x`` and its stockpile of munitions."""

    def __init__(self, model: RichardsonModel, tau: float, grievance: float,
                 production: float, demand: float) -> None:
        super().__init__(model)
        self.tau, self.grievance = tau, grievance
        self.production, self.demand = production, demand
        self.threats: list[tuple[Actor, float]] = []
        self.stock = STOCK
        self.x = self.x_next = 0.0
        self.peak = -float("inf")
        self.days_above = 0
        self.first_shortfall = float(HORIZON)

    def step(self) -> None:
        """Produce, fire what the stock allows, and decide the next armament level."""
        self.stock += self.production
        fired = min(self.demand, self.stock)
        self.stock -= fired
        if self.demand - fired > SHORT_TOL * max(self.demand, 1.0) and self.first_shortfall == HORIZON:
            self.first_shortfall = float(self.model.steps - 1)
        pull = sum(w * other.x for other, w in self.threats)
        self.x_next = self.x + (self.grievance + pull - self.x) / self.tau

    def advance(self) -> None:
        """Take the level decided in ``step``: every actor moves at once."""
        self.x = self.x_next
        self.peak = max(self.peak, self.x)
        self.days_above += self.x >= THRESHOLD


class RichardsonModel(mesa.Model):
    """Seven actors in a Richardson arms race with stockpiles and one transfer (A0 → A1).

    ``inputs`` maps the 18 input names (spillover's) to their values for this run.
    """

    def __init__(self, inputs: Mapping[str, float], seed: int = 0) -> None:
        super().__init__(seed=seed)
        s = inputs["threat_scale"]
        self.actors = [
            Actor(self, inputs[f"fatigue_days.{a}"], inputs[f"grievance.{a}"],
                  PRODUCTION[i] * inputs["production_multiplier"],
                  CONSUMPTION[i] * inputs["consumption_multiplier"])
            for i, a in enumerate(ACTORS)
        ]
        for actor, row in zip(self.actors, LINKS, strict=True):
            actor.threats = [(self.actors[j], s * t) for j, t in row]
        self.transfer_rate = inputs["transfer_rate"]
        self.delivered = 0.0
        self.datacollector = mesa.DataCollector(model_reporters=_reporters())

    def step(self) -> None:
        """One day: the transfer, then each actor's stock and decision, then the simultaneous move."""
        supplier, recipient = self.actors[0], self.actors[1]
        ship = min(self.transfer_rate, max(supplier.stock, 0.0))
        supplier.stock -= ship
        recipient.stock += ship
        self.delivered += ship
        self.agents.shuffle_do("step")
        self.agents.shuffle_do("advance")
        self.datacollector.collect(self)
        if self.steps >= HORIZON:
            self.running = False


def _reporter(i: int, attr: str) -> Callable[[RichardsonModel], float]:
    return lambda m: float(getattr(m.actors[i], attr))


def _reporters() -> dict[str, str | Callable[[RichardsonModel], float]]:
    """One model reporter per outcome, named as EMA names them (identifiers)."""
    rep: dict[str, str | Callable[[RichardsonModel], float]] = {"delivered_t01": "delivered"}
    for i, a in enumerate(ACTORS):
        rep[ident(f"final.x_{a}")] = _reporter(i, "x")
        rep[ident(f"peak.x_{a}")] = _reporter(i, "peak")
        rep[ident(f"days_above.x_{a}")] = _reporter(i, "days_above")
        rep[ident(f"final_stock.{a}.arms")] = _reporter(i, "stock")
        rep[ident(f"first_shortfall.{a}.arms")] = _reporter(i, "first_shortfall")
    return rep


def run_batch(rows: Sequence[Mapping[str, float]], processes: int) -> pd.DataFrame:
    """``mesa.batch_run`` over the given parameter sets; outcomes by spillover name, in row order."""
    params = {"inputs": [dict(r) for r in rows]}
    records = mesa.batch_run(RichardsonModel, parameters=params, number_processes=processes,
                             iterations=1, data_collection_period=-1, max_steps=HORIZON,
                             display_progress=False)
    table = pd.DataFrame(records).set_index("RunId").sort_index()
    return pd.DataFrame({n: table[ident(n)].astype(float).to_numpy() for n in OUTCOMES})
