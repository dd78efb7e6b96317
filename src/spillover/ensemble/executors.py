"""Where chunks run: executors behind one small protocol, chosen by name.

Results never depend on the executor, the chunk size or the number of workers: the design
is made once, each run draws from its own SeedSequence, and every row is computed on its
own. :data:`EXECUTORS` maps a name to a context manager that starts the executor and
stops it afterwards:

- ``local`` (the default): threads in this process. The compiled step releases the GIL,
  so threads share the cores without copying the batch or the results: each chunk's blocks
  of rows are stepped on ``workers`` threads, and the next chunks are prepared meanwhile.
  The step is compiled (or loaded from Numba's cache) once, here, before they start.
- ``processes``: a pool of spawned processes, started at once so that they load the engine
  while this process makes the design; for the NumPy engine, or to keep runs apart.
- ``dask``: tasks on a ``dask.distributed`` cluster.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, suppress
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

import numpy as np

from spillover.ensemble.chunks import Batch, ChunkResult, run_chunk
from spillover.ensemble.design import DesignSource
from spillover.ensemble.flight import Chunk, drain

if TYPE_CHECKING:
    from spillover.ensemble.settings import Execution


class ChunkRunner(Protocol):
    """Runs chunks of a batch and yields each result as it finishes (in any order)."""

    def run(self, batch: Batch, source: DesignSource, chunks: list[Chunk]) -> Iterator[ChunkResult]: ...


def _chunk(batch: Batch, source: DesignSource, chunk: Chunk) -> tuple[Batch, int, np.ndarray,
                                                                   dict[str, np.ndarray]]:
    start, stop = chunk
    return batch, start, source.seeds(start, stop), source.rows(start, stop)


class InProcess:
    """Chunks run one after another in this process, each on ``threads`` threads."""

    def __init__(self, threads: int = 1) -> None:
        self.threads = threads

    def run(self, batch: Batch, source: DesignSource, chunks: list[Chunk]) -> Iterator[ChunkResult]:
        batch = replace(batch, threads=self.threads)
        for c in chunks:
            yield run_chunk(*_chunk(batch, source, c))


class PoolRunner:
    """Chunks run on a pool (of processes, or of threads that each step a chunk on
    ``threads`` threads), at most two per worker in flight (bounded memory); each chunk
    carries the batch (a few hundred kB at most)."""

    def __init__(self, pool: Executor, workers: int, threads: int = 1) -> None:
        self.pool, self.workers, self.threads = pool, workers, threads

    def run(self, batch: Batch, source: DesignSource, chunks: list[Chunk]) -> Iterator[ChunkResult]:
        batch = replace(batch, threads=self.threads)
        yield from drain(chunks, 2 * max(self.workers, 2),
                         lambda c: self.pool.submit(run_chunk, *_chunk(batch, source, c)))


def _watch_parent(parent: int, every: float = 1.0) -> None:
    """End this worker when the process that started it is gone (even after ``kill -9``)."""
    while True:
        time.sleep(every)
        if os.getppid() != parent:
            os._exit(1)


def _start_worker(parent: int) -> None:
    """Worker start-up: die with the parent, and load the compiled engine before the first chunk."""
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()
    keep_freed_memory()
    from spillover.engine.compiled import warm

    with suppress(Exception):  # only a head start: a chunk would load the engine anyway
        warm()


def _noop() -> None:
    return None


@contextmanager
def process_pool(workers: int) -> Iterator[ProcessPoolExecutor]:
    """A pool of ``workers`` spawned processes, started at once, each ending with this process."""
    pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_start_worker,
                               initargs=(os.getpid(),))
    try:
        for _ in range(workers):  # each submit with no idle worker spawns one
            pool.submit(_noop)
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


_TUNED: list[bool] = []
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc's mallopt parameters


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse instead of handing it back to the system.

    Every chunk allocates its arrays afresh; by default glibc returns large frees to the
    system and the next chunk's arrays fault in fresh pages (tens of thousands per chunk,
    contended between threads). Arrays below 32 MB then come from the heap, which keeps up
    to 512 MB of free memory. Done once per process, on glibc only; returns whether it was.
    """
    if _TUNED:
        return _TUNED[0]
    import ctypes
    import ctypes.util

    ok = False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = all(libc.mallopt(k, v) == 1 for k, v in ((M_MMAP_THRESHOLD, 32 << 20),
                                                      (M_TRIM_THRESHOLD, 512 << 20), (M_TOP_PAD, 64 << 20)))
    except (OSError, AttributeError):  # not glibc: nothing to tune
        ok = False
    _TUNED.append(ok)
    return ok


def warm_engine() -> None:
    """Load the compiled step here, once (from Numba's cache, or compiling it), before any
    thread needs it; nothing with the NumPy engine."""
    from spillover.engine.simulate import engine_name

    if engine_name() == "compiled":
        from spillover.engine.compiled import warm

        warm()


@contextmanager
def local(ex: Execution) -> Iterator[ChunkRunner]:
    """This process: with one worker the chunks run in this thread; with more, ``workers``
    chunks at a time on threads, and each chunk's blocks of rows on ``workers`` threads
    (the compiled step releases the GIL; at most ``workers`` blocks step at once, so one
    chunk's blocks use every core while the next chunk is being prepared). ``ex.pool``
    instead when one is given."""
    keep_freed_memory()
    if ex.pool is not None:
        yield PoolRunner(ex.pool, ex.workers)
    elif ex.workers <= 1:
        yield InProcess()
    else:
        warm_engine()
        with ThreadPoolExecutor(ex.workers, thread_name_prefix="spillover") as pool:
            yield PoolRunner(pool, ex.workers, threads=ex.workers)


@contextmanager
def processes(ex: Execution) -> Iterator[ChunkRunner]:
    """A pool of ``ex.workers`` spawned processes on this machine, each ending with this one."""
    if ex.pool is not None:
        yield PoolRunner(ex.pool, ex.workers)
        return
    warm_engine()  # compiled once here; the workers then load it from Numba's cache
    with process_pool(max(ex.workers, 1)) as pool:
        yield PoolRunner(pool, ex.workers)


@contextmanager
def dask(ex: Execution) -> Iterator[ChunkRunner]:
    """A ``dask.distributed`` cluster: ``ex.scheduler``, or a local one of ``ex.workers`` processes."""
    from spillover.ensemble.dask_executor import open_dask

    if ex.scheduler is None:
        warm_engine()  # a local cluster's workers then load the step from Numba's cache
    with open_dask(ex.scheduler, ex.workers) as runner:
        yield runner


EXECUTORS: Mapping[str, Callable[[Execution], AbstractContextManager[ChunkRunner]]] = {
    "local": local,
    "processes": processes,
    "dask": dask,
}
"""Executors by name; ``spillover run --executor`` takes these names."""


def open_executor(ex: Execution) -> AbstractContextManager[ChunkRunner]:
    """Start the executor ``ex`` names; use it in a ``with`` block."""
    return EXECUTORS[ex.executor](ex)
