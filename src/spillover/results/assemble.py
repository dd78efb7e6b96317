"""Turn chunk results into the two aligned tables and the daily quantile series.

:class:`Assembler` is the in-memory sink of :func:`spillover.ensemble.runner.execute`; a
run folder's sink (:class:`spillover.results.folder.FolderSink`) uses it for each part.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa

from spillover.engine.histogram import QUANTILES, DailyHistogram, SeriesSpec
from spillover.engine.structure import Structure
from spillover.ensemble.chunks import Batch, ChunkResult
from spillover.ensemble.design import MemoryDesign
from spillover.ensemble.runner import FreshSink, Plan, execute
from spillover.ensemble.settings import Execution
from spillover.scenario.outcomes import twins


@dataclass
class Ensemble:
    """What an ensemble run produced before any analysis."""

    structure: Structure
    experiments: pd.DataFrame
    outcomes: pd.DataFrame
    series: pd.DataFrame
    policies: list[str]
    timings: dict[str, float] = field(default_factory=dict)
    observed: pd.DataFrame | None = None  # run + one column per observed quantity (with evidence)


def run_in_memory(pl: Plan, ex: Execution, experiments: pd.DataFrame | None = None) -> Ensemble:
    """Run ``pl`` with every result kept in memory: the design of ``ex`` (or the given
    ``experiments``), outcomes, and daily quantile series when ``pl.series``."""
    source = MemoryDesign(pl.structure.inputs, ex.runs if experiments is None else len(experiments),
                          ex.seed, ex.design, experiments)
    asm = Assembler(pl.batch)
    timings = execute(pl, source, asm, ex)
    t = time.perf_counter()
    assert source.experiments is not None
    out = Ensemble(structure=pl.structure, experiments=source.experiments, outcomes=asm.outcomes(pl.policies),
                   series=asm.series(pl.scenario.start), policies=pl.policies, observed=asm.observed_table())
    out.timings = {**timings, "assemble": time.perf_counter() - t}
    return out


class Assembler(FreshSink):
    """Collects chunk results as they arrive; memory holds outcomes, not series."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.parts: list[dict[str, np.ndarray]] = []
        self.hist: DailyHistogram | None = None
        self.twins = twins()
        self.observed: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, res: ChunkResult) -> None:
        """Keep the chunk's outcome columns in memory and merge its histogram."""
        self.parts.append(self.columns(res))
        self.merge(res)
        self.keep_observed(res)

    def keep_observed(self, res: ChunkResult) -> None:
        """Keep the chunk's observed quantities (runs with evidence only)."""
        if res.observed is not None:
            self.observed.append((res.runs, res.observed))

    def observed_table(self) -> pd.DataFrame | None:
        """``run`` and one column per observed quantity (``<column>@<day>``), runs ascending."""
        if self.batch.observe is None:
            return None
        keys = self.batch.observe.keys
        if not self.observed:
            return pd.DataFrame(columns=["run", *keys])
        runs = np.concatenate([r for r, _ in self.observed])
        values = np.concatenate([v for _, v in self.observed], axis=1)
        order = np.argsort(runs, kind="stable")
        return pd.DataFrame({"run": runs[order], **{k: values[j, order] for j, k in enumerate(keys)}})

    def merge(self, res: ChunkResult) -> None:
        """Merge the chunk's histogram counts, kept as ``uint32`` (half the memory to add
        into and to checkpoint) until a count could pass it (:meth:`DailyHistogram.merge`)."""
        if res.hist is not None:
            if self.hist is None:
                self.hist = res.hist
                self.hist.counts = self.hist.counts.astype(np.uint32)
            else:
                self.hist.merge(res.hist)

    def columns(self, res: ChunkResult) -> dict[str, np.ndarray]:
        """The chunk's outcome columns: one row per (run, policy), counterfactual columns merged in."""
        n = len(res.runs)
        variants = self.batch.variants
        cf_of = {p: i for i, v in enumerate(variants) for p in v.counterfactual_for}
        blocks: list[dict[str, np.ndarray]] = []
        for i, v in enumerate(variants):
            if not v.is_policy:
                continue
            block = slice(i * n, (i + 1) * n)
            cols: dict[str, np.ndarray] = {"run": res.runs, "policy": np.full(n, v.policy, dtype=object)}
            cols.update({k: a[block] for k, a in res.outcomes.items()})
            cf = cf_of.get(v.policy)
            if cf is not None:
                cblock = slice(cf * n, (cf + 1) * n)
                for k, a in res.outcomes.items():
                    family, dot, rest = k.partition(".")
                    if family in self.twins and dot:
                        cols[f"{self.twins[family]}.{rest}"] = a[cblock]
            blocks.append(cols)
        return _concat(blocks)

    def table(self, res: ChunkResult) -> pa.Table:
        """The chunk's outcome rows as an Arrow table (see :meth:`columns`), made straight
        from the arrays: through a DataFrame it took 15 ms a chunk of nk-russia-2023, this 1."""
        return pa.table(self.columns(res))

    def outcomes(self, order: Iterable[str]) -> pd.DataFrame:
        """One row per (run, policy), policies in the given order, runs ascending.

        The same table as :func:`canonical` of all the parts, built without a sort: each
        part holds one block of rows per policy, so the parts are laid out in order once.
        """
        if not self.parts:
            return canonical(pd.DataFrame(_concat(self.parts)), order)
        mine = [v.policy for v in self.batch.variants if v.is_policy]
        parts = sorted(self.parts, key=lambda c: int(c["run"][0]) if len(c["run"]) else -1)
        order = list(order)
        pieces = []
        for policy in order + [p for p in mine if p not in order]:  # as canonical: unknown last
            if policy not in mine:
                continue
            j = mine.index(policy)
            for part in parts:
                n = len(part["run"]) // len(mine)
                pieces.append((part, slice(j * n, (j + 1) * n)))
        cols = {k: np.concatenate([part[k][sl] for part, sl in pieces]) for k in parts[0]}
        df = pd.DataFrame(cols, copy=False)  # one block per column: no consolidating copy
        df["policy"] = df["policy"].astype(str)
        return df

    def series(self, start: dt.date) -> pd.DataFrame:
        """Long table: policy, series, day, date, q05…q95, mean."""
        if self.hist is None or self.batch.spec is None:
            return pd.DataFrame(
                columns=["policy", "series", "day", "date", "q05", "q25", "q50", "q75", "q95", "mean"]
            )
        spec, hist = self.batch.spec, self.hist
        return series_table(hist, spec, [v.policy for v in self.batch.variants if v.is_policy], start)


