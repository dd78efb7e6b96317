"""The compiled step's decision stages: indicators, perception, triggers and event effects,
and the switch from one lever period to the next (see :mod:`spillover.engine.jit`)."""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from spillover.engine.kernel_args import Events, Flows, Net, Noise, Periods, Sched, Signals, Stocks
from spillover.engine.kinds import (
    ADD_BETA,
    DATED,
    HAZARD,
    SCALE_SERIES,
    SCALE_TRANSFER,
    START,
    START_PRODUCTION,
)


@njit(cache=True, nogil=True, error_model="numpy")
def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, nogil=True, error_model="numpy")
def _input(net: Net, x: Stocks, I: np.ndarray, e: int, a: int, b: int) -> np.ndarray:
    """Edge e's source in rows a…b: an indicator's level or a signal."""
    j, K = net.source[e], net.beta.shape[0]
    return I[j, a:b] if j < K else x.z[j - K, a:b]


@njit(cache=True, nogil=True, error_model="numpy")
def _update(net: Net, x: Stocks, side: int, w: np.ndarray, a: int, b: int) -> None:
    """I += (g(beta + Σ w·[I, z]) − I) / tau for one side (0 perceived, 1 true)."""
    n, K = b - a, net.beta.shape[0]
    I = x.levels[side]
    for k in range(K):
        acc = net.x[k, a:b]
        for r in range(n):
            acc[r] = 0.0
    for i in range(len(net.targets)):
        # Two edges per pass over the rows (fewer loads and stores of the sum), added in
        # edge order as one at a time would: the same sums.
        acc, start, end = net.x[net.targets[i], a:b], net.offsets[i], net.offsets[i + 1]
        if (end - start) % 2:
            we, u = w[start, a:b], _input(net, x, I, start, a, b)
            for r in range(n):
                acc[r] += we[r] * u[r]
        for e in range(start + (end - start) % 2, end, 2):
            w1, u1 = w[e, a:b], _input(net, x, I, e, a, b)
            w2, u2 = w[e + 1, a:b], _input(net, x, I, e + 1, a, b)
            for r in range(n):
                acc[r] = (acc[r] + w1[r] * u1[r]) + w2[r] * u2[r]
    for k in range(K):
        acc, beta, tau, level = net.x[k, a:b], net.beta[k, a:b], net.tau[k, a:b], I[k, a:b]
        if net.logistic[k]:
            for r in range(n):
                level[r] += (_expit(beta[r] + acc[r]) - level[r]) / tau[r]
        else:
            for r in range(n):
                level[r] += (beta[r] + acc[r] - level[r]) / tau[r]


@njit(cache=True, nogil=True, error_model="numpy")
def indicators(net: Net, x: Stocks, a: int, b: int) -> None:
    # One loop over the sides, not two calls with the constants 0 and 1: Numba would compile
    # _update once per constant.
    for side in range(1 if net.exact else 2):
        _update(net, x, side, net.w_seen if side == 0 else net.w_true, a, b)
    if net.exact:
        for k in range(net.beta.shape[0]):
            for r in range(a, b):
                x.levels[1, k, r] = x.levels[0, k, r]


@njit(cache=True, nogil=True, error_model="numpy")
def perceive(net: Net, nz: Noise, t: int, a: int, b: int) -> None:
    """AR(1) perception: advance the noise, then recompute the perceived edge weights."""
    O, S = nz.n.shape[0], nz.n.shape[1]
    if t > 0:
        for o in range(O):
            for s in range(S):
                for r in range(a, b):
                    phi = nz.phi[r]
                    nz.n[o, s, r] = phi * nz.n[o, s, r] + math.sqrt(1.0 - phi**2) * nz.innov[t, r, o, s]
    for e in range(len(nz.edge_obs)):
        o, s = nz.edge_obs[e], nz.edge_sig[e]
        for r in range(a, b):
            if o >= 0:
                expo = nz.sig_cov[s, r] * (nz.bias[o, r] + nz.sd[o, r] * nz.n[o, s, r])
                net.w_seen[e, r] = net.w_true[e, r] * math.exp(expo)
            else:
                net.w_seen[e, r] = net.w_true[e, r]


