"""The compiled engine: packs a compiled scenario for :func:`spillover.engine.jit.run_days`.

:func:`simulate_compiled` gives the same final state and fills the same watchers as the
NumPy step in :mod:`spillover.engine.step`, many times faster. It knows the watchers
of a run (outcomes, daily histograms, recorded series, series ranges); any other watcher
needs the NumPy step, which :func:`spillover.engine.simulate.simulate` then uses.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

import numpy as np

from spillover.engine import jit, prebuilt
from spillover.engine import kernel_args as args
from spillover.engine.draws import Draws, draw
from spillover.engine.kinds import EffectKind, SignalKind
from spillover.engine.outcomes import OutcomeWatcher
from spillover.engine.params import Params
from spillover.engine.series import HistogramWatcher, RangeWatcher, SeriesRecorder, series_stocks
from spillover.engine.setup import Kernel, initial_state, make_kernel, seen_edges
from spillover.engine.snapshots import SnapshotWatcher
from spillover.engine.state import State
from spillover.engine.structure import Structure
from spillover.engine.watch import Watcher

prebuilt.step_key()  # the key of the step as imported now: a later edit makes a new key, not this one's

CACHE_BYTES = 2.0e7  # a block's rows should fit in this much of the CPU's caches (measured best)
KNOWN = (OutcomeWatcher, HistogramWatcher, SeriesRecorder, RangeWatcher, SnapshotWatcher)

def supports(watchers: Sequence[Watcher]) -> bool:
    """True when the compiled engine can fill every watcher (at most one of each kind)."""
    kinds = [type(o) for o in watchers]
    return all(k in KNOWN for k in kinds) and len(set(kinds)) == len(kinds)


def _c(a: np.ndarray, dtype: type = np.float64) -> np.ndarray:
    return np.ascontiguousarray(a, dtype=dtype)


def _gated(k: Kernel) -> bool:
    """False when every production gate is 1 in every row and period and no event starts a line:
    then multiplying the rates by it changes no bit, and the compiled step skips it."""
    starts = any(f.kind is EffectKind.START_PRODUCTION for f in k.p.effects)
    return bool(starts or np.any(k.sact != 1.0) or any(np.any(lev.gate != 1.0) for lev in k.levs))


def _sched(k: Kernel) -> args.Sched:
    st, p, lines = k.st, k.p, k.st.lines
    dated = [i for i, s in enumerate(st.series) if s.steps]
    dated_of = np.full(len(st.series), -1, np.int64)
    dated_of[dated] = np.arange(len(dated))
    sizes = [len(st.series[i].steps) for i in dated]
    return args.Sched(
        B=_c(k.B), changes=_c(~k.steady, np.bool_),
        offsets=_c(np.r_[k.offsets[: len(st.series)], k.B.shape[1]], np.int64),  # no series: [0]
        V=_c(p.V.T), scale=_c(p.scale.T), smult=_c(k.smult.T), sact=_c(k.sact.T), glev=_c(k.lev.gate.T),
        gate=_c(k.gate.T), gated=_gated(k),
        dated_of=dated_of, dated_off=_c(np.r_[0, np.cumsum(sizes)], np.int64),
        step_day=_c(p.step_day.T, np.int64), rates=np.zeros((len(st.series), p.R)),
        prod_series=_c(lines.prod, np.int64), prod_flat=_c(lines.prod_flat, np.int64),
        prod_input=_c(lines.prod_input, np.int64), per_input=_c(p.per_input.T),
        dem_series=_c(lines.dem, np.int64), dem_flat=_c(lines.dem_flat, np.int64),
        follow_kind=_c(lines.follow_kind, np.int64), follow=_c(lines.follow, np.int64),
        coupled=_c(lines.coupled, np.int64), stops=_c(p.stops.T),
    )


def _flows(k: Kernel) -> args.Flows:
    st, fl, lev, p = k.st, k.fl, k.lev, k.p
    lump_ptr = np.searchsorted(st.lump_tr, np.arange(st.F + 1)).astype(np.int64)
    return args.Flows(
        order=_c(np.asarray(st.tr_order), np.int64),
        sup=_c(st.tr_sup * st.M + st.tr_mun, np.int64), rcp=_c(st.tr_rcp * st.M + st.tr_mun, np.int64),
        stocked=_c(st.stocked[st.tr_mun], np.bool_) if st.F else np.zeros(0, np.bool_),
        par_ptr=_c(st.tr_par_ptr, np.int64), parents=_c(st.tr_parents, np.int64),
        made=_c(st.tr_made, np.int64), limited=_c(st.tr_limited, np.bool_), series=_c(k.tr_series, np.int64),
        lump_ptr=lump_ptr, lump_day=_c(p.lump_day.T, np.int64), lump_amt=_c(p.lump_amt.T),
        ratio=_c(fl.ratio), limit=_c(fl.limit), want=np.zeros(p.R), cap=_c(fl.cap),
        reserve=_c(fl.reserve), loss=_c(fl.loss),
        active=_c(k.active.T), tmult=_c(k.tmult.T), levcap=_c(lev.cap.T), mult=_c(fl.mult),
        delay=_c(lev.delay.T, np.int64), nodelay=_c(k.nodelay, np.bool_),
    )


def _periods(k: Kernel) -> args.Periods:
    """Each lever period's arrays; with one period nothing is ever copied from them."""
    levs, E = k.levs, k.edges.n
    fac = np.ones((len(levs), E, k.p.R))
    sel = seen_edges(k)
    if not k.ar1:
        for g, f in enumerate(k.factors):
            fac[g, sel] = f
    return args.Periods(
        of_day=_c(k.period_of_day, np.int64),
        levcap=_c(np.stack([lev.cap.T for lev in levs])), loss=_c(np.stack([lev.loss.T for lev in levs])),
        delay=_c(np.stack([lev.delay.T for lev in levs]), np.int64),
        glev=_c(np.stack([lev.gate.T for lev in levs])),
        lever_values=_c(np.transpose(k.p.lever_values, (1, 2, 0))),
        sig_cov=_c(np.stack([cov.T for cov in k.sig_covs])), fac=_c(fac),
    )


