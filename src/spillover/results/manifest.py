"""The manifest of a run: what it ran, with what, and how to run it again."""

from __future__ import annotations

import datetime as dt
import platform
import resource
from importlib import metadata
from pathlib import Path
from typing import Any

from spillover.ensemble.runner import Plan
from spillover.ensemble.settings import Execution
from spillover.scenario.model import Scenario

PACKAGES = ("spillover", "numpy", "numba", "scipy", "pandas", "pyarrow", "pydantic", "pyyaml", "plotly")


def versions() -> dict[str, str]:
    """Versions of Python and the packages a result depends on."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def scenario_file(sc: Scenario) -> str:
    """The scenario's file as an absolute path (so a resume works from any folder), or its
    origin when it was not read from a file."""
    p = Path(sc.origin)
    return str(p.resolve()) if not sc.origin.startswith("<") and p.exists() else sc.origin


def python_call(sc: Scenario, ex: Execution) -> str:
    """The ``spillover.run(...)`` call that repeats a run started from Python."""
    return (f"spillover.run({sc.name!r}, runs={ex.runs}, seed={ex.seed}, design={ex.design!r}, "
            f"chunk_size={ex.chunk_size})")


def compiled_step(engine: str) -> str | None:
    """Which compiled step runs use here: ``prebuilt <key>`` (built ahead of time by
    ``spillover warmup``) or ``numba`` (compiled just in time); None for the NumPy engine.
    Both give the same results."""
    if engine != "compiled":
        return None
    from spillover.engine import prebuilt

    return f"prebuilt {prebuilt.step_key()}" if prebuilt.load() is not None else "numba"


def build_manifest(pl: Plan, ex: Execution, command: str | None = None) -> dict[str, Any]:
    """The manifest of a run of ``pl`` under ``ex``; ``command`` is the command line that
    started it (default: the equivalent Python call)."""
    sc = pl.scenario
    return {
        "scenario": sc.name, "scenario_file": scenario_file(sc), "scenario_sha256": sc.sha256,
        "seed": ex.seed, "design": ex.design, "runs": ex.runs, "policies": pl.policies,
        "chunk_size": ex.chunk_size, "workers": ex.workers, "engine": pl.batch.engine,
        "step": compiled_step(pl.batch.engine), "versions": versions(),
        "command": command or python_call(sc, ex),
        "series_sample_runs": min(ex.runs, pl.batch.sample_runs),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def peak_rss_mb() -> float:
    """This process's peak resident memory so far, in MB."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
