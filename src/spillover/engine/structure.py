"""The static structure of a scenario: index arrays the engine works with.

Everything here is the same for every run; per-run numbers live in :mod:`params`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spillover.engine.kinds import EventKind, SignalKind
from spillover.engine.schedule import basis
from spillover.scenario.dates import DateQuantity
from spillover.scenario.inputs import Input, scenario_inputs
from spillover.scenario.model import Scenario
from spillover.scenario.quantity import Quantity

Path_ = tuple[str | int, ...]


@dataclass
class Series:
    """A scheduled rate: a transfer's rate, or an actor's production or demand of a munition.

    ``steps`` holds the step dates of a piecewise schedule whose dates are uncertain (each
    run has its own step days); it is empty otherwise.
    """

    kind: str  # "transfer" | "production" | "demand"
    key: tuple[str, ...]
    basis: np.ndarray
    quantities: list[tuple[Path_, Quantity]]
    scales: list[tuple[Path_, Quantity]]
    steps: list[tuple[Path_, DateQuantity]] = field(default_factory=list)


@dataclass
class Lines:
    """Production lines and demands, in the order the day steps them.

    Production lines without an input come first, then those that consume one (file order
    within each). Demands that follow nothing come first, then coupled demands, each after
    the demand whose fire it follows.
    """

    prod: np.ndarray  # (nP,) series of each production line
    prod_flat: np.ndarray  # (nP,) its stock a·M+m
    prod_input: np.ndarray  # (nP,) flat stock of the input it consumes, or -1
    dem: np.ndarray  # (nD,) series of each demand
    dem_flat: np.ndarray  # (nD,) its stock a·M+m
    plain: int  # demands [0, plain) follow nothing
    follow_kind: np.ndarray  # (nD,) 0 nothing, 1 another demand's fire, 2 a transfer's deliveries
    follow: np.ndarray  # (nD,) the demand (index into dem) or transfer followed, or -1
    coupled: np.ndarray  # (nD,) index among the coupled demands, or -1


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
    tr_parent: np.ndarray  # (F,) the first transfer paid for, or -1
    tr_par_ptr: np.ndarray  # (F + 1,) transfer f pays for tr_parents[ptr[f]:ptr[f + 1]]
    tr_parents: np.ndarray  # every transfer paid for, transfer after transfer
    tr_made: np.ndarray  # (F,) production line paid per unit made, or -1
    tr_limited: np.ndarray  # (F,) bool: pays for at most up_to units
    tr_order: list[int]
    tr_dormant: np.ndarray
    lump_tr: np.ndarray  # (nL,) the transfer of each lump sum
    series: list[Series]
    lines: Lines
    observers: list[str]
    signals: list[str]
    indicators: list[str]
    ind_observer: np.ndarray  # (K,) index into observers, or -1 for an exact observer
    ind_logistic: np.ndarray  # (K,) bool
    events: list[str]
    ev_kind: np.ndarray  # (E,) EventKind
    levers: list[str]
    sig_kind: np.ndarray  # (S,) SignalKind
    sig_target: np.ndarray  # (S,) transfer, flat stock a·M+m, event, lever, demand or coupled demand
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

    @property
    def C(self) -> int:
        """Coupled demands."""
        return int((self.lines.coupled >= 0).sum())

    def series_index(self, kind: str, *key: str) -> int:
        """Position of a scheduled series."""
        for i, s in enumerate(self.series):
            if s.kind == kind and s.key == key:
                return i
        raise KeyError((kind, *key))

    def parents(self, f: int) -> np.ndarray:
        """The transfers transfer ``f`` pays for."""
        return self.tr_parents[self.tr_par_ptr[f]: self.tr_par_ptr[f + 1]]


def _order(ptr: np.ndarray, parents: np.ndarray) -> list[int]:
    """Transfers with every transfer they pay for before them (validation refuses cycles)."""
    done: list[int] = []
    pending = list(range(len(ptr) - 1))
    while pending:
        for f in list(pending):
            if all(q in done for q in parents[ptr[f]: ptr[f + 1]]):
                done.append(f)
                pending.remove(f)
    return done


def _series(sc: Scenario) -> list[Series]:
    out: list[Series] = []
    horizon = sc.horizon

    def add(kind: str, key: tuple[str, ...], sched: object, path: Path_) -> None:
        b, qs = basis(sched, sc.start, horizon, path)  # type: ignore[arg-type]
        scales = [((*path, "scale", i), q) for i, q in enumerate(sched.scale)]  # type: ignore[attr-defined]
        steps = [((*path, "piecewise", k, "from"), s.start) for k, s in
                 enumerate(sched.piecewise or [])] if sched.dated else []  # type: ignore[attr-defined]
        out.append(Series(kind, key, b, qs, scales, steps))

    for f, tr in sc.transfers.items():
        if tr.rate is not None:
            add("transfer", (f,), tr.rate, ("transfers", f, "rate"))
    for section in ("production", "demand"):
        for a, by in getattr(sc, section).items():
            for m, sched in by.items():
                add(section, (a, m), sched, (section, a, m))
    return out


def _lines(sc: Scenario, series: list[Series], actors: list[str], muns: list[str]) -> Lines:
    M = len(muns)

    def flat(a: str, m: str) -> int:
        return actors.index(a) * M + muns.index(m)

    prods = [i for i, s in enumerate(series) if s.kind == "production"]
    made_from: dict[int, str | None] = {}
    for i in prods:
        line = sc.production[series[i].key[0]][series[i].key[1]].input
        made_from[i] = line.munition if line is not None else None
    prods = [i for i in prods if made_from[i] is None] + [i for i in prods if made_from[i] is not None]
    dems = [i for i, s in enumerate(series) if s.kind == "demand"]
    follows = {i: sc.demand[series[i].key[0]][series[i].key[1]].follows for i in dems}
    order = [i for i in dems if follows[i] is None]
    plain = len(order)
    pending = [i for i in dems if follows[i] is not None]
    while pending:
        ready = [i for i in pending if follows[i].fired is None  # type: ignore[union-attr]
                 or any(series[j].key == (follows[i].fired.actor, follows[i].fired.munition)  # type: ignore[union-attr]
                        for j in order)]
        if not ready:
            raise ValueError("coupled demands form a cycle or follow an undeclared demand")
        order.append(ready[0])
        pending.remove(ready[0])
    return Lines(
        prod=np.array(prods, np.int64), prod_flat=np.array([flat(*series[i].key) for i in prods], np.int64),
        prod_input=np.array([flat(series[i].key[0], m) if (m := made_from[i]) else -1 for i in prods],
                            np.int64),
        dem=np.array(order, np.int64), dem_flat=np.array([flat(*series[i].key) for i in order], np.int64),
        plain=plain, **_follow_arrays(sc, series, order),
    )


def _follow_arrays(sc: Scenario, series: list[Series], order: list[int]) -> dict[str, np.ndarray]:
    kind, target, coupled = (np.full(len(order), -1, np.int64) for _ in range(3))
    keys = [series[i].key for i in order]
    c = 0
    for j, i in enumerate(order):
        fol = sc.demand[series[i].key[0]][series[i].key[1]].follows
        if fol is None:
            kind[j] = 0
            continue
        coupled[j], c = c, c + 1
        if fol.fired is not None:
            kind[j], target[j] = 1, keys.index((fol.fired.actor, fol.fired.munition))
        else:
            kind[j], target[j] = 2, list(sc.transfers).index(str(fol.delivered))
    return {"follow_kind": kind, "follow": target, "coupled": coupled}


def _signal_index(sc: Scenario, actors: list[str], muns: list[str], lines: Lines,
                  series: list[Series]) -> tuple[np.ndarray, ...]:
    """Each signal's kind, what it reads, and (flows) which measure."""
    S = len(sc.signals)
    kind, target, measure = np.zeros(S, np.int64), np.zeros(S, np.int64), np.full(S, 3, np.int64)
    demands = [series[i].key for i in lines.dem]
    for i, sig in enumerate(sc.signals.values()):
        if sig.flow is not None:
            kind[i], target[i] = SignalKind.FLOW, list(sc.transfers).index(sig.flow)
            measure[i] = 4 if sig.measure == "delivered" else 3
        elif sig.stock is not None:
            kind[i] = SignalKind.STOCK
            target[i] = actors.index(sig.stock.actor) * len(muns) + muns.index(sig.stock.munition)
        elif sig.event is not None:
            kind[i], target[i] = SignalKind.EVENT, list(sc.events).index(sig.event)
        elif sig.lever is not None:
            kind[i], target[i] = SignalKind.LEVER, list(sc.levers).index(str(sig.lever))
        else:
            form = sig.kind
            ref = getattr(sig, form)
            j = demands.index((ref.actor, ref.munition))
            kind[i] = {"fired": SignalKind.FIRED, "shortfall": SignalKind.SHORTFALL,
                       "leaked": SignalKind.LEAKED}[form]
            target[i] = lines.coupled[j] if form == "leaked" else j
    return kind, target, measure


