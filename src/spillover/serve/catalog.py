"""The scenarios the app offers: built-in ones and YAML files in the scenarios directory.

Each is validated with the library's own validator (:func:`spillover.loads_scenario`),
so the page shows the same ``FILE:LINE:COL`` problems as ``spillover validate``. Files
are checked in the :class:`~spillover.serve.sandbox.Sandbox` (worker processes with a
time budget), and whatever goes wrong with one file (a validator error, a check over
budget, unreadable bytes) makes that file invalid, with its reason: one file can never
break the listing for the others. Files are named relative to the scenarios directory,
so no server path is shown.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_for
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from spillover import api
from spillover.scenario.errors import Problem, ScenarioError, did_you_mean
from spillover.scenario.load import builtin_names, builtin_path
from spillover.scenario.model import Scenario
from spillover.serve.check import MAX_ALIASES, parse_text, scrub
from spillover.serve.models import MAX_TEXT
from spillover.serve.paths import BUILTIN_NAME, SCENARIO_FILE, BadName, scenario_path
from spillover.serve.sandbox import Busy, OverBudget, Sandbox

__all__ = ["MAX_ALIASES", "Catalog", "Entry", "NotFound", "parse_text", "problem_dicts"]


class NotFound(LookupError):
    """No scenario (or run) by that name."""


@dataclass
class Entry:
    """One scenario in the catalogue, with its validation status.

    ``file`` is the file name relative to the scenarios directory (for a built-in, the
    file name inside the package). ``checking`` is true while the file waits for its
    check (the listing does not wait longer than its own budget). ``misnamed`` is true for a
    file whose name the app does not take (it cannot be opened until renamed).
    """

    ref: str
    origin: Literal["builtin", "file"]
    file: str
    valid: bool
    name: str | None = None
    title: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)
    checking: bool = False
    misnamed: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as plain data: line, column and message (the file is the request's)."""
    return [{"line": p.line, "col": p.col, "message": scrub(p.message)} for p in problems]


def _invalid(ref: str, message: str, line: int = 1, col: int = 1) -> Entry:
    return Entry(ref, "file", ref, False, problems=[{"line": line, "col": col, "message": message}])


Stamp = tuple[int, int]
BAD_NAME = ("the app takes file names of letters, digits, '_' and '-' (at most 64, the first a "
            "letter or digit) ending in .yaml or .yml: rename the file to use it")
BUILTIN_FOLDER = "builtin"
"""Built-in scenarios' ``file`` is ``builtin/<name>.yaml``, never the same as a user's file."""


