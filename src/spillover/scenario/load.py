"""Load, validate and locate scenarios: built-in names or YAML files."""

from __future__ import annotations

import hashlib
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

from spillover.scenario.checks import check
from spillover.scenario.errors import Problem, ScenarioError, Suggestions, did_you_mean
from spillover.scenario.model import Scenario
from spillover.scenario.shape import validate_shape
from spillover.scenario.source import SourceDoc, read_yaml

_BUILTIN = "spillover.scenario.builtin"


_DECLARING = ("transfers", "indicators", "events", "signals", "levers", "policies")
_DECLARING_BY_ACTOR = ("demand", "stocks", "production")


def _whole(sc: Any, data: Any) -> bool:
    """True when every entry of the sections that declare inputs and outcomes validated (a
    partial scenario lacks those that had shape errors)."""
    if not isinstance(data, dict):
        return False
    for name in (*_DECLARING, *_DECLARING_BY_ACTOR):
        raw, got = data.get(name), getattr(sc, name, None)
        if not isinstance(raw, dict):
            continue
        if not isinstance(got, dict) or {str(k) for k in raw} != set(got):
            return False
        if name in _DECLARING_BY_ACTOR and any(isinstance(v, dict) and {str(k) for k in v} != set(got[str(a)])
                                               for a, v in raw.items()):
            return False
    return True


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with spillover."""
    folder = resources.files(_BUILTIN)
    return sorted(p.name[:-5] for p in folder.iterdir()
                  if p.name.endswith(".yaml") and not p.name.endswith(".evidence.yaml"))


def builtin_evidence(name: str) -> Path | None:
    """The evidence file shipped beside a built-in scenario (``<name>.evidence.yaml``), if any."""
    path = Path(str(resources.files(_BUILTIN).joinpath(f"{name}.evidence.yaml")))
    return path if "/" not in name and path.is_file() else None


def builtin_path(name: str) -> Path:
    """The file of a built-in scenario."""
    if name not in builtin_names():
        raise ScenarioError([Problem("", 0, 0, f"no built-in scenario '{name}'"
                                     f"{did_you_mean(name, builtin_names())}")])
    return Path(str(resources.files(_BUILTIN).joinpath(f"{name}.yaml")))


def resolve(name_or_path: str | Path) -> Path:
    """A built-in scenario name or a path, as a path to an existing file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists() or "/" in str(name_or_path):
        if not p.exists():
            raise ScenarioError([Problem(str(p), 0, 0, "no such file")])
        return p
    return builtin_path(str(name_or_path))


def parse_scenario(doc: SourceDoc, strict: bool = False) -> Scenario:
    """Validate a :class:`SourceDoc` into a :class:`Scenario`, or raise :class:`ScenarioError`.

    One pass: the problems found while reading, the shape (schema) problems, and the
    reference, logic, strict and claim checks are reported together. Warnings go to
    :attr:`Scenario.warnings` (or :attr:`ScenarioError.warnings`); under ``strict`` they are
    errors.
    """
    if not isinstance(doc.data, dict):
        raise ScenarioError([*doc.problems, Problem(doc.file, *doc.where(()), "a scenario file is a YAML "
                                                    "mapping (name:, title:, start:, horizon:, actors:, …)")])
    hints = Suggestions()
    sc, problems = validate_shape(doc, hints)
    errors, warnings = check(sc, doc, strict=strict, hints=hints, partial=not _whole(sc, doc.data))
    problems = _dedupe([*doc.problems, *problems, *errors])
    if problems:
        raise ScenarioError(problems, warnings)
    sc._origin = doc.file
    sc._sha256 = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    sc._warnings = tuple(sorted(warnings))
    return sc


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """One problem per place: the first found (reading, then shape, then the checks)."""
    seen: dict[tuple[int, int], Problem] = {}
    for p in problems:
        seen.setdefault((p.line, p.col), p)
    return list(seen.values())


def load_scenario(name_or_path: str | Path = "nk-russia-2023", strict: bool = False) -> Scenario:
    """Load a scenario by built-in name or file path, validated.

    Parameters
    ----------
    name_or_path
        A built-in name such as ``"nk-russia-2023"`` or the path of a YAML file.
    strict
        Refuse any number without ``source:`` or ``judgment: true``.

    Raises
    ------
    ScenarioError
        With one ``FILE:LINE:COL: message`` line per problem.

    Examples
    --------
    >>> sc = load_scenario("nk-russia-2023", strict=True)
    >>> sc.start.isoformat(), sc.horizon
    ('2023-08-01', 730)
    """
    from spillover.scenario.source import read_yaml_file

    return parse_scenario(read_yaml_file(resolve(name_or_path)), strict=strict)


def loads_scenario(text: str, file: str = "<string>", strict: bool = False) -> Scenario:
    """Load a scenario from YAML text."""
    return parse_scenario(read_yaml(text, file), strict=strict)


def copy_builtin(name: str, dest: str | Path) -> Path:
    """Copy a built-in scenario to ``dest`` (a file or a folder) as a template to edit."""
    src = builtin_path(name)
    target = Path(dest)
    if target.is_dir():
        target = target / src.name
    if target.exists():
        raise FileExistsError(f"{target} exists; choose another destination")
    shutil.copyfile(src, target)
    return target
