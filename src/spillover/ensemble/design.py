"""The experimental design: one (runs × inputs) matrix, made once from the seed.

Latin hypercube and Monte Carlo designs are made column by column (each input from its own
stream spawned from the seed), and Sobol in row blocks of one sequence, so that a design
of millions of runs never needs the whole matrix in memory. In memory or on disk, the
values are the same; chunking only reads them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Literal, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spillover.engine.structure import Input

Design = Literal["lhs", "sobol", "mc"]
DESIGNS: tuple[str, ...] = ("lhs", "sobol", "mc")
_DESIGN_KEY = 0x5EED  # spawn key of the design's streams; runs use (run,)
BLOCK = 1 << 16


def _qmc() -> ModuleType:
    """``scipy.stats.qmc``, imported on first use (it loads all of scipy.stats)."""
    from scipy.stats import qmc

    return qmc


def design_rng(seed: int, column: int | None = None) -> np.random.Generator:
    """The generator of the design (or of one of its columns), apart from every run's stream."""
    key = (_DESIGN_KEY,) if column is None else (_DESIGN_KEY, column)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


def _check(design: str) -> None:
    if design not in DESIGNS:
        raise ValueError(f"unknown design '{design}' (use one of {', '.join(DESIGNS)})")


def unit_columns(n_runs: int, n_inputs: int, seed: int, design: Design) -> Iterator[tuple[int, np.ndarray]]:
    """Each column of the unit design in [0, 1), for ``lhs`` and ``mc`` (one at a time)."""
    _check(design)
    for j in range(n_inputs):
        rng = design_rng(seed, j)
        if design == "lhs":
            yield j, _qmc().LatinHypercube(d=1, rng=rng).random(n_runs)[:, 0]
        else:
            yield j, rng.random(n_runs)


def sobol_blocks(n_runs: int, n_inputs: int, seed: int) -> Iterator[np.ndarray]:
    """Consecutive row blocks of one scrambled Sobol sequence."""
    engine = _qmc().Sobol(d=n_inputs, scramble=True, rng=design_rng(seed))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # balance needs 2^k runs; said in docs
        for start in range(0, n_runs, BLOCK):
            yield engine.random(min(BLOCK, n_runs - start))


def unit_design(n_runs: int, n_inputs: int, seed: int, design: Design = "lhs") -> np.ndarray:
    """The whole (n_runs, n_inputs) unit design in memory.

    >>> unit_design(4, 2, seed=1).shape
    (4, 2)
    """
    _check(design)
    if n_inputs == 0:
        return np.zeros((n_runs, 0))
    if design == "sobol":
        return np.concatenate(list(sobol_blocks(n_runs, n_inputs, seed)))
    out = np.empty((n_runs, n_inputs))
    for j, col in unit_columns(n_runs, n_inputs, seed, design):
        out[:, j] = col
    return out


def sample_inputs(inputs: list[Input], n_runs: int, seed: int, design: Design = "lhs") -> pd.DataFrame:
    """The experiments table: ``run`` plus one column of sampled values per uncertain input."""
    u = unit_design(n_runs, len(inputs), seed, design)
    data: dict[str, np.ndarray] = {"run": np.arange(n_runs, dtype=np.int64)}
    for j, inp in enumerate(inputs):
        data[inp.name] = inp.quantity.ppf(u[:, j])
    return pd.DataFrame(data)


class DesignSource(Protocol):
    """Where chunks read their runs' input values from."""

    n_runs: int

    def rows(self, runs: np.ndarray) -> dict[str, np.ndarray]: ...


class MemoryDesign:
    """A design held in memory as the experiments table."""

    def __init__(self, experiments: pd.DataFrame) -> None:
        self.experiments = experiments
        self.n_runs = len(experiments)

    def rows(self, runs: np.ndarray) -> dict[str, np.ndarray]:
        sub = self.experiments.iloc[runs]
        return {c: sub[c].to_numpy() for c in self.experiments.columns if c != "run"}


class FileDesign:
    """A design on disk, one raw float64 file per input: memory stays flat in the runs.

    Chunks are contiguous runs, so each read is one slice per input.
    """

    def __init__(self, folder: Path, inputs: list[Input], n_runs: int) -> None:
        self.folder, self.inputs, self.n_runs = folder, inputs, n_runs

    def _path(self, j: int) -> Path:
        return self.folder / f"input-{j:04d}.f8"

    def complete(self) -> bool:
        """True when every input's file exists with the right size."""
        return all(self._path(j).exists() and self._path(j).stat().st_size == 8 * self.n_runs
                   for j in range(len(self.inputs)))

    def write(self, seed: int, design: Design) -> None:
        """Make the design (values after each input's distribution) and write it."""
        self.folder.mkdir(parents=True, exist_ok=True)
        d = len(self.inputs)
        if design == "sobol" and d:
            files = [open(self._path(j), "wb") for j in range(d)]  # noqa: SIM115
            try:
                for block in sobol_blocks(self.n_runs, d, seed):
                    for j, inp in enumerate(self.inputs):
                        inp.quantity.ppf(block[:, j]).tofile(files[j])
            finally:
                for f in files:
                    f.close()
            return
        for j, col in unit_columns(self.n_runs, d, seed, design):
            self.inputs[j].quantity.ppf(col).tofile(self._path(j))

    def write_table(self, experiments: pd.DataFrame) -> None:
        """Write a given experiments table (e.g. drawn from a posterior) as the design."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for j, inp in enumerate(self.inputs):
            experiments[inp.name].to_numpy(dtype=np.float64).tofile(self._path(j))

    def rows(self, runs: np.ndarray) -> dict[str, np.ndarray]:
        start, count = int(runs[0]), len(runs)
        if count and int(runs[-1]) - start + 1 != count:
            raise ValueError("a chunk's runs must be contiguous")
        return {inp.name: np.fromfile(self._path(j), dtype=np.float64, count=count, offset=8 * start)
                for j, inp in enumerate(self.inputs)}

    def write_parquet(self, path: Path) -> None:
        """``experiments.parquet``: ``run`` plus one column per input, in row groups."""
        schema = pa.schema([("run", pa.int64())] + [(i.name, pa.float64()) for i in self.inputs])
        with pq.ParquetWriter(path, schema) as writer:
            for start in range(0, self.n_runs, BLOCK * 4):
                runs = np.arange(start, min(start + BLOCK * 4, self.n_runs))
                cols = {"run": runs, **self.rows(runs)}
                writer.write_table(pa.table(cols, schema=schema))


def given_design(inputs: list[Input], experiments: pd.DataFrame) -> pd.DataFrame:
    """Check a given experiments table against the scenario's inputs; number its runs 0..n-1.

    Raises ValueError naming the first missing input.
    """
    missing = [i.name for i in inputs if i.name not in experiments.columns]
    if missing:
        raise ValueError(f"the experiments table lacks input '{missing[0]}'"
                         + (f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    cols = {"run": np.arange(len(experiments), dtype=np.int64)}
    cols.update({i.name: experiments[i.name].to_numpy(dtype=np.float64) for i in inputs})
    return pd.DataFrame(cols)
