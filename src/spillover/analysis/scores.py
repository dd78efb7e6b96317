"""Scores of a forecast against what was observed: CRPS, Brier, log score, coverage and PIT.

Every function takes plain NumPy arrays. An ensemble forecast is a ``samples`` array of
shape ``(runs, observations)``: column ``j`` holds every run's forecast of observation
``j``. ``weights`` (optional) are the runs' weights after conditioning on evidence, either
one per run (shape ``(runs,)``, shared by every column) or one per run and observation
(shape ``(runs, observations)``); they need not sum to one. Without weights every run
counts alike: that is the *climatology* baseline, the unconditioned ensemble scored with
the very same functions.

Lower is better for CRPS, Brier and log score. The predictive distribution of an
ensemble is its weighted empirical distribution; its CRPS is computed exactly (no
"fair" correction), so duplicating a run is the same as doubling its weight. It is
computed from the sorted runs by the quantile decomposition of the CRPS, the estimator
``scoringrules.crps_ensemble(..., estimator="qd")`` uses, against which the tests check it
(spillover does not import scoringrules: with Numba installed, its import compiles its
kernels, about 9 s in every process).

The *persistence* baseline (:func:`persistence`) carries the last observed value, or for
a cumulative series the last observed rate, forward to the later dates; it is a point
forecast, scored by :func:`crps_point` (the absolute error, which is the CRPS of a point
mass).
"""

from __future__ import annotations

import math

import numpy as np
from scipy.special import ndtr

__all__ = [
    "LOG_FLOOR", "brier_score", "central_interval", "coverage", "crps_ensemble", "crps_normal",
    "crps_point", "effective_sample_size", "event_probability", "log_score", "persistence", "pit",
    "pit_histogram", "score_events", "score_numbers", "weighted_quantile",
]

LOG_FLOOR = 1e-6
"""Smallest probability :func:`log_score` uses when it is not told the ensemble's size."""


