"""Condition an ensemble on evidence: each run's likelihood, its weight and the ESS.

A run's weight is the product of the likelihoods of the observations known on the
``--as-of`` day (see :func:`run_likelihood`), each tempered by its grade
(:func:`spillover.scenario.evidence.grade_rule`). The runs were drawn from the prior, so
these weights make the weighted ensemble a sample of the posterior (importance sampling).
Its effective sample size, ``ESS = (Σw)² / Σw²``, is how many unweighted runs it is
worth; intervals use it in place of the run count, and below :data:`ESS_FLOOR` spillover
prints no confident numbers.

Rules (documented in docs/evidence.md):

* a reported number ``y`` with ``normal: sd`` gives ``g = exp(-z²/2)``, ``z = (y - m) /
  (sd·widen)``, where ``m = scale·measures + offset`` is the run's value; ``lognormal: s``
  the same on logs (a run with ``m <= 0`` cannot give it: ``g = 0``);
* ``more_than``/``less_than``/``between`` give the probability that the reported bound
  holds, ``Φ``-softened by ``error: {normal: sd}`` (widened by the grade), or 1/0 without
  one; ``value: true/false`` gives 1 when the run agrees, else 0;
* a ``window`` averages ``g`` over its days (the report may refer to any of them); with
  ``since`` the run's value is ``measures(date) - measures(since)``;
* the grade mixes the result with a constant: ``floor + (1 - floor)·g``.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import special

from spillover.scenario.evidence_obs import Obs
from spillover.scenario.quantity import Quantity

ESS_FLOOR = 200.0
"""Below this effective sample size the weighted numbers are not printed as findings."""


class EvidenceContradicts(ValueError):
    """No run can produce the evidence: every run's weight is zero (or one observation's is)."""

    def __init__(self, message: str, worst: list[str]) -> None:
        super().__init__(message)
        self.worst = worst


def _phi(z: np.ndarray) -> np.ndarray:
    return 0.5 * special.erfc(-z / np.sqrt(2.0))


def _uniform(seed: int, name: str, runs: np.ndarray) -> np.ndarray:
    """A uniform in [0, 1) per run, from (seed, name, run) alone (splitmix64): chunk invariant."""
    with np.errstate(over="ignore"):  # wrapping uint64 arithmetic is the point
        salt = np.uint64(zlib.crc32(name.encode())) * np.uint64(0x9E3779B97F4A7C15) \
            + np.uint64(seed % 2**64) * np.uint64(0xBF58476D1CE4E5B9)
        x = np.asarray(runs, np.uint64) + np.full(np.shape(runs), salt, np.uint64)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def nuisance_values(nuisance: dict[str, Quantity], seed: int, runs: np.ndarray) -> dict[str, np.ndarray]:
    """Each run's draw of an evidence file's uncertain conversions (by its name)."""
    return {name: q.ppf(_uniform(seed, name, runs)) for name, q in nuisance.items()}


@dataclass(frozen=True)
class Frame:
    """What observations read: per run, the observed quantities, the inputs and conversions."""

    runs: np.ndarray
    columns: dict[str, np.ndarray]

    @classmethod
    def of(cls, observed: pd.DataFrame, experiments: pd.DataFrame, nuisance: dict[str, Quantity],
           seed: int) -> Frame:
        exp = experiments.set_index("run").reindex(observed["run"].to_numpy())
        runs = observed["run"].to_numpy()
        cols = {c: exp[c].to_numpy(float) for c in exp.columns}
        cols.update({c: observed[c].to_numpy(float) for c in observed.columns if c != "run"})
        cols.update(nuisance_values(nuisance, seed, runs))
        return cls(runs, cols)

    def on(self, day: int) -> dict[str, np.ndarray]:
        """The frame as an expression reads it on ``day``: ``delivered.f`` is its value that day."""
        out = dict(self.columns)
        suffix = f"@{day}"
        out.update({k[: -len(suffix)]: v for k, v in self.columns.items() if k.endswith(suffix)})
        return out


def measured(o: Obs, frame: Frame, day: int) -> np.ndarray:
    """The run's value of what ``o`` reports, on ``day`` (scale and offset applied)."""
    v = np.asarray(o.expr.evaluate(frame.on(day)), float)
    if o.since is not None:
        v = v - np.asarray(o.expr.evaluate(frame.on(o.since)), float)
    cols = frame.columns
    scale = cols[o.scale] if o.scale else o.report.scale.nominal
    offset = cols[o.offset] if o.offset else o.report.offset.nominal
    return np.broadcast_to(scale * v + offset, frame.runs.shape).astype(float)


