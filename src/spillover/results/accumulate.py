"""Outcomes accumulated day by day (peaks, first shortfall, miscalculation) and read at the end."""

from __future__ import annotations

import numpy as np

from spillover.engine.state import State
from spillover.engine.structure import Structure
from spillover.results.names import demand_pairs


class OutcomeAccumulator:
    """Watches the engine's state every day and gives one value per row and outcome."""

    def __init__(self, st: Structure, R: int) -> None:
        sc = st.scenario
        self.st = st
        self.pairs = [(st.actors.index(a), st.munitions.index(m)) for a, m in demand_pairs(sc)]
        self.thresholds = np.array([sc.indicators[k].threshold for k in st.indicators])
        K, P = len(st.indicators), len(self.pairs)
        self.peak = np.full((K, R), -np.inf)
        self.days_above = np.zeros((K, R), dtype=np.int64)
        self.mis_peak = np.zeros((K, R))
        self.mis_sum = np.zeros((K, R))
        self.thresholds = self.thresholds[:, None]
        self.first_short = np.full((R, P), float(st.T))
        self.short_days = np.zeros((R, P), dtype=np.int64)

    def observe(self, s: State) -> None:
        level = s.levels[0]
        np.maximum(self.peak, level, out=self.peak)
        self.days_above += self.thresholds <= level
        if not s.exact:
            gap = np.abs(level - s.levels[1])
            np.maximum(self.mis_peak, gap, out=self.mis_peak)
            self.mis_sum += gap
        if self.pairs:
            demand = s.demand_today
            short = (demand - s.fired_today) > 1e-9 * np.maximum(demand, 1.0)
            self.short_days += short
            first = short & (self.first_short == self.st.T)
            self.first_short[first] = s.t

    def finish(self, s: State) -> dict[str, np.ndarray]:
        """Every outcome column for the rows, given the final state."""
        st, sc, T = self.st, self.st.scenario, self.st.T
        out: dict[str, np.ndarray] = {}
        names = {(st.actors[a], st.munitions[m]): j for j, (a, m) in enumerate(self.pairs)}
        for f, name in enumerate(st.transfers):
            tr = sc.transfers[name]
            out[f"shipped.{name}"] = s.shipped[:, f].copy()
            out[f"delivered.{name}"] = s.delivered[:, f].copy()
            out[f"lost.{name}"] = s.lost[:, f].copy()
            if (tr.recipient, tr.munition) in names:
                a, m = st.actors.index(tr.recipient), st.munitions.index(tr.munition)
                mean_demand = s.demanded[:, a, m] / T
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf days is right
                    dof = np.where(mean_demand > 0, s.delivered[:, f] / mean_demand, np.nan)
                out[f"days_of_fire.{name}"] = dof
        for (a, m), j in names.items():
            ai, mi = st.actors.index(a), st.munitions.index(m)
            out[f"fired_total.{a}.{m}"] = s.fired[:, ai, mi].copy()
            out[f"shortfall.{a}.{m}"] = s.shortfall[:, ai, mi].copy()
            out[f"first_shortfall.{a}.{m}"] = self.first_short[:, j].copy()
            out[f"shortfall_days.{a}.{m}"] = self.short_days[:, j].astype(float)
        for a, by in sc.stocks.items():
            for m in by:
                out[f"final_stock.{a}.{m}"] = s.S[:, st.actors.index(a), st.munitions.index(m)].copy()
        for k, name in enumerate(st.indicators):
            out[f"final.{name}"] = s.I[:, k].copy()
            out[f"peak.{name}"] = self.peak[k].copy()
            out[f"days_above.{name}"] = self.days_above[k].astype(float)
            out[f"miscalc_peak.{name}"] = self.mis_peak[k].copy()
            out[f"miscalc_mean.{name}"] = self.mis_sum[k] / T
        R = s.I.shape[0]
        out["miscalc_peak"] = self.mis_peak.max(axis=0, initial=0.0) if st.indicators else np.zeros(R)
        out["miscalc_mean"] = (self.mis_sum / T).max(axis=0, initial=0.0) if st.indicators else np.zeros(R)
        for e, name in enumerate(st.events):
            out[f"fired.{name}"] = s.E[:, e].copy()
            out[f"fired_day.{name}"] = s.fired_at[:, e].copy()
        return out
