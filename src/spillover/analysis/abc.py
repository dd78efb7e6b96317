"""Calibration by ABC rejection: keep the runs of an ensemble that best follow the observations.

The prior is the scenario's own design (a Latin hypercube over every uncertain input, and
each run's own random draws). Each run's distance to the data is the root mean square of
its scaled residuals (see :class:`~spillover.analysis.calibration.Problem`); the closest
``accept`` share of runs is the posterior sample, provided they fit: when even the
accepted runs miss the data by more than the observation noise (their median misfit
above :func:`~spillover.analysis.calibration.misfit_limit`), the closest runs of a prior
that cannot produce the data are no posterior, and :attr:`Abc.fits` says so
(:attr:`Abc.warning` says why, and :func:`write_posterior` refuses them). Written as an experiments table
(:func:`write_posterior`), it can replace the prior in later runs
(:func:`posterior_design`, :func:`run_posterior`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.calibration import Problem, misfit_limit
from spillover.analysis.evaluate import nominal_values
from spillover.analysis.observed import Observation
from spillover.analysis.sensitivity import input_labels
from spillover.engine.structure import build_structure
from spillover.ensemble.design import Design, input_column, sample_inputs
from spillover.ensemble.runner import plan
from spillover.ensemble.settings import Execution
from spillover.results.assemble import Ensemble, run_in_memory
from spillover.scenario.model import Scenario

__all__ = ["MIN_ACCEPTED", "Abc", "abc", "check_posterior", "posterior_design", "read_posterior",
           "run_posterior", "write_posterior"]

MIN_ACCEPTED = 10
"""Fewest runs a posterior sample may hold."""
_POSTERIOR_KEY = 0xAB0C  # spawn key of the stream that resamples a posterior


@dataclass
class Abc:
    """What :func:`abc` found.

    Attributes
    ----------
    posterior
        The accepted runs: ``run``, one column per sampled input, and ``distance``.
    summary
        One row per input, most narrowed first: ``input``, ``label``, ``selected`` (named
        in ``inputs``), ``prior_median``, ``prior_lo``, ``prior_hi``, ``post_median``,
        ``post_lo``, ``post_hi`` (5th and 95th percentiles) and ``narrowing``
        (1 − posterior 90% width / prior 90% width).
    distances
        Every run's distance (index = run).
    epsilon
        The largest accepted distance.
    misfit
        Every run's misfit: its RMS miss in units of the observation noise.
    limit
        The largest misfit of a run that fits (:func:`misfit_limit`).
    """

    posterior: pd.DataFrame
    summary: pd.DataFrame
    distances: np.ndarray
    epsilon: float
    runs: int
    accept: float
    seconds: float = 0.0
    misfit: np.ndarray | None = None
    limit: float = np.inf
    noise: str = ""

    @property
    def accepted_misfit(self) -> float:
        """The median misfit of the accepted runs."""
        if self.misfit is None:
            return 0.0
        return float(np.median(self.misfit[self.posterior["run"].to_numpy()]))

    @property
    def fits(self) -> bool:
        """Whether the accepted runs follow the data within their noise (the gate)."""
        return self.accepted_misfit <= self.limit

    @property
    def best_misfit(self) -> float:
        """The smallest misfit of any run."""
        return 0.0 if self.misfit is None else float(self.misfit.min())

    @property
    def warning(self) -> str | None:
        """Why the accepted runs are no posterior, when they are not."""
        if self.fits:
            return None
        head = (f"ABC found no fit: the {len(self.posterior):,} accepted runs miss the data by "
                f"{self.accepted_misfit:.3g}× the observation noise (median root mean square; a fitting run "
                f"stays below {self.limit:.2g}×; {self.noise}), so they are no posterior and narrow nothing.")
        if self.best_misfit <= self.limit:
            return (f"{head} The closest runs do fit (best {self.best_misfit:.3g}×): keep fewer of them "
                    "(a smaller --accept) or draw more (--runs).")
        return (f"{head} Not one of the {self.runs:,} runs reproduces the data "
                f"(best {self.best_misfit:.3g}×). Check the target and the data's units (--scale, --offset), "
                "give --noise if the data are noisier than their scatter, or widen the inputs' ranges.")


def _distances(prob: Problem, exp: pd.DataFrame, seed: int, chunk: int,
               progress: Callable[[int, int], None] | None) -> tuple[np.ndarray, np.ndarray]:
    """Each run's distance (RMS scaled residual) and misfit (RMS miss in noise units)."""
    n = len(exp)
    out, misfit = np.empty(n), np.empty(n)
    names = [c for c in exp.columns if c != "run"]
    for a in range(0, n, chunk):
        b = min(a + chunk, n)
        vals = {c: exp[c].to_numpy()[a:b] for c in names}
        thetas = np.column_stack([vals[i.name] for i in prob.inputs]) if prob.inputs else np.zeros((b - a, 0))
        sims = prob.simulate(thetas, seeds=np.arange(a, b), seed=seed, values=vals)
        out[a:b] = np.sqrt(np.mean(prob.residuals(sims) ** 2, axis=1))
        misfit[a:b] = prob.misfit(sims)
        if progress:
            progress(b, n)
    return out, misfit


