"""The daily step (MODEL §3), vectorised over rows, and the loop over days.

Order of one step: schedule and levers → transfers → production → consumption →
signals → indicators → triggers. Event effects act from the next day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
from scipy.special import expit

from spillover.engine.levers import LeverEffects, lever_effects
from spillover.engine.params import Params
from spillover.engine.state import State
from spillover.engine.structure import Structure


@dataclass
class Draws:
    """Each row's random inputs, drawn at set-up from its run's own stream.

    ``noise`` is (R, O, S) standard normals, or (T, R, O, S) AR(1) innovations when the
    scenario's perception process is ``ar1``; ``thresholds`` is (R, E) Exp(1) draws for
    hazard events.
    """

    noise: np.ndarray
    thresholds: np.ndarray


class Observer(Protocol):
    """Something that watches the state after every day (outcomes, quantile series)."""

    def observe(self, state: State) -> None: ...


@dataclass
class _Kernel:
    st: Structure
    p: Params
    lev: LeverEffects
    draws: Draws
    B: np.ndarray  # (T, Ktot) schedule basis
    offsets: np.ndarray  # (nS,)
    tr_series: np.ndarray  # (F,) series index or -1
    prod: tuple[np.ndarray, np.ndarray]  # series idx, flat (a*M+m)
    dem: tuple[np.ndarray, np.ndarray]
    sig_cov: np.ndarray  # (R, S) effective covertness of each signal
    Vs: np.ndarray  # (R, K, S) true weights (event effects may scale them)
    W: np.ndarray  # (R, K, K)
    beta: np.ndarray  # (R, K)
    Veff: np.ndarray  # (R, K, S) weights times perception
    n: np.ndarray  # (R, O, S) current perception noise
    tmult: np.ndarray  # (R, F) event multipliers on transfers
    smult: np.ndarray  # (R, nS) event multipliers on schedules
    active: np.ndarray  # (R, F)
    window: int
    exact: bool = False  # every observer sees exactly: I_true is I
    steady: np.ndarray | None = None  # (T,) the schedule basis is unchanged since yesterday
    nodelay: np.ndarray | None = None  # (F,) transfers delivered the day they ship, every row
    cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # rates, production, demand


def _bank(st: Structure) -> tuple[np.ndarray, np.ndarray]:
    B = np.concatenate([s.basis for s in st.series], axis=1) if st.series else np.zeros((st.T, 0))
    sizes = [s.basis.shape[1] for s in st.series]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return np.ascontiguousarray(B), offsets


def _pairs(st: Structure, kind: str) -> tuple[np.ndarray, np.ndarray]:
    idx = [i for i, s in enumerate(st.series) if s.kind == kind]
    flat = [st.actors.index(st.series[i].key[0]) * st.M + st.munitions.index(st.series[i].key[1])
            for i in idx]
    return np.array(idx, dtype=np.int64), np.array(flat, dtype=np.int64)


def _signal_covertness(st: Structure, p: Params, lev: LeverEffects) -> np.ndarray:
    cov = p.sig_cov.copy()
    for i, s in enumerate(st.signals):
        sig = st.scenario.signals[s]
        if sig.flow is not None:
            f = st.transfers.index(sig.flow)
            cov[:, i] = p.cov[:, f] * (1.0 - lev.transparency[:, f])
    return cov


def _perceived(k: _Kernel) -> np.ndarray:
    """Weights times exp(covertness·(1−transparency)·(bias + noise·n)) per indicator's observer."""
    p, obs = k.p, k.st.ind_observer
    if len(k.st.observers) == 0:
        return k.Vs.copy()
    has = (obs >= 0)[None, :, None]
    o = np.where(obs >= 0, obs, 0)
    bias = p.bias[:, o][:, :, None]
    noise = p.noise[:, o][:, :, None]
    n = k.n[:, o, :]
    expo = np.where(has, k.sig_cov[:, None, :] * (bias + noise * n), 0.0)
    return k.Vs * np.exp(expo)


def _kernel(st: Structure, p: Params, draws: Draws) -> _Kernel:
    lev = lever_effects(st, p)
    B, offsets = _bank(st)
    tr_series = np.full(st.F, -1, dtype=np.int64)
    for i, s in enumerate(st.series):
        if s.kind == "transfer":
            tr_series[st.transfers.index(s.key[0])] = i
    ar1 = draws.noise.ndim == 4
    k = _Kernel(
        st=st, p=p, lev=lev, draws=draws, B=B, offsets=offsets, tr_series=tr_series,
        prod=_pairs(st, "production"), dem=_pairs(st, "demand"),
        sig_cov=_signal_covertness(st, p, lev), Vs=p.Vs.copy(), W=p.W.copy(), beta=p.beta.copy(),
        Veff=p.Vs, n=draws.noise[0] if ar1 else draws.noise,
        tmult=np.ones((p.R, st.F)), smult=np.ones((p.R, len(st.series))), active=p.active.copy(),
        window=int(lev.delay.max(initial=0)) + 1,
    )
    k.Veff = _perceived(k)
    k.exact = not ar1 and np.array_equal(k.Veff, k.Vs)
    k.steady = np.r_[False, (B[1:] == B[:-1]).all(axis=1)]
    k.nodelay = (lev.delay == 0).all(axis=0)
    return k


