"""Run an ensemble: plan the batch, run its chunks on an executor, and collect them."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

import pandas as pd

from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.chunks import Batch, ChunkResult, pilot_spec
from spillover.ensemble.design import Design, DesignSource, MemoryDesign, given_design, sample_inputs
from spillover.ensemble.executor import chunk_ranges, execute, starting_pool
from spillover.ensemble.variants import Variant, check_policies, policy_variants
from spillover.results.assemble import Assembler
from spillover.scenario.model import Scenario


@dataclass
class Plan:
    """A batch ready to run: the compiled scenario, its variants, runs, seed and design."""

    scenario: Scenario
    structure: Structure
    batch: Batch
    runs: int
    seed: int
    design: Design
    chunk_size: int

    @property
    def policies(self) -> list[str]:
        return list(dict.fromkeys(v.policy for v in self.batch.variants))

    @property
    def chunks(self) -> list:
        return chunk_ranges(self.runs, self.chunk_size)


class Sink(Protocol):
    def add(self, res: ChunkResult) -> None: ...


@dataclass
class Ensemble:
    """What an ensemble run produced before any analysis."""

    structure: Structure
    experiments: pd.DataFrame
    outcomes: pd.DataFrame
    series: pd.DataFrame
    policies: list[str]
    timings: dict[str, float] = field(default_factory=dict)


def plan(
    scenario: Scenario,
    runs: int = 1000,
    seed: int = 0,
    policies: Sequence[str] | None = None,
    design: Design = "lhs",
    chunk_size: int = 1000,
    variants: Sequence[Variant] | None = None,
    counterfactual: bool = True,
    save_series: bool = False,
) -> Plan:
    """Compile the scenario and choose the variants (each policy, then without transfers)."""
    if runs < 1:
        raise ValueError("runs must be at least 1")
    if chunk_size < 1:
        raise ValueError("chunk size must be at least 1")
    pols = check_policies(scenario, policies)
    st = build_structure(scenario)
    chosen = variants or policy_variants(scenario, pols, counterfactual=counterfactual)
    batch = Batch(st=st, variants=list(chosen), seed=seed, save_series=save_series)
    return Plan(scenario, st, batch, runs, seed, design, chunk_size)


def run_plan(
    pl: Plan,
    source: DesignSource,
    sink: Sink,
    skip: set[int] | frozenset[int] = frozenset(),
    workers: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    pool: Executor | None = None,
    on_chunk: Callable[[ChunkResult], None] | None = None,
) -> None:
    """Run every chunk not in ``skip`` (first runs of finished chunks) into ``sink``."""
    todo = [c for c in pl.chunks if int(c[0]) not in skip]
    for res in execute(pl.batch, source, todo, workers=workers, on_chunk=on_chunk, pool=pool,
                       executor=executor, scheduler=scheduler):
        sink.add(res)


def run_ensemble(
    scenario: Scenario,
    runs: int = 1000,
    seed: int = 0,
    policies: Sequence[str] | None = None,
    design: Design = "lhs",
    chunk_size: int = 1000,
    workers: int = 1,
    variants: Sequence[Variant] | None = None,
    series: bool = True,
    save_series: bool = False,
    on_chunk: Callable[[ChunkResult], None] | None = None,
    counterfactual: bool = True,
    pool: Executor | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    experiments: pd.DataFrame | None = None,
) -> Ensemble:
    """Simulate ``runs`` runs of ``scenario`` under each policy (and its counterfactual), in memory.

    Parameters
    ----------
    variants
        Overrides the default variants (each policy, then the same policy without transfers).
    series
        Keep daily quantile series of stocks and indicators.
    on_chunk
        Called with each finished chunk (for progress bars).
    counterfactual
        Also run each policy with every transfer removed (the ``*_without_transfers``
        outcomes).
    pool
        An existing executor (e.g. a warm process pool in a server) to run the chunks on.
    executor, scheduler
        ``local`` (processes on this machine) or ``dask`` (a ``dask.distributed`` cluster at
        ``scheduler``, or a local one of ``workers`` processes).
    experiments
        A given experiments table (one column per input, e.g. drawn from a calibration's
        posterior) instead of the design; ``runs`` is then its length.
    """
    t0 = time.perf_counter()
    if experiments is not None:
        runs = len(experiments)
    pl = plan(scenario, runs, seed, policies, design, chunk_size, variants, counterfactual, save_series)
    with starting_pool(workers, executor, pool) as pool:  # workers start while the design is made
        table = (given_design(pl.structure.inputs, experiments) if experiments is not None
                 else sample_inputs(pl.structure.inputs, runs, seed, design))
        source = MemoryDesign(table)
        t1 = time.perf_counter()
        if series:
            pl.batch.spec = pilot_spec(pl.batch, source)
        t2 = time.perf_counter()
        asm = Assembler(pl.batch)
        run_plan(pl, source, asm, workers=workers, executor=executor, scheduler=scheduler, pool=pool,
                 on_chunk=on_chunk)
    t3 = time.perf_counter()
    out = Ensemble(structure=pl.structure, experiments=source.experiments,
                   outcomes=asm.outcomes(pl.policies), series=asm.series(scenario.start),
                   policies=pl.policies)
    out.timings = {"design": t1 - t0, "pilot": t2 - t1, "simulate": t3 - t2,
                   "assemble": time.perf_counter() - t3}
    return out
