"""The daily step (MODEL §3) compiled with Numba: every stage fused into one loop over days.

Same arithmetic, in the same order, as the NumPy step in :mod:`spillover.engine.step`
(the reference), so the two agree bit for bit except where a perception process ``ar1``
recomputes ``exp`` each day (NumPy's vectorised ``exp`` and the C library's may differ
in the last bit). Rows are independent, so they are stepped in blocks of a few hundred:
each block's arrays stay in the CPU cache for the whole horizon, and every loop over a
block's rows is a plain loop the compiler vectorises. Results do not depend on the block
size.

Every kernel function is compiled with ``error_model="numpy"``: a division is IEEE division
with no zero check, so loops that divide (by ``tau``, a reference rate, a bin width) are
unrolled instead of branching per row; same quotients, 4× faster. Every such divisor is
validated positive where the scenario is read, and the others are guarded in the code.

Arrays are laid out with the row axis last, ``(·, R)``. The arguments are grouped in the
named tuples of :mod:`spillover.engine.kernel_args`; :mod:`spillover.engine.compiled`
builds them from a compiled scenario. The decision stages are in
:mod:`spillover.engine.jit_react`, the watchers in :mod:`spillover.engine.jit_watch`.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from spillover.engine.histogram import BINS
from spillover.engine.jit_react import indicators, perceive, switch_period, triggers
from spillover.engine.jit_watch import observe, observed
from spillover.engine.kernel_args import Events, Flows, Net, Noise, Periods, Sched, Signals, Stocks, Watch
from spillover.engine.kinds import EVENT, FIRED, FLOW, LEVER, SHORTFALL, STOCK

__all__ = ["BINS", "run_days"]


@njit(cache=True, nogil=True, error_model="numpy")
def _dated(sc: Sched, s: int, t: int, a: int, b: int) -> None:
    """The step in force today in each row of a series whose step days differ by row."""
    d = sc.dated_of[s]
    k0, k1, o0 = sc.dated_off[d], sc.dated_off[d + 1], sc.offsets[s]
    out = sc.rates[s, a:b]
    for r in range(b - a):
        v = 0.0
        for k in range(k1 - k0):
            if sc.step_day[k0 + k, a + r] <= t:
                v = sc.V[o0 + k, a + r]
        out[r] = v


@njit(cache=True, nogil=True, error_model="numpy")
def _rates(sc: Sched, t: int, a: int, b: int) -> None:
    # Each stage takes row views [a:b] and loops from 0: the compiler then knows every
    # index is in range and non-negative, and vectorises the loop.
    n = b - a
    for s in range(len(sc.offsets) - 1):
        o0, o1 = sc.offsets[s], sc.offsets[s + 1]
        out, scale, smult, gate = sc.rates[s, a:b], sc.scale[s, a:b], sc.smult[s, a:b], sc.gate[s, a:b]
        if sc.dated_of[s] >= 0:
            _dated(sc, s, t, a, b)
        else:
            v, basis = sc.V[o0, a:b], sc.B[t, o0]
            for r in range(n):
                out[r] = v[r] * basis
            for c in range(o0 + 1, o1):
                v, basis = sc.V[c, a:b], sc.B[t, c]
                for r in range(n):
                    out[r] += v[r] * basis
        if sc.gated:
            for r in range(n):
                out[r] = out[r] * scale[r] * smult[r] * gate[r]
        else:
            for r in range(n):
                out[r] = out[r] * scale[r] * smult[r]


@njit(cache=True, nogil=True, error_model="numpy")
def _paid_units(fl: Flows, x: Stocks, f: int, a: int, b: int) -> None:
    """What transfer f pays for today into ``fl.want``: its parents' deliveries, or what a line
    made yesterday, capped by what remains under its limit."""
    p0, p1, made = fl.par_ptr[f], fl.par_ptr[f + 1], fl.made[f]
    units = fl.want[a:b]
    first = x.flows[4, fl.parents[p0], a:b] if p1 > p0 else x.prod_today[made, a:b]
    for r in range(b - a):
        units[r] = first[r]
    for q in range(p0 + 1, p1):
        other = x.flows[4, fl.parents[q], a:b]
        for r in range(b - a):
            units[r] += other[r]
    if fl.limited[f]:
        limit, paid = fl.limit[f, a:b], x.paid[f, a:b]
        for r in range(b - a):
            u = min(units[r], max(limit[r] - paid[r], 0.0))
            paid[r] += u
            units[r] = u


@njit(cache=True, nogil=True, error_model="numpy")
def _want(fl: Flows, sc: Sched, x: Stocks, f: int, t: int, a: int, b: int) -> None:
    """What transfer f would ship today before caps, into ``fl.want``: its rate, or its payment
    per unit, plus any lump sum due today."""
    n, want = b - a, fl.want[a:b]
    if fl.par_ptr[f + 1] > fl.par_ptr[f] or fl.made[f] >= 0:
        _paid_units(fl, x, f, a, b)
        ratio = fl.ratio[f, a:b]
        for r in range(n):
            want[r] = ratio[r] * want[r]
    elif fl.series[f] >= 0:
        rate = sc.rates[fl.series[f], a:b]
        for r in range(n):
            want[r] = rate[r]
    else:
        for r in range(n):
            want[r] = 0.0
    for i in range(fl.lump_ptr[f], fl.lump_ptr[f + 1]):
        day, amount = fl.lump_day[i, a:b], fl.lump_amt[i, a:b]
        for r in range(n):
            if day[r] == t:
                want[r] += amount[r]


@njit(cache=True, nogil=True, error_model="numpy")
def _plain(fl: Flows, f: int) -> bool:
    """True when transfer f ships its series' rate: no payment per unit, no lump sum."""
    return (fl.series[f] >= 0 and fl.par_ptr[f + 1] == fl.par_ptr[f] and fl.made[f] < 0
            and fl.lump_ptr[f + 1] == fl.lump_ptr[f])


