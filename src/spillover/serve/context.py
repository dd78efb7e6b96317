"""What every route shares: the folders, the scenario catalogue, the run manager, caches."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request

from spillover.ensemble.variants import add_policies, check_policies
from spillover.results.result import RunResult
from spillover.scenario.model import Scenario
from spillover.serve.catalog import Catalog
from spillover.serve.manager import RunManager, RunSpec
from spillover.serve.models import MAX_SEED, RunRequest
from spillover.serve.paths import relative_message, run_folder, sealed
from spillover.serve.results import NotARun, pair_results, read_run, result_figures

CUSTOM = "custom"


@dataclass
class Context:
    """The app's state (``app.state.ctx``)."""

    runs_dir: Path
    catalog: Catalog
    manager: RunManager
    max_runs: int = 100_000
    max_upload: int = 1_000_000
    _figures: OrderedDict[str, dict[str, Any]] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def result(self, run_id: str) -> RunResult:
        """A finished run's result (recent ones from memory); 404/409 otherwise."""
        folder = run_folder(self.runs_dir, run_id)
        cached = self.manager.result(run_id)
        if cached is not None:
            return cached
        job = self.manager.job(run_id)
        if job is not None and job.state in ("queued", "running"):
            raise HTTPException(409, f"run '{run_id}' is still {job.state}")
        if job is not None and job.state in ("failed", "cancelled"):
            raise HTTPException(404, f"run '{run_id}' {job.state}: {job.error or 'no results were written'}")
        if not sealed(folder):
            raise HTTPException(404, f"no run '{run_id}' in the runs directory")
        try:
            res = read_run(folder)
        except NotARun:
            raise HTTPException(404, f"no run '{run_id}'") from None
        except Exception as exc:  # a damaged folder is refused with its reason
            what = relative_message(f"{type(exc).__name__}: {exc}".splitlines()[0], self.runs_dir)[:200]
            raise HTTPException(422, f"run '{run_id}' cannot be read ({what})") from None
        self.manager.remember(run_id, res)
        return res

    def paired(self, run_id: str, paired_id: str | None) -> RunResult:
        """A run's result, or (``paired_id`` given) the run beside the preset of that earlier
        paired run (see :func:`~spillover.serve.results.pair_results`); 422 if they cannot pair."""
        if not paired_id:
            return self.result(run_id)
        key = f"{run_id}~{paired_id}"
        cached = self.manager.result(key)
        if cached is not None:
            return cached
        alone, base = self.result(run_id), self.result(paired_id)
        try:
            res = pair_results(alone, base, paired_id)
        except ValueError as exc:
            raise HTTPException(422, f"run '{run_id}' cannot be paired with '{paired_id}': {exc}") from None
        self.manager.remember(key, res)
        return res

    def figures(self, run_id: str, paired_id: str | None = None) -> dict[str, Any]:
        """Figure JSON of a run (or a run paired with an earlier run's preset), computed once."""
        key = f"{run_id}~{paired_id}" if paired_id else run_id
        with self._lock:
            if key in self._figures:
                return self._figures[key]
        figs = result_figures(self.paired(run_id, paired_id))
        with self._lock:
            self._figures[key] = figs
            while len(self._figures) > 8:
                self._figures.popitem(last=False)
        return figs

    def run_spec(self, sc: Scenario, req: RunRequest) -> RunSpec:
        """Check a run request against the scenario: ValueError names the bad lever or policy."""
        check_run_numbers(req.runs, req.seed, self.max_runs)
        name = CUSTOM if CUSTOM not in sc.policies else f"{CUSTOM}-setting"
        add_policies(sc, {name: req.levers})  # refuses unknown levers and values outside 0..1
        policies = [name]
        if req.compare and sc.policies:
            baseline = req.baseline or next(iter(sc.policies))
            policies = [*check_policies(sc, [baseline]), name]
        elif req.baseline is not None:
            check_policies(sc, [req.baseline])
        return RunSpec(policies, {name: dict(req.levers)}, req.runs, req.seed, req.counterfactual,
                       cases=req.cases and bool(sc.cases))


def check_run_numbers(runs: int, seed: int, max_runs: int) -> None:
    """Refuse runs or a seed out of range, saying the range (the Explore page says the same).

    >>> check_run_numbers(0, 1, 100_000)
    Traceback (most recent call last):
    ...
    ValueError: runs must be a whole number from 1 to 100,000 (got 0)
    """
    if not 1 <= runs <= max_runs:
        raise ValueError(f"runs must be a whole number from 1 to {max_runs:,} (got {runs:,})")
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed must be a whole number from 0 to {MAX_SEED:,} (got {seed:,})")


def get_ctx(request: Request) -> Context:
    """FastAPI dependency: the app's :class:`Context`."""
    return request.app.state.ctx