@njit(cache=True, nogil=True, error_model="numpy")
def switch_period(pd: Periods, g: int, fl: Flows, sc: Sched, sg: Signals, net: Net, nz: Noise,
                  a: int, b: int) -> None:
    """From today the levers take their values of period g (rows a..b)."""
    for f in range(fl.mult.shape[0]):
        for r in range(a, b):
            fl.levcap[f, r] = pd.levcap[g, f, r]
            fl.loss[f, r] = pd.loss[g, f, r]
            fl.delay[f, r] = pd.delay[g, f, r]
            fl.mult[f, r] = fl.active[f, r] * fl.tmult[f, r] * fl.levcap[f, r]
    for s in range(sc.gate.shape[0]):
        for r in range(a, b):
            sc.glev[s, r] = pd.glev[g, s, r]
            sc.gate[s, r] = sc.sact[s, r] * sc.glev[s, r]
    for j in range(sg.lever_values.shape[0]):
        for r in range(a, b):
            sg.lever_values[j, r] = pd.lever_values[g, j, r]
    for s in range(nz.sig_cov.shape[0]):
        for r in range(a, b):
            nz.sig_cov[s, r] = pd.sig_cov[g, s, r]
    if not nz.ar1:  # (with AR(1) noise, perceive recomputes the weights every day)
        for e in range(len(nz.edge_obs)):
            seen = nz.edge_obs[e] >= 0
            for r in range(a, b):
                net.w_seen[e, r] = net.w_true[e, r] * pd.fac[g, e, r] if seen else net.w_true[e, r]


@njit(cache=True, nogil=True, error_model="numpy")
def _effects(ev: Events, fl: Flows, sc: Sched, net: Net, r: int) -> bool:
    """Apply the effects of the events that fired today in row r; True if rates change."""
    dirty = False
    for i in range(len(ev.eff_kind)):
        if not ev.newly[ev.eff_event[i]]:
            continue
        kind, j, v = ev.eff_kind[i], ev.eff_target[i], ev.eff_value[i, r]
        if kind == START:
            fl.active[j, r] = v
        elif kind == ADD_BETA:
            net.beta[j, r] += v
        elif kind == SCALE_TRANSFER:
            fl.tmult[j, r] *= v
        elif kind == SCALE_SERIES:
            sc.smult[j, r] *= v
            dirty = True
        elif kind == START_PRODUCTION:
            sc.sact[j, r] = v
            sc.gate[j, r] = sc.sact[j, r] * sc.glev[j, r]
            dirty = True
        else:  # SCALE_EDGE
            net.w_true[j, r] *= v
            net.w_seen[j, r] *= v
        if kind == START or kind == SCALE_TRANSFER:  # noqa: SIM109 (plain compares in the kernel)
            for f in range(fl.mult.shape[0]):
                fl.mult[f, r] = fl.active[f, r] * fl.tmult[f, r] * fl.levcap[f, r]
    return dirty


@njit(cache=True, nogil=True, error_model="numpy")
def triggers(ev: Events, fl: Flows, sc: Sched, net: Net, x: Stocks, t: int, a: int, b: int) -> bool:
    """Fire the events whose trigger is met today on the perceived indicators, and advance each
    event's shadow on the true indicators (same theta, width, rate, days and hazard draw; no
    effects). Inline: a call per row and event that passes these tuples costs more than its work."""
    nE = len(ev.indicator)
    dirty = False
    if nE == 0:
        return dirty
    shadow = not net.exact  # exact perception: the shadow is the event itself
    for r in range(a, b):
        anyfired = False
        for e in range(nE):
            kind = ev.kind[e]
            level, step = 0.0, 0.0
            if kind == DATED:
                new = (not x.fired_flag[e, r]) and ev.on_day[e, r] == t
            elif kind == HAZARD:
                level = x.levels[0, ev.indicator[e], r]
                step = ev.rate[e, r] * _expit((level - ev.theta[e, r]) / ev.width[e, r])
                x.hazard[e, r] += step
                new = (not x.fired_flag[e, r]) and x.hazard[e, r] >= ev.thresholds[e, r]
            else:
                level = x.levels[0, ev.indicator[e], r]
                x.above[e, r] = x.above[e, r] + 1 if level >= ev.theta[e, r] else 0
                new = (not x.fired_flag[e, r]) and x.above[e, r] >= ev.days[e]
            if shadow and kind != DATED and x.fired_at_true[e, r] != x.fired_at_true[e, r]:
                # The shadow (its day NaN until met): the same trigger and draws on I_true.
                true = x.levels[1, ev.indicator[e], r]
                if kind == HAZARD:
                    if true != level:  # else today's step is the event's (no gap in this row)
                        step = ev.rate[e, r] * _expit((true - ev.theta[e, r]) / ev.width[e, r])
                    ev.hazard_true[e, r] += step
                    met = ev.hazard_true[e, r] >= ev.thresholds[e, r]
                else:
                    ev.above_true[e, r] = ev.above_true[e, r] + 1 if true >= ev.theta[e, r] else 0
                    met = ev.above_true[e, r] >= ev.days[e]
                if met:
                    x.fired_at_true[e, r] = t
            ev.newly[e] = new
            anyfired = anyfired or new
        if anyfired:
            for e in range(nE):
                if ev.newly[e]:
                    x.fired_flag[e, r] = True
                    x.fired_at[e, r] = t
                    if not shadow or ev.kind[e] == DATED:
                        x.fired_at_true[e, r] = t
            dirty = _effects(ev, fl, sc, net, r) or dirty
    return dirty
