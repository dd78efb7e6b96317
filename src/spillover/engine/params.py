"""Per-run numbers of a compiled scenario: every array has a leading run (row) axis."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import numpy as np

from spillover.engine.kinds import EffectKind
from spillover.engine.structure import Structure
from spillover.scenario.model import Effect as EffectSpec
from spillover.scenario.quantity import Quantity
from spillover.scenario.walk import input_name

Path_ = tuple[str | int, ...]


@dataclass
class Effect:
    """One event effect, compiled: what it touches and its per-row value.

    ``target`` is a transfer (start, scale_transfer), an indicator (add_beta), a scheduled
    series (scale_series), or an edge ``(indicator, source)`` whose source indexes the
    indicators followed by the signals (scale_edge).
    """

    event: int
    kind: EffectKind
    target: tuple[int, ...]
    value: np.ndarray  # (R,)


@dataclass
class Params:
    """Per-row parameters. Rows are runs, or (variant, run) pairs once tiled."""

    S0: np.ndarray  # (R, A, M)
    V: np.ndarray  # (R, Ktot) schedule values
    scale: np.ndarray  # (R, nS) schedule scales
    delay: np.ndarray  # (R, F) int64 days
    loss: np.ndarray  # (R, F)
    reserve: np.ndarray  # (R, F)
    cov: np.ndarray  # (R, F) covertness
    cap: np.ndarray  # (R, F) absolute cap, inf when none
    ratio: np.ndarray  # (R, F) compensation per unit delivered by the parents (or made)
    limit: np.ndarray  # (R, F) units a compensation pays for at most, inf when unlimited
    lump_day: np.ndarray  # (R, nL) int64 day each lump sum is paid
    lump_amt: np.ndarray  # (R, nL) its amount
    step_day: np.ndarray  # (R, nSteps) int64 step days of the series with uncertain step dates
    per_input: np.ndarray  # (R, nP) input consumed per unit made, by production line (engine order)
    stops: np.ndarray  # (R, C) share of engaged units a coupled demand stops
    sig_ref: np.ndarray  # (R, S) reference rate (flows), 1 otherwise
    sig_cov: np.ndarray  # (R, S) covertness of stock signals
    bias: np.ndarray  # (R, O)
    noise: np.ndarray  # (R, O)
    persistence: np.ndarray  # (R,)
    tau: np.ndarray  # (R, K)
    beta: np.ndarray  # (R, K)
    initial: np.ndarray  # (R, K), NaN = rest level
    W: np.ndarray  # (R, K, K)
    Vs: np.ndarray  # (R, K, S)
    theta: np.ndarray  # (R, E)
    hazard_rate: np.ndarray  # (R, E)
    width: np.ndarray  # (R, E)
    on_day: np.ndarray  # (R, E) int64 day a dated event fires, -1 for the others
    sanction_delay: np.ndarray  # (R, L) extra days at full enforcement
    sanction_loss: np.ndarray  # (R, L) extra loss at full enforcement
    lever_values: np.ndarray  # (R, G, L) lever values in each lever period
    lever_from: np.ndarray  # (R, G) int64 first day of each period (the same in every row)
    active: np.ndarray  # (R, F) 1 for flowing transfers, 0 for dormant or ablated
    effects: list[Effect]

    @property
    def R(self) -> int:
        return int(self.S0.shape[0])

    def take(self, rows: np.ndarray) -> Params:
        """The parameters of the given rows (e.g. runs repeated once per variant)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "effects":
                out[f.name] = [replace(e, value=e.value[rows]) for e in v]
            else:
                out[f.name] = v[rows]
        return Params(**out)


class _Values:
    def __init__(self, values: Mapping[str, np.ndarray], R: int) -> None:
        self.values, self.R = values, R

    def __call__(self, path: Path_, q: Quantity | None, default: float = 0.0) -> np.ndarray:
        if q is None:
            return np.full(self.R, default)
        if not q.uncertain:
            return np.full(self.R, q.params[0] if q.kind == "value" else q.nominal)
        return np.asarray(self.values[input_name(path, q)], dtype=float)


def _stocks(st: Structure, val: _Values) -> np.ndarray:
    sc = st.scenario
    S0 = np.zeros((val.R, st.A, st.M))
    for a, by in sc.stocks.items():
        for m, q in by.items():
            S0[:, st.actors.index(a), st.munitions.index(m)] = val(("stocks", a, m), q)
    return S0


def _schedules(st: Structure, val: _Values) -> tuple[np.ndarray, np.ndarray]:
    cols, scales = [], []
    for s in st.series:
        cols += [val(p, q) for p, q in s.quantities]
        sc = np.ones(val.R)
        for p, q in s.scales:
            sc = sc * val(p, q)
        scales.append(sc)
    if not st.series:
        return np.zeros((val.R, 0)), np.zeros((val.R, 0))
    return np.stack(cols, axis=1), np.stack(scales, axis=1)


