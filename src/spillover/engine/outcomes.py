"""Outcomes: accumulated day by day (peaks, first shortfall, miscalculation), read at the end.

:class:`OutcomeWatcher` keeps what must be watched every day; :data:`COMPUTE` turns the
final state and those running values into each family's column, one function per family
of the catalogue (:data:`spillover.scenario.outcomes.FAMILIES`). A new outcome computed
from the final state is one entry there and one function here.

Windowed outcomes (between two dates) are differences of cumulative totals, snapshotted at
the end of the day before a window opens and of its last day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from spillover.engine.state import State
from spillover.engine.structure import Structure
from spillover.scenario.outcomes import Scope, columns, windows

SNAPSHOTS = ("delivered", "fired", "shortfall", "short_days", "leaked")
"""The cumulative totals snapshotted for windowed outcomes, each (snapshots, items, R)."""


class OutcomeWatcher:
    """Watches the engine's state every day and gives one value per row and outcome.

    The running arrays have the row axis last, ``(·, R)``, except ``first_short`` and
    ``short_days``, which are ``(R, P)`` per demand (in the engine's order).
    """

    def __init__(self, st: Structure, R: int) -> None:
        sc = st.scenario
        self.st = st
        keys = [st.series[i].key for i in st.lines.dem]
        self.pairs = [(st.actors.index(a), st.munitions.index(m)) for a, m in keys]
        K, P = len(st.indicators), len(self.pairs)
        self.thresholds = np.array([sc.indicators[k].threshold for k in st.indicators])[:, None]
        self.peak = np.full((K, R), -np.inf)
        self.days_above = np.zeros((K, R), dtype=np.int64)
        self.mis_peak = np.zeros((K, R))
        self.mis_sum = np.zeros((K, R))
        self.first_short = np.full((R, P), float(st.T))
        self.short_days = np.zeros((R, P), dtype=np.int64)
        self._windows(R)

    def _windows(self, R: int) -> None:
        st = self.st
        start = st.scenario.start
        self.spans = {(a, b): (max((a - start).days, 0), min((b - start).days, st.T - 1))
                      for a, b in windows(st.scenario)}
        days = sorted({d for d0, d1 in self.spans.values() for d in (d0 - 1, d1) if d >= 0})
        self.snap_slot = np.full(st.T, -1, np.int64)
        self.snap_slot[days] = np.arange(len(days))
        sizes = {"delivered": st.F, "fired": len(self.pairs), "shortfall": len(self.pairs),
                 "short_days": len(self.pairs), "leaked": st.C}
        self.snaps = {name: np.zeros((len(days), n, R), np.int64 if name == "short_days" else float)
                      for name, n in sizes.items()}

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
        slot = self.snap_slot[s.t]
        if slot >= 0:
            R, cells = s.S.shape[0], self.st.lines.dem_flat
            self.snaps["delivered"][slot] = s.flows[1]
            self.snaps["fired"][slot] = s.fired.reshape(R, -1)[:, cells].T
            self.snaps["shortfall"][slot] = s.shortfall.reshape(R, -1)[:, cells].T
            self.snaps["short_days"][slot] = self.short_days.T
            self.snaps["leaked"][slot] = s.leaked.T

    def windowed(self, name: str, item: int, span: tuple[dt.date, dt.date]) -> np.ndarray:
        """A cumulative total's increase over a window: at its last day less the day before."""
        d0, d1 = self.spans[span]
        snap = self.snaps[name]
        after = snap[self.snap_slot[d1], item]
        before = snap[self.snap_slot[d0 - 1], item] if d0 >= 1 else 0
        return np.asarray(after - before, dtype=float)

    def finish(self, s: State) -> dict[str, np.ndarray]:
        """Every outcome column for the rows, given the final state, in catalogue order."""
        ctx = Final(self.st, s, self)
        return {fam.column(key): COMPUTE[fam.name, fam.scope](ctx, key)
                for fam, key in columns(self.st.scenario)}


@dataclass
class Final:
    """What an outcome is computed from: the structure, the final state and the watcher."""

    st: Structure
    s: State
    w: OutcomeWatcher

    def transfer(self, key: str) -> int:
        return self.st.transfers.index(key)

    def cell(self, key: str) -> tuple[int, int]:
        """(actor, munition) indices of an ``A.m`` key."""
        a, m = key.split(".")
        return self.st.actors.index(a), self.st.munitions.index(m)

    def pair(self, key: str) -> int:
        """Position of an ``A.m`` key among the demands (the engine's order)."""
        return self.w.pairs.index(self.cell(key))

    def coupled(self, key: str) -> int:
        """Position of an ``A.m`` key among the coupled demands."""
        return int(self.st.lines.coupled[self.pair(key)])

    def indicator(self, key: str) -> int:
        return self.st.indicators.index(key)

    def event(self, key: str) -> int:
        return self.st.events.index(key)


def _span(key: str) -> tuple[str, tuple[dt.date, dt.date]]:
    """``A.m.2024-01-01.2024-04-30`` → (``A.m``, the window's dates)."""
    base, a, b = key.rsplit(".", 2)
    return base, (dt.date.fromisoformat(a), dt.date.fromisoformat(b))


def _days_of_fire(c: Final, key: str) -> np.ndarray:
    """Delivered over the recipient's mean daily demand: days of its fire the transfer bought."""
    f = c.transfer(key)
    a, m = c.st.tr_rcp[f], c.st.tr_mun[f]
    mean_demand = c.s.demanded[:, a, m] / c.st.T
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf days is right
        return np.where(mean_demand > 0, c.s.delivered[:, f] / mean_demand, np.nan)


def _days_of_fire_total(c: Final, key: str) -> np.ndarray:
    """Delivered by every transfer into the (actor, munition), over its mean daily demand."""
    a, m = c.cell(key)
    into = (c.st.tr_rcp == a) & (c.st.tr_mun == m)
    mean_demand = c.s.demanded[:, a, m] / c.st.T
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # inf days is right
        return np.where(mean_demand > 0, c.s.delivered[:, into].sum(axis=1) / mean_demand, np.nan)


def _gap_max(c: Final, key: str) -> np.ndarray:
    R = c.s.S.shape[0]
    return c.w.mis_peak.max(axis=0, initial=0.0) if c.st.indicators else np.zeros(R)


def _gap_mean(c: Final, key: str) -> np.ndarray:
    R = c.s.S.shape[0]
    return (c.w.mis_sum / c.st.T).max(axis=0, initial=0.0) if c.st.indicators else np.zeros(R)


def _misfired(c: Final, key: str) -> np.ndarray:
    """Fired on a day before the shadow on the true indicators was met, or with no such day."""
    e = c.event(key)
    with np.errstate(invalid="ignore"):
        return c.s.E[:, e] & ~(c.s.fired_at_true[:, e] <= c.s.fired_at[:, e])


def _missed(c: Final, key: str) -> np.ndarray:
    """The shadow on the true indicators was met on a day before the event fired, or it never fired."""
    e = c.event(key)
    with np.errstate(invalid="ignore"):
        return c.s.E_true[:, e] & ~(c.s.fired_at[:, e] <= c.s.fired_at_true[:, e])


def _in_window(name: str, item: Callable[[Final, str], int]) -> Callable[[Final, str], np.ndarray]:
    def compute(c: Final, key: str) -> np.ndarray:
        base, span = _span(key)
        return c.w.windowed(name, item(c, base), span)

    return compute


Compute = Callable[[Final, str], np.ndarray]

COMPUTE: dict[tuple[str, Scope], Compute] = {
    ("shipped", Scope.TRANSFER): lambda c, k: c.s.shipped[:, c.transfer(k)].copy(),
    ("delivered", Scope.TRANSFER): lambda c, k: c.s.delivered[:, c.transfer(k)].copy(),
    ("lost", Scope.TRANSFER): lambda c, k: c.s.lost[:, c.transfer(k)].copy(),
    ("days_of_fire", Scope.TRANSFER): _days_of_fire,
    ("fired_total", Scope.DEMAND): lambda c, k: c.s.fired[:, *c.cell(k)].copy(),
    ("shortfall", Scope.DEMAND): lambda c, k: c.s.shortfall[:, *c.cell(k)].copy(),
    ("first_shortfall", Scope.DEMAND): lambda c, k: c.w.first_short[:, c.pair(k)].copy(),
    ("shortfall_days", Scope.DEMAND): lambda c, k: c.w.short_days[:, c.pair(k)].astype(float),
    ("days_of_fire_total", Scope.DEMAND): _days_of_fire_total,
    ("final_stock", Scope.STOCK): lambda c, k: c.s.S[:, *c.cell(k)].copy(),
    ("final", Scope.INDICATOR): lambda c, k: c.s.I[:, c.indicator(k)].copy(),
    ("peak", Scope.INDICATOR): lambda c, k: c.w.peak[c.indicator(k)].copy(),
    ("days_above", Scope.INDICATOR): lambda c, k: c.w.days_above[c.indicator(k)].astype(float),
    ("miscalc_peak", Scope.INDICATOR): lambda c, k: c.w.mis_peak[c.indicator(k)].copy(),
    ("miscalc_mean", Scope.INDICATOR): lambda c, k: c.w.mis_sum[c.indicator(k)] / c.st.T,
    ("miscalc_peak", Scope.RUN): _gap_max,
    ("miscalc_mean", Scope.RUN): _gap_mean,
    ("fired", Scope.EVENT): lambda c, k: c.s.E[:, c.event(k)].copy(),
    ("fired_day", Scope.EVENT): lambda c, k: c.s.fired_at[:, c.event(k)].copy(),
    ("fired_true", Scope.EVENT): lambda c, k: c.s.E_true[:, c.event(k)].copy(),
    ("misfired", Scope.EVENT): _misfired,
    ("missed", Scope.EVENT): _missed,
    ("leaked", Scope.COUPLED): lambda c, k: c.s.leaked[:, c.coupled(k)].copy(),
    ("delivered", Scope.TRANSFER_WINDOW): _in_window("delivered", Final.transfer),
    ("fired_total", Scope.DEMAND_WINDOW): _in_window("fired", Final.pair),
    ("shortfall", Scope.DEMAND_WINDOW): _in_window("shortfall", Final.pair),
    ("shortfall_days", Scope.DEMAND_WINDOW): _in_window("short_days", Final.pair),
    ("leaked", Scope.COUPLED_WINDOW): _in_window("leaked", Final.coupled),
}
"""How each outcome family (name, scope) is computed from the final state, one key at a time."""