def _signals(k: Kernel) -> args.Signals:
    st = k.st
    stock = st.sig_kind == SignalKind.STOCK
    pair = np.array([k.dem_index.get(int(j), -1) if is_stock else -1
                     for j, is_stock in zip(st.sig_target, stock, strict=True)], np.int64)
    return args.Signals(kind=_c(st.sig_kind, np.int64), target=_c(st.sig_target, np.int64),
                        measure=_c(st.sig_measure, np.int64), pair=pair, ref=_c(k.ref),
                        lever_values=_c(k.p.lever_values[:, 0, :].T))


def _net(k: Kernel) -> args.Net:
    e = k.edges
    return args.Net(
        source=_c(e.source, np.int64), targets=_c(e.targets, np.int64),
        offsets=_c(np.r_[e.offsets, e.n], np.int64),
        w_seen=_c(k.w_seen), w_true=_c(k.w_true), beta=_c(k.beta), tau=_c(k.tau),
        logistic=_c(k.st.ind_logistic, np.bool_), exact=bool(k.exact),
        x=np.zeros_like(k.beta),
    )


def _noise(k: Kernel, draws: Draws) -> args.Noise:
    st, p, e = k.st, k.p, k.edges
    K = len(st.indicators)
    obs = st.ind_observer[e.target] if e.n else np.zeros(0, np.int64)
    edge_obs = np.where(e.is_signal & (obs >= 0), obs, -1) if e.n else np.zeros(0, np.int64)
    edge_sig = np.where(e.is_signal, e.source - K, 0) if e.n else np.zeros(0, np.int64)
    ar1 = draws.noise.ndim == 4
    n = draws.noise[0] if ar1 else draws.noise  # (R, O, S)
    return args.Noise(
        ar1=ar1, edge_obs=_c(edge_obs, np.int64), edge_sig=_c(edge_sig, np.int64),
        sig_cov=_c(k.sig_cov.T), bias=_c(p.bias.T), sd=_c(p.noise.T), phi=_c(p.persistence),
        n=_c(np.transpose(n, (1, 2, 0))),
        innov=_c(draws.noise) if ar1 else np.zeros((0, 0, 0, 0)),
    )


def _events(k: Kernel) -> args.Events:
    st, p, sc = k.st, k.p, k.st.scenario
    nE = len(st.events)
    indicator, days = np.zeros(nE, np.int64), np.zeros(nE, np.int64)
    for e, name in enumerate(st.events):
        trig = sc.events[name].trigger
        indicator[e] = st.indicators.index(trig.indicator) if trig.indicator is not None else 0
        days[e] = trig.threshold.days if trig.threshold is not None else 0
    effs = p.effects
    target = [k.edges.index[(f.target[0], f.target[1])] if f.kind is EffectKind.SCALE_EDGE
              else f.target[0] for f in effs]
    return args.Events(
        indicator=indicator, kind=_c(st.ev_kind, np.int64), days=days,
        theta=_c(p.theta.T), rate=_c(p.hazard_rate.T), width=_c(p.width.T),
        thresholds=_c(k.draws.thresholds.T), on_day=_c(p.on_day.T, np.int64),
        eff_event=np.array([f.event for f in effs], np.int64),
        eff_kind=np.array([int(f.kind) for f in effs], np.int64),
        eff_target=np.array(target, np.int64),
        eff_value=_c(np.stack([f.value for f in effs]) if effs else np.zeros((0, p.R))),
        newly=np.zeros(nE, np.bool_),
        hazard_true=np.zeros((nE, p.R)), above_true=np.zeros((nE, p.R), np.int64),
    )