def _soft(m: np.ndarray, bound: float, sd: float | None, above: bool) -> np.ndarray:
    """Probability that the truth lies above (or below) ``bound`` given the run's value ``m``."""
    if sd is None:
        return ((m > bound) if above else (m < bound)).astype(float)
    z = (m - bound) / sd
    return _phi(z if above else -z)


def raw_likelihood(o: Obs, m: np.ndarray) -> np.ndarray:
    """``g`` of :mod:`this module <spillover.analysis.evidence>`'s rules, before the grade."""
    r, widen = o.report, o.widen
    sd = r.error.spread * widen if r.error is not None else None
    with np.errstate(divide="ignore", invalid="ignore"):
        if o.form == "flag":
            return ((m > 0.5) == bool(r.value)).astype(float)
        if o.form == "number":
            assert r.error is not None and sd is not None and isinstance(r.value, float)
            y = r.value
            if r.error.kind == "normal":
                z = (y - m) / sd
            else:
                z = np.where(m > 0, (np.log(y) - np.log(np.where(m > 0, m, 1.0))) / sd, np.inf)
            return np.exp(-0.5 * z * z)
        if o.form == "more_than":
            return _soft(m, float(r.more_than), sd, above=True)  # type: ignore[arg-type]
        if o.form == "less_than":
            return _soft(m, float(r.less_than), sd, above=False)  # type: ignore[arg-type]
        lo, hi = r.between  # type: ignore[misc]
        return np.clip(_soft(m, lo, sd, above=True) - _soft(m, hi, sd, above=True), 0.0, 1.0) \
            if sd is not None else ((m >= lo) & (m <= hi)).astype(float)


def likelihood(o: Obs, frame: Frame) -> np.ndarray:
    """One observation's likelihood in every run, its grade applied (windows averaged)."""
    g = np.mean([raw_likelihood(o, measured(o, frame, d)) for d in o.days], axis=0)
    g = np.nan_to_num(g, nan=0.0)
    return o.floor + (1.0 - o.floor) * g


def log_likelihoods(obs: Sequence[Obs], frame: Frame) -> np.ndarray:
    """(observations, runs) log-likelihoods."""
    with np.errstate(divide="ignore"):
        return np.array([np.log(likelihood(o, frame)) for o in obs]).reshape(len(obs), len(frame.runs))


def ess(w: np.ndarray) -> float:
    """Effective sample size ``(Σw)² / Σw²`` (0 for no weight at all), rounded to 9 decimals
    so that equal weights give exactly the run count, not one rounding error below it.

    >>> ess(np.full(200, 1 / 200)), ess(np.array([1.0, 0.0]))
    (200.0, 1.0)
    """
    s2 = float(np.sum(w * w))
    return min(float(w.size), round(float(np.sum(w)) ** 2 / s2, 9)) if s2 > 0 else 0.0


def normalised(logl: np.ndarray, obs: Sequence[Obs]) -> np.ndarray:
    """Weights summing to 1 from the summed log-likelihoods.

    Raises
    ------
    EvidenceContradicts
        When no run can produce the evidence, naming the observations no run fits.
    """
    total = logl.sum(axis=0)
    if not np.isfinite(total).any():
        never = [o for o, row in zip(obs, logl, strict=True) if not np.isfinite(row).any()]
        worst = never or list(obs)
        names = ", ".join(f"'{o.id}' ({o.where})" for o in worst)
        raise EvidenceContradicts(f"no run can produce the evidence: {names} "
                                  f"{'has' if len(worst) == 1 else 'have'} likelihood zero in every run",
                                  [o.id for o in worst])
    w = np.exp(total - np.max(total[np.isfinite(total)]))
    return w / w.sum()


def worst_fitting(logl: np.ndarray, w: np.ndarray, obs: Sequence[Obs], n: int = 3) -> list[str]:
    """The observations the weighted runs fit worst (lowest mean log-likelihood)."""
    with np.errstate(invalid="ignore"):
        fit = np.array([np.sum(np.where(np.isfinite(r), r, -1e300) * w) for r in logl])
    return [obs[i].id for i in np.argsort(fit, kind="stable")[:n]]