@njit(cache=True, nogil=True, error_model="numpy")
def _transfers(fl: Flows, sc: Sched, x: Stocks, t: int, a: int, b: int) -> None:
    n, W = b - a, x.pipe.shape[1]
    slot = t % W
    for f in fl.order:
        if _plain(fl, f):  # ships its series' rate: read it where it is, no copy
            want = sc.rates[fl.series[f], a:b]
        else:
            _want(fl, sc, x, f, t, a, b)
            want = fl.want[a:b]
        mult, cap = fl.mult[f, a:b], fl.cap[f, a:b]
        reserve, loss, delay = fl.reserve[f, a:b], fl.loss[f, a:b], fl.delay[f, a:b]
        sup, rcp = x.S[fl.sup[f], a:b], x.S[fl.rcp[f], a:b]
        made = x.produced[fl.sup[f], a:b]
        pipe, in_pipe = x.pipe[f, :, a:b], not fl.nodelay[f]
        shipped, delivered, lost = x.flows[0, f, a:b], x.flows[1, f, a:b], x.flows[2, f, a:b]
        ship_today, got_today = x.flows[3, f, a:b], x.flows[4, f, a:b]
        # Few arrays per loop, and the pipe's scattered writes in a loop of their own: the
        # other loops vectorise. The same operations on each row as in one loop.
        if fl.stocked[f]:
            for r in range(n):
                ship = min(min(want[r] * mult[r], cap[r]), max(sup[r] - reserve[r], 0.0))
                sup[r] -= ship
                ship_today[r] = ship
        else:
            for r in range(n):
                ship = min(want[r] * mult[r], cap[r])
                made[r] += ship
                ship_today[r] = ship
        if in_pipe:
            for r in range(n):
                ship = ship_today[r]
                arrive = slot + delay[r]
                pipe[arrive - W if arrive >= W else arrive, r] += ship - ship * loss[r]
                got_today[r] = pipe[slot, r]
                pipe[slot, r] = 0.0
        else:
            for r in range(n):
                got_today[r] = ship_today[r] - ship_today[r] * loss[r]
        for r in range(n):
            rcp[r] += got_today[r]
            delivered[r] += got_today[r]
        for r in range(n):
            shipped[r] += ship_today[r]
            lost[r] += ship_today[r] * loss[r]


@njit(cache=True, nogil=True, error_model="numpy")
def _produce(sc: Sched, x: Stocks, a: int, b: int) -> None:
    n = b - a
    for i in range(len(sc.prod_flat)):
        c, src = sc.prod_flat[i], sc.prod_input[i]
        rate, stock, made = sc.rates[sc.prod_series[i], a:b], x.S[c, a:b], x.produced[c, a:b]
        today = x.prod_today[i, a:b]
        if src < 0:
            for r in range(n):
                stock[r] += rate[r]
                made[r] += rate[r]
                today[r] = rate[r]
            continue
        have, per = x.S[src, a:b], sc.per_input[i, a:b]
        for r in range(n):
            out = min(rate[r], have[r] / per[r]) if per[r] > 0 else rate[r]
            have[r] = have[r] - min(out * per[r], have[r])
            stock[r] += out
            made[r] += out
            today[r] = out


@njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _fire(demand: float, r: int, stock: np.ndarray, d_today: np.ndarray, f_today: np.ndarray,
          demanded: np.ndarray, fired_total: np.ndarray, shortfall: np.ndarray) -> float:
    """Row r fires what it can of ``demand`` from its stock, and keeps the day's accounts."""
    fired = min(demand, stock[r])
    stock[r] -= fired
    d_today[r] = demand
    f_today[r] = fired
    demanded[r] += demand
    fired_total[r] += fired
    shortfall[r] += demand - fired
    return fired