def _days(x: np.ndarray) -> np.ndarray:
    """Days of the run as whole days, rounded half to even (as delays are)."""
    return np.rint(x).astype(np.int64)


def _transfers(st: Structure, val: _Values) -> dict[str, np.ndarray]:
    sc = st.scenario
    out = {k: np.zeros((val.R, st.F)) for k in ("delay", "loss", "reserve", "cov", "cap", "ratio", "limit")}
    lump_day, lump_amt = [], []
    for i, f in enumerate(st.transfers):
        tr, p = sc.transfers[f], ("transfers", f)
        out["delay"][:, i] = val((*p, "delay"), tr.delay)
        out["loss"][:, i] = val((*p, "loss"), tr.loss)
        out["reserve"][:, i] = val((*p, "reserve"), tr.reserve)
        out["cov"][:, i] = val((*p, "covertness"), tr.covertness)
        out["cap"][:, i] = val((*p, "cap"), tr.cap, default=np.inf)
        comp = tr.compensation
        out["limit"][:, i] = val((*p, "compensation", "up_to"), comp.up_to if comp else None, default=np.inf)
        if comp is not None:
            out["ratio"][:, i] = val((*p, "compensation", "per_unit"), comp.per_unit)
            for j, lump in enumerate(comp.lumps):
                lp = (*p, "compensation", "lumps", j)
                lump_day.append(_days(val((*lp, "on"), lump.on)))
                lump_amt.append(val((*lp, "amount"), lump.amount))
    out["delay"] = _days(out["delay"])
    out["lump_day"] = np.stack(lump_day, axis=1) if lump_day else np.zeros((val.R, 0), np.int64)
    out["lump_amt"] = np.stack(lump_amt, axis=1) if lump_amt else np.zeros((val.R, 0))
    return out


def _lines(st: Structure, val: _Values) -> dict[str, np.ndarray]:
    """Per-row numbers of production lines, coupled demands and uncertain step days."""
    sc, R = st.scenario, val.R
    per_input = np.zeros((R, len(st.lines.prod)))
    for i, s in enumerate(st.lines.prod):
        a, m = st.series[s].key
        made_from = sc.production[a][m].input
        if made_from is not None:
            per_input[:, i] = val(("production", a, m, "input", "per_unit"), made_from.per_unit)
    stops = np.ones((R, st.C))
    for j, s in enumerate(st.lines.dem):
        c = st.lines.coupled[j]
        if c >= 0:
            a, m = st.series[s].key
            stops[:, c] = val(("demand", a, m, "follows", "stops"), sc.demand[a][m].follows.stops)  # type: ignore[union-attr]
    days = [_days(val(path, q)) for s in st.series for path, q in s.steps]
    step_day = np.stack(days, axis=1) if days else np.zeros((R, 0), np.int64)
    return {"per_input": per_input, "stops": stops, "step_day": step_day}


def _signals(st: Structure, val: _Values) -> tuple[np.ndarray, np.ndarray]:
    sc = st.scenario
    ref = np.ones((val.R, len(st.signals)))
    cov = np.zeros((val.R, len(st.signals)))
    for i, s in enumerate(st.signals):
        sig = sc.signals[s]
        if sig.reference is not None:
            ref[:, i] = val(("signals", s, "reference"), sig.reference)
        if sig.covertness is not None:
            cov[:, i] = val(("signals", s, "covertness"), sig.covertness)
    return ref, cov


def _indicators(st: Structure, val: _Values) -> dict[str, np.ndarray]:
    sc, R, K, S = st.scenario, val.R, len(st.indicators), len(st.signals)
    out = {
        "tau": np.ones((R, K)),
        "beta": np.zeros((R, K)),
        "initial": np.full((R, K), np.nan),
        "W": np.zeros((R, K, K)),
        "Vs": np.zeros((R, K, S)),
    }
    for k, name in enumerate(st.indicators):
        ind, p = sc.indicators[name], ("indicators", name)
        out["tau"][:, k] = val((*p, "tau"), ind.tau)
        out["beta"][:, k] = val((*p, "beta"), ind.beta)
        if ind.initial is not None:
            out["initial"][:, k] = val((*p, "initial"), ind.initial)
        for j, q in ind.inputs.items():
            w = val((*p, "inputs", j), q)
            if j in st.indicators:
                out["W"][:, k, st.indicators.index(j)] = w
            else:
                out["Vs"][:, k, st.signals.index(j)] = w
        if ind.gain is not None:
            gain = val((*p, "gain"), ind.gain)
            out["W"][:, k] *= gain[:, None]
            out["Vs"][:, k] *= gain[:, None]
    return out