def _stocks(s: State) -> args.Stocks:
    R = s.S.shape[0]

    def rows_last(a: np.ndarray, dtype: type = np.float64) -> np.ndarray:
        return _c(a.reshape(R, -1).T, dtype)

    return args.Stocks(
        S=rows_last(s.S), pipe=_c(s.pipe), levels=_c(s.levels),
        fired_flag=rows_last(s.E, np.bool_), fired_at=rows_last(s.fired_at),
        hazard=rows_last(s.hazard), above=rows_last(s.above, np.int64),
        fired_at_true=rows_last(s.fired_at_true),
        produced=rows_last(s.produced), fired=rows_last(s.fired), demanded=rows_last(s.demanded),
        shortfall=rows_last(s.shortfall), flows=_c(s.flows),
        demand_today=rows_last(s.demand_today), fired_today=rows_last(s.fired_today), z=_c(s.z),
        leaked=rows_last(s.leaked), leaked_today=rows_last(s.leaked_today),
        prod_today=rows_last(s.prod_today), paid=rows_last(s.paid),
    )


def _unpack(x: args.Stocks, s: State) -> None:
    for name, arr in (("S", x.S), ("produced", x.produced), ("fired", x.fired),
                      ("demanded", x.demanded), ("shortfall", x.shortfall),
                      ("E", x.fired_flag), ("fired_at", x.fired_at), ("hazard", x.hazard),
                      ("above", x.above), ("fired_at_true", x.fired_at_true),
                      ("demand_today", x.demand_today),
                      ("fired_today", x.fired_today), ("leaked", x.leaked),
                      ("leaked_today", x.leaked_today), ("prod_today", x.prod_today), ("paid", x.paid)):
        target = getattr(s, name)
        target[...] = arr.T.reshape(target.shape)
    s.pipe[...] = x.pipe
    s.levels[...] = x.levels
    s.flows[...] = x.flows
    s.z[...] = x.z


W = TypeVar("W")


def _one(watchers: Sequence[Watcher], kind: type[W]) -> W | None:
    return next((w for w in watchers if isinstance(w, kind)), None)


def _watch(st: Structure, watchers: Sequence[Watcher]) -> args.Watch:
    acc = _one(watchers, OutcomeWatcher)
    hist = _one(watchers, HistogramWatcher)
    rec = _one(watchers, SeriesRecorder)
    rng = _one(watchers, RangeWatcher)
    ob = _one(watchers, SnapshotWatcher)
    none = np.zeros(0, np.int64)
    K = len(st.indicators)
    stocks = series_stocks(st)
    N = len(stocks) + st.C + 2 * K
    nothing = np.zeros((0, 0))
    spec = hist.spec if hist is not None else None
    lo = spec.lo if spec is not None else np.zeros(N)
    hi = spec.hi if spec is not None else np.ones(N)
    return args.Watch(
        acc=acc is not None,
        threshold=_c(acc.thresholds[:, 0] if acc else np.zeros(K)),
        peak=acc.peak if acc else nothing, days_above=acc.days_above if acc else nothing.astype(np.int64),
        mis_peak=acc.mis_peak if acc else nothing, mis_sum=acc.mis_sum if acc else nothing,
        first_short=_c(acc.first_short.T) if acc else nothing,
        short_days=_c(acc.short_days.T, np.int64) if acc else nothing.astype(np.int64),
        snap_slot=acc.snap_slot if acc else np.zeros(0, np.int64),
        snap_delivered=acc.snaps["delivered"] if acc else np.zeros((0, 0, 0)),
        snap_fired=acc.snaps["fired"] if acc else np.zeros((0, 0, 0)),
        snap_shortfall=acc.snaps["shortfall"] if acc else np.zeros((0, 0, 0)),
        snap_short_days=acc.snaps["short_days"] if acc else np.zeros((0, 0, 0), np.int64),
        snap_leaked=acc.snaps["leaked"] if acc else np.zeros((0, 0, 0)),
        series_stock=stocks,
        hist=hist is not None, hist_rows=hist.P * hist.n if hist else 0,
        hist_n=max(hist.n, 1) if hist else 1, hist_m=hist.m if hist else 0,
        lo=_c(lo), width=_c((hi - lo) / jit.BINS),
        counts=hist.hist.counts if hist else np.zeros((0, 0, 0, 0), np.uint32),
        vmin=hist.hist.vmin if hist else np.zeros((0, 0, 0)),
        vmax=hist.hist.vmax if hist else np.zeros((0, 0, 0)),
        record=rec is not None,
        values=rec.values if rec else np.zeros((0, 0, 0), np.float32),
        ranges=rng is not None,
        range_lo=rng.lo if rng else np.zeros(N), range_hi=rng.hi if rng else np.zeros(N),
        obs_day=ob.spec.days if ob else none, obs_src=ob.spec.src if ob else none,
        obs_a=ob.spec.a if ob else none, obs_b=ob.spec.b if ob else none,
        obs_values=ob.values if ob else np.zeros((0, 0)),
    )


