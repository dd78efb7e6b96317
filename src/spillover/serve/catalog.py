"""The scenarios the app offers: built-in ones and YAML files in the scenarios directory.

Each is validated with the library's own validator (:func:`spillover.loads_scenario`),
so the page shows the same ``FILE:LINE:COL`` problems as ``spillover validate``.
"""

from __future__ import annotations

import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from spillover import api
from spillover.scenario.errors import Problem, ScenarioError, did_you_mean
from spillover.scenario.load import builtin_names, builtin_path, loads_scenario
from spillover.scenario.model import Scenario
from spillover.serve.paths import BUILTIN_NAME, SCENARIO_FILE, BadName, scenario_path

#: Most YAML aliases (``*name``) a scenario may use: each alias is walked again by the
#: reader, so a file built of nested aliases could take hours to read.
MAX_ALIASES = 200


class NotFound(LookupError):
    """No scenario (or run) by that name."""


@dataclass
class Entry:
    """One scenario in the catalogue, with its validation status."""

    ref: str
    origin: Literal["builtin", "file"]
    file: str
    valid: bool
    name: str | None = None
    title: str | None = None
    problems: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def problem_dicts(problems: list[Problem]) -> list[dict[str, Any]]:
    """Problems as plain data: line, column and message (the file is the request's)."""
    return [{"line": p.line, "col": p.col, "message": p.message} for p in problems]


def _alias_problem(text: str, file: str) -> Problem | None:
    """A problem when ``text`` uses more than :data:`MAX_ALIASES` aliases, else None."""
    if "*" not in text:
        return None
    count = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, yaml.AliasToken):
                count += 1
                if count > MAX_ALIASES:
                    m = token.start_mark
                    return Problem(file, m.line + 1, m.column + 1,
                                   f"more than {MAX_ALIASES} YAML aliases; write the values out")
    except yaml.YAMLError:
        return None  # the validator reports the syntax error with its place
    return None


def parse_text(text: str, file: str, strict: bool = False) -> Scenario:
    """Validate scenario text as ``spillover validate`` does; raises :class:`ScenarioError`.

    >>> parse_text("name: x\\n", "x.yaml")
    Traceback (most recent call last):
    ...
    spillover.scenario.errors.ScenarioError: x.yaml:1:1: missing required key 'title'...
    """
    guard = _alias_problem(text, file)
    if guard is not None:
        raise ScenarioError([guard])
    try:
        return loads_scenario(text, file, strict=strict)
    except RecursionError:
        raise ScenarioError([Problem(file, 1, 1, "the YAML is nested too deeply")]) from None
    except yaml.YAMLError as exc:  # e.g. a control character, refused before parsing starts
        raise ScenarioError([_yaml_problem(text, file, exc)]) from None


def _yaml_problem(text: str, file: str, exc: yaml.YAMLError) -> Problem:
    """A YAML error the reader raised outside the validator, at its line and column."""
    pos = getattr(exc, "position", None)
    if isinstance(pos, int):
        line = text.count("\n", 0, pos) + 1
        col = pos - text.rfind("\n", 0, pos)
        reason = getattr(exc, "reason", "")
        char = getattr(exc, "character", None)
        what = f"character #x{char:04x}: {reason}" if isinstance(char, int) else str(reason)
        return Problem(file, line, col, f"YAML error: {what}")
    return Problem(file, 1, 1, f"YAML error: {str(exc).splitlines()[0]}")


class Catalog:
    """Built-in scenarios and the ``*.yaml`` files of ``scenarios_dir``, validated and cached.

    A file is validated again only when its size or modification time changes.
    """

    def __init__(self, scenarios_dir: Path) -> None:
        self.dir = scenarios_dir
        self._cache: dict[str, tuple[tuple[int, int], Entry, Scenario | None]] = {}
        self._lock = threading.Lock()

    def entries(self) -> list[Entry]:
        """Every scenario: built-in ones first, then the files by name."""
        out = [self._builtin(n) for n in builtin_names()]
        if self.dir.is_dir():
            files = sorted(p.name for p in self.dir.iterdir() if SCENARIO_FILE.match(p.name) and p.is_file())
            for name in files:
                try:
                    out.append(self._file(name)[0])
                except BadName:  # a link out of the folder is not offered
                    continue
        return out

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
        return Path(entry.file).read_text(encoding="utf-8", errors="replace")

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
            files = [p.name for p in self.dir.glob("*.y*ml")] if self.dir.is_dir() else []
            raise NotFound(f"no scenario '{ref}'{did_you_mean(ref, builtin_names() + files)}")
        entry = self._builtin(ref)
        return entry, self._cache[f"builtin:{ref}"][2]

    def _builtin(self, name: str) -> Entry:
        key = f"builtin:{name}"
        with self._lock:
            if key not in self._cache:
                sc = api.validate(name)
                entry = Entry(name, "builtin", str(builtin_path(name)), True, sc.name, sc.title)
                self._cache[key] = ((0, 0), entry, sc)
            return self._cache[key][1]

    def _file(self, file_name: str) -> tuple[Entry, Scenario | None]:
        path = scenario_path(self.dir, file_name)
        if not path.is_file():
            raise NotFound(f"no scenario file '{file_name}' in {self.dir}")
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        key = f"file:{file_name}"
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached[0] == stamp:
                return cached[1], cached[2]
        entry, sc = self._validate_file(file_name, path)
        with self._lock:
            self._cache[key] = (stamp, entry, sc)
        return entry, sc

    def _validate_file(self, file_name: str, path: Path) -> tuple[Entry, Scenario | None]:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            problem = {"line": 1, "col": 1, "message": f"not UTF-8 text (byte {exc.start})"}
            return Entry(file_name, "file", str(path), False, problems=[problem]), None
        try:
            sc = parse_text(text, str(path))
        except ScenarioError as exc:
            return Entry(file_name, "file", str(path), False, problems=problem_dicts(exc.problems)), None
        return Entry(file_name, "file", str(path), True, sc.name, sc.title), sc
