"""Execute a batch in chunks of bounded size, in this process or in a pool of processes.

Results never depend on the chunk size or the number of workers: the design is made once,
each run draws from its own SeedSequence, and every row is computed independently.
"""

from __future__ import annotations

import multiprocessing as mp
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait

import numpy as np
import pandas as pd

from spillover.ensemble.chunks import Batch, ChunkResult, chunk_frames, run_chunk

_BATCH: Batch | None = None


def chunk_ranges(n_runs: int, chunk_size: int) -> list[np.ndarray]:
    """Run indices split into consecutive chunks of at most ``chunk_size``."""
    if chunk_size < 1:
        raise ValueError("chunk size must be at least 1")
    return [np.arange(a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]


def _init(batch: Batch) -> None:
    global _BATCH
    _BATCH = batch


def _work(runs: np.ndarray, values: dict[str, np.ndarray]) -> ChunkResult:
    assert _BATCH is not None
    return run_chunk(_BATCH, runs, values)


def execute(
    batch: Batch,
    experiments: pd.DataFrame,
    chunk_size: int = 1000,
    workers: int = 1,
    on_chunk: Callable[[ChunkResult], None] | None = None,
    pool: Executor | None = None,
) -> Iterator[ChunkResult]:
    """Yield each chunk's result as it finishes (in any order; each carries its runs).

    With ``workers > 1`` the batch is sent once to each worker process (spawned, so that no
    state leaks from the parent), and at most two chunks per worker are in flight, which
    bounds memory.
    """
    chunks = chunk_ranges(len(experiments), chunk_size)
    if pool is not None:
        yield from _drain(pool, chunks, experiments, 2 * max(workers, 2), on_chunk,
                          lambda runs, values: pool.submit(run_chunk, batch, runs, values))
        return
    if workers <= 1:
        for runs in chunks:
            res = run_chunk(batch, runs, chunk_frames(experiments, runs))
            if on_chunk:
                on_chunk(res)
            yield res
        return
    ctx = mp.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init, initargs=(batch,)) as own:
        yield from _drain(own, chunks, experiments, 2 * workers, on_chunk,
                          lambda runs, values: own.submit(_work, runs, values))


def _drain(
    pool: Executor,
    chunks: list[np.ndarray],
    experiments: pd.DataFrame,
    in_flight: int,
    on_chunk: Callable[[ChunkResult], None] | None,
    submit: Callable[[np.ndarray, dict[str, np.ndarray]], Future[ChunkResult]],
) -> Iterator[ChunkResult]:
    """Keep at most ``in_flight`` chunks submitted; yield results as they finish."""
    todo = list(reversed(chunks))
    running: set[Future[ChunkResult]] = set()
    try:
        while todo or running:
            while todo and len(running) < in_flight:
                runs = todo.pop()
                running.add(submit(runs, chunk_frames(experiments, runs)))
            done, running = wait(running, return_when=FIRST_COMPLETED)
            for fut in done:
                res = fut.result()
                if on_chunk:
                    on_chunk(res)
                yield res
    finally:
        for fut in running:
            fut.cancel()