def _columns(samples: np.ndarray, observed: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """``samples`` as (runs, k) floats and ``observed`` as (k,), both finite."""
    s = np.asarray(samples, dtype=float)
    if s.ndim == 1:
        s = s[:, None]
    if s.ndim != 2 or s.shape[0] == 0:
        raise ValueError(f"samples must be a (runs, observations) array with at least one run, got shape "
                         f"{np.shape(samples)}")
    y = np.broadcast_to(np.asarray(observed, dtype=float), (s.shape[1],)) if np.ndim(observed) == 0 \
        else np.asarray(observed, dtype=float)
    if y.shape != (s.shape[1],):
        raise ValueError(f"{s.shape[1]} forecast column(s) but {y.size} observed value(s)")
    if not (np.isfinite(s).all() and np.isfinite(y).all()):
        raise ValueError("samples and observed values must be finite numbers (no NaN or inf)")
    return s, y


def _weights(weights: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray:
    """Weights as a (runs, k) array whose columns sum to one; uniform when ``weights`` is None."""
    if weights is None:
        return np.full(shape, 1.0 / shape[0])
    w = np.asarray(weights, dtype=float)
    if w.ndim == 1 and w.shape[0] == shape[0]:
        w = np.broadcast_to(w[:, None], shape)
    if w.shape != shape:
        raise ValueError(f"weights must have shape ({shape[0]},) or {shape}, got {np.shape(weights)}")
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError("weights must be finite and not negative")
    total = w.sum(axis=0)
    if (total <= 0).any():
        raise ValueError("the weights of every observation must have a positive sum")
    return w / total


def effective_sample_size(weights: np.ndarray | None, runs: int | None = None) -> np.ndarray | float:
    """Kish's effective sample size (Σw)² / Σw², per column for 2-D weights.

    ``weights=None`` stands for ``runs`` equal weights.

    >>> effective_sample_size(np.array([1.0, 1.0, 1.0, 1.0]))
    4.0
    >>> effective_sample_size(np.array([1.0, 0.0, 0.0, 0.0]))
    1.0
    >>> effective_sample_size(None, runs=20)
    20.0
    """
    if weights is None:
        if runs is None:
            raise ValueError("give the weights, or the number of runs for equal weights")
        return float(runs)
    w = np.asarray(weights, dtype=float)
    if not np.isfinite(w).all() or (w < 0).any() or (w.sum(axis=0) <= 0).any():
        raise ValueError("weights must be finite, not negative, with a positive sum")
    ess = w.sum(axis=0) ** 2 / (w**2).sum(axis=0)
    return float(ess) if w.ndim == 1 else ess


def crps_ensemble(samples: np.ndarray, observed: np.ndarray | float,
                  weights: np.ndarray | None = None) -> np.ndarray:
    """CRPS of the (weighted) ensemble's empirical distribution, one value per observation.

    CRPS(F, y) = E|X − y| − ½ E|X − X′| for X, X′ independent draws of F.

    >>> crps_ensemble(np.array([[0.0], [1.0]]), [0.0])   # ½·1 − ½·½·1
    array([0.25])
    >>> crps_ensemble(np.array([0.0, 1.0]), 0.0, weights=np.array([3.0, 1.0]))
    array([0.0625])
    """
    s, y = _columns(samples, observed)
    return _crps_sorted(*_sorted(s, _weights(weights, s.shape)), y)


def _sorted(s: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each column of ``s`` sorted, and its weights in the same order."""
    order = np.argsort(s, axis=0, kind="stable")
    return np.take_along_axis(s, order, axis=0), np.take_along_axis(w, order, axis=0)


def _crps_sorted(xs: np.ndarray, ws: np.ndarray, y: np.ndarray) -> np.ndarray:
    # CRPS = 2 Σ w_i (1{y < x_i} − a_i)(x_i − y), a_i = W_i − w_i/2 the mid-level of run i's step
    mid = np.cumsum(ws, axis=0) - ws / 2
    diff = xs - y
    out = 2 * (ws * ((diff > 0) - mid) * diff).sum(axis=0)
    return np.maximum(out, 0.0)  # rounding can give -1e-17 for a point mass


def _quantile_sorted(xs: np.ndarray, ws: np.ndarray, q: float) -> np.ndarray:
    idx = np.argmax(np.cumsum(ws, axis=0) >= q - 1e-12, axis=0)
    return xs[idx, np.arange(xs.shape[1])]


def crps_normal(mu: np.ndarray | float, sigma: np.ndarray | float,
                observed: np.ndarray | float) -> np.ndarray:
    """Closed-form CRPS of a normal N(mu, sigma²) (Gneiting and Raftery, 2007), for checks.

    σ · [z(2Φ(z) − 1) + 2φ(z) − 1/√π] with z = (y − mu)/σ.

    >>> round(float(crps_normal(0.0, 1.0, 0.0)), 6)   # (√2 − 1)/√π
    0.233695
    """
    sig = np.asarray(sigma, dtype=float)
    if (sig <= 0).any():
        raise ValueError("sigma must be positive")
    z = (np.asarray(observed, dtype=float) - np.asarray(mu, dtype=float)) / sig
    pdf = np.exp(-z * z / 2) / math.sqrt(2 * math.pi)
    return np.asarray(sig * (z * (2 * ndtr(z) - 1) + 2 * pdf - 1 / math.sqrt(math.pi)))


def crps_point(forecast: np.ndarray | float, observed: np.ndarray | float) -> np.ndarray:
    """CRPS of a point forecast (a point mass): the absolute error.

    >>> crps_point(np.array([3.0, 5.0]), np.array([4.0, 5.0]))
    array([1., 0.])
    """
    return np.abs(np.asarray(forecast, dtype=float) - np.asarray(observed, dtype=float))


def weighted_quantile(samples: np.ndarray, q: float, weights: np.ndarray | None = None) -> np.ndarray:
    """The ``q`` quantile of each column's weighted empirical distribution, inf{x: F(x) ≥ q}.

    >>> weighted_quantile(np.array([[1.0], [2.0], [3.0], [4.0]]), 0.5)
    array([2.])
    >>> weighted_quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.5, weights=np.array([0, 0, 1, 1]))
    array([3.])
    """
    if not 0 <= q <= 1:
        raise ValueError(f"q must lie in [0, 1], got {q}")
    s = np.asarray(samples, dtype=float)
    s = s[:, None] if s.ndim == 1 else s
    return _quantile_sorted(*_sorted(s, _weights(weights, s.shape)), q)


def central_interval(samples: np.ndarray, level: float,
                     weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The central ``level`` predictive interval of each column: its (1 ∓ level)/2 quantiles.

    >>> lo, hi = central_interval(np.arange(1.0, 21.0), 0.9)
    >>> float(lo[0]), float(hi[0])
    (1.0, 19.0)
    """
    s = np.asarray(samples, dtype=float)
    s = s[:, None] if s.ndim == 1 else s
    return _interval_sorted(*_sorted(s, _weights(weights, s.shape)), level)


def _interval_sorted(xs: np.ndarray, ws: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    if not 0 < level < 1:
        raise ValueError(f"level must lie strictly between 0 and 1, got {level}")
    return _quantile_sorted(xs, ws, (1 - level) / 2), _quantile_sorted(xs, ws, (1 + level) / 2)


def coverage(samples: np.ndarray, observed: np.ndarray | float, level: float,
             weights: np.ndarray | None = None) -> np.ndarray:
    """Whether each observation lies inside its central ``level`` interval (ends included).

    The share of ``True`` over many observations estimates the interval's coverage: about
    ``level`` for a calibrated forecast.

    >>> coverage(np.arange(1.0, 21.0), 19.5, 0.9)
    array([False])
    """
    s, y = _columns(samples, observed)
    lo, hi = central_interval(s, level, weights)
    return (lo <= y) & (y <= hi)


def pit(samples: np.ndarray, observed: np.ndarray | float, weights: np.ndarray | None = None,
        seed: int | np.random.Generator = 0) -> np.ndarray:
    """Randomised probability integral transform of each observation.

    PIT = F(y−) + V·(F(y) − F(y−)), V ~ U(0, 1), with F the weighted empirical CDF. When no
    run equals the observation, PIT = F(y); ties (counts, indicators stuck at a bound,
    a forecast that is a point mass) are spread uniformly over the jump, so that PIT is
    uniform on [0, 1] for a calibrated forecast, discrete or not. ``seed`` fixes V.

    >>> pit(np.array([[1.0], [2.0], [3.0], [4.0]]), [2.5]).tolist()
    [0.5]
    >>> float(pit(np.zeros(10), 0.0, seed=1)[0]) == float(np.random.default_rng(1).uniform())
    True
    """
    s, y = _columns(samples, observed)
    w = _weights(weights, s.shape)
    below = (w * (s < y)).sum(axis=0)
    at = (w * (s == y)).sum(axis=0)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return np.clip(below + rng.uniform(size=y.shape) * at, 0.0, 1.0)


def pit_histogram(values: np.ndarray, bins: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Counts of PIT values in ``bins`` equal bins of [0, 1], and the bin edges.

    Flat for a calibrated forecast; U-shaped when the intervals are too narrow, a hump
    when too wide, tilted when biased.

    >>> counts, edges = pit_histogram(np.array([0.05, 0.15, 0.95, 1.0]), bins=5)
    >>> counts.tolist(), edges.round(2).tolist()
    ([2, 0, 0, 0, 2], [0.0, 0.2, 0.4, 0.6, 0.8, 1.0])
    """
    v = np.asarray(values, dtype=float)
    if bins < 1:
        raise ValueError(f"bins must be at least 1, got {bins}")
    if v.size and (not np.isfinite(v).all() or v.min() < 0 or v.max() > 1):
        raise ValueError("PIT values must lie in [0, 1]")
    counts, edges = np.histogram(v, bins=bins, range=(0.0, 1.0))
    return counts, edges


def event_probability(fired: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """The (weighted) share of runs in which each event happened: ``fired`` is (runs, events).

    >>> event_probability(np.array([[1, 0], [1, 1], [0, 0], [0, 0]]), np.array([1, 1, 1, 5])).tolist()
    [0.25, 0.125]
    """
    f = np.asarray(fired)
    f = f[:, None] if f.ndim == 1 else f
    if f.ndim != 2 or not np.isin(f, (0, 1)).all():
        raise ValueError("fired must be a (runs, events) array of 0/1 or booleans")
    return (_weights(weights, f.shape) * f).sum(axis=0)


def _outcome(outcome: np.ndarray | float | bool) -> np.ndarray:
    o = np.asarray(outcome)
    if not np.isin(o, (0, 1)).all():
        raise ValueError("outcomes must be 0/1 or booleans")
    return o.astype(float)


def _probability(prob: np.ndarray | float) -> np.ndarray:
    p = np.asarray(prob, dtype=float)
    if not np.isfinite(p).all() or (p < 0).any() or (p > 1).any():
        raise ValueError("probabilities must lie in [0, 1]")
    return p


def brier_score(prob: np.ndarray | float, outcome: np.ndarray | float | bool) -> np.ndarray:
    """Brier score (p − o)² of a forecast probability ``p`` of a binary outcome ``o``.

    >>> brier_score(np.array([0.8, 0.8, 0.5]), np.array([1, 0, 1])).round(4).tolist()
    [0.04, 0.64, 0.25]
    """
    return (_probability(prob) - _outcome(outcome)) ** 2


def log_score(prob: np.ndarray | float, outcome: np.ndarray | float | bool,
              ess: np.ndarray | float | None = None) -> np.ndarray:
    """Logarithmic score −ln P(outcome), in nats, of forecast probabilities ``prob``.

    An ensemble that never (or always) saw the event would score infinity when it then
    happens (or not), though all it can tell is that the chance is below about one in its
    number of runs. So the probability is first clipped to [c, 1 − c] with
    c = 1 / (2·(ess + 1)) — half a run more than the ensemble saw — where ``ess`` is the
    ensemble's (effective) number of runs; without ``ess``, c = :data:`LOG_FLOOR`. The
    largest possible score is then ln(2·(ess + 1)).

    >>> log_score(np.array([0.5, 0.9]), np.array([1, 0])).round(4).tolist()
    [0.6931, 2.3026]
    >>> round(float(log_score(0.0, 1, ess=999)), 4)   # ln 2000
    7.6009
    """
    p = _probability(prob)
    if ess is None:
        c: np.ndarray | float = LOG_FLOOR
    else:
        e = np.asarray(ess, dtype=float)
        if (e <= 0).any():
            raise ValueError("ess must be positive")
        c = 1.0 / (2.0 * (e + 1.0))
    p = np.clip(p, c, 1 - c)
    o = _outcome(outcome)
    return -np.log(np.where(o == 1, p, 1 - p))


def score_numbers(samples: np.ndarray, observed: np.ndarray | float, weights: np.ndarray | None = None,
                  seed: int | np.random.Generator = 0) -> dict[str, np.ndarray]:
    """Every score of an ensemble forecast of numbers, one entry per observation.

    Keys: ``crps``, ``in50`` and ``in90`` (inside the central 50% / 90% interval), ``pit``.

    >>> out = score_numbers(np.arange(1.0, 21.0), 10.2)
    >>> sorted(out), bool(out["in50"][0]), round(float(out["pit"][0]), 2)
    (['crps', 'in50', 'in90', 'pit'], True, 0.5)
    """
    s, y = _columns(samples, observed)
    xs, ws = _sorted(s, _weights(weights, s.shape))
    out = {"crps": _crps_sorted(xs, ws, y)}
    for level in (50, 90):
        lo, hi = _interval_sorted(xs, ws, level / 100)
        out[f"in{level}"] = (lo <= y) & (y <= hi)
    out["pit"] = pit(s, y, weights, seed)
    return out


def score_events(fired: np.ndarray, outcome: np.ndarray | float | bool,
                 weights: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Probability, Brier and log score of an ensemble's forecast of binary events.

    ``fired`` is (runs, events); the log score is clipped by the weights' effective size
    (see :func:`log_score`).

    >>> out = score_events(np.array([[1], [1], [1], [0]]), [1])
    >>> out["prob"].tolist(), out["brier"].tolist(), out["log"].round(4).tolist()
    ([0.75], [0.0625], [0.2877])
    """
    f = np.asarray(fired)
    f = f[:, None] if f.ndim == 1 else f
    p = event_probability(f, weights)
    ess = effective_sample_size(weights, runs=f.shape[0])
    return {"prob": p, "brier": brier_score(p, outcome), "log": log_score(p, outcome, ess=ess)}


def persistence(days: np.ndarray, values: np.ndarray, origin: int, targets: np.ndarray,
                cumulative: bool = False) -> np.ndarray:
    """Persistence forecasts, at the days ``targets``, from the observations up to ``origin``.

    A level (``cumulative=False``) keeps the last value observed on or before ``origin``.
    A cumulative series (deliveries to date) keeps its last observed *rate*: the slope
    between its last two observations, counting the series as 0 on day 0 (the scenario's
    start) when it was observed once; a falling count (a revision) is carried as no
    growth, since a cumulative count cannot fall. NaN where nothing was observed by then.

    >>> days, values, later = np.array([10, 20]), np.array([1.0, 3.0]), np.array([30, 40])
    >>> persistence(days, values, 25, later).tolist()
    [3.0, 3.0]
    >>> persistence(days, values, 25, later, cumulative=True).tolist()
    [5.0, 7.0]
    >>> persistence(np.array([10]), np.array([5.0]), 10, np.array([30]), cumulative=True).tolist()
    [15.0]
    """
    d = np.asarray(days, dtype=float)
    v = np.asarray(values, dtype=float)
    t = np.asarray(targets, dtype=float)
    if d.shape != v.shape or d.ndim != 1:
        raise ValueError("days and values must be 1-D arrays of the same length")
    known = d <= origin
    if not known.any():
        return np.full(t.shape, np.nan)
    order = np.argsort(d[known], kind="stable")
    dk, vk = d[known][order], v[known][order]
    last_day, last = dk[-1], vk[-1]
    if not cumulative:
        return np.full(t.shape, last)
    prev_day, prev = (dk[-2], vk[-2]) if len(dk) > 1 else (0.0, 0.0)
    rate = max((last - prev) / (last_day - prev_day), 0.0) if last_day > prev_day else 0.0
    return last + rate * np.maximum(t - last_day, 0.0)
