"""The compiled step's arguments: named tuples of arrays, the row axis last ``(·, R)``.

:mod:`spillover.engine.compiled` fills them from a compiled scenario and
:mod:`spillover.engine.jit` steps them; Numba compiles one specialisation per layout.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Sched(NamedTuple):
    B: np.ndarray  # (T, Ktot) schedule basis
    changes: np.ndarray  # (T,) bool: some row's rates may differ from yesterday's
    offsets: np.ndarray  # (nS + 1,) each series' first basis column, then Ktot
    V: np.ndarray  # (Ktot, R) schedule values
    scale: np.ndarray  # (nS, R)
    smult: np.ndarray  # (nS, R) event multipliers
    sact: np.ndarray  # (nS, R) 0 for a dormant production line not yet started
    glev: np.ndarray  # (nS, R) the levers' factor on production, in the period in force
    gate: np.ndarray  # (nS, R) sact · glev
    gated: bool  # some gate may differ from 1 (else the rates skip multiplying by it)
    dated_of: np.ndarray  # (nS,) index among the series with uncertain step days, or -1
    dated_off: np.ndarray  # (nDated + 1,) their first row in step_day, then the total
    step_day: np.ndarray  # (nSteps, R) int64 each row's step days
    rates: np.ndarray  # (nS, R) today's rates (work array)
    prod_series: np.ndarray  # (nP,) series of each production line (engine order)
    prod_flat: np.ndarray  # (nP,) its stock a·M+m
    prod_input: np.ndarray  # (nP,) flat stock of the input it consumes, or -1
    per_input: np.ndarray  # (nP, R) input per unit made
    dem_series: np.ndarray  # (nD,) series of each demand (engine order)
    dem_flat: np.ndarray
    follow_kind: np.ndarray  # (nD,) 0 nothing, 1 another demand's fire, 2 a transfer's deliveries
    follow: np.ndarray  # (nD,) the demand or transfer followed
    coupled: np.ndarray  # (nD,) index among coupled demands, or -1
    stops: np.ndarray  # (C, R) share of engaged units stopped


class Flows(NamedTuple):
    order: np.ndarray  # (F,) transfers, those paid for first
    sup: np.ndarray  # (F,) flat stock a·M+m of the supplier
    rcp: np.ndarray  # (F,) flat stock of the recipient
    stocked: np.ndarray  # (F,) bool: the munition is held in stock (else made on shipment)
    par_ptr: np.ndarray  # (F + 1,) transfer f pays for parents[par_ptr[f]:par_ptr[f + 1]]
    parents: np.ndarray
    made: np.ndarray  # (F,) production line paid per unit made, or -1
    limited: np.ndarray  # (F,) bool: pays for at most limit units
    series: np.ndarray  # (F,) rate series, or -1
    lump_ptr: np.ndarray  # (F + 1,) transfer f's lump sums
    lump_day: np.ndarray  # (nL, R) int64
    lump_amt: np.ndarray  # (nL, R)
    ratio: np.ndarray  # (F, R)
    limit: np.ndarray  # (F, R)
    want: np.ndarray  # (R,) work array: what the transfer would ship today, before caps
    cap: np.ndarray  # (F, R)
    reserve: np.ndarray  # (F, R)
    loss: np.ndarray  # (F, R) in the period in force
    active: np.ndarray  # (F, R)
    tmult: np.ndarray  # (F, R)
    levcap: np.ndarray  # (F, R) cap lever, in the period in force
    mult: np.ndarray  # (F, R) active · tmult · levcap
    delay: np.ndarray  # (F, R) int64, in the period in force
    nodelay: np.ndarray  # (F,) bool: delivered the day it ships in every row and period (no ring)


class Periods(NamedTuple):
    """Lever periods: what each period sets, copied into the working arrays when it begins."""

    of_day: np.ndarray  # (T,) int64 period in force
    levcap: np.ndarray  # (G, F, R)
    loss: np.ndarray  # (G, F, R)
    delay: np.ndarray  # (G, F, R) int64
    glev: np.ndarray  # (G, nS, R)
    lever_values: np.ndarray  # (G, L, R)
    sig_cov: np.ndarray  # (G, S, R)
    fac: np.ndarray  # (G, E, R) perception factor of each seen edge (constant process)


class Signals(NamedTuple):
    kind: np.ndarray  # (S,) SignalKind
    target: np.ndarray  # (S,) transfer, flat stock, event, lever, demand or coupled demand
    measure: np.ndarray  # (S,) flows row: 3 shipped today, 4 delivered today
    pair: np.ndarray  # (S,) demand of a stock signal's stock, or -1
    ref: np.ndarray  # (S, R)
    lever_values: np.ndarray  # (L, R) in the period in force


class Net(NamedTuple):
    source: np.ndarray  # (E,) into [indicators | signals]
    targets: np.ndarray  # indicators with edges
    offsets: np.ndarray  # (len(targets) + 1,)
    w_seen: np.ndarray  # (E, R)
    w_true: np.ndarray  # (E, R)
    beta: np.ndarray  # (K, R)
    tau: np.ndarray  # (K, R)
    logistic: np.ndarray  # (K,) bool
    exact: bool
    x: np.ndarray  # (K, R) work array


class Noise(NamedTuple):
    ar1: bool
    edge_obs: np.ndarray  # (E,) observer of a perceived signal edge, or -1
    edge_sig: np.ndarray  # (E,) its signal
    sig_cov: np.ndarray  # (S, R) in the period in force
    bias: np.ndarray  # (O, R)
    sd: np.ndarray  # (O, R)
    phi: np.ndarray  # (R,)
    n: np.ndarray  # (O, S, R) current noise
    innov: np.ndarray  # (T, R, O, S) AR(1) innovations (unused unless ar1)


class Events(NamedTuple):
    indicator: np.ndarray  # (nE,) (0 for a dated event)
    kind: np.ndarray  # (nE,) EventKind
    days: np.ndarray  # (nE,) int64 consecutive days for a threshold trigger
    theta: np.ndarray  # (nE, R)
    rate: np.ndarray  # (nE, R)
    width: np.ndarray  # (nE, R)
    thresholds: np.ndarray  # (nE, R) Exp(1) draws
    on_day: np.ndarray  # (nE, R) int64 day a dated event fires
    eff_event: np.ndarray  # (nF,)
    eff_kind: np.ndarray  # (nF,) EffectKind
    eff_target: np.ndarray  # (nF,) transfer, indicator, series or edge
    eff_value: np.ndarray  # (nF, R)
    newly: np.ndarray  # (nE,) bool work array
    hazard_true: np.ndarray  # (nE, R) the shadows' cumulative hazard (kept here, not in Stocks:
    above_true: np.ndarray  # (nE, R) int64  only the triggers read them, and fewer arrays compile faster)


class Stocks(NamedTuple):
    S: np.ndarray  # (A·M, R)
    pipe: np.ndarray  # (F, W, R)
    levels: np.ndarray  # (2, K, R)
    fired_flag: np.ndarray  # (nE, R) bool
    fired_at: np.ndarray  # (nE, R)
    hazard: np.ndarray  # (nE, R)
    above: np.ndarray  # (nE, R) int64
    fired_at_true: np.ndarray  # (nE, R) day the event's shadow on the true indicators fired, NaN if not
    produced: np.ndarray  # (A·M, R)
    fired: np.ndarray  # (A·M, R)
    demanded: np.ndarray  # (A·M, R)
    shortfall: np.ndarray  # (A·M, R)
    flows: np.ndarray  # (5, F, R)
    demand_today: np.ndarray  # (nD, R)
    fired_today: np.ndarray  # (nD, R)
    z: np.ndarray  # (S, R)
    leaked: np.ndarray  # (C, R)
    leaked_today: np.ndarray  # (C, R)
    prod_today: np.ndarray  # (nP, R)
    paid: np.ndarray  # (F, R)


class Watch(NamedTuple):
    """What the observers keep: outcomes, windowed snapshots, histogram, recorded series, ranges,
    observed quantities (for evidence)."""

    acc: bool
    threshold: np.ndarray  # (K,)
    peak: np.ndarray  # (K, R)
    days_above: np.ndarray  # (K, R) int64
    mis_peak: np.ndarray  # (K, R)
    mis_sum: np.ndarray  # (K, R)
    first_short: np.ndarray  # (nD, R)
    short_days: np.ndarray  # (nD, R) int64
    snap_slot: np.ndarray  # (T,) int64 snapshot taken at the end of the day, or -1
    snap_delivered: np.ndarray  # (nSnap, F, R)
    snap_fired: np.ndarray  # (nSnap, nD, R)
    snap_shortfall: np.ndarray  # (nSnap, nD, R)
    snap_short_days: np.ndarray  # (nSnap, nD, R) int64
    snap_leaked: np.ndarray  # (nSnap, C, R)
    series_stock: np.ndarray  # (Ns,) flat stocks of the kept series
    hist: bool
    hist_rows: int  # rows of the policy variants (P·n)
    hist_n: int  # rows per variant
    hist_m: int  # rows per variant counted in the histogram (the first m: the sampled runs)
    lo: np.ndarray  # (N,)
    width: np.ndarray  # (N,)
    counts: np.ndarray  # (T, P, N, BINS) uint32
    vmin: np.ndarray  # (T, P, N)
    vmax: np.ndarray  # (T, P, N)
    record: bool
    values: np.ndarray  # (T, R, N) float32
    ranges: bool
    range_lo: np.ndarray  # (N,)
    range_hi: np.ndarray  # (N,)
    obs_day: np.ndarray  # (J,) int64 day of each observed quantity (none without evidence)
    obs_src: np.ndarray  # (J,) int64 where it reads (spillover.engine.snapshots)
    obs_a: np.ndarray  # (J,) int64 first index
    obs_b: np.ndarray  # (J,) int64 second index
    obs_values: np.ndarray  # (J, R)
