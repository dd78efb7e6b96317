"""The experimental design: one (runs × inputs) matrix, made once from the seed.

A design method (:data:`~spillover.ensemble.designs.DESIGNS`) makes the unit design in
[0, 1) in blocks; each input's quantile function then maps its unit column to values. A
design source (:class:`MemoryDesign`, :class:`FileDesign`, :class:`RowsDesign`) holds the
values and hands chunks their rows; in memory or on disk the values are the same, and
chunking only reads them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spillover.ensemble.designs import BLOCK, DESIGNS, Design, design_method
from spillover.scenario.inputs import Input
from spillover.scenario.quantity import MAX_MAGNITUDE

__all__ = ["DESIGNS", "Design", "DesignSource", "FileDesign", "MemoryDesign", "RowsDesign", "given_design",
           "sample_inputs", "unit_design"]

def unit_design(n_runs: int, n_inputs: int, seed: int, design: Design = "lhs") -> np.ndarray:
    """The whole (n_runs, n_inputs) unit design in memory.

    >>> unit_design(4, 2, seed=1).shape
    (4, 2)
    """
    method = design_method(design)
    out = np.empty((n_runs, n_inputs))
    for start, cols, block in method.blocks(n_runs, n_inputs, seed):
        out[start:start + len(block), cols] = block
    return out


def sample_inputs(inputs: list[Input], n_runs: int, seed: int, design: Design = "lhs") -> pd.DataFrame:
    """The experiments table: ``run`` plus one column of sampled values per uncertain input."""
    u = unit_design(n_runs, len(inputs), seed, design)
    data: dict[str, np.ndarray] = {"run": np.arange(n_runs, dtype=np.int64)}
    for j, inp in enumerate(inputs):
        data[inp.name] = inp.quantity.ppf(u[:, j])
    return pd.DataFrame(data)


def given_runs(experiments: object) -> int:
    """The number of runs of a given experiments table: its rows (ValueError unless it is a
    DataFrame with at least one)."""
    if not isinstance(experiments, pd.DataFrame) or experiments.empty:
        got = "an empty table" if isinstance(experiments, pd.DataFrame) else type(experiments).__name__
        raise ValueError(f"experiments must be a pandas DataFrame with a row per run and a column per input "
                         f"(got {got})")
    return len(experiments)


def given_design(inputs: list[Input], experiments: pd.DataFrame) -> pd.DataFrame:
    """Check a given experiments table against the scenario's inputs; number its runs 0..n-1.

    Raises ValueError naming the first missing input, or the first input whose column holds
    a value it cannot take (:func:`input_column`).
    """
    twice = sorted({str(c) for c in experiments.columns[experiments.columns.duplicated()]})
    if twice:
        raise ValueError(f"the experiments table has column '{twice[0]}' more than once")
    missing = [i.name for i in inputs if i.name not in experiments.columns]
    if missing:
        raise ValueError(f"the experiments table lacks input '{missing[0]}'"
                         + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    cols = {"run": np.arange(len(experiments), dtype=np.int64)}
    cols.update({i.name: input_column(experiments, i) for i in inputs})
    return pd.DataFrame(cols)


def input_column(table: pd.DataFrame, inp: Input, what: str = "experiments table") -> np.ndarray:
    """Input ``inp``'s column of ``table`` as floats, when every value is a finite number that
    keeps to the rules of the fields the input fills and to the largest magnitude a scenario
    number may have; else ValueError naming the column, its first bad row (counted from 0)
    and the rule."""
    try:
        values = table[inp.name].to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"the {what}'s '{inp.name}' holds values that are not numbers") from None
    field = ".".join(map(str, inp.paths[0]))
    rules = [(~np.isfinite(values), ": every input needs a finite number")]
    rules += [((values < lo) | (values > hi), f", but {rule}") for lo, hi, rule in inp.limits]
    rules.append((np.abs(values) > MAX_MAGNITUDE, f", but {field} must lie within ±{MAX_MAGNITUDE:g}"))
    for bad, why in rules:
        if bad.any():
            row, count = int(np.argmax(bad)), int(bad.sum())
            raise ValueError(f"the {what}'s '{inp.name}' is {values[row]:g} in row {row} (counted from 0; "
                             f"{count} such row{'s' if count > 1 else ''}){why}")
    return values


# --------------------------------------------------------------------------- sources


class DesignSource(Protocol):
    """Where chunks read their rows' input values and seeds from.

    A chunk is a range of consecutive rows ``[start, stop)``. ``seeds`` gives each row the
    run whose SeedSequence draws its randomness: the row itself in a design, any run in
    :class:`RowsDesign` (rows of one Saltelli group share their run's draws).
    """

    n_runs: int

    def prepare(self) -> None: ...

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray]: ...

    def seeds(self, start: int, stop: int) -> np.ndarray: ...


class MemoryDesign:
    """A design held in memory as the experiments table, sampled on :meth:`prepare`
    unless given."""

    def __init__(self, inputs: list[Input], n_runs: int, seed: int = 0, design: Design = "lhs",
                 experiments: pd.DataFrame | None = None) -> None:
        self.inputs, self.n_runs, self.seed, self.design = inputs, n_runs, seed, design
        self.experiments = experiments if experiments is None else given_design(inputs, experiments)

    def prepare(self) -> None:
        if self.experiments is None:
            self.experiments = sample_inputs(self.inputs, self.n_runs, self.seed, self.design)

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray]:
        assert self.experiments is not None, "prepare() the design first"
        return {i.name: self.experiments[i.name].to_numpy()[start:stop] for i in self.inputs}

    def seeds(self, start: int, stop: int) -> np.ndarray:
        return np.arange(start, stop, dtype=np.int64)


class RowsDesign:
    """Given rows of input values, each drawing its randomness from a given run's seed."""

    def __init__(self, values: Mapping[str, np.ndarray], seeds: np.ndarray) -> None:
        self.values = {k: np.asarray(v) for k, v in values.items()}
        self.run_seeds = np.asarray(seeds, dtype=np.int64)
        self.n_runs = len(self.run_seeds)

    def prepare(self) -> None:
        return None

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray]:
        return {k: v[start:stop] for k, v in self.values.items()}

    def seeds(self, start: int, stop: int) -> np.ndarray:
        return self.run_seeds[start:stop]