@njit(cache=True, nogil=True, error_model="numpy")
def _coupled(sc: Sched, x: Stocks, i: int, a: int, b: int) -> None:
    """A demand that is its ratio times another demand's fire (or a transfer's deliveries)
    today; what it follows and does not engage and stop gets through."""
    c, j, cc = sc.dem_flat[i], sc.follow[i], sc.coupled[i]
    rate, stock = sc.rates[sc.dem_series[i], a:b], x.S[c, a:b]
    src = x.fired_today[j, a:b] if sc.follow_kind[i] == 1 else x.flows[4, j, a:b]
    d_today, f_today = x.demand_today[i, a:b], x.fired_today[i, a:b]
    demanded, fired_total, shortfall = x.demanded[c, a:b], x.fired[c, a:b], x.shortfall[c, a:b]
    stops, leaked, leaked_today = sc.stops[cc, a:b], x.leaked[cc, a:b], x.leaked_today[cc, a:b]
    for r in range(b - a):
        demand = rate[r] * src[r]
        fired = _fire(demand, r, stock, d_today, f_today, demanded, fired_total, shortfall)
        cover = fired / demand if demand > 0 else 0.0
        leak = src[r] * (1.0 - cover * stops[r])
        leaked_today[r] = leak
        leaked[r] += leak


@njit(cache=True, nogil=True, error_model="numpy")
def _consume(sc: Sched, x: Stocks, a: int, b: int) -> None:
    n = b - a
    for i in range(len(sc.dem_flat)):
        if sc.follow_kind[i] != 0:
            _coupled(sc, x, i, a, b)
            continue
        c = sc.dem_flat[i]
        rate, stock = sc.rates[sc.dem_series[i], a:b], x.S[c, a:b]
        d_today, f_today = x.demand_today[i, a:b], x.fired_today[i, a:b]
        demanded, fired_total, shortfall = x.demanded[c, a:b], x.fired[c, a:b], x.shortfall[c, a:b]
        # One array per loop, not _fire's seven at once: loops over few arrays vectorise.
        for r in range(n):
            f_today[r] = min(rate[r], stock[r])
        for r in range(n):
            stock[r] -= f_today[r]
            d_today[r] = rate[r]
        for r in range(n):
            demanded[r] += rate[r]
            fired_total[r] += f_today[r]
        for r in range(n):
            shortfall[r] += rate[r] - f_today[r]


@njit(cache=True, nogil=True, error_model="numpy")
def _signals(sg: Signals, x: Stocks, a: int, b: int) -> None:
    # One branch per signal, then a plain loop over the rows (same arithmetic per row).
    for i in range(len(sg.kind)):
        kind, j, z, ref = sg.kind[i], sg.target[i], x.z[i, a:b], sg.ref[i, a:b]
        n = b - a
        if kind == FLOW:
            v = x.flows[sg.measure[i], j, a:b]
            for r in range(n):
                z[r] = v[r] / ref[r]
        elif kind == STOCK:
            stock, pair = x.S[j, a:b], sg.pair[i]
            if pair >= 0:
                demand = x.demand_today[pair, a:b]
                for r in range(n):
                    z[r] = stock[r] / max(30.0 * demand[r], 1.0)
            else:
                for r in range(n):
                    z[r] = stock[r] / max(30.0 * 0.0, 1.0)
        elif kind == EVENT:
            flag = x.fired_flag[j, a:b]
            for r in range(n):
                z[r] = 1.0 if flag[r] else 0.0
        elif kind == LEVER:
            v = sg.lever_values[j, a:b]
            for r in range(n):
                z[r] = v[r]
        elif kind == FIRED:
            v = x.fired_today[j, a:b]
            for r in range(n):
                z[r] = v[r] / ref[r]
        elif kind == SHORTFALL:
            d, v = x.demand_today[j, a:b], x.fired_today[j, a:b]
            for r in range(n):
                z[r] = (d[r] - v[r]) / ref[r]
        else:
            v = x.leaked_today[j, a:b]
            for r in range(n):
                z[r] = v[r] / ref[r]


@njit(cache=True, nogil=True, error_model="numpy")
def run_days(
    T: int, block: int, first: int, stop: int, sc: Sched, fl: Flows, sg: Signals, net: Net, nz: Noise,
    ev: Events, pd: Periods, x: Stocks, w: Watch,
) -> None:
    """Step rows ``first…stop`` over the horizon, ``block`` rows at a time, observing each day.

    Calls on disjoint row ranges may run at once on separate threads (the step releases the
    GIL) when each has its own ``ev.newly`` and its own histogram and range arrays in ``w``:
    everything else a call writes is in its own rows.
    """
    work, idx = np.empty(block), np.empty(block, np.int64)  # one allocation for the whole call
    sub = np.empty((4, BINS), np.int64)
    for a in range(first, stop, block):
        b = min(a + block, stop)
        dirty = True
        period = 0
        for t in range(T):
            if pd.of_day[t] != period:
                period = pd.of_day[t]
                switch_period(pd, period, fl, sc, sg, net, nz, a, b)
                dirty = True
            if nz.ar1:
                perceive(net, nz, t, a, b)
            if dirty or sc.changes[t]:
                _rates(sc, t, a, b)
                dirty = False
            _transfers(fl, sc, x, t, a, b)
            _produce(sc, x, a, b)
            _consume(sc, x, a, b)
            _signals(sg, x, a, b)
            indicators(net, x, a, b)
            dirty = triggers(ev, fl, sc, net, x, t, a, b)
            observe(w, x, sc.dem_flat, net.exact, t, float(T), a, b, work, idx, sub)
            if len(w.obs_day):
                observed(w, x, t, a, b)
