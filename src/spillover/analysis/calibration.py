"""Calibration by least squares: fit selected uncertain inputs to observed series.

The fit runs the *central run* of the scenario: every input not being fitted at its
nominal value (its distribution's median), no perception noise, and event thresholds at
their median. Residuals are the observed values minus the target's simulated values on
the observed days, each series divided by its own spread so that series in different
units weigh alike. :func:`scipy.optimize.least_squares` minimises their sum of squares
within each input's range; the Jacobian comes from central differences, all evaluated
in one vectorised simulation, and the intervals from the covariance s²(JᵀJ)⁻¹, cut to
each input's allowed range.

Whether a fit fits at all is judged against the observation noise (each series' own, see
:meth:`~spillover.analysis.observed.Observation.noise_sd`): the *misfit* of a run is the
root mean square of its misses in units of that noise, about 1 for a run at the true
inputs. :func:`misfit_limit` is the misfit that such a run exceeds with probability
1 − :data:`GATE_LEVEL` (from the chi-square distribution of the sum of squared misses);
above it, the fit misses the data by more than their noise can explain.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from spillover.analysis.evaluate import TraceTarget, nominal_values, policy_variants_for, trace_rows
from spillover.analysis.observed import Observation
from spillover.analysis.sensitivity import input_labels
from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.variants import Variant
from spillover.scenario.errors import did_you_mean
from spillover.scenario.inputs import Input
from spillover.scenario.model import Scenario

__all__ = ["GATE_LEVEL", "Fit", "Problem", "fit_inputs", "fit_least_squares", "misfit_limit"]

GATE_LEVEL = 0.99
"""Probability that a run at the true inputs stays within :func:`misfit_limit`."""


def misfit_limit(points: int) -> float:
    """Largest misfit (RMS miss in noise units) of a run that fits ``points`` observations.

    √(χ²₀.₉₉(m) / m): a run at the true inputs, with normal noise of the stated size,
    misses by more with probability 1%.

    >>> round(misfit_limit(20), 3)
    1.371
    """
    if points < 1:
        raise ValueError(f"the misfit needs at least one observed point, got {points}")
    return math.sqrt(float(stats.chi2.ppf(GATE_LEVEL, points)) / points)


def fit_inputs(st: Structure, names: Sequence[str]) -> list[Input]:
    """The sampled inputs called ``names``, refusing unknown or fixed ones with a suggestion."""
    if not names:
        raise ValueError("name the inputs to fit (--inputs a,b,c)")
    by = {i.name: i for i in st.inputs}
    out = []
    for n in dict.fromkeys(names):
        if n not in by:
            raise ValueError(f"unknown uncertain input '{n}'{did_you_mean(n, by)}")
        out.append(by[n])
    return out


def _bounds(inp: Input) -> tuple[float, float]:
    lo, hi = inp.quantity.support()
    if not math.isfinite(lo):
        lo = float(inp.quantity.ppf(np.array([1e-6]))[0])
    if not math.isfinite(hi):
        hi = float(inp.quantity.ppf(np.array([1 - 1e-6]))[0])
    return lo, hi


@dataclass
class Problem:
    """Observed series, the targets they map to, and the inputs to fit."""

    st: Structure
    variant: Variant
    observations: list[Observation]
    targets: list[TraceTarget]
    inputs: list[Input]

    @classmethod
    def build(cls, sc: Scenario, observations: Sequence[Observation], inputs: Sequence[str],
              policy: str | None = None) -> Problem:
        st = build_structure(sc)
        obs = list(observations)
        if not obs:
            raise ValueError("no observed series given")
        return cls(st, policy_variants_for(sc, policy)[0], obs,
                   [TraceTarget.parse(st, o.target) for o in obs], fit_inputs(st, inputs))

    @property
    def scale(self) -> list[float]:
        """Each series' spread (its standard deviation, or 1 when it is flat)."""
        return [float(np.std(o.values)) or 1.0 for o in self.observations]

    def simulate(self, thetas: np.ndarray, seeds: np.ndarray | None = None, seed: int = 0,
                 values: dict[str, np.ndarray] | None = None) -> list[np.ndarray]:
        """Each target on its observed days, one row per row of ``thetas`` (rows × inputs)."""
        thetas = np.atleast_2d(thetas)
        vals = dict(values) if values is not None else nominal_values(self.st.inputs, len(thetas))
        for j, inp in enumerate(self.inputs):
            vals[inp.name] = thetas[:, j]
        days = [o.days for o in self.observations]
        return trace_rows(self.st, self.variant, vals, self.targets, days, seed=seed, seeds=seeds)

    def residuals(self, sims: list[np.ndarray]) -> np.ndarray:
        """Scaled residuals (simulated − observed), rows × all observed points."""
        parts = [(s - o.values) / sc for s, o, sc in zip(sims, self.observations, self.scale, strict=True)]
        return np.concatenate(parts, axis=1)

    @property
    def noise(self) -> list[float]:
        """Each series' observation noise (see :meth:`Observation.noise_sd`)."""
        return [o.noise_sd() for o in self.observations]

    @property
    def points(self) -> int:
        """Number of observed points, all series together."""
        return sum(len(o.days) for o in self.observations)

    def misfit(self, sims: list[np.ndarray]) -> np.ndarray:
        """Each row's root mean square miss in units of the observation noise."""
        parts = [(s - o.values) / n for s, o, n in zip(sims, self.observations, self.noise, strict=True)]
        return np.sqrt(np.mean(np.concatenate(parts, axis=1) ** 2, axis=1))

    def noise_words(self) -> str:
        """The noise used, for messages: given, or estimated from the data's scatter."""
        words = [f"{n:.3g}" + (" (given)" if o.noise is not None else " (from the scatter between points)")
                 for o, n in zip(self.observations, self.noise, strict=True)]
        return "observation noise " + ", ".join(words)