def block_size(row_bytes: float) -> int:
    """Rows stepped together: a power of two whose arrays fit in :data:`CACHE_BYTES`.

    Measured on 4 December 2026 (10,000 runs through the step alone, 2 threads):
    nk-russia-2023 (10 kB a row) took 10.7–10.9 s in blocks of 1,024 rows against 16.8–17.6 s
    in blocks of 256 (13.1–13.6 s against 17.3–20.5 s with its daily histograms): each
    stage's fixed cost per block and day then weighs less. richardson7 (2.3 kB a row) was
    the same from 1,024 to 4,096 rows. On 5 December, nk-russia-2023's rows had grown to
    15 kB and got blocks of 512 under a 10 MB budget: 8.87 s through the step alone and
    10.79 s with the daily histograms, against 8.49 s and 9.96 s with this budget's 1,024
    (a budget of 40 MB, 2,048 rows: 9.25 s and 11.4 s). Bigger blocks also pass over the
    histogram's counts fewer times. Results never depend on it.
    """
    return int(2 ** np.clip(np.round(np.log2(CACHE_BYTES / max(row_bytes, 1.0))), 6, 12))


def _row_bytes(R: int, *groups: tuple) -> float:
    total = sum(a.nbytes for g in groups for a in g
                if isinstance(a, np.ndarray) and a.ndim and a.shape[-1] == R)
    return total / max(R, 1)


def _own(w: args.Watch, ev: args.Events) -> tuple[args.Watch, args.Events]:
    """A lane's own copies of what calls on different rows share: the histogram counts and
    extremes, the series ranges and the events' scratch (counts from zero, the rest as now)."""
    own = w._replace(counts=np.zeros(w.counts.shape, w.counts.dtype), vmin=w.vmin.copy(), vmax=w.vmax.copy(),
                     range_lo=w.range_lo.copy(), range_hi=w.range_hi.copy())
    return own, ev._replace(newly=np.zeros_like(ev.newly))


def _merge(w: args.Watch, lane: args.Watch) -> None:
    """Add a lane's histogram and ranges into the run's: integer counts, and minima and maxima
    that keep a NaN, so the result is the same whichever lane stepped which rows."""
    np.add(w.counts, lane.counts, out=w.counts)
    for mine, theirs, keep in ((w.vmin, lane.vmin, np.minimum), (w.vmax, lane.vmax, np.maximum),
                               (w.range_lo, lane.range_lo, np.minimum),
                               (w.range_hi, lane.range_hi, np.maximum)):
        keep(mine, theirs, out=mine)


_SLOTS: dict[int, threading.BoundedSemaphore] = {}


def _slots(threads: int) -> threading.BoundedSemaphore:
    """At most ``threads`` blocks step at once in this process, whichever chunks they are from
    (chunks that run side by side share the cores instead of crowding them)."""
    return _SLOTS.setdefault(threads, threading.BoundedSemaphore(threads))


