"""How an ensemble is executed: runs, seed, design, chunking and where chunks run.

:class:`Execution` is one frozen value shared by every entry point (``spillover.run``,
``spillover.resume``, the analyses and the web app), so each signature carries one
object instead of nine parameters. None of its settings but ``runs``, ``seed`` and
``design`` changes a result: a seed gives identical results whatever the chunk size, the
workers, the executor or the pool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field, fields, replace
from typing import Any

from spillover.ensemble.designs import Design, design_method
from spillover.ensemble.executors import EXECUTORS

MAX_RUNS = 100_000_000
"""The most runs one ensemble may have. Each input's design column is made whole in memory
(about 32 bytes a run while it is sampled), so 100 million runs need a few gigabytes
before the first chunk; far more than any analysis needs (claims settle within 0.1
percentage point by 1 million runs)."""
MAX_SEED = 2**32 - 1
"""The largest seed: seeds are 32-bit whole numbers, as the web app and manifests take them."""

Progress = Callable[[int, int], None]
"""Called with (runs done, runs in all) after every chunk."""

@dataclass(frozen=True)
class Execution:
    """The settings of one ensemble run.

    Attributes
    ----------
    runs, seed, design
        Number of runs, the seed and the design method's name (see
        :data:`spillover.ensemble.design.DESIGNS`): together they fix every result.
    chunk_size
        Runs simulated at once; bounds memory, never changes results.
    workers
        Processes (local) or the size of a local Dask cluster.
    executor, scheduler
        A name of :data:`spillover.ensemble.executors.EXECUTORS`: ``local`` (``workers``
        threads in this process), ``processes`` (a pool of ``workers`` processes) or
        ``dask``; with ``dask``, an existing scheduler's address, or None for a local
        cluster of ``workers`` processes.
    pool
        An existing executor to run chunks on (a server's warm process pool).
    progress
        Called with (runs done, runs in all) after every chunk.
    """

    runs: int = 1000
    seed: int = 0
    design: Design = "lhs"
    chunk_size: int = 1000
    workers: int = 1
    executor: str = "local"
    scheduler: str | None = None
    pool: Executor | None = field(default=None, compare=False, repr=False)
    progress: Progress | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("runs", "chunk_size", "workers"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                what = name.replace("_", " ")
                raise ValueError(f"{what} must be a whole number of at least 1, got {value!r}")
        if self.runs > MAX_RUNS:
            raise ValueError(f"runs must be at most {MAX_RUNS:,} (the design is made in memory), "
                             f"got {self.runs:,}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or not 0 <= self.seed <= MAX_SEED:
            raise ValueError(f"the seed must be a whole number from 0 to {MAX_SEED:,}, got {self.seed!r}")
        design_method(self.design)
        if self.executor not in EXECUTORS:
            raise ValueError(f"unknown executor '{self.executor}' (use {' or '.join(EXECUTORS)})")
        if self.scheduler and self.executor != "dask":
            raise ValueError("a scheduler address goes with the dask executor")

    def but(self, **changes: Any) -> Execution:
        """A copy with some settings changed."""
        return replace(self, **changes)

    @classmethod
    def of(cls, settings: Execution | None, options: Mapping[str, Any]) -> Execution:
        """``settings`` (or the defaults) with keyword ``options`` on top; unknown names refused."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - names)
        if unknown:
            raise TypeError(f"unknown execution setting '{unknown[0]}' (use {', '.join(sorted(names))})")
        base = settings or cls()
        return replace(base, **options) if options else base