def _summary(sc: Scenario, prior: pd.DataFrame, post: pd.DataFrame, names: Sequence[str]) -> pd.DataFrame:
    labels = input_labels(sc)
    rows = []
    for n in names:
        plo, pmed, phi = np.percentile(prior[n], [5, 50, 95])
        qlo, qmed, qhi = np.percentile(post[n], [5, 50, 95])
        width = phi - plo
        rows.append({"input": n, "label": labels.get(n, ""), "prior_median": pmed, "prior_lo": plo,
                     "prior_hi": phi, "post_median": qmed, "post_lo": qlo, "post_hi": qhi,
                     "narrowing": 1 - (qhi - qlo) / width if width > 0 else 0.0})
    return pd.DataFrame(rows).sort_values("narrowing", ascending=False, kind="stable").reset_index(drop=True)


def _prior(st: Any, names: list[str], runs: int, seed: int, design: Design) -> pd.DataFrame:
    """The prior design over ``names``; every other input at its nominal value."""
    chosen = [i for i in st.inputs if i.name in set(names)]
    exp = sample_inputs(chosen, runs, seed, design)
    for name, col in nominal_values([i for i in st.inputs if i.name not in set(names)], runs).items():
        exp[name] = col
    return exp


def abc(
    sc: Scenario,
    observations: Sequence[Observation],
    runs: int = 2000,
    accept: float = 0.05,
    seed: int = 0,
    policy: str | None = None,
    inputs: Sequence[str] | None = None,
    design: Design = "lhs",
    chunk_size: int = 1000,
    progress: Callable[[int, int], None] | None = None,
) -> Abc:
    """ABC rejection over an ensemble: the runs closest to the observed series.

    Parameters
    ----------
    accept
        Share of runs kept (at least :data:`MIN_ACCEPTED` runs).
    inputs
        Inputs to calibrate: only these are drawn from their prior, the others stay at
        their nominal values (as in the least-squares fit), and the posterior table holds
        only these. Default: every uncertain input varies, and the posterior holds all.

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> sc = load_scenario("nk-russia-2023")
    >>> obs = Observation("indicator.ukr_pressure", np.arange(30, 730, 30), np.full(24, 0.3))
    >>> post = abc(sc, [obs], runs=200, accept=0.1, seed=1, inputs=["w_ukr_prk_shells"])
    >>> len(post.posterior), list(post.posterior.columns)
    (20, ['run', 'w_ukr_prk_shells', 'distance'])
    """
    if not 0 < accept < 1:
        raise ValueError(f"accept must lie between 0 and 1 (a share of runs), got {accept}")
    if int(runs * accept) < MIN_ACCEPTED:
        need = int(np.ceil(MIN_ACCEPTED / accept))
        raise ValueError(f"ABC keeps {accept:g} of {runs} runs = {int(runs * accept)}; it needs at least "
                         f"{MIN_ACCEPTED}: use --runs {need} or more")
    t0 = time.perf_counter()
    st = build_structure(sc)
    names = [i.name for i in Problem.build(sc, observations, inputs, policy).inputs] if inputs else \
        [i.name for i in st.inputs]
    prob = Problem.build(sc, observations, names, policy)
    exp = _prior(st, names, runs, seed, design)
    dist, misfit = _distances(prob, exp, seed, chunk_size, progress)
    keep = np.argsort(dist, kind="stable")[: int(runs * accept)]
    post = exp.iloc[np.sort(keep)][["run", *names]].copy()
    post["distance"] = dist[post["run"].to_numpy()]
    return Abc(posterior=post.reset_index(drop=True), summary=_summary(sc, exp, post, names), distances=dist,
               epsilon=float(dist[keep].max()), runs=runs, accept=accept, seconds=time.perf_counter() - t0,
               misfit=misfit, limit=misfit_limit(prob.points), noise=prob.noise_words())


