"""Scenario checks in worker processes, each with a time budget.

Anyone who can reach the page can make the server validate text, and the validator's
cost depends on that text. So each check runs in one of a few warm worker processes
(spawned, importing only the scenario package): a check that runs over its budget is
answered with :class:`OverBudget` and its worker is killed and replaced, so one request
costs the server at most ``budget`` seconds of one core, and the other requests are
answered meanwhile. When every worker is busy for longer than ``wait`` seconds a check is
refused with :class:`Busy` (the app answers 503). A worker is single-threaded, so the
wall-clock budget also bounds the CPU time a check can take.

>>> box = Sandbox(workers=0)
>>> box.check("name: x\\n", "x.yaml").problems[0].message
"missing required key 'title'..."
"""

from __future__ import annotations

import multiprocessing as mp
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from spillover.serve.check import Checked, check_text

__all__ = ["Busy", "OverBudget", "Sandbox"]


class OverBudget(RuntimeError):
    """A check ran longer than its budget (or killed its worker) and was stopped."""


class Busy(RuntimeError):
    """Every checking worker stayed busy for longer than the wait."""


class _Gone(Exception):
    """An idle worker was found dead before it was given the check."""


Check = Callable[[str, str, bool], Checked]


def _serve(conn: Connection, target: Check) -> None:
    """The worker's loop: answer ``(text, file, strict)`` with a :class:`Checked`."""
    conn.send("ready")
    while True:
        try:
            text, file, strict = conn.recv()
        except (EOFError, OSError):
            return
        conn.send(target(text, file, strict))


@dataclass
class _Worker:
    """One checking process and its end of the pipe."""

    proc: Any
    conn: Connection
    ready: bool = False

    @classmethod
    def start(cls, target: Check) -> _Worker:
        ctx = mp.get_context("spawn")
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_serve, args=(child, target), daemon=True, name="spillover-check")
        proc.start()
        child.close()
        return cls(proc, parent)

    def call(self, args: tuple[str, str, bool], budget: float, startup: float) -> Checked:
        """Send one check and wait for its answer; the budget starts once the worker is up."""
        if not self.ready:
            if not self.conn.poll(startup):
                raise OverBudget(f"the checking process did not start within {startup:.0f} s")
            self.conn.recv()
            self.ready = True
        try:
            self.conn.send(args)
        except OSError:  # the idle worker had died (e.g. killed for memory): not this check's doing
            raise _Gone() from None
        if not self.conn.poll(budget):
            raise OverBudget(f"checking this scenario took over {budget:g} s, the server's limit "
                             "for one scenario, and was stopped: fix its first problems "
                             "(e.g. with spillover validate) or split it")
        result = self.conn.recv()
        if not isinstance(result, Checked):
            raise OverBudget("the checking process sent no result")
        return result

    def stop(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class Sandbox:
    """A few warm worker processes that check scenario text, each check within a budget.

    Parameters
    ----------
    workers
        Processes (and checks at once); 0 checks in the calling thread, with no budget.
    budget
        Seconds one check may take before it is stopped and its worker killed.
    wait
        Seconds a check may wait for a free worker before :class:`Busy`.
    startup
        Seconds a new worker may take to start (not counted in the budget).
    target
        What a worker runs: :func:`~spillover.serve.check.check_text` (a module-level
        function, since it is sent to the spawned workers by name).
    """

    def __init__(self, workers: int = 2, budget: float = 10.0, wait: float = 5.0,
                 startup: float = 120.0, target: Check = check_text) -> None:
        self.workers, self.budget, self.wait, self.startup = workers, budget, wait, startup
        self.target = target
        self._slots = threading.BoundedSemaphore(max(workers, 1))
        self._idle: list[_Worker] = []
        self._live: dict[int, _Worker] = {}
        self._lock = threading.Lock()
        self._closed = False
        self.stopped = 0  # checks stopped over budget (for the logs and the tests)
        self.in_progress = 0  # checks holding a worker now

    def start(self) -> None:
        """Accept checks (again, after :meth:`close`) and start one worker now, so the first
        check does not wait for it."""
        with self._lock:
            self._closed = False
            if self.workers > 0 and not self._idle:
                self._idle.append(self._new())

    def check(self, text: str, file: str, strict: bool = False) -> Checked:
        """Check text; :class:`OverBudget` past the budget, :class:`Busy` past the wait."""
        if self.workers < 1:
            return self.target(text, file, strict)
        if not self._slots.acquire(timeout=self.wait):
            raise Busy(f"the server is checking {self.workers} other scenarios; try again in a few seconds")
        with self._lock:
            self.in_progress += 1
        try:
            return self._run((text, file, strict))
        finally:
            with self._lock:
                self.in_progress -= 1
            self._slots.release()

    def _run(self, args: tuple[str, str, bool]) -> Checked:
        worker = self._take()
        try:
            result = worker.call(args, self.budget, self.startup)
        except _Gone:
            self._discard(worker)
            return self._run(args)
        except (OverBudget, EOFError, OSError) as exc:
            self._discard(worker)
            self.stopped += 1
            if isinstance(exc, OverBudget):
                raise
            raise OverBudget("checking this scenario stopped its worker process "
                             "(out of memory?); fix its first problems or split it") from None
        except BaseException:
            self._discard(worker)
            raise
        with self._lock:
            if self._closed:
                worker.stop()
            else:
                self._idle.append(worker)
        return result

    def _new(self) -> _Worker:
        worker = _Worker.start(self.target)
        self._live[id(worker)] = worker
        return worker

    def _take(self) -> _Worker:
        with self._lock:
            if self._closed:
                raise Busy("the server is shutting down")
            return self._idle.pop() if self._idle else self._new()

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._live.pop(id(worker), None)
        worker.stop()

    def close(self) -> None:
        """Stop every worker (a check in progress ends with :class:`OverBudget`); checks are
        refused until :meth:`start`."""
        with self._lock:
            self._closed = True
            workers, self._live, self._idle = list(self._live.values()), {}, []
        deadline = time.monotonic() + 5
        for w in workers:
            w.proc.kill()
        for w in workers:
            w.proc.join(max(0.0, deadline - time.monotonic()))