def _run_lanes(T: int, block: int, groups: tuple, threads: int, ahead: bool = True) -> None:
    """Step the blocks of rows on ``threads`` lanes: this thread and helpers, each taking the
    next block not yet taken. Each lane beyond the first has its own shared-state copies
    (:func:`_own`), added into the run's afterwards in lane order."""
    R = groups[7].S.shape[1]
    n_blocks = -(-R // block)
    step = (prebuilt.step_for(groups) if ahead else None) or jit.run_days
    if threads <= 1 or n_blocks <= 1:
        step(T, block, 0, R, *groups)
        return
    taken = itertools.count()  # next() on it is atomic: each block goes to one lane
    w, ev = groups[8], groups[5]
    lanes: list[args.Watch | None] = [None] * min(threads, n_blocks)
    slots = _slots(threads)

    def lane(i: int) -> None:
        k = next(taken)
        if k >= n_blocks:
            return
        mine, own_ev = (w, ev) if i == 0 else _own(w, ev)
        lanes[i] = mine
        mine_groups = (*groups[:5], own_ev, *groups[6:8], mine)
        while k < n_blocks:
            with slots:
                step(T, block, k * block, min((k + 1) * block, R), *mine_groups)
            k = next(taken)

    with ThreadPoolExecutor(len(lanes) - 1, thread_name_prefix="spillover-lane") as helpers:
        futures = [helpers.submit(lane, i) for i in range(1, len(lanes))]
        lane(0)
        for f in futures:
            f.result()
    for other in lanes[1:]:
        if other is not None:
            _merge(w, other)


def _pack(st: Structure, p: Params, draws: Draws, watchers: Sequence[Watcher]) -> tuple[Kernel, State, tuple]:
    """The kernel, the initial state and the step's grouped arguments for these rows."""
    k = make_kernel(st, p, draws)
    s = initial_state(st, p, k.window)
    s.exact = k.exact
    s.delay[...] = k.lev.delay.T
    groups = (_sched(k), _flows(k), _signals(k), _net(k), _noise(k, draws), _events(k), _periods(k),
              _stocks(s), _watch(st, watchers))
    return k, s, groups


def simulate_compiled(st: Structure, p: Params, draws: Draws, watchers: Sequence[Watcher] = (),
                      block: int | None = None, threads: int = 1, ahead: bool = True) -> State:
    """Run every row of ``p`` over the horizon with the compiled step; see ``simulate``.

    ``block`` rows are stepped together (default: :func:`block_size`), the blocks on
    ``threads`` threads; they change the speed, never the results. The step built ahead of
    time is used when one fits (:mod:`spillover.engine.prebuilt`), unless ``ahead`` is
    False: then Numba's JIT-compiled step, the same code.
    """
    if not supports(watchers):
        raise ValueError("the compiled engine fills only outcome, histogram, series, range and snapshot "
                         "watchers")
    _, s, groups = _pack(st, p, draws, watchers)
    x, w, ev = groups[7], groups[8], groups[5]
    if block is None:
        block = block_size(_row_bytes(p.R, *groups))
    _run_lanes(st.T, int(block), groups, threads, ahead)
    _unpack(x, s)
    s.hazard_true[...] = ev.hazard_true.T  # the shadows' accumulators are kept in ev
    s.above_true[...] = ev.above_true.T
    s.t = st.T - 1
    acc = next((o for o in watchers if isinstance(o, OutcomeWatcher)), None)
    if acc is not None:
        acc.first_short[...] = w.first_short.T
        acc.short_days[...] = w.short_days.T
    return s


_WARM = """
name: warm-up
title: warm-up
start: 2024-01-01
horizon: 2
actors: {A: {name: A}}
munitions: {m: {name: m}}
stocks: {A: {m: {value: 1.0, judgment: true}}}
indicators:
  calm: {name: calm, observer: A, tau: {value: 2, judgment: true}, beta: {value: 0.0, judgment: true}}
policies: {only: {}}
"""


def _warm_rows() -> tuple[Structure, Params, Draws, list[Watcher]]:
    from spillover.engine.params import build_params
    from spillover.engine.structure import build_structure
    from spillover.scenario.load import loads_scenario

    st = build_structure(loads_scenario(_WARM))
    return st, build_params(st, {}, 1), draw(st, 0, np.arange(1)), [OutcomeWatcher(st, 1)]


def warm(ahead: bool = True) -> None:
    """Load the compiled step (the prebuilt one, else from Numba's cache, else compile it
    once) on a two-day scenario, so that a new worker process is ready before its first chunk.
    ``ahead=False`` loads (or compiles) Numba's JIT-compiled step even when a prebuilt one fits."""
    simulate_compiled(*_warm_rows(), ahead=ahead)


def prebuilt_fits() -> bool:
    """True when runs here would use a step built ahead of time (it loads and takes these types)."""
    return prebuilt.step_for(_pack(*_warm_rows())[2]) is not None


def build_prebuilt() -> Path:
    """Build the step ahead of time for this machine (:mod:`spillover.engine.prebuilt`);
    returns the module's path. Raises RuntimeError when it cannot be built here."""
    return prebuilt.build(_pack(*_warm_rows())[2])