@dataclass
class Fit:
    """The result of :func:`fit_least_squares`.

    Attributes
    ----------
    table
        One row per fitted input: ``input``, ``label``, ``estimate``, ``se``, ``lo``,
        ``hi`` (the interval at ``level``, cut to the input's range: an input's value
        cannot lie outside it), ``start`` (the nominal value it started from), ``min``,
        ``max`` (its range) and ``at_bound``.
    fitted
        One row per observed point: ``target``, ``date``, ``day``, ``observed``,
        ``fitted`` and ``start`` (the central run before fitting).
    misfit, limit
        The fitted run's misfit (RMS miss in noise units) and :func:`misfit_limit`.
    """

    table: pd.DataFrame
    fitted: pd.DataFrame
    rmse: float
    points: int
    success: bool
    message: str
    evaluations: int
    level: float
    correlation: pd.DataFrame | None = None
    seconds: float = 0.0
    misfit: float = 0.0
    limit: float = math.inf
    noise: str = ""

    @property
    def fits(self) -> bool:
        """Whether the fitted central run follows the data within their noise."""
        return self.misfit <= self.limit

    @property
    def warning(self) -> str | None:
        """What to tell the user when the fit misses the data by more than their noise."""
        if self.fits:
            return None
        return (f"Least squares found no fit: the fitted run misses the {self.points} observed points by "
                f"{self.misfit:.3g}× the observation noise (root mean square; a fitting run stays below "
                f"{self.limit:.2g}×; {self.noise}). Its estimates and intervals describe the closest "
                "run, not values the data support.")


