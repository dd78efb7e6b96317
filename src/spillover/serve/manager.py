"""Runs started from the app: a bounded queue, a warm process pool, progress and cancel.

At most ``max_concurrent`` runs execute at a time (each in a thread that calls
:func:`spillover.run`); up to ``max_queued`` more wait. Their chunks go to one shared,
warm :class:`~concurrent.futures.ProcessPoolExecutor`, so a rerun does not pay for
starting processes. A run is cancelled between chunks: the progress callback raises and
:func:`spillover.run` stops. A cancelled or
failed run never leaves a half-written folder (:func:`spillover.run` writes
``<id>.partial`` and renames it when complete; the manager removes a partial folder,
since a run with a policy set at run time cannot be resumed).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import multiprocessing as mp
import secrets
import shutil
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spillover import api
from spillover.results.folder import WorkerLost, partial_of
from spillover.results.result import RunResult
from spillover.scenario.model import Scenario
from spillover.serve.paths import relative_message

log = logging.getLogger("spillover.serve")


class RunCancelled(Exception):
    """Raised from the progress callback to stop a run between chunks."""


class Busy(RuntimeError):
    """Too many runs queued or running."""


@dataclass(frozen=True)
class RunSpec:
    """What to run: the scenario's policies (presets or the custom one) and the ensemble size."""

    policies: list[str]
    extra_policies: dict[str, dict[str, float]]
    runs: int
    seed: int
    counterfactual: bool = False
    cases: bool = False


@dataclass
class Job:
    """A run started from the app, as the page polls it."""

    id: str
    scenario: str
    spec: RunSpec
    state: str = "queued"
    done: int = 0
    total: int = 0  # runs to simulate in all (the cases' too), once known; 0 until then
    error: str | None = None
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    future: Future[None] | None = None

    def status(self) -> dict[str, Any]:
        """The job as the JSON API returns it."""
        seconds = None
        if self.started is not None:
            seconds = round((self.finished or time.time()) - self.started, 3)
        return {"id": self.id, "scenario": self.scenario, "state": self.state, "done": self.done,
                "total": max(self.total, self.spec.runs), "error": self.error, "seconds": seconds,
                "policies": list(self.spec.policies)}


def _warm() -> int:
    """Import the engine in a worker process (the first chunk then starts at once)."""
    import spillover.ensemble.chunks  # noqa: F401

    return 0


def new_run_id(scenario: str) -> str:
    """``<scenario>-<UTC time>-<random>``: unique, sortable and a valid run id.

    >>> new_run_id("nk-russia-2023").startswith("nk-russia-2023-")
    True
    """
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{scenario}-{stamp}-{secrets.token_hex(3)}"