def write_posterior(post: Abc | pd.DataFrame, path: str | Path) -> Path:
    """Write the posterior sample as Parquet (``run``, the inputs, ``distance``).

    Refuses an :class:`Abc` whose accepted runs do not fit the data (:attr:`Abc.fits`).
    """
    if isinstance(post, Abc) and not post.fits:
        raise ValueError(f"{post.warning} No posterior written.")
    frame = post.posterior if isinstance(post, Abc) else post
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(p, index=False)
    return p


def read_posterior(path: str | Path, sc: Scenario) -> pd.DataFrame:
    """Read a posterior table and check it against the scenario's inputs."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if not p.is_file():
        raise ValueError(f"{p} is {'a folder' if p.is_dir() else 'not a regular file'}; give a Parquet file")
    return check_posterior(pd.read_parquet(p), sc)


def check_posterior(frame: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """The posterior's input columns; refuses columns the scenario does not sample, or no rows."""
    inputs = {i.name: i for i in build_structure(sc).inputs}
    names = list(inputs)
    cols = [c for c in frame.columns if c not in ("run", "distance")]
    extra = [c for c in cols if c not in names]
    if extra:
        raise ValueError(f"the posterior table does not fit scenario '{sc.name}': it has column(s) the "
                         f"scenario does not sample: {', '.join(extra[:5])}")
    if len(frame) == 0 or not cols:
        raise ValueError("the posterior table is empty")
    kept = [n for n in names if n in cols]
    return pd.DataFrame({n: input_column(frame, inputs[n], "posterior table") for n in kept})


def posterior_design(posterior: pd.DataFrame, sc: Scenario, runs: int, seed: int = 0,
                     design: Design = "lhs") -> pd.DataFrame:
    """An experiments table of ``runs`` rows: the posterior's inputs in place of their prior.

    Posterior rows are drawn whole (with replacement), so its inputs keep their joint
    dependence; inputs the posterior does not hold come from the usual design of ``seed``.
    """
    frame = check_posterior(posterior, sc)
    out = sample_inputs(build_structure(sc).inputs, runs, seed, design)
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_POSTERIOR_KEY,)))
    pick = rng.integers(0, len(frame), runs)
    for c in frame.columns:
        out[c] = frame[c].to_numpy()[pick]
    return out


def run_posterior(
    sc: Scenario,
    posterior: pd.DataFrame,
    settings: Execution | None = None,
    *,
    policies: Sequence[str] | None = None,
    counterfactual: bool = True,
    **options: Any,
) -> Ensemble:
    """Run the ensemble in memory with the posterior in place of the prior design
    (:func:`posterior_design`): the same runner, pilot and assembly as every run."""
    ex = Execution.of(settings, options)
    pl = plan(sc, ex.seed, policies, counterfactual=counterfactual)
    return run_in_memory(pl, ex, posterior_design(posterior, sc, ex.runs, ex.seed, ex.design))
