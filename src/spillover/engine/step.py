"""The daily step (MODEL §3) in NumPy, vectorised over rows, and its loop over days.

Order of one step: schedule and levers → transfers → production → consumption →
signals → indicators → triggers. Event effects act from the next day. This is the
readable reference; :mod:`spillover.engine.jit` compiles the same arithmetic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from spillover.engine.draws import Draws
from spillover.engine.kinds import EffectKind, SignalKind
from spillover.engine.levers import LeverEffects, lever_effects
from spillover.engine.network import Edges, build_edges, edge_weights, weighted_input
from spillover.engine.params import Params
from spillover.engine.state import State
from spillover.engine.structure import Structure
from spillover.engine.watch import Watcher


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
    edges: Edges
    w_true: np.ndarray  # (E, R) edge weights (event effects may scale them)
    w_seen: np.ndarray  # (E, R) edge weights times each observer's perception
    beta: np.ndarray  # (K, R)
    tau: np.ndarray  # (K, R)
    n: np.ndarray  # (R, O, S) current perception noise
    tmult: np.ndarray  # (R, F) event multipliers on transfers
    smult: np.ndarray  # (R, nS) event multipliers on schedules
    active: np.ndarray  # (R, F)
    window: int
    steady: np.ndarray  # (T,) the schedule basis is unchanged since yesterday
    nodelay: np.ndarray  # (F,) transfers delivered the day they ship, every row
    dem_index: dict[int, int]  # flat (a·M+m) -> demand pair
    ref: np.ndarray  # (S, R) reference rates of the signals
    exact: bool = False  # every observer sees exactly: I_true is I
    cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # rates, production, demand
    fl: _Flows = field(init=False)  # set once the kernel exists (it reads the kernel's arrays)


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
    for i in np.flatnonzero(st.sig_kind == SignalKind.FLOW):
        f = st.sig_target[i]
        cov[:, i] = p.cov[:, f] * (1.0 - lev.transparency[:, f])
    return cov


def _perceived(k: _Kernel) -> np.ndarray:
    """Edge weights times exp(covertness·(1−transparency)·(bias + noise·n)).

    The observer is the target indicator's; signal edges only, indicator edges are exact.
    """
    p, e, st = k.p, k.edges, k.st
    K = len(st.indicators)
    obs = st.ind_observer[e.target]
    sel = np.flatnonzero(e.is_signal & (obs >= 0))
    seen = k.w_true.copy()
    if len(sel):
        o, sig = obs[sel], e.source[sel] - K
        expo = k.sig_cov[:, sig] * (p.bias[:, o] + p.noise[:, o] * k.n[:, o, sig])
        seen[sel] *= np.exp(expo).T
    return seen


def _kernel(st: Structure, p: Params, draws: Draws) -> _Kernel:
    lev = lever_effects(st, p)
    B, offsets = _bank(st)
    tr_series = np.full(st.F, -1, dtype=np.int64)
    for i, s in enumerate(st.series):
        if s.kind == "transfer":
            tr_series[st.transfers.index(s.key[0])] = i
    ar1 = draws.noise.ndim == 4
    edges = build_edges(st)
    dem = _pairs(st, "demand")
    k = _Kernel(
        st=st, p=p, lev=lev, draws=draws, B=B, offsets=offsets, tr_series=tr_series,
        prod=_pairs(st, "production"), dem=dem,
        sig_cov=_signal_covertness(st, p, lev), edges=edges, w_true=edge_weights(edges, p.W, p.Vs),
        w_seen=np.empty(0), beta=np.ascontiguousarray(p.beta.T), tau=np.ascontiguousarray(p.tau.T),
        n=draws.noise[0] if ar1 else draws.noise,
        tmult=np.ones((p.R, st.F)), smult=np.ones((p.R, len(st.series))), active=p.active.copy(),
        window=int(lev.delay.max(initial=0)) + 1,
        steady=np.r_[False, (B[1:] == B[:-1]).all(axis=1)], nodelay=(lev.delay == 0).all(axis=0),
        dem_index={int(c): j for j, c in enumerate(dem[1])}, ref=np.ascontiguousarray(p.sig_ref.T),
    )
    k.w_seen = _perceived(k)
    k.exact = not ar1 and np.array_equal(k.w_seen, k.w_true)
    k.fl = _flows(k)
    return k


def initial_state(st: Structure, p: Params, window: int) -> State:
    """Day-0 state: initial stocks, indicators at their initial value or rest level."""
    R, A, M, F, E = p.R, st.A, st.M, st.F, len(st.events)
    rest = np.where(st.ind_logistic, expit(p.beta), 0.0)
    I0 = np.where(np.isnan(p.initial), rest, p.initial)
    zeros_am = np.zeros((R, A, M))
    P = sum(1 for s in st.series if s.kind == "demand")
    return State(
        t=-1, S=p.S0.copy(), pipe=np.zeros((F, window, R)), delay=np.zeros((F, R), dtype=np.int64),
        levels=np.stack([I0.T, I0.T]),
        E=np.zeros((R, E), dtype=bool), fired_at=np.full((R, E), np.nan),
        hazard=np.zeros((R, E)), above=np.zeros((R, E), dtype=np.int64),
        produced=zeros_am.copy(), fired=zeros_am.copy(), demanded=zeros_am.copy(),
        shortfall=zeros_am.copy(), flows=np.zeros((5, F, R)),
        demand_today=np.zeros((R, P)), fired_today=np.zeros((R, P)), z=np.zeros((len(st.signals), R)),
    )


def _rates(k: _Kernel, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Today's scheduled rates, production and demand; reused while nothing changes."""
    if k.cache is not None and k.steady[t]:
        return k.cache
    if k.st.series:
        per = np.add.reduceat(k.p.V * k.B[t], k.offsets, axis=1)
        rates = per * k.p.scale * k.smult
    else:
        rates = np.zeros((k.p.R, 0))
    k.cache = (rates, rates[:, k.prod[0]], rates[:, k.dem[0]])
    return k.cache


