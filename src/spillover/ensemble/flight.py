"""Keep a bounded number of chunks in flight on any executor, yielding results as they finish."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, wait
from typing import Any

from spillover.ensemble.chunks import ChunkResult

Chunk = tuple[int, int]
"""A range of consecutive design rows, ``[start, stop)``."""


def chunk_ranges(n_runs: int, chunk_size: int) -> list[Chunk]:
    """Rows split into consecutive chunks of at most ``chunk_size``.

    >>> chunk_ranges(5, 2)
    [(0, 2), (2, 4), (4, 5)]
    """
    if chunk_size < 1:
        raise ValueError("chunk size must be at least 1")
    return [(a, min(a + chunk_size, n_runs)) for a in range(0, n_runs, chunk_size)]


def _wait_futures(fs: set[Any]) -> tuple[set[Any], set[Any]]:
    done, pending = wait(fs, return_when=FIRST_COMPLETED)
    return set(done), set(pending)


def drain(
    chunks: list[Chunk],
    in_flight: int,
    submit: Callable[[Chunk], Any],
    wait_any: Callable[[set[Any]], tuple[set[Any], set[Any]]] = _wait_futures,
) -> Iterator[ChunkResult]:
    """Keep at most ``in_flight`` chunks submitted; yield results as they finish.

    ``submit`` returns a future-like object (``result()``, ``cancel()``); ``wait_any``
    returns the (done, pending) futures. Unfinished futures are cancelled on exit.
    """
    todo = list(reversed(chunks))
    running: set[Any] = set()
    try:
        while todo or running:
            while todo and len(running) < in_flight:
                running.add(submit(todo.pop()))
            done, running = wait_any(running)
            for fut in done:
                yield fut.result()
    finally:
        for fut in running:
            fut.cancel()
