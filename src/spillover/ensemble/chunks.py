"""Run a chunk of runs under every variant: the unit of work given to a worker."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from spillover.engine.draws import draw
from spillover.engine.histogram import SAMPLE_RUNS, DailyHistogram, SeriesSpec
from spillover.engine.outcomes import OutcomeWatcher
from spillover.engine.params import build_params
from spillover.engine.series import HistogramWatcher, RangeWatcher, SeriesRecorder
from spillover.engine.simulate import engine_name, simulate
from spillover.engine.snapshots import SnapshotSpec, SnapshotWatcher
from spillover.engine.structure import Structure
from spillover.engine.watch import Watcher
from spillover.ensemble.design import DesignSource
from spillover.ensemble.variants import Variant, apply_variants


@dataclass
class Batch:
    """Everything a worker needs, sent once: the compiled scenario, variants and seed."""

    st: Structure
    variants: list[Variant]
    seed: int
    spec: SeriesSpec | None = None
    save_series: bool = False
    engine: str = field(default_factory=engine_name)  # resolved where the batch is made
    sample_runs: int = SAMPLE_RUNS  # runs below this index feed the daily quantile series
    observe: SnapshotSpec | None = None  # quantities an evidence file observes (none without one)
    threads: int = 1  # threads that step a chunk's blocks of rows (the compiled engine; never a result)

    def sampled(self, runs: np.ndarray) -> int:
        """How many of a chunk's consecutive runs feed the daily quantile series."""
        return int(np.count_nonzero(runs < self.sample_runs))

    @property
    def policy_blocks(self) -> list[int]:
        """Positions of the policy variants; they come first (the histograms rely on it)."""
        blocks = [i for i, v in enumerate(self.variants) if v.is_policy]
        if blocks != list(range(len(blocks))):
            raise ValueError("policy variants must come before ablated ones")
        return blocks


@dataclass
class ChunkResult:
    """Outcomes of a chunk's rows (variant-major) and its share of the daily histograms.

    ``start`` is the chunk's first design row; ``runs`` the run of each row (whose seed
    drew its randomness), which is the row itself except in given-row designs.
    """

    start: int
    runs: np.ndarray
    outcomes: dict[str, np.ndarray]
    hist: DailyHistogram | None
    series: np.ndarray | None = None  # (T, rows of policy variants, N) float32
    observed: np.ndarray | None = None  # (J, n) observed quantities in the observed variant's rows


def run_chunk(batch: Batch, start: int, runs: np.ndarray, values: dict[str, np.ndarray]) -> ChunkResult:
    """Simulate rows ``start…`` (run seeds ``runs``) under every variant, vectorised over all rows."""
    st = batch.st
    n = len(runs)
    p = apply_variants(st, build_params(st, values, n), batch.variants)
    draws = draw(st, batch.seed, runs).tile(len(batch.variants))
    acc = OutcomeWatcher(st, p.R)
    watchers: list[Watcher] = [acc]
    hist = None
    m = batch.sampled(runs)
    if batch.spec is not None and m:
        hist = HistogramWatcher(st, batch.spec, len(batch.policy_blocks), n, st.T, m)
        watchers.append(hist)
    recorder = SeriesRecorder(st, p.R) if batch.save_series else None
    if recorder is not None:
        watchers.append(recorder)
    snap = SnapshotWatcher(batch.observe, p.R) if batch.observe is not None else None
    if snap is not None:
        watchers.append(snap)
    final = simulate(st, p, draws, watchers, engine=batch.engine, threads=batch.threads)
    series = None
    if recorder is not None:
        keep = np.concatenate([np.arange(v * n, (v + 1) * n) for v in batch.policy_blocks])
        series = recorder.values[:, keep]
    observed = None
    if snap is not None:
        v = snap.spec.variant
        observed = snap.values[:, v * n:(v + 1) * n].copy()
    return ChunkResult(start=start, runs=runs, outcomes=acc.finish(final),
                       hist=hist.compact() if hist else None, series=series, observed=observed)


def pilot_spec(batch: Batch, design: DesignSource, size: int = 64) -> SeriesSpec:
    """Bin ranges for the daily histograms from the first ``size`` runs (always the same runs)."""
    st = batch.st
    stop = min(size, design.n_runs)
    runs = design.seeds(0, stop)
    policies = [v for v in batch.variants if v.is_policy]
    p = apply_variants(st, build_params(st, design.rows(0, stop), stop), policies)
    ranges = RangeWatcher(st)
    simulate(st, p, draw(st, batch.seed, runs).tile(len(policies)), [ranges], engine=batch.engine)
    return ranges.spec()