@dataclass
class _Flows:
    """Per-transfer parameters as contiguous (F, R) rows for the daily loop."""

    ratio: np.ndarray
    cap: np.ndarray
    reserve: np.ndarray
    loss: np.ndarray
    mult: np.ndarray  # active × event multiplier × cap lever
    back: np.ndarray  # delay·R − row: today's slot·R minus this is the flat index to read


def _flows(k: _Kernel) -> _Flows:
    p, lev, R = k.p, k.lev, k.p.R
    c = np.ascontiguousarray
    return _Flows(
        ratio=c(p.ratio.T), cap=c(p.cap.T), reserve=c(p.reserve.T), loss=c(lev.loss.T),
        mult=c((k.active * k.tmult * lev.cap).T),
        back=c((lev.delay * R - np.arange(R)[:, None]).T),
    )


def _transfers(k: _Kernel, s: State, rates: np.ndarray, t: int) -> None:
    """Ship (bounded by stock above reserve), lose, and deliver after the delay."""
    st, fl, R, W = k.st, k.fl, k.p.R, k.window
    shipped, delivered, lost, ship_today, got_today = s.flows
    for f in st.tr_order:
        a, r, m = st.tr_sup[f], st.tr_rcp[f], st.tr_mun[f]
        want = fl.ratio[f] * got_today[st.tr_parent[f]] if st.tr_parent[f] >= 0 else rates[:, k.tr_series[f]]
        want = np.minimum(want * fl.mult[f], fl.cap[f])
        if st.stocked[m]:
            ship = np.minimum(want, np.maximum(s.S[:, a, m] - fl.reserve[f], 0.0))
            s.S[:, a, m] -= ship
        else:
            ship = want
            s.produced[:, a, m] += ship
        gone = ship * fl.loss[f]
        if k.nodelay[f]:
            got = ship - gone
        else:
            s.pipe[f, t % W] = ship - gone
            got = s.pipe[f].reshape(-1)[((t % W) * R + W * R - fl.back[f]) % (W * R)]
        s.S[:, r, m] += got
        ship_today[f] = ship
        got_today[f] = got
        shipped[f] += ship
        delivered[f] += got
        lost[f] += gone


