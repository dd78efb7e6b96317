"""The NumPy step's flow stages: today's rates, transfers, production, consumption, signals.

Each stage is vectorised over rows; :mod:`spillover.engine.jit` compiles the same arithmetic
in the same order.
"""

from __future__ import annotations

import numpy as np

from spillover.engine.kinds import SignalKind
from spillover.engine.setup import Kernel
from spillover.engine.state import State


def rates(k: Kernel, t: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Today's scheduled rates, production and demand; reused while nothing changes."""
    if k.cache is not None and k.steady[t]:
        return k.cache
    st, lines = k.st, k.st.lines
    if st.series:
        per = np.add.reduceat(k.p.V * k.B[t], k.offsets, axis=1)
        first = 0
        for i, s in enumerate(st.series):
            if s.steps:  # each row's own step days: the step in force, or 0 before the first
                value = np.zeros(k.p.R)
                for j in range(len(s.steps)):
                    value = np.where(k.p.step_day[:, first + j] <= t, k.p.V[:, k.offsets[i] + j], value)
                per[:, i] = value
                first += len(s.steps)
        out = per * k.p.scale * k.smult * k.gate
    else:
        out = np.zeros((k.p.R, 0))
    k.cache = (out, out[:, lines.prod], out[:, lines.dem])
    return k.cache


def _wanted(k: Kernel, s: State, today: np.ndarray, f: int, t: int) -> np.ndarray:
    """What transfer f would ship today before caps: its rate, or its payment, plus lump sums."""
    st, fl = k.st, k.fl
    parents = st.parents(f)
    units = None
    if len(parents):
        units = s.flows[4, parents[0]]
        for q in parents[1:]:
            units = units + s.flows[4, q]
    elif st.tr_made[f] >= 0:
        units = s.prod_today[:, st.tr_made[f]]
    if units is not None:
        if st.tr_limited[f]:
            units = np.minimum(units, np.maximum(fl.limit[f] - s.paid[:, f], 0.0))
            s.paid[:, f] += units
        want = fl.ratio[f] * units
    elif k.tr_series[f] >= 0:
        want = today[:, k.tr_series[f]]
    else:
        want = np.zeros(k.p.R)
    for i in np.flatnonzero(st.lump_tr == f):
        want = want + np.where(k.p.lump_day[:, i] == t, k.p.lump_amt[:, i], 0.0)
    return want


def transfers(k: Kernel, s: State, today: np.ndarray, t: int) -> None:
    """Ship (bounded by stock above reserve), lose, and deliver after the delay.

    The ring ``pipe`` holds shipments by the day they arrive, so a delay that changes with
    the lever period never delivers a shipment twice or loses one.
    """
    st, fl, R, W = k.st, k.fl, k.p.R, k.window
    shipped, delivered, lost, ship_today, got_today = s.flows
    rows, slot = np.arange(R), t % W
    for f in st.tr_order:
        a, r, m = st.tr_sup[f], st.tr_rcp[f], st.tr_mun[f]
        want = np.minimum(_wanted(k, s, today, f, t) * fl.mult[f], fl.cap[f])
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
            s.pipe[f, (slot + fl.delay[f]) % W, rows] += ship - gone
            got = s.pipe[f, slot].copy()
            s.pipe[f, slot] = 0.0
        s.S[:, r, m] += got
        ship_today[f] = ship
        got_today[f] = got
        shipped[f] += ship
        delivered[f] += got
        lost[f] += gone


def produce(k: Kernel, s: State, made: np.ndarray) -> None:
    """Production adds to stocks: lines without an input at once, then each line that
    consumes an input, as far as the producer's stock of it allows."""
    R, lines = k.p.R, k.st.lines
    S, produced = s.S.reshape(R, -1), s.produced.reshape(R, -1)
    plain = int((lines.prod_input < 0).sum())
    if plain:
        cols = lines.prod_flat[:plain]
        S[:, cols] += made[:, :plain]
        produced[:, cols] += made[:, :plain]
        s.prod_today[:, :plain] = made[:, :plain]
    for i in range(plain, len(lines.prod)):
        rate, src, per = made[:, i], lines.prod_input[i], k.p.per_input[:, i]
        have = S[:, src]
        out = np.where(per > 0, np.minimum(rate, have / np.where(per > 0, per, 1.0)), rate)
        S[:, src] = have - np.minimum(out * per, have)
        S[:, lines.prod_flat[i]] += out
        produced[:, lines.prod_flat[i]] += out
        s.prod_today[:, i] = out


def consume(k: Kernel, s: State, demand: np.ndarray) -> None:
    """Demand fires what the stock allows: plain demands at once, then each coupled demand,
    whose demand is its ratio times what it follows today, and whose leaked units are what
    it follows less what it engaged and stopped."""
    R, lines = k.p.R, k.st.lines
    S = s.S.reshape(R, -1)
    plain = lines.plain
    if plain:
        cols = lines.dem_flat[:plain]
        want = demand[:, :plain]
        have = S[:, cols]
        fired = np.minimum(want, have)
        S[:, cols] = have - fired
        s.demand_today[:, :plain], s.fired_today[:, :plain] = want, fired
        for total, add in ((s.demanded, want), (s.fired, fired), (s.shortfall, want - fired)):
            total.reshape(R, -1)[:, cols] += add
    for j in range(plain, len(lines.dem)):
        col, c = lines.dem_flat[j], lines.coupled[j]
        src = s.fired_today[:, lines.follow[j]] if lines.follow_kind[j] == 1 else s.flows[4, lines.follow[j]]
        want = demand[:, j] * src
        have = S[:, col]
        fired = np.minimum(want, have)
        S[:, col] = have - fired
        s.demand_today[:, j], s.fired_today[:, j] = want, fired
        for total, add in ((s.demanded, want), (s.fired, fired), (s.shortfall, want - fired)):
            total.reshape(R, -1)[:, col] += add
        cover = np.divide(fired, want, out=np.zeros(R), where=want > 0)
        s.leaked_today[:, c] = src * (1.0 - cover * k.p.stops[:, c])
        s.leaked[:, c] += s.leaked_today[:, c]


def signals(k: Kernel, s: State) -> np.ndarray:
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
        elif kind == SignalKind.LEVER:
            z[i] = k.p.lever_values[:, k.period, j]
        elif kind == SignalKind.FIRED:
            z[i] = s.fired_today[:, j] / k.ref[i]
        elif kind == SignalKind.SHORTFALL:
            z[i] = (s.demand_today[:, j] - s.fired_today[:, j]) / k.ref[i]
        else:
            z[i] = s.leaked_today[:, j] / k.ref[i]
    return z
