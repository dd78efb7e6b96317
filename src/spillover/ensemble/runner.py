"""The one way an ensemble runs: plan the batch, start the executor, make the design, run a
pilot for the series' bin ranges, send every chunk, and hand each result to a sink.

A *sink* decides what happens to results: kept in memory
(:class:`spillover.results.assemble.Assembler`), streamed to a run folder
(:class:`spillover.results.folder.FolderSink`) or gathered by design row for the analyses
(:class:`spillover.results.rows.RowsSink`). Everything else is the same for all of them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from spillover.engine.histogram import SeriesSpec
from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.chunks import Batch, ChunkResult, pilot_spec
from spillover.ensemble.design import DesignSource
from spillover.ensemble.executors import open_executor
from spillover.ensemble.flight import chunk_ranges
from spillover.ensemble.settings import Execution
from spillover.ensemble.variants import Variant, check_policies, policy_variants
from spillover.scenario.model import Scenario


@dataclass
class Plan:
    """A batch ready to run: the compiled scenario, its variants and whether to keep series."""

    scenario: Scenario
    structure: Structure
    batch: Batch
    series: bool = True

    @property
    def policies(self) -> list[str]:
        """The policies, in run order (the first is the baseline of comparisons)."""
        return list(dict.fromkeys(v.policy for v in self.batch.variants))


def plan(
    scenario: Scenario,
    seed: int,
    policies: Sequence[str] | None = None,
    variants: Sequence[Variant] | None = None,
    counterfactual: bool = True,
    series: bool = True,
    save_series: bool = False,
) -> Plan:
    """Compile the scenario and choose the variants (each policy, then without transfers).

    ``variants`` overrides the default variants; ``series`` keeps the daily quantile
    series; ``save_series`` also every run's daily series.
    """
    pols = check_policies(scenario, policies)
    st = build_structure(scenario)
    chosen = list(variants) if variants else policy_variants(scenario, pols, counterfactual=counterfactual)
    batch = Batch(st=st, variants=chosen, seed=seed, save_series=save_series)
    return Plan(scenario, st, batch, series)


class Sink(Protocol):
    """Receives a run's chunk results."""

    def saved_spec(self) -> SeriesSpec | None:
        """Series bin ranges kept from an earlier start of this run (resume), if any."""
        ...

    def save_spec(self, spec: SeriesSpec) -> None: ...

    def finished(self) -> set[int]:
        """First rows of the chunks already safely done (resume)."""
        ...

    def add(self, res: ChunkResult) -> None: ...

    def close(self) -> None: ...


class FreshSink:
    """The resume half of :class:`Sink` for a sink that starts from nothing each time: no
    saved bin ranges, no finished chunks, nothing to close. In-memory sinks derive from it."""

    def saved_spec(self) -> SeriesSpec | None:
        return None

    def save_spec(self, spec: SeriesSpec) -> None:
        return None

    def finished(self) -> set[int]:
        return set()

    def close(self) -> None:
        return None


def execute(pl: Plan, source: DesignSource, sink: Sink, ex: Execution) -> dict[str, float]:
    """Run every chunk of ``source`` not yet finished into ``sink``; return the timings.

    The executor starts first, so that its workers load the engine while this process makes
    the design and the pilot. ``ex.progress`` hears (runs done, runs in all) once when the
    chunks start (runs done by an earlier attempt) and after each chunk.
    """
    t0 = time.perf_counter()
    with open_executor(ex) as runner:
        source.prepare()
        t1 = time.perf_counter()
        if pl.series:
            spec = sink.saved_spec()
            if spec is None:
                spec = pilot_spec(pl.batch, source)
                sink.save_spec(spec)
            pl.batch.spec = spec
        t2 = time.perf_counter()
        skip = sink.finished()
        todo = [c for c in chunk_ranges(source.n_runs, ex.chunk_size) if c[0] not in skip]
        done = source.n_runs - sum(b - a for a, b in todo)
        if ex.progress is not None:
            ex.progress(done, source.n_runs)
        for res in runner.run(pl.batch, source, todo):
            sink.add(res)
            done += len(res.runs)
            if ex.progress is not None:
                ex.progress(done, source.n_runs)
    sink.close()
    return {"design": t1 - t0, "pilot": t2 - t1, "simulate": time.perf_counter() - t2}