def _produce_consume(k: _Kernel, s: State, prod: np.ndarray, demand: np.ndarray) -> None:
    """Production adds to stocks; demand fires what the stock allows (pairs only)."""
    R = k.p.R
    S, produced = s.S.reshape(R, -1), s.produced.reshape(R, -1)
    if prod.shape[1]:
        S[:, k.prod[1]] += prod
        produced[:, k.prod[1]] += prod
    if demand.shape[1]:
        cols = k.dem[1]
        have = S[:, cols]
        fired = np.minimum(demand, have)
        S[:, cols] = have - fired
        s.demand_today, s.fired_today = demand, fired
        for total, add in ((s.demanded, demand), (s.fired, fired), (s.shortfall, demand - fired)):
            total.reshape(R, -1)[:, cols] += add


def _signals(k: _Kernel, s: State) -> np.ndarray:
    st, z = k.st, s.z
    R = s.S.shape[0]
    for i, (kind, j) in enumerate(zip(st.sig_kind, st.sig_target, strict=True)):
        if kind == SignalKind.FLOW:
            z[i] = s.flows[st.sig_measure[i], j] / k.ref[i]
        elif kind == SignalKind.STOCK:
            pair = k.dem_index.get(int(j))
            demand = s.demand_today[:, pair] if pair is not None else 0.0
            z[i] = s.S.reshape(R, -1)[:, j] / np.maximum(30.0 * demand, 1.0)
        elif kind == SignalKind.EVENT:
            z[i] = s.E[:, j]
        else:
            z[i] = k.p.lever_values[:, j]
    return z


def _update(k: _Kernel, I: np.ndarray, weights: np.ndarray, z: np.ndarray) -> None:
    """I += (g(beta + Σ weights · [I, z]) − I) / tau, in place."""
    x = weighted_input(k.edges, k.beta, weights, np.concatenate([I, z], axis=0))
    logistic = k.st.ind_logistic
    if logistic.all():
        g = expit(x)
    elif logistic.any():
        g = np.where(logistic[:, None], expit(x), x)
    else:
        g = x
    I += (g - I) / k.tau


def _indicators(k: _Kernel, s: State, z: np.ndarray) -> None:
    _update(k, s.levels[0], k.w_seen, z)
    if k.exact:
        s.levels[1] = s.levels[0]
    else:
        _update(k, s.levels[1], k.w_true, z)


def _triggers(k: _Kernel, s: State, t: int) -> None:
    st, p = k.st, k.p
    if not st.events:
        return
    sc = st.scenario
    newly = np.zeros_like(s.E)
    for e, name in enumerate(st.events):
        trig = sc.events[name].trigger
        level = s.levels[0, st.indicators.index(trig.indicator)]
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
        if eff.kind is EffectKind.START:
            k.active[rows, eff.target[0]] = v
            k.fl = _flows(k)
        elif eff.kind is EffectKind.ADD_BETA:
            k.beta[eff.target[0], rows] += v
        elif eff.kind is EffectKind.SCALE_TRANSFER:
            k.tmult[rows, eff.target[0]] *= v
            k.fl = _flows(k)
        elif eff.kind is EffectKind.SCALE_SERIES:
            k.smult[rows, eff.target[0]] *= v
            k.cache = None
        else:  # SCALE_EDGE: one edge
            edge = k.edges.index[(eff.target[0], eff.target[1])]
            k.w_true[edge, rows] *= v
            k.w_seen[edge, rows] *= v


def _advance_noise(k: _Kernel, t: int) -> None:
    phi = k.p.persistence[:, None, None]
    k.n = phi * k.n + np.sqrt(1.0 - phi**2) * k.draws.noise[t]
    k.w_seen = _perceived(k)


def simulate_numpy(st: Structure, p: Params, draws: Draws, watchers: Sequence[Watcher] = ()) -> State:
    """Run every row of ``p`` over the horizon with the NumPy step; each watcher's
    ``observe(state)`` is called after every day. Returns the final state."""
    k = _kernel(st, p, draws)
    s = initial_state(st, p, k.window)
    s.exact = k.exact
    s.delay[...] = k.lev.delay.T
    ar1 = draws.noise.ndim == 4
    for t in range(st.T):
        s.t = t
        if ar1 and t > 0:
            _advance_noise(k, t)
        rates, prod, demand = _rates(k, t)
        _transfers(k, s, rates, t)
        _produce_consume(k, s, prod, demand)
        z = _signals(k, s)
        _indicators(k, s, z)
        _triggers(k, s, t)
        for w in watchers:
            w.observe(s)
    return s
