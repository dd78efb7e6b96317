"""Add an analysis section to a finished run folder and re-render its report.

A run folder (written by :func:`spillover.run`) holds Parquet tables, JSON and
``report.html``. The analysis commands' ``--into FOLDER`` saves their section as
``analysis/<name>.json`` and renders the report again with every saved section, so one
self-contained report gathers the run and all its analyses.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from spillover.analysis.sections import enrich
from spillover.results.store import read_result, write_sections
from spillover.scenario.model import Scenario

__all__ = ["add_section", "check_finished"]


def check_finished(folder: str | Path) -> Path:
    """``folder`` if it holds a finished run; ValueError saying what it is otherwise (an
    unfinished run is to be resumed first, so that its report is not written while it runs)."""
    import json

    from spillover.results.folder import PARTIAL

    path = Path(folder)
    final = path.name.removesuffix(PARTIAL)
    manifest = path / "manifest.json"
    if not manifest.is_file():
        raise ValueError(f"{path} is not a run folder (no manifest.json)")
    try:
        status = json.loads(manifest.read_text(encoding="utf-8")).get("status")
    except (OSError, ValueError, AttributeError):
        raise ValueError(f"{manifest} cannot be read; is {path} a run folder?") from None
    if path.name.endswith(PARTIAL) or status != "complete":
        raise ValueError(f"{path} is an unfinished run; finish it first with: "
                         f"spillover run --resume {path.with_name(final)}")
    return path


def add_section(folder: str | Path, name: str, data: dict[str, Any], sc: Scenario) -> Path:
    """Save ``data`` as section ``name`` of the run in ``folder`` and re-render its report.

    The run must come from the same scenario file (same sha256) as ``sc``. The cheap
    sections (orders of effect, regret) are added too. Returns the report's path.
    """
    from spillover.report.html import write_report

    check_finished(folder)
    result = read_result(folder)
    sha = result.manifest.get("scenario_sha256")
    if sha and sc.sha256 and sha != sc.sha256:
        raise ValueError(f"{folder} was run from another version of scenario '{sc.name}' "
                         f"(sha256 {str(sha)[:12]} vs {sc.sha256[:12]}); analyse it with that file")
    saved = dict(result.extra["analysis"])
    enrich(result, sc)
    result.extra["analysis"].update(saved)
    result.extra["analysis"][name] = data
    write_sections({name: data}, Path(folder))
    return write_report(result, Path(folder) / "report.html")
