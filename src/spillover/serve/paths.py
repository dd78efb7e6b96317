"""Names that reach the file system: run ids, scenario file names and downloads.

Every name from a request is matched against a strict pattern and then resolved and
checked to lie directly inside its folder, so no request can reach outside the runs
or scenarios directory.
"""

from __future__ import annotations

import re
from pathlib import Path

# The patterns end in ``\Z``, not ``$``: ``$`` also matches before a final newline, which
# would let ``"x.yaml\n"`` through as a file name. ``match`` with them matches the whole name.
#: A run folder name: letters, digits, ``_``, ``-`` and single dots, 1-160 characters.
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]+)*\Z")
#: A scenario file in the scenarios directory.
SCENARIO_FILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.ya?ml\Z")
#: A built-in scenario name.
BUILTIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\Z")
#: Files of a run folder that can be downloaded, with their media types.
DOWNLOADS: dict[str, str] = {
    "report.html": "text/html; charset=utf-8",
    "outcomes.parquet": "application/vnd.apache.parquet",
    "experiments.parquet": "application/vnd.apache.parquet",
    "series.parquet": "application/vnd.apache.parquet",
    "comparison.parquet": "application/vnd.apache.parquet",
    "claims.json": "application/json",
    "manifest.json": "application/json",
    "scenario.json": "application/json",
}
MAX_ID = 160
PARTIAL = ".partial"  # a run folder still being written (spillover.results.folder)


class BadName(ValueError):
    """A name from a request that is not allowed (bad pattern or outside its folder)."""


def inside(folder: Path, name: str) -> Path:
    """``folder / name`` resolved, refusing anything that is not a direct child of ``folder``.

    >>> inside(Path("/tmp/runs"), "a-1").name
    'a-1'
    >>> inside(Path("/tmp/runs"), "../etc")
    Traceback (most recent call last):
    ...
    spillover.serve.paths.BadName: '../etc' is not inside the folder
    """
    root = folder.resolve()
    path = (root / name).resolve()
    if path.parent != root:
        raise BadName(f"{name!r} is not inside the folder")
    return path


def sealed(folder: Path, depth: int = 2) -> bool:
    """True when ``folder`` and everything in it (``depth`` levels down) resolve inside it.

    A run folder is read by DuckDB and pyarrow; a symbolic link in it pointing elsewhere
    (a manifest linked to another file, a dataset part linked out) would be read too, so
    such a folder is not a run the app shows.

    >>> sealed(Path("/nonexistent"))
    False
    """
    try:
        root = folder.resolve(strict=True)
        if not root.is_dir():
            return False
        return _sealed(root, root, depth)
    except OSError:
        return False


def _sealed(root: Path, folder: Path, depth: int) -> bool:
    for entry in folder.iterdir():
        target = entry.resolve()
        if not target.is_relative_to(root):
            return False
        if depth > 1 and entry.is_dir() and not _sealed(root, entry, depth - 1):
            return False
    return True


def relative_message(text: str, *folders: Path) -> str:
    """``text`` with the server paths of ``folders`` cut off, so names are relative to them.

    >>> relative_message("cannot open /srv/runs/a-1/x.parquet", Path("/srv/runs"))
    'cannot open a-1/x.parquet'
    """
    for folder in folders:
        for prefix in {str(folder.resolve()), str(folder.absolute())}:
            text = text.replace(prefix + "/", "").replace(prefix, ".")
    return text


def check_run_id(run_id: str) -> str:
    """``run_id`` if it is a valid run folder name, else :class:`BadName`.

    >>> check_run_id("nk-russia-2023-20240101T000000Z")
    'nk-russia-2023-20240101T000000Z'
    """
    if len(run_id) > MAX_ID or not RUN_ID.match(run_id) or run_id.endswith(PARTIAL):
        raise BadName(f"run id {run_id[:40]!r} is not valid (letters, digits, '_', '-' and single dots)")
    return run_id


def run_folder(runs_dir: Path, run_id: str) -> Path:
    """The folder of a run inside ``runs_dir`` (it may not exist)."""
    return inside(runs_dir, check_run_id(run_id))


def download_path(runs_dir: Path, run_id: str, name: str) -> Path:
    """A downloadable file of a run folder; only the names in :data:`DOWNLOADS`."""
    if name not in DOWNLOADS:
        raise BadName(f"no file {name[:40]!r} to download (files: {', '.join(DOWNLOADS)})")
    return inside(run_folder(runs_dir, run_id), name)


def scenario_path(scenarios_dir: Path, file_name: str) -> Path:
    """A scenario file inside ``scenarios_dir`` (``name.yaml`` or ``name.yml``)."""
    if not SCENARIO_FILE.match(file_name):
        raise BadName(f"scenario file name {file_name[:40]!r} is not valid: use letters, digits, "
                      "'_' and '-', ending in .yaml")
    return inside(scenarios_dir, file_name)
