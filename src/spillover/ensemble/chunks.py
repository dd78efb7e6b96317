"""Run a chunk of runs under every variant: the unit of work given to a worker."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spillover.engine.params import build_params
from spillover.engine.simulate import Observer, engine_name, simulate
from spillover.engine.structure import Structure
from spillover.ensemble.design import DesignSource
from spillover.ensemble.seeds import draw
from spillover.ensemble.variants import Variant, apply_variants
from spillover.results.accumulate import OutcomeAccumulator
from spillover.results.quantiles import DailyHistogram, SeriesSpec
from spillover.results.series import HistogramObserver, RangeObserver, SeriesRecorder


@dataclass
class Batch:
    """Everything a worker needs, sent once: the compiled scenario, variants and seed."""

    st: Structure
    variants: list[Variant]
    seed: int
    spec: SeriesSpec | None = None
    save_series: bool = False
    engine: str = field(default_factory=engine_name)  # resolved where the batch is made

    @property
    def policy_blocks(self) -> list[int]:
        """Positions of the policy variants; they come first (the histograms rely on it)."""
        blocks = [i for i, v in enumerate(self.variants) if v.is_policy]
        if blocks != list(range(len(blocks))):
            raise ValueError("policy variants must come before ablated ones")
        return blocks


@dataclass
class ChunkResult:
    """Outcomes of a chunk's rows (variant-major) and its share of the daily histograms."""

    runs: np.ndarray
    outcomes: dict[str, np.ndarray]
    hist: DailyHistogram | None
    series: np.ndarray | None = None  # (T, rows of policy variants, N) float32
    extra: dict[str, object] = field(default_factory=dict)


def chunk_frames(experiments: pd.DataFrame, runs: np.ndarray) -> dict[str, np.ndarray]:
    """The sampled input values of the given runs, by input name."""
    sub = experiments.iloc[runs]
    return {c: sub[c].to_numpy() for c in experiments.columns if c != "run"}


def run_chunk(batch: Batch, runs: np.ndarray, values: dict[str, np.ndarray]) -> ChunkResult:
    """Simulate ``runs`` under every variant of the batch, vectorised over all rows."""
    st = batch.st
    n = len(runs)
    base = build_params(st, values, n)
    p = apply_variants(st, base, batch.variants)
    draws = draw(st, batch.seed, runs)
    rows = np.tile(np.arange(n), len(batch.variants))
    draws.noise = draws.noise[:, rows] if draws.noise.ndim == 4 else draws.noise[rows]
    draws.thresholds = draws.thresholds[rows]
    acc = OutcomeAccumulator(st, p.R)
    observers: list[Observer] = [acc]
    hist_obs = None
    if batch.spec is not None:
        hist_obs = HistogramObserver(st, batch.spec, len(batch.policy_blocks), n, st.T)
        observers.append(hist_obs)
    recorder = SeriesRecorder(st, p.R) if batch.save_series else None
    if recorder is not None:
        observers.append(recorder)
    final = simulate(st, p, draws, observers, engine=batch.engine)
    series = None
    if recorder is not None:
        keep = np.concatenate([np.arange(v * n, (v + 1) * n) for v in batch.policy_blocks])
        series = recorder.values[:, keep]
    return ChunkResult(
        runs=runs,
        outcomes=acc.finish(final),
        hist=hist_obs.compact() if hist_obs else None,
        series=series,
    )


def pilot_spec(batch: Batch, design: DesignSource, size: int = 64) -> SeriesSpec:
    """Bin ranges for the daily histograms from the first ``size`` runs (always the same runs)."""
    st = batch.st
    runs = np.arange(min(size, design.n_runs))
    policies = [v for v in batch.variants if v.is_policy]
    p = apply_variants(st, build_params(st, design.rows(runs), len(runs)), policies)
    draws = draw(st, batch.seed, runs)
    rows = np.tile(np.arange(len(runs)), len(policies))
    draws.noise = draws.noise[:, rows] if draws.noise.ndim == 4 else draws.noise[rows]
    draws.thresholds = draws.thresholds[rows]
    ranges = RangeObserver(st)
    simulate(st, p, draws, [ranges], engine=batch.engine)
    return ranges.spec()
