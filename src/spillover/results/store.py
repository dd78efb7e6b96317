"""Write a run folder atomically: manifest, Parquet tables, claims and the report."""

from __future__ import annotations

import datetime as dt
import json
import platform
import shlex
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spillover.results.result import RunResult

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


def default_out(scenario: str, root: str | Path = "runs") -> Path:
    """``runs/<scenario>-<UTC timestamp>``."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return Path(root) / f"{scenario}-{stamp}"


def _json_default(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, dt.date | dt.datetime | Path):
        return str(x)
    raise TypeError(type(x).__name__)


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, indent=2, default=_json_default) + "\n", encoding="utf-8")


def write_table(path: Path, df: pd.DataFrame) -> None:
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), path)


def write_result(result: RunResult, folder: Path, outcomes: bool = True) -> None:
    """Write the tables of ``result`` into ``folder`` (which exists).

    ``outcomes=False`` when the outcomes and experiments were already streamed there.
    """
    if outcomes:
        write_table(folder / "experiments.parquet", result.experiments)
        write_table(folder / "outcomes.parquet", result.outcomes)
    write_table(folder / "series.parquet", result.series)
    write_table(folder / "comparison.parquet", result.comparison)
    write_json(folder / "claims.json", result.claims.to_dict(orient="records"))
    write_json(folder / "scenario.json", result.scenario_summary)
    write_json(folder / "manifest.json", result.manifest)
    if result.extra.get("analysis"):
        from spillover.analysis.sections import write_sections

        write_sections(result.extra["analysis"], folder)


_CLI: list[str] = []


def set_cli_command(args: list[str]) -> None:
    """Record the ``spillover`` command line this process runs (called by the CLI)."""
    _CLI[:] = ["spillover", *args]


def command_line(call: str = "") -> str:
    """The ``spillover …`` command that started this run, or the Python call that did."""
    return shlex.join(_CLI) if _CLI else call


def read_result(folder: str | Path) -> RunResult:
    """The tables of a finished run folder as a :class:`RunResult`, with its saved analyses.

    Raises FileNotFoundError when the folder holds no finished run (no ``manifest.json``).
    """
    import pyarrow.parquet as pq

    from spillover.analysis.sections import read_sections
    from spillover.results.assemble import canonical

    f = Path(folder)
    if not (f / "manifest.json").is_file():
        raise FileNotFoundError(f"{f} is not a finished run folder (no manifest.json)")

    def table(name: str) -> pd.DataFrame:
        return pq.read_table(f / name).to_pandas() if (f / name).exists() else pd.DataFrame()

    def data(name: str, default: Any) -> Any:
        return json.loads((f / name).read_text(encoding="utf-8")) if (f / name).exists() else default

    manifest = data("manifest.json", {})
    outcomes = table("outcomes.parquet")
    if not outcomes.empty:
        outcomes = canonical(outcomes, manifest.get("policies") or [])
    result = RunResult(
        scenario_summary=data("scenario.json", {}), manifest=manifest,
        experiments=table("experiments.parquet"), outcomes=outcomes, series=table("series.parquet"),
        claims=pd.DataFrame(data("claims.json", [])), comparison=table("comparison.parquet"),
    )
    result.extra["analysis"] = read_sections(f)
    result.path = f
    return result