def _transfer_arrays(sc: Scenario, lines: Lines, series: list[Series]) -> dict[str, object]:
    transfers = list(sc.transfers)
    ptr, parents, made, limited = [0], [], [], []
    lump_tr: list[int] = []
    prods = [series[i].key for i in lines.prod]
    for f, t in enumerate(sc.transfers.values()):
        comp = t.compensation
        parents += [transfers.index(q) for q in (comp.parents if comp else [])]
        ptr.append(len(parents))
        produced = comp.produced if comp else None
        made.append(prods.index((produced.actor, produced.munition)) if produced else -1)
        limited.append(bool(comp and comp.up_to is not None))
        lump_tr += [f] * len(comp.lumps if comp else [])
    p, q = np.array(ptr, np.int64), np.array(parents, np.int64)
    first = np.array([q[p[f]] if p[f + 1] > p[f] else -1 for f in range(len(transfers))], np.int64)
    return {"tr_parent": first, "tr_par_ptr": p, "tr_parents": q, "tr_made": np.array(made, np.int64),
            "tr_limited": np.array(limited, bool), "tr_order": _order(p, q),
            "lump_tr": np.array(lump_tr, np.int64)}


def _event_kinds(sc: Scenario) -> np.ndarray:
    return np.array([EventKind.HAZARD if ev.trigger.hazard else EventKind.THRESHOLD if ev.trigger.threshold
                     else EventKind.DATED for ev in sc.events.values()], np.int64)


