"""The compiled step's watchers: outcomes, windowed snapshots, daily histograms, recorded
series and series ranges, filled inside the loop over days (see :mod:`spillover.engine.jit`)."""

from __future__ import annotations

import numpy as np
from numba import njit

from spillover.engine.histogram import BINS
from spillover.engine.kernel_args import Stocks, Watch


@njit(cache=True, nogil=True, error_model="numpy")
def _snapshot(w: Watch, x: Stocks, dem_flat: np.ndarray, slot: int, a: int, b: int) -> None:
    """Cumulative totals at the end of today, for windowed outcomes."""
    for f in range(w.snap_delivered.shape[1]):
        for r in range(a, b):
            w.snap_delivered[slot, f, r] = x.flows[1, f, r]
    for j in range(w.snap_fired.shape[1]):
        c = dem_flat[j]
        for r in range(a, b):
            w.snap_fired[slot, j, r] = x.fired[c, r]
            w.snap_shortfall[slot, j, r] = x.shortfall[c, r]
            w.snap_short_days[slot, j, r] = w.short_days[j, r]
    for c in range(w.snap_leaked.shape[1]):
        for r in range(a, b):
            w.snap_leaked[slot, c, r] = x.leaked[c, r]


@njit(cache=True, nogil=True, error_model="numpy")
def _series_rows(w: Watch, x: Stocks, n: int, a: int, b: int, out: np.ndarray) -> np.ndarray:
    """Series n's values in rows a..b: a view of the state, or the gap written to ``out``."""
    Ns, K = len(w.series_stock), x.levels.shape[1]
    if n < Ns:
        return x.S[w.series_stock[n], a:b]
    Ns += x.leaked_today.shape[0]
    if n < Ns:
        return x.leaked_today[n - len(w.series_stock), a:b]
    if n < Ns + K:
        return x.levels[0, n - Ns, a:b]
    seen, true = x.levels[0, n - Ns - K, a:b], x.levels[1, n - Ns - K, a:b]
    for r in range(b - a):
        out[r] = seen[r] - true[r]
    return out[: b - a]


@njit(cache=True, nogil=True, error_model="numpy")
def _bin(v: float, lo: float, width: float) -> int:
    q = (v - lo) / width
    if not (q > -9.2e18 and q < 9.2e18):  # NaN, ±inf, overflow: where NumPy's cast lands
        return 0
    i = int(q)
    return 0 if i < 0 else (BINS - 1 if i > BINS - 1 else i)


@njit(cache=True, nogil=True, error_model="numpy")
def _sampled(w: Watch, a: int, end: int) -> bool:
    """True when rows a..end hold a row the histogram counts (the first m of a variant's n)."""
    for p in range(a // w.hist_n, (end - 1) // w.hist_n + 1):
        if min(end, p * w.hist_n + w.hist_m) > max(a, p * w.hist_n):
            return True
    return False


@njit(cache=True, nogil=True, error_model="numpy")
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


@njit(cache=True, nogil=True, error_model="numpy", fastmath=True)
def _extremes(v: np.ndarray) -> tuple[float, float]:
    """Smallest and largest of values that hold no NaN (min and max are exact either way)."""
    lo, hi = np.inf, -np.inf
    for r in range(len(v)):
        lo = min(lo, v[r])
        hi = max(hi, v[r])
    return lo, hi


@njit(cache=True, nogil=True, error_model="numpy")
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


@njit(cache=True, nogil=True, error_model="numpy")
def _shortfalls(w: Watch, x: Stocks, t: int, T: float, a: int, b: int) -> None:
    """Days with unmet demand, and the first such day, per demand."""
    for j in range(x.demand_today.shape[0]):
        demand, fired = x.demand_today[j, a:b], x.fired_today[j, a:b]
        days, first = w.short_days[j, a:b], w.first_short[j, a:b]
        for r in range(b - a):
            if (demand[r] - fired[r]) > 1e-9 * max(demand[r], 1.0):
                days[r] += 1
                if first[r] == T:
                    first[r] = t


@njit(cache=True, nogil=True, error_model="numpy")
def observe(w: Watch, x: Stocks, dem_flat: np.ndarray, exact: bool, t: int, T: float, a: int,
            b: int, work: np.ndarray, idx: np.ndarray, sub: np.ndarray) -> None:
    """Today's outcomes, snapshots, histogram counts, series and ranges of rows a..b; ``work``,
    ``idx`` and ``sub`` are scratch arrays of at least a block's rows (and 4 × BINS)."""
    K, m = x.levels.shape[1], b - a
    if w.acc:
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
        _shortfalls(w, x, t, T, a, b)
        if w.snap_slot[t] >= 0:
            _snapshot(w, x, dem_flat, int(w.snap_slot[t]), a, b)
    _series(w, x, exact, t, a, b, work, idx, sub)


@njit(cache=True, nogil=True, error_model="numpy")
def _counted(w: Watch, t: int, n: int, v: np.ndarray, a: int, end: int, idx: np.ndarray,
             sub: np.ndarray) -> None:
    """Add the sampled rows among a..end of series n (values ``v`` from row a) to the histogram."""
    for p in range(a // w.hist_n, (end - 1) // w.hist_n + 1):
        r0, r1 = max(a, p * w.hist_n) - a, min(end, p * w.hist_n + w.hist_m) - a
        if r1 > r0:
            _count(w, t, p, n, v[r0:r1], idx, sub)


@njit(cache=True, nogil=True, error_model="numpy")
def _ranged(w: Watch, n: int, v: np.ndarray, m: int) -> None:
    lo, hi = w.range_lo[n], w.range_hi[n]
    for r in range(m):
        if v[r] < lo or v[r] != v[r]:
            lo = v[r]
        if v[r] > hi or v[r] != v[r]:
            hi = v[r]
    w.range_lo[n], w.range_hi[n] = lo, hi


@njit(cache=True, nogil=True, error_model="numpy")
def _series(w: Watch, x: Stocks, exact: bool, t: int, a: int, b: int, work: np.ndarray,
            idx: np.ndarray, sub: np.ndarray) -> None:
    """Each kept series of rows a..b, read once, to the histogram, the recorder and the ranges."""
    N, K = len(w.lo), x.levels.shape[1]
    end = min(b, w.hist_rows)
    hist = w.hist and a < end and _sampled(w, a, end)
    if not (hist or w.record or w.ranges):
        return
    for n in range(N):
        zero = exact and n >= N - K  # the perception gaps are exactly 0 in every row
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


@njit(cache=True, nogil=True, error_model="numpy")
def observed(w: Watch, x: Stocks, t: int, a: int, b: int) -> None:
    """Record the quantities observed on day t (codes of :mod:`spillover.engine.snapshots`)."""
    for j in range(len(w.obs_day)):
        if w.obs_day[j] != t:
            continue
        src, i, k, out = w.obs_src[j], w.obs_a[j], w.obs_b[j], w.obs_values[j, a:b]
        if src == 3:  # an event's flag
            flag = x.fired_flag[i, a:b]
            for r in range(b - a):
                out[r] = 1.0 if flag[r] else 0.0
            continue
        if src == 9:  # its shadow's: met once it has a day
            day = x.fired_at_true[i, a:b]
            for r in range(b - a):
                out[r] = 1.0 if day[r] == day[r] else 0.0
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
