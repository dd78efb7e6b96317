"""Execute a batch in chunks of bounded size, in this process or in a pool of processes.

Results never depend on the chunk size or the number of workers: the design is made once,
each run draws from its own SeedSequence, and every row is computed independently.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from typing import Any

import numpy as np

from spillover.ensemble.chunks import Batch, ChunkResult, run_chunk
from spillover.ensemble.design import DesignSource


def chunk_ranges(n_runs: int, chunk_size: int) -> list[np.ndarray]:
    """Run indices split into consecutive chunks of at most ``chunk_size``."""
    if chunk_size < 1:
        raise ValueError("chunk size must be at least 1")
    return [np.arange(a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]


def _warm() -> None:
    """Worker start-up: load the compiled engine before the first chunk arrives."""
    from spillover.engine.compiled import warm

    with suppress(Exception):  # only a head start: a chunk would load the engine anyway
        warm()


def _noop() -> None:
    return None


@contextmanager
def starting_pool(workers: int, executor: str = "local",
                  pool: Executor | None = None) -> Iterator[Executor | None]:
    """A pool of ``workers`` spawned processes, started at once, so that they import the
    engine while this process makes the design and the pilot run; ``pool`` itself when one
    is given, and None when chunks run here or on Dask. Chunks sent to it carry the batch
    (a few hundred kB at most)."""
    if pool is not None or executor != "local" or workers <= 1:
        yield pool
        return
    own = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_warm)
    try:
        for _ in range(workers):  # each submit with no idle worker spawns one
            own.submit(_noop)
        yield own
    finally:
        own.shutdown(wait=True, cancel_futures=True)


def execute(
    batch: Batch,
    design: DesignSource,
    chunks: list[np.ndarray],
    workers: int = 1,
    on_chunk: Callable[[ChunkResult], None] | None = None,
    pool: Executor | None = None,
    executor: str = "local",
    scheduler: str | None = None,
) -> Iterator[ChunkResult]:
    """Yield each chunk's result as it finishes (in any order; each carries its runs).

    ``executor="local"`` runs in this process (``workers=1``) or in a pool of spawned
    processes (``pool``, or one of :func:`starting_pool`), each chunk carrying the batch;
    ``executor="dask"`` runs chunks as tasks on a ``dask.distributed`` cluster
    (``scheduler`` address, or a local cluster of ``workers`` processes). At most two
    chunks per worker are in flight, which bounds memory.
    """
    if executor == "dask":
        from spillover.ensemble.dask_executor import execute_dask

        yield from execute_dask(batch, design, chunks, workers, on_chunk, scheduler)
        return
    if executor != "local":
        raise ValueError(f"unknown executor '{executor}' (use local or dask)")
    if pool is None and workers <= 1:
        for runs in chunks:
            res = run_chunk(batch, runs, design.rows(runs))
            if on_chunk:
                on_chunk(res)
            yield res
        return
    with starting_pool(workers, pool=pool) as own:
        assert own is not None
        yield from drain(chunks, design, 2 * max(workers, 2), on_chunk,
                         lambda runs, values: own.submit(run_chunk, batch, runs, values))


def drain(
    chunks: list[np.ndarray],
    design: DesignSource,
    in_flight: int,
    on_chunk: Callable[[ChunkResult], None] | None,
    submit: Callable[[np.ndarray, dict[str, np.ndarray]], Any],
    wait_any: Callable[[set[Any]], tuple[set[Any], set[Any]]] | None = None,
) -> Iterator[ChunkResult]:
    """Keep at most ``in_flight`` chunks submitted; yield results as they finish."""
    todo = list(reversed(chunks))
    running: set[Any] = set()
    wait_any = wait_any or (lambda fs: wait(fs, return_when=FIRST_COMPLETED))  # type: ignore[assignment,return-value]
    try:
        while todo or running:
            while todo and len(running) < in_flight:
                runs = todo.pop()
                running.add(submit(runs, design.rows(runs)))
            done, running = wait_any(running)  # type: ignore[misc]
            for fut in done:
                res = fut.result()
                if on_chunk:
                    on_chunk(res)
                yield res
    finally:
        for fut in running:
            fut.cancel()
