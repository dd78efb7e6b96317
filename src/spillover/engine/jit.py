"""The daily step (MODEL §3) compiled with Numba: every stage fused into one loop over days.

Same arithmetic, in the same order, as the NumPy step in :mod:`spillover.engine.step`
(the reference), so the two agree bit for bit except where a perception process ``ar1``
recomputes ``exp`` each day (NumPy's vectorised ``exp`` and the C library's may differ
in the last bit). Rows are independent, so they are stepped in blocks of a few hundred:
each block's arrays stay in the CPU cache for the whole horizon, and every loop over a
block's rows is a plain loop the compiler vectorises. Results do not depend on the block
size.

Arrays are laid out with the row axis last, ``(·, R)``. The arguments are grouped in the
named tuples of :mod:`spillover.engine.kernel_args`; :mod:`spillover.engine.compiled`
builds them from a compiled scenario.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from spillover.engine.histogram import BINS
from spillover.engine.kernel_args import Events, Flows, Net, Noise, Sched, Signals, Stocks, Watch
from spillover.engine.kinds import (
    ADD_BETA,
    EVENT,
    FLOW,
    SCALE_SERIES,
    SCALE_TRANSFER,
    START,
    STOCK,
)


@njit(cache=True, nogil=True)
def _expit(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@njit(cache=True, nogil=True)
def _rates(sc: Sched, t: int, a: int, b: int) -> None:
    # Each stage takes row views [a:b] and loops from 0: the compiler then knows every
    # index is in range and non-negative, and vectorises the loop.
    n = b - a
    for s in range(len(sc.offsets) - 1):
        o0, o1 = sc.offsets[s], sc.offsets[s + 1]
        out, scale, smult = sc.rates[s, a:b], sc.scale[s, a:b], sc.smult[s, a:b]
        v, basis = sc.V[o0, a:b], sc.B[t, o0]
        for r in range(n):
            out[r] = v[r] * basis
        for c in range(o0 + 1, o1):
            v, basis = sc.V[c, a:b], sc.B[t, c]
            for r in range(n):
                out[r] += v[r] * basis
        for r in range(n):
            out[r] = out[r] * scale[r] * smult[r]


@njit(cache=True, nogil=True)
def _transfers(fl: Flows, sc: Sched, x: Stocks, t: int, a: int, b: int) -> None:
    n, W = b - a, x.pipe.shape[1]
    slot = t % W
    for f in fl.order:
        par = fl.parent[f]
        want = fl.ratio[f, a:b] if par >= 0 else sc.rates[max(fl.series[f], 0), a:b]
        paid = x.flows[4, par, a:b] if par >= 0 else want
        mult, cap = fl.mult[f, a:b], fl.cap[f, a:b]
        reserve, loss, delay = fl.reserve[f, a:b], fl.loss[f, a:b], fl.delay[f, a:b]
        sup, rcp = x.S[fl.sup[f], a:b], x.S[fl.rcp[f], a:b]
        made = x.produced[fl.sup[f], a:b]
        pipe, in_pipe = x.pipe[f, :, a:b], not fl.nodelay[f]
        shipped, delivered, lost = x.flows[0, f, a:b], x.flows[1, f, a:b], x.flows[2, f, a:b]
        ship_today, got_today = x.flows[3, f, a:b], x.flows[4, f, a:b]
        stocked = fl.stocked[f]
        for r in range(n):
            v = want[r] * paid[r] if par >= 0 else want[r]
            v = min(v * mult[r], cap[r])
            if stocked:
                ship = min(v, max(sup[r] - reserve[r], 0.0))
                sup[r] -= ship
            else:
                ship = v
                made[r] += ship
            gone = ship * loss[r]
            if in_pipe:
                pipe[slot, r] = ship - gone
                back = slot - delay[r]
                got = pipe[back + W if back < 0 else back, r]
            else:
                got = ship - gone
            rcp[r] += got
            ship_today[r] = ship
            got_today[r] = got
            shipped[r] += ship
            delivered[r] += got
            lost[r] += gone


@njit(cache=True, nogil=True)
def _produce_consume(sc: Sched, x: Stocks, a: int, b: int) -> None:
    n = b - a
    for i in range(len(sc.prod_flat)):
        c = sc.prod_flat[i]
        rate, stock, made = sc.rates[sc.prod_series[i], a:b], x.S[c, a:b], x.produced[c, a:b]
        for r in range(n):
            stock[r] += rate[r]
            made[r] += rate[r]
    for i in range(len(sc.dem_flat)):
        c = sc.dem_flat[i]
        rate, stock = sc.rates[sc.dem_series[i], a:b], x.S[c, a:b]
        d_today, f_today = x.demand_today[i, a:b], x.fired_today[i, a:b]
        demanded, fired_total, shortfall = x.demanded[c, a:b], x.fired[c, a:b], x.shortfall[c, a:b]
        for r in range(n):
            demand = rate[r]
            have = stock[r]
            fired = min(demand, have)
            stock[r] = have - fired
            d_today[r] = demand
            f_today[r] = fired
            demanded[r] += demand
            fired_total[r] += fired
            shortfall[r] += demand - fired


@njit(cache=True, nogil=True)
def _signals(sg: Signals, x: Stocks, a: int, b: int) -> None:
    for i in range(len(sg.kind)):
        kind, j = sg.kind[i], sg.target[i]
        for r in range(a, b):
            if kind == FLOW:
                x.z[i, r] = x.flows[sg.measure[i], j, r] / sg.ref[i, r]
            elif kind == STOCK:
                demand = x.demand_today[sg.pair[i], r] if sg.pair[i] >= 0 else 0.0
                x.z[i, r] = x.S[j, r] / max(30.0 * demand, 1.0)
            elif kind == EVENT:
                x.z[i, r] = 1.0 if x.fired_flag[j, r] else 0.0
            else:
                x.z[i, r] = sg.lever_values[j, r]


@njit(cache=True, nogil=True)
def _update(net: Net, x: Stocks, side: int, w: np.ndarray, a: int, b: int) -> None:
    """I += (g(beta + Σ w·[I, z]) − I) / tau for one side (0 perceived, 1 true)."""
    n, K = b - a, net.beta.shape[0]
    I = x.levels[side]
    for k in range(K):
        acc = net.x[k, a:b]
        for r in range(n):
            acc[r] = 0.0
    for i in range(len(net.targets)):
        acc = net.x[net.targets[i], a:b]
        for e in range(net.offsets[i], net.offsets[i + 1]):
            j = net.source[e]
            we = w[e, a:b]
            u = I[j, a:b] if j < K else x.z[j - K, a:b]
            for r in range(n):
                acc[r] += we[r] * u[r]
    for k in range(K):
        acc, beta, tau, level = net.x[k, a:b], net.beta[k, a:b], net.tau[k, a:b], I[k, a:b]
        if net.logistic[k]:
            for r in range(n):
                level[r] += (_expit(beta[r] + acc[r]) - level[r]) / tau[r]
        else:
            for r in range(n):
                level[r] += (beta[r] + acc[r] - level[r]) / tau[r]


@njit(cache=True, nogil=True)
def _indicators(net: Net, x: Stocks, a: int, b: int) -> None:
    # One loop over the sides, not two calls with the constants 0 and 1: Numba would compile
    # _update once per constant.
    for side in range(1 if net.exact else 2):
        _update(net, x, side, net.w_seen if side == 0 else net.w_true, a, b)
    if net.exact:
        for k in range(net.beta.shape[0]):
            for r in range(a, b):
                x.levels[1, k, r] = x.levels[0, k, r]


@njit(cache=True, nogil=True)
def _perceive(net: Net, nz: Noise, t: int, a: int, b: int) -> None:
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


@njit(cache=True, nogil=True)
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
        else:  # SCALE_EDGE
            net.w_true[j, r] *= v
            net.w_seen[j, r] *= v
        if kind == START or kind == SCALE_TRANSFER:  # noqa: SIM109 (plain compares in the kernel)
            for f in range(fl.mult.shape[0]):
                fl.mult[f, r] = fl.active[f, r] * fl.tmult[f, r] * fl.levcap[f, r]
    return dirty


@njit(cache=True, nogil=True)
def _triggers(ev: Events, fl: Flows, sc: Sched, net: Net, x: Stocks, t: int, a: int, b: int) -> bool:
    nE = len(ev.indicator)
    dirty = False
    if nE == 0:
        return dirty
    for r in range(a, b):
        anyfired = False
        for e in range(nE):
            level = x.levels[0, ev.indicator[e], r]
            if ev.hazard[e]:
                x.hazard[e, r] += ev.rate[e, r] * _expit((level - ev.theta[e, r]) / ev.width[e, r])
                new = (not x.fired_flag[e, r]) and x.hazard[e, r] >= ev.thresholds[e, r]
            else:
                x.above[e, r] = x.above[e, r] + 1 if level >= ev.theta[e, r] else 0
                new = (not x.fired_flag[e, r]) and x.above[e, r] >= ev.days[e]
            ev.newly[e] = new
            anyfired = anyfired or new
        if anyfired:
            for e in range(nE):
                if ev.newly[e]:
                    x.fired_flag[e, r] = True
                    x.fired_at[e, r] = t
            dirty = _effects(ev, fl, sc, net, r) or dirty
    return dirty


@njit(cache=True, nogil=True)
def _series_rows(w: Watch, x: Stocks, n: int, a: int, b: int, out: np.ndarray) -> np.ndarray:
    """Series n's values in rows a..b: a view of the state, or the gap written to ``out``."""
    Ns, K = len(w.series_stock), x.levels.shape[1]
    if n < Ns:
        return x.S[w.series_stock[n], a:b]
    if n < Ns + K:
        return x.levels[0, n - Ns, a:b]
    seen, true = x.levels[0, n - Ns - K, a:b], x.levels[1, n - Ns - K, a:b]
    for r in range(b - a):
        out[r] = seen[r] - true[r]
    return out[: b - a]