class RunManager:
    """Executes runs in a bounded pool and keeps their state for polling.

    Parameters
    ----------
    runs_dir
        Where run folders are written (``<runs_dir>/<run id>``).
    max_concurrent, max_queued
        Runs executing at once, and runs allowed to wait beyond those.
    workers
        Processes of the warm pool (0: run chunks in the run's own thread).
    chunk_size
        Most runs per chunk: the unit of progress and of cancellation (see :meth:`chunk_for`).
    """

    def __init__(self, runs_dir: Path, max_concurrent: int = 1, max_queued: int = 4,
                 workers: int = 2, chunk_size: int = 1000, keep_results: int = 4) -> None:
        self.runs_dir = runs_dir
        self.max_concurrent, self.max_queued = max_concurrent, max_queued
        self.workers, self.chunk_size = workers, chunk_size
        self._threads = ThreadPoolExecutor(max_concurrent, thread_name_prefix="spillover-run")
        self._pool: ProcessPoolExecutor | None = None
        self._jobs: dict[str, Job] = {}
        self._results: OrderedDict[str, RunResult] = OrderedDict()
        self._keep = keep_results
        self._lock = threading.RLock()
        self._closed = False

    # -- pool -------------------------------------------------------------------------
    def start(self) -> None:
        """Start the process pool and import the engine in every worker."""
        pool = self._get_pool()
        if pool is not None:
            for _ in range(self.workers):
                pool.submit(_warm)

    def _get_pool(self) -> ProcessPoolExecutor | None:
        if self.workers < 1:
            return None
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"))
            return self._pool

    def _replace_pool(self, broken: ProcessPoolExecutor | None) -> None:
        with self._lock:
            if broken is not None and self._pool is broken:
                self._pool = None
        if broken is not None:
            broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Cancel every run and stop the pools."""
        with self._lock:
            self._closed = True
            for job in self._jobs.values():
                job.cancel.set()
        self._threads.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- jobs ---------------------------------------------------------------------------
    def submit(self, sc: Scenario, spec: RunSpec, scenario_ref: str) -> Job:
        """Queue a run; :class:`Busy` when the queue is full."""
        with self._lock:
            if self._closed:
                raise Busy("the server is shutting down")
            active = sum(j.state in ("queued", "running") for j in self._jobs.values())
            if active >= self.max_concurrent + self.max_queued:
                raise Busy(f"{active} runs are queued or running; wait for one to finish or cancel one")
            job = Job(new_run_id(sc.name), scenario_ref, spec)
            self._jobs[job.id] = job
        job.future = self._threads.submit(self._execute, job, sc)
        return job

    def job(self, run_id: str) -> Job | None:
        """The job of a run started by this server, if any."""
        with self._lock:
            return self._jobs.get(run_id)

    def jobs(self) -> list[Job]:
        """Jobs of this server, newest first."""
        with self._lock:
            return sorted(self._jobs.values(), key=lambda j: j.created, reverse=True)

    def cancel(self, run_id: str) -> Job | None:
        """Ask a queued or running run to stop; it stops after its current chunk."""
        job = self.job(run_id)
        if job is not None and job.state in ("queued", "running"):
            job.cancel.set()
            if job.state == "queued" and job.future is not None and job.future.cancel():
                job.state = "cancelled"
        return job

    def result(self, run_id: str) -> RunResult | None:
        """The in-memory result of a recent run (saves reading its folder)."""
        with self._lock:
            res = self._results.get(run_id)
            if res is not None:
                self._results.move_to_end(run_id)
            return res

    def wait(self, run_id: str, timeout: float | None = None) -> Job | None:
        """Block until the run has finished (for scripts and tests)."""
        job = self.job(run_id)
        if job is not None and job.future is not None:
            with contextlib.suppress(Exception):  # the job records its own error
                job.future.result(timeout)
        return job

    def chunk_for(self, runs: int) -> int:
        """Runs per chunk: one chunk per worker when that is under ``chunk_size`` (least overhead),
        else ``chunk_size`` (the step of progress and cancellation); at least 64.

        >>> m = RunManager(Path("runs"), workers=2, chunk_size=1000)
        >>> m.chunk_for(2000), m.chunk_for(300), m.chunk_for(50_000)
        (1000, 150, 1000)
        """
        per_worker = -(-runs // max(self.workers, 1))
        return max(1, min(self.chunk_size, max(64, per_worker)))

    def _progress(self, job: Job) -> Callable[[int, int], None]:
        def tick(done: int, total: int) -> None:
            job.done, job.total = done, total
            if job.cancel.is_set():
                raise RunCancelled()
        return tick

    def _execute(self, job: Job, sc: Scenario) -> None:
        if job.cancel.is_set():
            job.state = "cancelled"
            return
        job.state, job.started = "running", time.time()
        pool = self._get_pool()
        state, error = "failed", None
        try:
            state, error = self._run(job, sc, pool)
        finally:
            # An app run has a policy set at run time, so it cannot be resumed: remove what a
            # cancelled or failed run left, so no half-written folder stays behind. The state
            # is published after the clean-up, so a client that sees it sees no folder.
            shutil.rmtree(partial_of(self.runs_dir / job.id), ignore_errors=True)
            job.finished = time.time()
            if state == "done":
                job.done = max(job.total, job.spec.runs)
            job.state, job.error = state, error

    def _run(self, job: Job, sc: Scenario, pool: ProcessPoolExecutor | None) -> tuple[str, str | None]:
        """Run the job; return its final state and error message. A worker that died before
        the job finished a chunk (an idle worker killed, say) costs one retry on a fresh pool."""
        for attempt in (1, 2):
            try:
                result = self._api_run(job, sc, pool)
            except RunCancelled:
                return "cancelled", None
            except (BrokenProcessPool, WorkerLost):
                self._replace_pool(pool)
                if attempt == 1 and job.done == 0 and not job.cancel.is_set():
                    log.warning("run %s: a worker process had died; retrying on a fresh pool", job.id)
                    shutil.rmtree(partial_of(self.runs_dir / job.id), ignore_errors=True)
                    pool = self._get_pool()
                    continue
                return "failed", "a worker process died (out of memory?); the pool was restarted"
            except Exception as exc:
                log.exception("run %s failed", job.id)
                first = f"{type(exc).__name__}: {exc}".splitlines()[0]
                return "failed", relative_message(first, self.runs_dir)
            self._keep_result(job.id, result)
            return "done", None
        raise AssertionError("unreachable: the second attempt returns")

    def _api_run(self, job: Job, sc: Scenario, pool: ProcessPoolExecutor | None) -> RunResult:
        return api.run(sc, runs=job.spec.runs, seed=job.spec.seed, policies=job.spec.policies,
                       extra_policies=job.spec.extra_policies, counterfactual=job.spec.counterfactual,
                       chunk_size=self.chunk_for(job.spec.runs), workers=max(self.workers, 1),
                       out=self.runs_dir / job.id, report=False, pool=pool,
                       progress=self._progress(job), cases=job.spec.cases)

    def remember(self, run_id: str, result: RunResult) -> None:
        """Keep a run's result in memory (the last few only)."""
        self._keep_result(run_id, result)

    def _keep_result(self, run_id: str, result: RunResult) -> None:
        with self._lock:
            self._results[run_id] = result
            while len(self._results) > self._keep:
                self._results.popitem(last=False)
