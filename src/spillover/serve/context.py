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
from spillover.serve.models import RunRequest
from spillover.serve.paths import relative_message, run_folder, sealed
from spillover.serve.results import NotARun, read_run, result_figures

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

    def figures(self, run_id: str) -> dict[str, Any]:
        """Figure JSON of a run, computed once per run."""
        with self._lock:
            if run_id in self._figures:
                return self._figures[run_id]
        figs = result_figures(self.result(run_id))
        with self._lock:
            self._figures[run_id] = figs
            while len(self._figures) > 8:
                self._figures.popitem(last=False)
        return figs

    def run_spec(self, sc: Scenario, req: RunRequest) -> RunSpec:
        """Check a run request against the scenario: ValueError names the bad lever or policy."""
        if req.runs > self.max_runs:
            raise ValueError(f"at most {self.max_runs} runs per request (got {req.runs})")
        name = CUSTOM if CUSTOM not in sc.policies else f"{CUSTOM}-setting"
        add_policies(sc, {name: req.levers})  # refuses unknown levers and values outside 0..1
        policies = [name]
        if req.compare and sc.policies:
            baseline = req.baseline or next(iter(sc.policies))
            policies = [*check_policies(sc, [baseline]), name]
        elif req.baseline is not None:
            check_policies(sc, [req.baseline])
        return RunSpec(policies, {name: dict(req.levers)}, req.runs, req.seed, req.counterfactual)


def get_ctx(request: Request) -> Context:
    """FastAPI dependency: the app's :class:`Context`."""
    return request.app.state.ctx  # type: ignore[no-any-return]
