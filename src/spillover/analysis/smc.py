"""Resample-move: a sequential Monte Carlo step for when the evidence leaves too few runs.

When the weights of :mod:`spillover.analysis.evidence` leave an effective sample size
below :data:`~spillover.analysis.evidence.ESS_FLOOR`, the runs are a poor sample of the
posterior. The step below tempers the likelihood, ``prior × L^β`` with β rising from 0 to
1: each stage picks the largest rise that keeps half the runs' worth (ESS ≥ N/2),
resamples the runs (systematic resampling), then moves each one with Metropolis-Hastings
steps in the unit cube of the design (where the prior is uniform): a Gaussian step
reflected at the faces, scaled to the population's spread, and a fresh engine seed, kept
with probability ``min(1, (L'/L)^β)``. New runs take the seeds ``N·(1+k)+i`` (move ``k``,
particle ``i``), and every random choice comes from ``(seed, stage)``, so the result does
not depend on chunks, workers or the executor. It is written here rather than taken from
a library (pyabc, particles) because those draw their own random numbers per worker,
which would break spillover's chunk invariance, and need their own simulator interface.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spillover.analysis.evidence import EvidenceContradicts, Frame, ess, log_likelihoods, worst_fitting
from spillover.engine.snapshots import SnapshotSpec
from spillover.ensemble.chunks import Batch
from spillover.ensemble.design import RowsDesign, unit_design
from spillover.ensemble.runner import Plan, execute
from spillover.ensemble.settings import Execution
from spillover.ensemble.variants import Variant
from spillover.results.assemble import Assembler
from spillover.scenario.evidence_load import EvidenceSet
from spillover.scenario.evidence_obs import Obs

MOVES = 3
"""Metropolis-Hastings moves per stage."""
MAX_STAGES = 40
"""Stages before the step gives up (the evidence then contradicts the scenario)."""


@dataclass
class Population:
    """Particles: unit-cube points, engine seeds and log-likelihoods."""

    u: np.ndarray  # (N, d)
    seeds: np.ndarray  # (N,) int64
    logl: np.ndarray  # (N,)
    per: np.ndarray  # (observations, N): each observation's log-likelihood


@dataclass
class SmcResult:
    """The final population: each distinct run once, weighted by how often it survived."""

    experiments: pd.DataFrame  # run (its seed) + input values
    weights: pd.DataFrame  # run, weight, loglik
    stages: int
    simulated: int


class Simulator:
    """Runs rows (input values, seeds) of the observed policy alone and returns their log-likelihoods."""

    def __init__(self, pl: Plan, ex: Execution, evidence: EvidenceSet, used: Sequence[Obs],
                 spec: SnapshotSpec) -> None:
        st = pl.structure
        self.inputs = st.inputs
        variant = pl.batch.variants[spec.variant]
        one = SnapshotSpec(spec.columns, spec.days, spec.src, spec.a, spec.b, variant=0)
        batch = Batch(st=st, variants=[Variant(variant.name, variant.policy)], seed=pl.batch.seed,
                      engine=pl.batch.engine, observe=one)
        self.plan = Plan(pl.scenario, st, batch, series=False)
        self.ex, self.evidence, self.used = ex, evidence, list(used)
        self.count = 0

    def values(self, u: np.ndarray) -> dict[str, np.ndarray]:
        return {inp.name: inp.quantity.ppf(u[:, j]) for j, inp in enumerate(self.inputs)}

    def experiments(self, u: np.ndarray, seeds: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"run": seeds, **self.values(u)})

    def loglik(self, u: np.ndarray, seeds: np.ndarray) -> np.ndarray:
        """(observations, rows) log-likelihoods of the rows."""
        asm = Assembler(self.plan.batch)
        execute(self.plan, RowsDesign(self.values(u), seeds), asm, self.ex.but(progress=None))
        self.count += len(seeds)
        observed = asm.observed_table()
        assert observed is not None
        frame = Frame.of(observed, self.experiments(u, seeds), self.evidence.nuisance, self.plan.batch.seed)
        order = pd.Series(np.arange(len(seeds)), index=seeds).loc[frame.runs].to_numpy()
        out = np.empty((len(self.used), len(seeds)))
        out[:, order] = log_likelihoods(self.used, frame)
        return out


def _next_beta(logl: np.ndarray, beta: float) -> float:
    """The largest β' in (β, 1] with ESS(exp((β'-β)·L)) ≥ N/2 (bisection)."""
    def ess_at(b: float) -> float:
        x = (b - beta) * logl
        finite = np.isfinite(x)
        if not finite.any():
            return 0.0
        return ess(np.where(finite, np.exp(x - x[finite].max()), 0.0))

    n = len(logl)
    if ess_at(1.0) >= n / 2:
        return 1.0
    lo, hi = beta, 1.0
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if ess_at(mid) >= n / 2 else (lo, mid)
    return max(lo, beta + 1e-9)


def _systematic(w: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n = len(w)
    cdf = np.cumsum(w / w.sum())
    return np.minimum(np.searchsorted(cdf, (rng.random() + np.arange(n)) / n), n - 1)


def _reflect(u: np.ndarray) -> np.ndarray:
    u = np.mod(u, 2.0)
    return np.where(u > 1.0, 2.0 - u, u).clip(0.0, np.nextafter(1.0, 0.0))


def _move(sim: Simulator, pop: Population, beta: float, rng: np.random.Generator, next_seed: int) -> int:
    """One Metropolis-Hastings move of every particle; returns the next free seed."""
    n, d = pop.u.shape
    cov = np.atleast_2d(np.cov(pop.u, rowvar=False)) + 1e-10 * np.eye(d)
    step = np.linalg.cholesky(cov * (2.38**2 / max(d, 1)))
    prop = _reflect(pop.u + rng.standard_normal((n, d)) @ step.T)
    seeds = np.arange(next_seed, next_seed + n, dtype=np.int64)
    per = sim.loglik(prop, seeds)
    total = per.sum(axis=0)
    with np.errstate(invalid="ignore"):
        ratio = beta * (total - pop.logl)
    accept = np.isfinite(total) & (np.log(rng.random(n)) < np.where(np.isnan(ratio), -np.inf, ratio))
    pop.u[accept], pop.seeds[accept], pop.logl[accept] = prop[accept], seeds[accept], total[accept]
    pop.per[:, accept] = per[:, accept]
    return next_seed + n


def resample_move(sim: Simulator, n_runs: int, seed: int, design: str, logl: np.ndarray) -> SmcResult:
    """Temper from the prior run's population (``logl``: its (observations, runs) log-likelihoods)
    to the posterior.

    Raises
    ------
    EvidenceContradicts
        When β cannot reach 1 within :data:`MAX_STAGES`, naming the observations that fit worst.
    """
    u = unit_design(n_runs, len(sim.inputs), seed, design)
    pop = Population(u, np.arange(n_runs, dtype=np.int64), logl.sum(axis=0), logl.copy())
    beta, stage, next_seed = 0.0, 0, n_runs
    while beta < 1.0:
        stage += 1
        if stage > MAX_STAGES or not np.isfinite(pop.logl).any():
            raise _gave_up(sim.used, pop, beta)
        new = _next_beta(pop.logl, beta)
        x = (new - beta) * pop.logl
        w = np.where(np.isfinite(x), np.exp(x - np.max(x[np.isfinite(x)])), 0.0)
        rng = np.random.default_rng([seed, 0x5EC, stage])
        idx = _systematic(w, rng)
        pop = Population(pop.u[idx].copy(), pop.seeds[idx].copy(), pop.logl[idx].copy(),
                         pop.per[:, idx].copy())
        beta = new
        for _ in range(MOVES):
            next_seed = _move(sim, pop, beta, rng, next_seed)
    return _final(sim, pop, stage)


def _gave_up(used: Sequence[Obs], pop: Population, beta: float) -> EvidenceContradicts:
    """The evidence contradicts the scenario: the observations that the runs resample-move
    reached still fit worst (lowest mean log-likelihood), named with where they are written."""
    w = np.where(np.isfinite(pop.logl), 1.0, 0.0)
    worst = worst_fitting(pop.per, w / max(w.sum(), 1.0), used)
    by_id = {o.id: o for o in used}
    names = ", ".join(f"'{i}' ({by_id[i].where})" for i in worst)
    return EvidenceContradicts(
        f"the evidence contradicts the scenario: resample-move could not bring the runs to it in "
        f"{MAX_STAGES} stages (its tempering of the likelihood reached β = {beta:.3g} of 1); "
        f"the observations the runs fit worst: {names}", worst)


def _final(sim: Simulator, pop: Population, stages: int) -> SmcResult:
    """Each distinct particle once, weighted by its count."""
    seeds, first, counts = np.unique(pop.seeds, return_index=True, return_counts=True)
    u = pop.u[first]
    weights = pd.DataFrame({"run": seeds, "weight": counts / counts.sum(), "loglik": pop.logl[first]})
    return SmcResult(sim.experiments(u, seeds), weights, stages, sim.count)