def _perception(st: Structure, val: _Values) -> dict[str, np.ndarray]:
    per, R = st.scenario.perception, val.R
    bias = np.zeros((R, len(st.observers)))
    noise = np.zeros((R, len(st.observers)))
    for i, o in enumerate(st.observers):
        ob = per.observers[o]
        bias[:, i] = val(("perception", "observers", o, "bias"), ob.bias)
        noise[:, i] = val(("perception", "observers", o, "noise"), ob.noise)
    phi = val(("perception", "persistence"), per.persistence)
    return {"bias": bias, "noise": noise, "persistence": phi}


def _events(st: Structure, val: _Values) -> tuple[dict[str, np.ndarray], list[Effect]]:
    sc, R, E = st.scenario, val.R, len(st.events)
    out = {k: np.zeros((R, E)) for k in ("theta", "hazard_rate", "width")}
    out["on_day"] = np.full((R, E), -1, np.int64)
    effects: list[Effect] = []
    for e, name in enumerate(st.events):
        ev, p = sc.events[name], ("events", name)
        for i, eff in enumerate(ev.effects):
            effects.append(_effect(st, val, e, eff, (*p, "effects", i)))
        if ev.trigger.on is not None:
            out["on_day"][:, e] = _days(val((*p, "trigger", "on"), ev.trigger.on))
            continue
        hz = ev.trigger.hazard
        spec = hz or ev.trigger.threshold
        tp = (*p, "trigger", "hazard" if hz else "threshold")
        out["theta"][:, e] = val((*tp, "theta"), spec.theta)  # type: ignore[union-attr]
        if hz is not None:
            out["hazard_rate"][:, e] = val((*tp, "rate"), hz.rate)
            out["width"][:, e] = val((*tp, "width"), hz.width)
    return out, effects


def _effect(st: Structure, val: _Values, e: int, eff: EffectSpec, p: Path_) -> Effect:
    if eff.start is not None:
        return Effect(e, EffectKind.START, (st.transfers.index(eff.start),), np.ones(val.R))
    if eff.start_production is not None:
        line = eff.start_production
        s = st.series_index("production", line.actor, line.munition)
        return Effect(e, EffectKind.START_PRODUCTION, (s,), np.ones(val.R))
    if eff.add_beta is not None:
        ab = eff.add_beta
        k = st.indicators.index(ab.indicator)
        return Effect(e, EffectKind.ADD_BETA, (k,), val((*p, "add_beta", "value"), ab.value))
    if eff.scale_weight is not None:
        sw = eff.scale_weight
        k = st.indicators.index(sw.indicator)
        factor = val((*p, "scale_weight", "factor"), sw.factor)
        K = len(st.indicators)
        source = (st.indicators.index(sw.input) if sw.input in st.indicators
                  else K + st.signals.index(sw.input))
        return Effect(e, EffectKind.SCALE_EDGE, (k, source), factor)
    sr = eff.scale_rate
    assert sr is not None
    factor = val((*p, "scale_rate", "factor"), sr.factor)
    if sr.transfer is not None:
        return Effect(e, EffectKind.SCALE_TRANSFER, (st.transfers.index(sr.transfer),), factor)
    kind = "production" if sr.production is not None else "demand"
    ref = sr.production or sr.demand
    assert ref is not None
    return Effect(e, EffectKind.SCALE_SERIES, (st.series_index(kind, ref.actor, ref.munition),), factor)


def _levers(st: Structure, val: _Values) -> dict[str, np.ndarray]:
    sc, R, L = st.scenario, val.R, len(st.levers)
    out = {"sanction_delay": np.zeros((R, L)), "sanction_loss": np.zeros((R, L))}
    values = np.zeros((R, L))
    for i, name in enumerate(st.levers):
        lv, p = sc.levers[name], ("levers", name)
        values[:, i] = lv.default
        out["sanction_delay"][:, i] = val((*p, "delay"), lv.delay)
        out["sanction_loss"][:, i] = val((*p, "loss"), lv.loss)
    out["lever_values"] = values[:, None, :]
    out["lever_from"] = np.zeros((R, 1), np.int64)
    return out


def build_params(st: Structure, values: Mapping[str, np.ndarray], R: int) -> Params:
    """Per-run parameters for ``R`` runs from the sampled ``values`` of each input."""
    val = _Values(values, R)
    V, scale = _schedules(st, val)
    sig_ref, sig_cov = _signals(st, val)
    ev, effects = _events(st, val)
    return Params(
        S0=_stocks(st, val),
        V=V,
        scale=scale,
        **_transfers(st, val),
        **_lines(st, val),
        sig_ref=sig_ref,
        sig_cov=sig_cov,
        **_perception(st, val),
        **_indicators(st, val),
        **ev,
        **_levers(st, val),
        active=np.broadcast_to(~st.tr_dormant, (R, st.F)).astype(float),
        effects=effects,
    )