def initial_state(st: Structure, p: Params, window: int) -> State:
    """Day-0 state: initial stocks, indicators at their initial value or rest level."""
    R, A, M, F, E = p.R, st.A, st.M, st.F, len(st.events)
    rest = np.where(st.ind_logistic, expit(p.beta), 0.0)
    I0 = np.where(np.isnan(p.initial), rest, p.initial)
    zeros_am = np.zeros((R, A, M))
    return State(
        t=-1, S=p.S0.copy(), pipe=np.zeros((R, F, window)), I=I0.copy(), I_true=I0.copy(),
        E=np.zeros((R, E), dtype=bool), fired_at=np.full((R, E), np.nan),
        hazard=np.zeros((R, E)), above=np.zeros((R, E), dtype=np.int64),
        produced=zeros_am.copy(), fired=zeros_am.copy(), demanded=zeros_am.copy(),
        shortfall=zeros_am.copy(), shipped=np.zeros((R, F)), delivered=np.zeros((R, F)),
        lost=np.zeros((R, F)), shipped_today=np.zeros((R, F)), delivered_today=np.zeros((R, F)),
        demand_today=zeros_am.copy(), fired_today=zeros_am.copy(), z=np.zeros((R, len(st.signals))),
    )


def _rates(k: _Kernel, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Today's scheduled rates, production and demand; reused while nothing changes."""
    if k.cache is not None and k.steady[t]:  # type: ignore[index]
        return k.cache
    R, A, M = k.p.R, k.st.A, k.st.M
    if k.st.series:
        per = np.add.reduceat(k.p.V * k.B[t], k.offsets, axis=1)
        rates = per * k.p.scale * k.smult
    else:
        rates = np.zeros((R, 0))
    k.cache = (rates, _dense(rates, k.prod, R, A, M), _dense(rates, k.dem, R, A, M))
    return k.cache


def _transfers(k: _Kernel, s: State, rates: np.ndarray, t: int) -> None:
    st, p, lev = k.st, k.p, k.lev
    rows = np.arange(p.R)
    slot_now = t % k.window
    for f in st.tr_order:
        a, r, m = st.tr_sup[f], st.tr_rcp[f], st.tr_mun[f]
        if st.tr_parent[f] >= 0:
            want = p.ratio[:, f] * s.delivered_today[:, st.tr_parent[f]]
        else:
            want = rates[:, k.tr_series[f]]
        want = np.minimum(want * (k.active[:, f] * k.tmult[:, f] * lev.cap[:, f]), p.cap[:, f])
        if st.stocked[m]:
            ship = np.minimum(want, np.maximum(s.S[:, a, m] - p.reserve[:, f], 0.0))
            s.S[:, a, m] -= ship
        else:
            ship = want
            s.produced[:, a, m] += ship
        lost = ship * lev.loss[:, f]
        if k.nodelay[f]:  # type: ignore[index]
            got = ship - lost
        else:
            s.pipe[rows, f, (t + lev.delay[:, f]) % k.window] += ship - lost
            got = s.pipe[:, f, slot_now].copy()
            s.pipe[:, f, slot_now] = 0.0
        s.S[:, r, m] += got
        s.shipped_today[:, f] = ship
        s.delivered_today[:, f] = got
        s.shipped[:, f] += ship
        s.delivered[:, f] += got
        s.lost[:, f] += lost


def _dense(rates: np.ndarray, pairs: tuple[np.ndarray, np.ndarray], R: int, A: int, M: int) -> np.ndarray:
    out = np.zeros((R, A * M))
    out[:, pairs[1]] = rates[:, pairs[0]]
    return out.reshape(R, A, M)


def _produce_consume(s: State, prod: np.ndarray, demand: np.ndarray) -> None:
    s.S += prod
    s.produced += prod
    fired = np.minimum(demand, s.S)
    s.S -= fired
    s.demand_today, s.fired_today = demand, fired
    s.demanded += demand
    s.fired += fired
    s.shortfall += demand - fired


def _signals(k: _Kernel, s: State) -> np.ndarray:
    st, sc = k.st, k.st.scenario
    z = s.z
    for i, name in enumerate(st.signals):
        sig = sc.signals[name]
        if sig.flow is not None:
            f = st.transfers.index(sig.flow)
            flow = s.delivered_today[:, f] if sig.measure == "delivered" else s.shipped_today[:, f]
            z[:, i] = flow / k.p.sig_ref[:, i]
        elif sig.stock is not None:
            a, m = st.actors.index(sig.stock.actor), st.munitions.index(sig.stock.munition)
            z[:, i] = s.S[:, a, m] / np.maximum(30.0 * s.demand_today[:, a, m], 1.0)
        elif sig.event is not None:
            z[:, i] = s.E[:, st.events.index(sig.event)]
        else:
            z[:, i] = k.p.lever_values[:, st.levers.index(sig.lever)]  # type: ignore[arg-type]
    return z


def _update(k: _Kernel, I: np.ndarray, V: np.ndarray, z: np.ndarray) -> None:
    """I += (g(beta + W·I + V·z) − I) / tau, in place."""
    x = k.beta + (k.W * I[:, None, :]).sum(axis=2)
    if z.shape[1]:
        x += (V * z[:, None, :]).sum(axis=2)
    logistic = k.st.ind_logistic
    if logistic.all():
        g = expit(x)
    elif logistic.any():
        g = np.where(logistic, expit(x), x)
    else:
        g = x
    I += (g - I) / k.p.tau


def _indicators(k: _Kernel, s: State, z: np.ndarray) -> None:
    _update(k, s.I, k.Veff, z)
    if k.exact:
        s.I_true[...] = s.I
    else:
        _update(k, s.I_true, k.Vs, z)


def _triggers(k: _Kernel, s: State, t: int) -> None:
    st, p = k.st, k.p
    if not st.events:
        return
    sc = st.scenario
    newly = np.zeros_like(s.E)
    for e, name in enumerate(st.events):
        trig = sc.events[name].trigger
        level = s.I[:, st.indicators.index(trig.indicator)]
        if trig.hazard is not None:
            s.hazard[:, e] += p.hazard_rate[:, e] * expit((level - p.theta[:, e]) / p.width[:, e])
            newly[:, e] = ~s.E[:, e] & (s.hazard[:, e] >= k.draws.thresholds[:, e])
        else:
            s.above[:, e] = np.where(level >= p.theta[:, e], s.above[:, e] + 1, 0)
            newly[:, e] = ~s.E[:, e] & (s.above[:, e] >= trig.threshold.days)  # type: ignore[union-attr]
    if newly.any():
        s.E |= newly
        s.fired_at[newly] = t
        _apply_effects(k, newly)


def _apply_effects(k: _Kernel, newly: np.ndarray) -> None:
    for eff in k.p.effects:
        rows = newly[:, eff.event]
        if not rows.any():
            continue
        v = eff.value[rows]
        if eff.kind == "start":
            k.active[rows, eff.target[0]] = v
        elif eff.kind == "add_beta":
            k.beta[rows, eff.target[0]] += v
        elif eff.kind == "scale_transfer":
            k.tmult[rows, eff.target[0]] *= v
        elif eff.kind == "scale_series":
            k.smult[rows, eff.target[0]] *= v
            k.cache = None
        elif eff.kind == "scale_w":
            k.W[rows, eff.target[0], eff.target[1]] *= v
        else:
            k.Vs[rows, eff.target[0], eff.target[1]] *= v
            k.Veff[rows, eff.target[0], eff.target[1]] *= v


def _advance_noise(k: _Kernel, t: int) -> None:
    phi = k.p.persistence[:, None, None]
    k.n = phi * k.n + np.sqrt(1.0 - phi**2) * k.draws.noise[t]
    k.Veff = _perceived(k)


def simulate(st: Structure, p: Params, draws: Draws, observers: Sequence[Observer] = ()) -> State:
    """Run every row of ``p`` over the horizon and return the final state.

    Each observer's ``observe(state)`` is called after every day.
    """
    k = _kernel(st, p, draws)
    s = initial_state(st, p, k.window)
    s.exact = k.exact
    ar1 = draws.noise.ndim == 4
    for t in range(st.T):
        s.t = t
        if ar1 and t > 0:
            _advance_noise(k, t)
        rates, prod, demand = _rates(k, t)
        _transfers(k, s, rates, t)
        _produce_consume(s, prod, demand)
        z = _signals(k, s)
        _indicators(k, s, z)
        _triggers(k, s, t)
        for ob in observers:
            ob.observe(s)
    return s
