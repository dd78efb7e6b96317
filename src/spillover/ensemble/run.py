"""Run an ensemble: design, chunks, workers, and the assembled results in memory."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import pandas as pd

from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.chunks import Batch, ChunkResult, pilot_spec
from spillover.ensemble.design import Design, sample_inputs
from spillover.ensemble.executor import execute
from spillover.ensemble.variants import Variant, check_policies, policy_variants
from spillover.results.assemble import Assembler
from spillover.scenario.model import Scenario


@dataclass
class Ensemble:
    """What an ensemble run produced before any analysis."""

    structure: Structure
    experiments: pd.DataFrame
    outcomes: pd.DataFrame
    series: pd.DataFrame
    policies: list[str]
    timings: dict[str, float] = field(default_factory=dict)


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
) -> Ensemble:
    """Simulate ``runs`` runs of ``scenario`` under each policy (and its counterfactual).

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
    """
    if runs < 1:
        raise ValueError("runs must be at least 1")
    t0 = time.perf_counter()
    pols = check_policies(scenario, policies)
    st = build_structure(scenario)
    experiments = sample_inputs(st.inputs, runs, seed, design)
    chosen = variants or policy_variants(scenario, pols, counterfactual=counterfactual)
    batch = Batch(st=st, variants=list(chosen), seed=seed, save_series=save_series)
    t1 = time.perf_counter()
    if series:
        batch.spec = pilot_spec(batch, experiments)
    t2 = time.perf_counter()
    asm = Assembler(batch)
    chunks = execute(batch, experiments, chunk_size=chunk_size, workers=workers, on_chunk=on_chunk, pool=pool)
    for res in chunks:
        asm.add(res)
    t3 = time.perf_counter()
    order = list(dict.fromkeys(v.policy for v in batch.variants))
    out = Ensemble(
        structure=st,
        experiments=experiments,
        outcomes=asm.outcomes(order),
        series=asm.series(scenario.start),
        policies=order,
    )
    out.timings = {"design": t1 - t0, "pilot": t2 - t1, "simulate": t3 - t2,
                   "assemble": time.perf_counter() - t3}
    return out