def series_table(hist: DailyHistogram, spec: SeriesSpec, policies: list[str], start: dt.date) -> pd.DataFrame:
    """The long table of :meth:`Assembler.series`, built at once: policy by policy, each
    policy's series in order, each series day by day."""
    q = hist.quantiles(spec)  # (T, P, N, Q)
    T, P, N, Q = q.shape
    day = np.arange(T)
    cols = q.transpose(1, 2, 0, 3).reshape(P * N * T, Q)
    dates = pd.to_datetime(start) + pd.to_timedelta(day, unit="D")
    return pd.DataFrame({
        "policy": np.repeat(np.asarray(policies, dtype=object), N * T),
        "series": np.tile(np.repeat(np.asarray(spec.names, dtype=object), T), P),
        "day": np.tile(day, P * N),
        "date": np.tile(dates, P * N),
        **{f"q{round(x * 100):02d}": cols[:, i] for i, x in enumerate(QUANTILES)},
        "mean": hist.mean(spec).transpose(1, 2, 0).ravel(),
    })


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Column-wise concatenation of parts with the same columns (one copy per column)."""
    if len(parts) == 1:
        return dict(parts[0])
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}


def canonical(df: pd.DataFrame, order: Iterable[str]) -> pd.DataFrame:
    """Outcomes sorted by policy (in the given order) then run: the same for any chunking."""
    order = list(order)
    codes = np.asarray(pd.Categorical(df["policy"], categories=order).codes, dtype=np.int64)
    df = df.assign(_p=np.where(codes < 0, len(order), codes))  # unknown policies last
    df = df.sort_values(["_p", "run"], kind="stable").drop(columns="_p").reset_index(drop=True)
    df["policy"] = df["policy"].astype(str)
    return df