def build_structure(sc: Scenario) -> Structure:
    """Compile the static structure of a validated scenario."""
    actors, muns = list(sc.actors), list(sc.munitions)
    trs = list(sc.transfers.values())
    observers = list(sc.perception.observers)
    series = _series(sc)
    lines = _lines(sc, series, actors, muns)
    sig_kind, sig_target, sig_measure = _signal_index(sc, actors, muns, lines, series)
    return Structure(
        scenario=sc, T=sc.horizon, actors=actors, munitions=muns,
        stocked=np.array([sc.munitions[m].kind == "munition" for m in muns]),
        transfers=list(sc.transfers),
        tr_sup=np.array([actors.index(t.supplier) for t in trs], dtype=np.int64),
        tr_rcp=np.array([actors.index(t.recipient) for t in trs], dtype=np.int64),
        tr_mun=np.array([muns.index(t.munition) for t in trs], dtype=np.int64),
        **_transfer_arrays(sc, lines, series),  # type: ignore[arg-type]
        tr_dormant=np.array([t.dormant for t in trs], dtype=bool),
        series=series, lines=lines, observers=observers, signals=list(sc.signals),
        indicators=list(sc.indicators),
        ind_observer=np.array([observers.index(i.observer) if i.observer in observers else -1
                               for i in sc.indicators.values()], dtype=np.int64),
        ind_logistic=np.array([i.kind == "logistic" for i in sc.indicators.values()], dtype=bool),
        events=list(sc.events), ev_kind=_event_kinds(sc), levers=list(sc.levers),
        sig_kind=sig_kind, sig_target=sig_target, sig_measure=sig_measure,
        inputs=scenario_inputs(sc),
    )
