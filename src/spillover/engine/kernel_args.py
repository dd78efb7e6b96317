"""The compiled step's arguments: named tuples of arrays, the row axis last ``(·, R)``.

:mod:`spillover.engine.compiled` fills them from a compiled scenario and
:mod:`spillover.engine.jit` steps them; Numba compiles one specialisation per layout.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Sched(NamedTuple):
    B: np.ndarray  # (T, Ktot) schedule basis
    changes: np.ndarray  # (T,) bool: the basis differs from yesterday's
    offsets: np.ndarray  # (nS + 1,) each series' first basis column, then Ktot
    V: np.ndarray  # (Ktot, R) schedule values
    scale: np.ndarray  # (nS, R)
    smult: np.ndarray  # (nS, R) event multipliers
    rates: np.ndarray  # (nS, R) today's rates (work array)
    prod_series: np.ndarray  # (nP,) series of each production pair
    prod_flat: np.ndarray  # (nP,) its stock a·M+m
    dem_series: np.ndarray
    dem_flat: np.ndarray


class Flows(NamedTuple):
    order: np.ndarray  # (F,) transfers, parents first
    sup: np.ndarray  # (F,) flat stock a·M+m of the supplier
    rcp: np.ndarray  # (F,) flat stock of the recipient
    stocked: np.ndarray  # (F,) bool: the munition is held in stock (else made on shipment)
    parent: np.ndarray  # (F,) transfer paid for, or -1
    series: np.ndarray  # (F,) rate series, or -1
    ratio: np.ndarray  # (F, R)
    cap: np.ndarray  # (F, R)
    reserve: np.ndarray  # (F, R)
    loss: np.ndarray  # (F, R)
    active: np.ndarray  # (F, R)
    tmult: np.ndarray  # (F, R)
    levcap: np.ndarray  # (F, R) cap lever
    mult: np.ndarray  # (F, R) active · tmult · levcap
    delay: np.ndarray  # (F, R) int64
    nodelay: np.ndarray  # (F,) bool: delivered the day it ships in every row (no ring)


class Signals(NamedTuple):
    kind: np.ndarray  # (S,) SignalKind
    target: np.ndarray  # (S,) transfer, flat stock, event or lever
    measure: np.ndarray  # (S,) flows row: 3 shipped today, 4 delivered today
    pair: np.ndarray  # (S,) demand pair of a stock signal, or -1
    ref: np.ndarray  # (S, R)
    lever_values: np.ndarray  # (L, R)


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
    sig_cov: np.ndarray  # (S, R)
    bias: np.ndarray  # (O, R)
    sd: np.ndarray  # (O, R)
    phi: np.ndarray  # (R,)
    n: np.ndarray  # (O, S, R) current noise
    innov: np.ndarray  # (T, R, O, S) AR(1) innovations (unused unless ar1)


class Events(NamedTuple):
    indicator: np.ndarray  # (nE,)
    hazard: np.ndarray  # (nE,) bool: hazard trigger (else threshold)
    days: np.ndarray  # (nE,) int64 consecutive days for a threshold trigger
    theta: np.ndarray  # (nE, R)
    rate: np.ndarray  # (nE, R)
    width: np.ndarray  # (nE, R)
    thresholds: np.ndarray  # (nE, R) Exp(1) draws
    eff_event: np.ndarray  # (nF,)
    eff_kind: np.ndarray  # (nF,) EffectKind
    eff_target: np.ndarray  # (nF,) transfer, indicator, series or edge
    eff_value: np.ndarray  # (nF, R)
    newly: np.ndarray  # (nE,) bool work array


class Stocks(NamedTuple):
    S: np.ndarray  # (A·M, R)
    pipe: np.ndarray  # (F, W, R)
    levels: np.ndarray  # (2, K, R)
    fired_flag: np.ndarray  # (nE, R) bool
    fired_at: np.ndarray  # (nE, R)
    hazard: np.ndarray  # (nE, R)
    above: np.ndarray  # (nE, R) int64
    produced: np.ndarray  # (A·M, R)
    fired: np.ndarray  # (A·M, R)
    demanded: np.ndarray  # (A·M, R)
    shortfall: np.ndarray  # (A·M, R)
    flows: np.ndarray  # (5, F, R)
    demand_today: np.ndarray  # (nD, R)
    fired_today: np.ndarray  # (nD, R)
    z: np.ndarray  # (S, R)


class Watch(NamedTuple):
    """What the observers keep: outcomes, histogram, recorded series, ranges, snapshots."""

    acc: bool
    threshold: np.ndarray  # (K,)
    peak: np.ndarray  # (K, R)
    days_above: np.ndarray  # (K, R) int64
    mis_peak: np.ndarray  # (K, R)
    mis_sum: np.ndarray  # (K, R)
    first_short: np.ndarray  # (nD, R)
    short_days: np.ndarray  # (nD, R) int64
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
    snap_day: np.ndarray  # (J,) int64 day of each snapshot (none without evidence)
    snap_src: np.ndarray  # (J,) int64 where it reads (spillover.engine.snapshots)
    snap_a: np.ndarray  # (J,) int64 first index
    snap_b: np.ndarray  # (J,) int64 second index
    snap_values: np.ndarray  # (J, R)
