"""The static structure of a scenario: index arrays the engine works with.

Everything here is the same for every run; per-run numbers live in :mod:`params`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spillover.engine.kinds import SignalKind
from spillover.engine.schedule import basis
from spillover.scenario.inputs import Input, scenario_inputs
from spillover.scenario.model import Scenario
from spillover.scenario.quantity import Quantity

Path_ = tuple[str | int, ...]


@dataclass
class Series:
    """A scheduled rate: a transfer's rate, or an actor's production or demand of a munition."""

    kind: str  # "transfer" | "production" | "demand"
    key: tuple[str, ...]
    basis: np.ndarray
    quantities: list[tuple[Path_, Quantity]]
    scales: list[tuple[Path_, Quantity]]


@dataclass
class Structure:
    """Index arrays of a compiled scenario."""

    scenario: Scenario
    T: int
    actors: list[str]
    munitions: list[str]
    stocked: np.ndarray  # (M,) bool: munitions (True) vs goods (False)
    transfers: list[str]
    tr_sup: np.ndarray
    tr_rcp: np.ndarray
    tr_mun: np.ndarray
    tr_parent: np.ndarray  # (F,) index of the transfer paid for, or -1
    tr_order: list[int]
    tr_dormant: np.ndarray
    series: list[Series]
    observers: list[str]
    signals: list[str]
    indicators: list[str]
    ind_observer: np.ndarray  # (K,) index into observers, or -1 for an exact observer
    ind_logistic: np.ndarray  # (K,) bool
    events: list[str]
    levers: list[str]
    sig_kind: np.ndarray  # (S,) SignalKind
    sig_target: np.ndarray  # (S,) transfer, flat stock a·M+m, event or lever
    sig_measure: np.ndarray  # (S,) flows row a flow signal reads: 3 shipped today, 4 delivered today
    inputs: list[Input] = field(default_factory=list)

    @property
    def A(self) -> int:
        return len(self.actors)

    @property
    def M(self) -> int:
        return len(self.munitions)

    @property
    def F(self) -> int:
        return len(self.transfers)

    def series_index(self, kind: str, *key: str) -> int:
        """Position of a scheduled series."""
        for i, s in enumerate(self.series):
            if s.kind == kind and s.key == key:
                return i
        raise KeyError((kind, *key))


def _order(parent: np.ndarray) -> list[int]:
    done: list[int] = []
    pending = list(range(len(parent)))
    while pending:
        for f in list(pending):
            if parent[f] < 0 or parent[f] in done:
                done.append(f)
                pending.remove(f)
    return done


def _series(sc: Scenario) -> list[Series]:
    out: list[Series] = []
    horizon = sc.horizon

    def add(kind: str, key: tuple[str, ...], sched: object, path: Path_) -> None:
        b, qs = basis(sched, sc.start, horizon, path)  # type: ignore[arg-type]
        scales = [((*path, "scale", i), q) for i, q in enumerate(sched.scale)]  # type: ignore[attr-defined]
        out.append(Series(kind, key, b, qs, scales))

    for f, tr in sc.transfers.items():
        if tr.rate is not None:
            add("transfer", (f,), tr.rate, ("transfers", f, "rate"))
    for section in ("production", "demand"):
        for a, by in getattr(sc, section).items():
            for m, sched in by.items():
                add(section, (a, m), sched, (section, a, m))
    return out


def _signal_index(sc: Scenario, actors: list[str], muns: list[str]) -> tuple[np.ndarray, ...]:
    """Each signal's kind, what it reads, and (flows) which measure."""
    S = len(sc.signals)
    kind, target, measure = np.zeros(S, np.int64), np.zeros(S, np.int64), np.full(S, 3, np.int64)
    for i, sig in enumerate(sc.signals.values()):
        if sig.flow is not None:
            kind[i], target[i] = SignalKind.FLOW, list(sc.transfers).index(sig.flow)
            measure[i] = 4 if sig.measure == "delivered" else 3
        elif sig.stock is not None:
            kind[i] = SignalKind.STOCK
            target[i] = actors.index(sig.stock.actor) * len(muns) + muns.index(sig.stock.munition)
        elif sig.event is not None:
            kind[i], target[i] = SignalKind.EVENT, list(sc.events).index(sig.event)
        else:
            kind[i], target[i] = SignalKind.LEVER, list(sc.levers).index(str(sig.lever))
    return kind, target, measure


def build_structure(sc: Scenario) -> Structure:
    """Compile the static structure of a validated scenario."""
    actors = list(sc.actors)
    muns = list(sc.munitions)
    transfers = list(sc.transfers)
    trs = [sc.transfers[f] for f in transfers]
    parent = np.array(
        [transfers.index(t.compensation.of) if t.compensation else -1 for t in trs], dtype=np.int64
    )
    observers = list(sc.perception.observers)
    indicators = list(sc.indicators)
    ind_obs = np.array(
        [observers.index(i.observer) if i.observer in observers else -1 for i in sc.indicators.values()],
        dtype=np.int64,
    )
    sig_kind, sig_target, sig_measure = _signal_index(sc, actors, muns)
    return Structure(
        scenario=sc,
        T=sc.horizon,
        actors=actors,
        munitions=muns,
        stocked=np.array([sc.munitions[m].kind == "munition" for m in muns]),
        transfers=transfers,
        tr_sup=np.array([actors.index(t.supplier) for t in trs], dtype=np.int64),
        tr_rcp=np.array([actors.index(t.recipient) for t in trs], dtype=np.int64),
        tr_mun=np.array([muns.index(t.munition) for t in trs], dtype=np.int64),
        tr_parent=parent,
        tr_order=_order(parent),
        tr_dormant=np.array([t.dormant for t in trs], dtype=bool),
        series=_series(sc),
        observers=observers,
        signals=list(sc.signals),
        indicators=indicators,
        ind_observer=ind_obs,
        ind_logistic=np.array([i.kind == "logistic" for i in sc.indicators.values()], dtype=bool),
        events=list(sc.events),
        levers=list(sc.levers),
        sig_kind=sig_kind,
        sig_target=sig_target,
        sig_measure=sig_measure,
        inputs=scenario_inputs(sc),
    )