@njit(cache=True, nogil=True)
def _bin(v: float, lo: float, width: float) -> int:
    q = (v - lo) / width
    if not (q > -9.2e18 and q < 9.2e18):  # NaN, ±inf, overflow: where NumPy's cast lands
        return 0
    i = int(q)
    return 0 if i < 0 else (BINS - 1 if i > BINS - 1 else i)


@njit(cache=True, nogil=True)
def _sampled(w: Watch, a: int, end: int) -> bool:
    """True when rows a..end hold a row the histogram counts (the first m of a variant's n)."""
    for p in range(a // w.hist_n, (end - 1) // w.hist_n + 1):
        if min(end, p * w.hist_n + w.hist_m) > max(a, p * w.hist_n):
            return True
    return False


@njit(cache=True, nogil=True)
def _add_zeros(w: Watch, t: int, n: int, a: int, end: int) -> None:
    """Rows a..end all have the value 0 in series n: count the sampled ones per variant at once."""
    idx = _bin(0.0, w.lo[n], w.width[n])
    for p in range(a // w.hist_n, (end - 1) // w.hist_n + 1):
        rows = min(end, p * w.hist_n + w.hist_m) - max(a, p * w.hist_n)
        if rows <= 0:
            continue
        w.counts[t, p, n, idx] += np.uint32(rows)
        if w.vmin[t, p, n] > 0.0:
            w.vmin[t, p, n] = 0.0
        if w.vmax[t, p, n] < 0.0:
            w.vmax[t, p, n] = 0.0


@njit(cache=True, nogil=True, fastmath=True)
def _extremes(v: np.ndarray) -> tuple[float, float]:
    """Smallest and largest of values that hold no NaN (min and max are exact either way)."""
    lo, hi = np.inf, -np.inf
    for r in range(len(v)):
        lo = min(lo, v[r])
        hi = max(hi, v[r])
    return lo, hi


@njit(cache=True, nogil=True)
def _count(w: Watch, t: int, p: int, n: int, v: np.ndarray, idx: np.ndarray, sub: np.ndarray) -> None:
    """Add values v (one variant's rows) to day t's histogram of series n.

    Four interleaved partial histograms keep consecutive rows that fall in the same bin
    from waiting on each other's increments.
    """
    lo, width = w.lo[n], w.width[n]
    m = len(v)
    nans = 0
    for r in range(m):  # vectorised: the bin of each value
        idx[r] = _bin(v[r], lo, width)
        nans += 0 if v[r] == v[r] else 1
    sub[:] = 0
    r = 0
    while r + 4 <= m:
        sub[0, idx[r]] += 1
        sub[1, idx[r + 1]] += 1
        sub[2, idx[r + 2]] += 1
        sub[3, idx[r + 3]] += 1
        r += 4
    while r < m:
        sub[0, idx[r]] += 1
        r += 1
    counts = w.counts[t, p, n]
    for i in range(BINS):
        counts[i] += np.uint32(sub[0, i] + sub[1, i] + sub[2, i] + sub[3, i])
    old_lo, old_hi = w.vmin[t, p, n], w.vmax[t, p, n]
    if nans:
        w.vmin[t, p, n], w.vmax[t, p, n] = np.nan, np.nan
    elif m:
        new_lo, new_hi = _extremes(v)
        if new_lo < old_lo:  # a NaN already there stays
            w.vmin[t, p, n] = new_lo
        if new_hi > old_hi:
            w.vmax[t, p, n] = new_hi


@njit(cache=True, nogil=True)
def _outcomes(w: Watch, x: Stocks, exact: bool, t: int, T: float, a: int, b: int) -> None:
    """Peaks, days above the threshold, miscalculation and shortfall days of rows a..b."""
    K, m = x.levels.shape[1], b - a
    for k in range(K):
        thr = w.threshold[k]
        level, peak, above = x.levels[0, k, a:b], w.peak[k, a:b], w.days_above[k, a:b]
        for r in range(m):
            v = level[r]
            if v > peak[r] or v != v:
                peak[r] = v
            if thr <= v:
                above[r] += 1
        if not exact:
            true, mis_peak, mis_sum = x.levels[1, k, a:b], w.mis_peak[k, a:b], w.mis_sum[k, a:b]
            for r in range(m):
                gap = abs(level[r] - true[r])
                if gap > mis_peak[r] or gap != gap:
                    mis_peak[r] = gap
                mis_sum[r] += gap
    for j in range(x.demand_today.shape[0]):
        demand, fired = x.demand_today[j, a:b], x.fired_today[j, a:b]
        days, first = w.short_days[j, a:b], w.first_short[j, a:b]
        for r in range(m):
            if (demand[r] - fired[r]) > 1e-9 * max(demand[r], 1.0):
                days[r] += 1
                if first[r] == T:
                    first[r] = t


@njit(cache=True, nogil=True)
def _counted(w: Watch, t: int, n: int, v: np.ndarray, a: int, end: int, idx: np.ndarray,
             sub: np.ndarray) -> None:
    """Add the sampled rows among a..end of series n (values ``v`` from row a) to the histogram."""
    for p in range(a // w.hist_n, (end - 1) // w.hist_n + 1):
        r0, r1 = max(a, p * w.hist_n) - a, min(end, p * w.hist_n + w.hist_m) - a
        if r1 > r0:
            _count(w, t, p, n, v[r0:r1], idx, sub)


@njit(cache=True, nogil=True)
def _ranged(w: Watch, n: int, v: np.ndarray, m: int) -> None:
    lo, hi = w.range_lo[n], w.range_hi[n]
    for r in range(m):
        if v[r] < lo or v[r] != v[r]:
            lo = v[r]
        if v[r] > hi or v[r] != v[r]:
            hi = v[r]
    w.range_lo[n], w.range_hi[n] = lo, hi


@njit(cache=True, nogil=True)
def _series(w: Watch, x: Stocks, exact: bool, t: int, a: int, b: int, work: np.ndarray, idx: np.ndarray,
            sub: np.ndarray) -> None:
    """Each kept series of rows a..b, read once, to the histogram, the recorder and the ranges."""
    end = min(b, w.hist_rows)
    hist = w.hist and a < end and _sampled(w, a, end)
    if not (hist or w.record or w.ranges):
        return
    gaps = len(w.series_stock) + x.levels.shape[1]  # series from here on are perception gaps
    for n in range(len(w.lo)):
        zero = exact and n >= gaps  # the gap is exactly 0 in every row
        if hist and zero:
            _add_zeros(w, t, n, a, end)
        if not (w.record or w.ranges or (hist and not zero)):
            continue
        v = _series_rows(w, x, n, a, b, work)
        if hist and not zero:
            _counted(w, t, n, v, a, end, idx, sub)
        if w.record:
            out = w.values[t, a:b, n]
            for r in range(b - a):
                out[r] = v[r]
        if w.ranges:
            _ranged(w, n, v, b - a)


@njit(cache=True, nogil=True)
def _snapshots(w: Watch, x: Stocks, t: int, a: int, b: int) -> None:
    """Record the quantities observed on day t (codes of :mod:`spillover.engine.snapshots`)."""
    for j in range(len(w.snap_day)):
        if w.snap_day[j] != t:
            continue
        src, i, k, out = w.snap_src[j], w.snap_a[j], w.snap_b[j], w.snap_values[j, a:b]
        if src == 3:  # an event's flag
            flag = x.fired_flag[i, a:b]
            for r in range(b - a):
                out[r] = 1.0 if flag[r] else 0.0
            continue
        if src == 0:
            v = x.flows[i, k, a:b]
        elif src == 1:
            v = x.S[i, a:b]
        elif src == 2:
            v = x.levels[i, k, a:b]
        elif src == 4:
            v = x.produced[i, a:b]
        elif src == 5:
            v = x.fired[i, a:b]
        elif src == 6:
            v = x.demanded[i, a:b]
        elif src == 7:
            v = x.shortfall[i, a:b]
        else:
            v = x.fired_today[i, a:b]
        for r in range(b - a):
            out[r] = v[r]


@njit(cache=True, nogil=True)
def run_days(
    T: int, block: int, sc: Sched, fl: Flows, sg: Signals, net: Net, nz: Noise, ev: Events,
    x: Stocks, w: Watch,
) -> None:
    """Step every row over the horizon, ``block`` rows at a time, observing each day."""
    R = x.S.shape[1]
    work, idx = np.empty(block), np.empty(block, np.int64)  # one allocation for the whole call
    sub = np.empty((4, BINS), np.int64)
    for a in range(0, R, block):
        b = min(a + block, R)
        dirty = True
        for t in range(T):
            if nz.ar1:
                _perceive(net, nz, t, a, b)
            if dirty or sc.changes[t]:
                _rates(sc, t, a, b)
                dirty = False
            _transfers(fl, sc, x, t, a, b)
            _produce_consume(sc, x, a, b)
            _signals(sg, x, a, b)
            _indicators(net, x, a, b)
            dirty = _triggers(ev, fl, sc, net, x, t, a, b)
            if w.acc:
                _outcomes(w, x, net.exact, t, float(T), a, b)
            _series(w, x, net.exact, t, a, b, work, idx, sub)
            if len(w.snap_day):
                _snapshots(w, x, t, a, b)