def _jacobian(prob: Problem, theta: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Central differences for every input, from one simulation of 2p rows."""
    p = len(theta)
    h = 1e-6 * np.maximum(np.abs(theta), hi - lo)
    up, dn = np.minimum(theta + h, hi), np.maximum(theta - h, lo)
    rows = np.repeat(theta[None, :], 2 * p, axis=0)
    rows[np.arange(p), np.arange(p)] = up
    rows[p + np.arange(p), np.arange(p)] = dn
    r = prob.residuals(prob.simulate(rows))
    return ((r[:p] - r[p:]) / (up - dn)[:, None]).T


def _intervals(J: np.ndarray, resid: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    m, p = J.shape
    dof = m - p
    s2 = float(resid @ resid) / dof
    cov = s2 * np.linalg.pinv(J.T @ J)
    se = np.sqrt(np.clip(np.diag(cov), 0.0, None))
    if np.linalg.matrix_rank(J) < p:
        se[:] = np.nan
    t = float(stats.t.ppf(0.5 + level / 2, dof))
    return se * t, cov


def fit_least_squares(
    sc: Scenario,
    observations: Sequence[Observation],
    inputs: Sequence[str],
    policy: str | None = None,
    level: float = 0.9,
    max_evaluations: int = 200,
) -> Fit:
    """Fit ``inputs`` so that the central run follows the observed series.

    Parameters
    ----------
    observations
        Observed series (see :func:`~spillover.analysis.observed.read_observations`).
    inputs
        Names of the uncertain inputs to fit; the others stay at their nominal values.
    level
        Coverage of the t intervals on the fitted values.

    Raises
    ------
    ValueError
        For unknown inputs or targets, or fewer observed points than inputs + 1.

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> from spillover.analysis.observed import Observation
    >>> sc = load_scenario("nk-russia-2023")
    >>> obs = Observation("indicator.ukr_pressure", np.arange(30, 730, 30), np.full(24, 0.3))
    >>> fit = fit_least_squares(sc, [obs], ["w_ukr_prk_shells"])
    >>> bool(fit.success)
    True
    """
    t0 = time.perf_counter()
    prob = Problem.build(sc, observations, inputs, policy)
    m, p = prob.points, len(prob.inputs)
    if m <= p:
        raise ValueError(f"{m} observed points cannot fit {p} inputs: give at least {p + 1} points")
    lo, hi = (np.array(b) for b in zip(*(_bounds(i) for i in prob.inputs), strict=True))
    x0 = np.clip([i.quantity.nominal for i in prob.inputs], lo, hi)
    res = optimize.least_squares(
        lambda th: prob.residuals(prob.simulate(th))[0],
        x0, jac=lambda th: _jacobian(prob, th, lo, hi), bounds=(lo, hi),
        x_scale=np.maximum(hi - lo, 1e-12), max_nfev=max_evaluations,
    )
    J = _jacobian(prob, res.x, lo, hi)
    half, cov = _intervals(J, res.fun, level) if m > p else (np.full(p, np.nan), None)
    return Fit(
        table=_table(sc, prob, res.x, half, x0, lo, hi, level),
        fitted=_fitted(sc, prob, res.x, x0),
        rmse=float(np.sqrt(np.mean(res.fun**2))), points=m, success=bool(res.success),
        message=str(res.message), evaluations=int(res.nfev), level=level,
        correlation=_correlation(cov, prob) if cov is not None else None,
        seconds=time.perf_counter() - t0, misfit=float(prob.misfit(prob.simulate(res.x))[0]),
        limit=misfit_limit(m), noise=prob.noise_words(),
    )


def _table(sc: Scenario, prob: Problem, x: np.ndarray, half: np.ndarray, x0: np.ndarray,
           lo: np.ndarray, hi: np.ndarray, level: float) -> pd.DataFrame:
    z = float(stats.t.ppf(0.5 + level / 2, max(sum(len(o.days) for o in prob.observations) - len(x), 1)))
    labels = input_labels(sc, prob.st)
    span = hi - lo
    return pd.DataFrame({
        "input": [i.name for i in prob.inputs], "label": [labels[i.name] for i in prob.inputs],
        "estimate": x, "se": half / z, "lo": np.maximum(x - half, lo), "hi": np.minimum(x + half, hi),
        "start": x0, "min": lo, "max": hi,
        "at_bound": (np.abs(x - lo) < 1e-6 * span) | (np.abs(hi - x) < 1e-6 * span),
    })


def _fitted(sc: Scenario, prob: Problem, x: np.ndarray, x0: np.ndarray) -> pd.DataFrame:
    sims = prob.simulate(np.vstack([x, x0]))
    frames = []
    for o, s in zip(prob.observations, sims, strict=True):
        frames.append(pd.DataFrame({"target": o.target, "date": o.on(sc.start), "day": o.days,
                                    "observed": o.values, "fitted": s[0], "start": s[1]}))
    return pd.concat(frames, ignore_index=True)


def _correlation(cov: np.ndarray, prob: Problem) -> pd.DataFrame:
    d = np.sqrt(np.clip(np.diag(cov), 1e-300, None))
    names = [i.name for i in prob.inputs]
    return pd.DataFrame(cov / np.outer(d, d), index=names, columns=names)
