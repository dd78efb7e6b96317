"""Chunks as tasks on a ``dask.distributed`` cluster: the batch is scattered once.

Results are bit-identical to the local executor: each chunk computes its own rows from the
runs' own seeds, and a task that is retried (a worker died) recomputes the same values.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import Any

from spillover.ensemble.chunks import Batch, ChunkResult, run_chunk
from spillover.ensemble.design import DesignSource
from spillover.ensemble.flight import Chunk, drain

_CLUSTER = "_spillover_cluster"  # the local cluster a client started, kept on the client


class SchedulerUnreachable(OSError):
    """The dask scheduler at the given address did not answer."""


def connect(scheduler: str | None, workers: int, timeout: float = 5.0) -> Any:
    """A ``Client`` on the scheduler, or on a new ``LocalCluster`` of ``workers`` processes."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - depends on the extra
        raise ImportError("the dask executor needs spillover[dask]: pip install 'spillover[dask]'") from exc
    if scheduler:
        try:
            return Client(scheduler, timeout=timeout, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise SchedulerUnreachable(f"no dask scheduler answered at {scheduler} ({exc})") from None
    import dask

    # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which makes glibc hand back
    # every large temporary: the engine's daily NumPy temporaries then run twice as slowly.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=max(workers, 1), threads_per_worker=1, processes=True,
                               dashboard_address=":0")
    client = Client(cluster, set_as_default=False)
    setattr(client, _CLUSTER, cluster)  # closed with the client
    return client


def close(client: Any) -> None:
    """Close a client and the local cluster it started, if any."""
    cluster = getattr(client, _CLUSTER, None)
    client.close()
    if cluster is not None:
        with contextlib.suppress(Exception):
            cluster.close()


class DaskRunner:
    """Chunks as tasks on a cluster; the batch is scattered once per run."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def run(self, batch: Batch, source: DesignSource, chunks: list[Chunk]) -> Iterator[ChunkResult]:
        client = self.client
        n = max(len(client.scheduler_info().get("workers", {})), 1)
        remote = client.scatter(batch, broadcast=True, hash=False)

        def submit(chunk: Chunk) -> Any:
            start, stop = chunk
            key = f"spillover-chunk-{start}-{batch.seed}-{id(batch)}"
            return client.submit(run_chunk, remote, start, source.seeds(start, stop),
                                 source.rows(start, stop), key=key, retries=3, pure=False)

        def wait_any(fs: set[Any]) -> tuple[set[Any], set[Any]]:
            while True:  # the client is not the default one, so poll its futures
                done = {f for f in fs if f.done()}
                if done:
                    return done, fs - done
                time.sleep(0.002)

        yield from drain(chunks, 2 * n, submit, wait_any)


@contextlib.contextmanager
def open_dask(scheduler: str | None, workers: int) -> Iterator[DaskRunner]:
    """A runner on the scheduler (or a new local cluster), closed afterwards."""
    client = connect(scheduler, workers)
    try:
        yield DaskRunner(client)
    finally:
        close(client)