class FileDesign:
    """A design on disk, one raw float64 file per input: memory stays flat in the runs.

    Chunks are consecutive runs, so each read is one slice per input. Written on
    :meth:`prepare` (from the seed, or from a given experiments table) unless complete.
    """

    def __init__(self, folder: Path, inputs: list[Input], n_runs: int, seed: int = 0,
                 design: Design = "lhs", experiments: pd.DataFrame | None = None,
                 parquet: Path | None = None) -> None:
        self.folder, self.inputs, self.n_runs = folder, inputs, n_runs
        self.seed, self.design, self.parquet = seed, design, parquet
        self.given = experiments if experiments is None else given_design(inputs, experiments)

    def _path(self, j: int) -> Path:
        return self.folder / f"input-{j:04d}.f8"

    def complete(self) -> bool:
        """True when every input's file exists with the right size."""
        return all(self._path(j).exists() and self._path(j).stat().st_size == 8 * self.n_runs
                   for j in range(len(self.inputs)))

    def prepare(self) -> None:
        """Write the design unless complete, then ``experiments.parquet`` if asked and missing."""
        if not self.complete():
            self.write()
        if self.parquet is not None and not self.parquet.exists():
            self.write_parquet(self.parquet)

    def write(self) -> None:
        """Make the design (values after each input's distribution) and write it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        if self.given is not None:
            for j, inp in enumerate(self.inputs):
                self.given[inp.name].to_numpy(dtype=np.float64).tofile(self._path(j))
            return
        files = [open(self._path(j), "wb") for j in range(len(self.inputs))]  # noqa: SIM115
        try:
            blocks = design_method(self.design).blocks(self.n_runs, len(self.inputs), self.seed)
            for start, cols, block in blocks:
                for i, j in enumerate(cols):
                    files[j].seek(8 * start)
                    self.inputs[j].quantity.ppf(block[:, i]).tofile(files[j])
        finally:
            for f in files:
                f.close()

    def rows(self, start: int, stop: int) -> dict[str, np.ndarray]:
        count = stop - start
        return {inp.name: np.fromfile(self._path(j), dtype=np.float64, count=count, offset=8 * start)
                for j, inp in enumerate(self.inputs)}

    def seeds(self, start: int, stop: int) -> np.ndarray:
        return np.arange(start, stop, dtype=np.int64)

    def write_parquet(self, path: Path) -> None:
        """``experiments.parquet``: ``run`` plus one column per input, in row groups; written
        to a temporary name and renamed, so an interrupted write never leaves a broken file."""
        schema = pa.schema([("run", pa.int64())] + [(i.name, pa.float64()) for i in self.inputs])
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            with pq.ParquetWriter(tmp, schema) as writer:
                for start in range(0, self.n_runs, BLOCK * 4):
                    stop = min(start + BLOCK * 4, self.n_runs)
                    cols = {"run": np.arange(start, stop), **self.rows(start, stop)}
                    writer.write_table(pa.table(cols, schema=schema))
            with open(tmp, "rb") as f:
                os.fsync(f.fileno())
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
