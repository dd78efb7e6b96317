"""The NumPy step's decision stages: indicators, triggers and event effects, perception noise,
and the switch from one lever period to the next."""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from spillover.engine.kinds import EffectKind, EventKind
from spillover.engine.network import weighted_input
from spillover.engine.setup import Kernel, factors, make_flows, perceived
from spillover.engine.state import State
from spillover.scenario.events import Trigger


def _update(k: Kernel, I: np.ndarray, weights: np.ndarray, z: np.ndarray) -> None:
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


def indicators(k: Kernel, s: State, z: np.ndarray) -> None:
    _update(k, s.levels[0], k.w_seen, z)
    if k.exact:
        s.levels[1] = s.levels[0]
    else:
        _update(k, s.levels[1], k.w_true, z)


def triggers(k: Kernel, s: State, t: int) -> None:
    """Fire the events whose trigger is met today on the perceived indicators, and advance
    each event's shadow on the true indicators (:func:`_shadow`)."""
    st, p = k.st, k.p
    if not st.events:
        return
    sc = st.scenario
    newly = np.zeros_like(s.E)
    for e, name in enumerate(st.events):
        trig = sc.events[name].trigger
        if st.ev_kind[e] == EventKind.DATED:
            newly[:, e] = ~s.E[:, e] & (p.on_day[:, e] == t)
            continue
        ind = st.indicators.index(str(trig.indicator))
        level = s.levels[0, ind]
        if trig.hazard is not None:
            s.hazard[:, e] += p.hazard_rate[:, e] * expit((level - p.theta[:, e]) / p.width[:, e])
            newly[:, e] = ~s.E[:, e] & (s.hazard[:, e] >= k.draws.thresholds[:, e])
        else:
            s.above[:, e] = np.where(level >= p.theta[:, e], s.above[:, e] + 1, 0)
            newly[:, e] = ~s.E[:, e] & (s.above[:, e] >= trig.threshold.days)  # type: ignore[union-attr]
        if not k.exact:
            _shadow(k, s, e, ind, t, trig)
    if newly.any():
        s.E |= newly
        s.fired_at[newly] = t
        same = newly if k.exact else newly & (st.ev_kind == EventKind.DATED)
        s.fired_at_true[same] = t  # exact perception, or a dated event: the shadow is the event
        _apply_effects(k, newly)


def _shadow(k: Kernel, s: State, e: int, ind: int, t: int, trig: Trigger) -> None:
    """Event e's trigger on the true indicators, in the rows where it has not yet been met:
    the same theta, width, rate, days and hazard draw as the event, and no effects."""
    p = k.p
    rows = np.flatnonzero(np.isnan(s.fired_at_true[:, e]))
    if not len(rows):
        return
    level = s.levels[1, ind, rows]
    theta = p.theta[rows, e]
    if k.st.ev_kind[e] == EventKind.HAZARD:
        s.hazard_true[rows, e] += p.hazard_rate[rows, e] * expit((level - theta) / p.width[rows, e])
        met = s.hazard_true[rows, e] >= k.draws.thresholds[rows, e]
    else:
        s.above_true[rows, e] = np.where(level >= theta, s.above_true[rows, e] + 1, 0)
        met = s.above_true[rows, e] >= trig.threshold.days  # type: ignore[union-attr]
    s.fired_at_true[rows[met], e] = t


def _apply_effects(k: Kernel, newly: np.ndarray) -> None:
    for eff in k.p.effects:
        rows = newly[:, eff.event]
        if not rows.any():
            continue
        v = eff.value[rows]
        j = eff.target[0]
        if eff.kind is EffectKind.START:
            k.active[rows, j] = v
            k.fl = make_flows(k)
        elif eff.kind is EffectKind.ADD_BETA:
            k.beta[j, rows] += v
        elif eff.kind is EffectKind.SCALE_TRANSFER:
            k.tmult[rows, j] *= v
            k.fl = make_flows(k)
        elif eff.kind is EffectKind.SCALE_SERIES:
            k.smult[rows, j] *= v
            k.cache = None
        elif eff.kind is EffectKind.START_PRODUCTION:
            k.sact[rows, j] = v
            k.gate = k.sact * k.lev.gate
            k.cache = None
        else:  # SCALE_EDGE: one edge
            edge = k.edges.index[(eff.target[0], eff.target[1])]
            k.w_true[edge, rows] *= v
            k.w_seen[edge, rows] *= v


def advance_noise(k: Kernel, t: int) -> None:
    phi = k.p.persistence[:, None, None]
    k.n = phi * k.n + np.sqrt(1.0 - phi**2) * k.draws.noise[t]
    k.w_seen = perceived(k, factors(k, k.sig_cov))


def switch_period(k: Kernel, g: int) -> None:
    """From today the levers take their values of period g: caps, delays, losses, what
    observers see, the levers' factor on production."""
    k.period = g
    k.lev = k.levs[g]
    k.sig_cov = k.sig_covs[g]
    k.fl = make_flows(k)
    k.gate = k.sact * k.lev.gate
    k.cache = None
    if not k.ar1:
        k.w_seen = perceived(k, k.factors[g])