class Catalog:
    """Built-in scenarios and the ``*.yaml`` files of ``scenarios_dir``, validated and cached.

    A file is checked again only when its size or modification time changes.

    Parameters
    ----------
    scenarios_dir
        The folder of the user's scenario files.
    sandbox
        Where files are checked (worker processes with a time budget).
    list_wait
        Seconds a listing waits, in all, for files not checked yet; files still being
        checked then are listed as ``checking`` (their check goes on).
    """

    def __init__(self, scenarios_dir: Path, sandbox: Sandbox | None = None, list_wait: float = 5.0) -> None:
        self.dir = scenarios_dir
        self.sandbox = sandbox if sandbox is not None else Sandbox(workers=0)
        self.list_wait = list_wait
        self._cache: dict[str, tuple[Stamp, Entry, Scenario | None]] = {}
        self._pending: dict[tuple[str, Stamp], Future[tuple[Entry, Scenario | None]]] = {}
        self._lock = threading.Lock()
        self._threads = ThreadPoolExecutor(max(self.sandbox.workers, 1), thread_name_prefix="spillover-check")

    def close(self) -> None:
        """Stop the checks (their workers are killed) until the sandbox is started again."""
        self.sandbox.close()

    def entries(self) -> list[Entry]:
        """Every scenario: built-in ones first, then the files by name (with the files whose names
    the app does not take, as invalid)."""
        out = [self._builtin(n) for n in builtin_names()]
        names = self._file_names()
        futures = {name: self._submit(name) for name in names}
        wait_for([f for f in futures.values() if f is not None], timeout=self.list_wait)
        files = [self._listed(n, futures[n]) for n in names]
        files += [replace(_invalid(n, BAD_NAME), misnamed=True) for n in self._misnamed()]
        return out + sorted(files, key=lambda e: e.ref)

    def _misnamed(self) -> list[str]:
        """Files that look like scenarios (``*.yaml``, ``*.yml``) but whose names the app does not
        take: listed as invalid with the reason, instead of silently missing."""
        if not self.dir.is_dir():
            return []
        try:
            return [p.name for p in self.dir.iterdir()
                    if p.suffix.lower() in (".yaml", ".yml") and not p.name.startswith(".")
                    and not SCENARIO_FILE.match(p.name) and p.is_file() and not p.is_symlink()]
        except OSError:
            return []

    def _file_names(self) -> list[str]:
        if not self.dir.is_dir():
            return []
        try:
            found = sorted(p.name for p in self.dir.iterdir() if SCENARIO_FILE.match(p.name))
        except OSError:
            return []
        return [n for n in found if self._inside(n)]

    def _inside(self, name: str) -> bool:
        try:
            return scenario_path(self.dir, name).is_file()
        except (BadName, OSError):  # a link out of the folder is not offered
            return False

    def _listed(self, name: str, future: Future[tuple[Entry, Scenario | None]] | None) -> Entry:
        if future is None:  # cached, or gone since the folder was read
            cached = self._cache.get(f"file:{name}")
            return cached[1] if cached else _invalid(name, "the file could not be read")
        if not future.done():
            return Entry(name, "file", name, False, checking=True)
        try:
            return future.result()[0]
        except Busy:
            return Entry(name, "file", name, False, checking=True)
        except Exception as exc:  # the listing shows the reason, never fails
            return _invalid(name, scrub(f"the file could not be checked ({type(exc).__name__}: {exc})"))

    def entry(self, ref: str) -> Entry:
        """The catalogue entry of a built-in name or a file name."""
        return self._resolve(ref)[0]

    def load(self, ref: str) -> Scenario:
        """The validated scenario; :class:`ScenarioError` if its file has problems."""
        entry, sc = self._resolve(ref)
        if sc is None:
            raise ScenarioError([Problem(entry.file, p["line"], p["col"], p["message"])
                                 for p in entry.problems])
        return sc

    def text(self, ref: str) -> str:
        """The YAML text of a scenario."""
        entry = self._resolve(ref)[0]
        path = builtin_path(ref) if entry.origin == "builtin" else scenario_path(self.dir, ref)
        return path.read_text(encoding="utf-8", errors="replace")

    def save(self, file_name: str, text: str, overwrite: bool = False) -> Path:
        """Write ``text`` as ``file_name`` in the scenarios directory (created if needed)."""
        path = scenario_path(self.dir, file_name)
        if path.exists() and not overwrite:
            raise FileExistsError(f"{file_name} exists; ask to overwrite it or choose another name")
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return path

    def _resolve(self, ref: str) -> tuple[Entry, Scenario | None]:
        if SCENARIO_FILE.match(ref):
            return self._file(ref)
        if not BUILTIN_NAME.match(ref):
            raise BadName(f"scenario {ref[:40]!r} is not a valid name")
        if ref not in builtin_names():
            files = self._file_names()
            raise NotFound(f"no scenario '{ref}'{did_you_mean(ref, builtin_names() + files)}")
        entry = self._builtin(ref)
        return entry, self._cache[f"builtin:{ref}"][2]

    def _builtin(self, name: str) -> Entry:
        key = f"builtin:{name}"
        with self._lock:
            if key not in self._cache:
                sc = api.validate(name)
                entry = Entry(name, "builtin", f"{BUILTIN_FOLDER}/{builtin_path(name).name}", True, sc.name,
                              sc.title)
                self._cache[key] = ((0, 0), entry, sc)
            return self._cache[key][1]

    def _stamp(self, name: str) -> tuple[Path, Stamp] | None:
        path = scenario_path(self.dir, name)
        try:
            stat = path.stat()
        except OSError:
            return None
        return path, (stat.st_mtime_ns, stat.st_size)

    def _submit(self, name: str) -> Future[tuple[Entry, Scenario | None]] | None:
        """The check of a file (started if needed); None when its cached entry is current."""
        found = self._stamp(name)
        if found is None:
            return None
        path, stamp = found
        with self._lock:
            cached = self._cache.get(f"file:{name}")
            if cached is not None and cached[0] == stamp:
                return None
            future = self._pending.get((name, stamp))
            if future is None:
                future = self._threads.submit(self._check_file, name, path, stamp)
                self._pending[(name, stamp)] = future
            return future

    def _file(self, file_name: str) -> tuple[Entry, Scenario | None]:
        """A file's entry and scenario, waiting for its check (:class:`Busy` if none is free)."""
        if self._stamp(file_name) is None or not scenario_path(self.dir, file_name).is_file():
            raise NotFound(f"no scenario file '{file_name}' in the scenarios folder")
        future = self._submit(file_name)
        if future is not None:
            future.result()
        cached = self._cache.get(f"file:{file_name}")
        if cached is None:
            raise NotFound(f"no scenario file '{file_name}' in the scenarios folder")
        return cached[1], cached[2]

    def _check_file(self, name: str, path: Path, stamp: Stamp) -> tuple[Entry, Scenario | None]:
        """Check one file and cache the outcome; :class:`Busy` is not cached (tried again later)."""
        try:
            entry, sc = self._validate_file(name, path, stamp)
        finally:
            with self._lock:
                self._pending.pop((name, stamp), None)
        with self._lock:
            self._cache[f"file:{name}"] = (stamp, entry, sc)
        return entry, sc

    def _validate_file(self, name: str, path: Path, stamp: Stamp) -> tuple[Entry, Scenario | None]:
        too_big = _invalid(name, f"the file is over {MAX_TEXT:,} bytes, the most a scenario may have")
        if stamp[1] > MAX_TEXT:
            return too_big, None
        try:
            with path.open("rb") as f:
                data = f.read(MAX_TEXT + 1)
            if len(data) > MAX_TEXT:
                return too_big, None
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return _invalid(name, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"), None
        except OSError as exc:
            return _invalid(name, f"the file cannot be read ({exc.strerror or exc})"), None
        try:
            checked = self.sandbox.check(text, name)
        except OverBudget as exc:
            return _invalid(name, str(exc)), None
        except Busy:
            raise
        except Exception as exc:  # contained: the file is invalid, with the reason
            return _invalid(name, scrub(f"the file could not be checked ({type(exc).__name__}: {exc})")), None
        if checked.scenario is None:
            return Entry(name, "file", name, False, problems=problem_dicts(checked.problems)), None
        sc = checked.scenario
        return Entry(name, "file", name, True, scrub(sc.name), scrub(sc.title)), sc
