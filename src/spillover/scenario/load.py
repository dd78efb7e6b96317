"""Load, validate and locate scenarios: built-in names or YAML files."""

from __future__ import annotations

import hashlib
import shutil
from importlib import resources
from pathlib import Path

from pydantic import ValidationError

from spillover.scenario.checks import check
from spillover.scenario.errors import Problem, ScenarioError, did_you_mean
from spillover.scenario.model import Scenario
from spillover.scenario.source import SourceDoc, read_yaml

_BUILTIN = "spillover.scenario.builtin"


def builtin_names() -> list[str]:
    """Names of the scenarios shipped with spillover."""
    folder = resources.files(_BUILTIN)
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".yaml"))


def builtin_path(name: str) -> Path:
    """The file of a built-in scenario."""
    if name not in builtin_names():
        raise ScenarioError([Problem(name, 1, 1, f"no built-in scenario '{name}'"
                                     f"{did_you_mean(name, builtin_names())}")])
    return Path(str(resources.files(_BUILTIN).joinpath(f"{name}.yaml")))


def resolve(name_or_path: str | Path) -> Path:
    """A built-in scenario name or a path, as a path to an existing file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml") or p.exists() or "/" in str(name_or_path):
        if not p.exists():
            raise ScenarioError([Problem(str(p), 1, 1, "no such file")])
        return p
    return builtin_path(str(name_or_path))


def _message(err: dict[str, object], model_doc: SourceDoc) -> tuple[tuple[str | int, ...], str, bool]:
    loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and "[" in x))  # type: ignore[union-attr]
    kind = err["type"]
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    if kind == "extra_forbidden":
        return loc, f"unknown key '{loc[-1]}'", True
    if kind == "missing":
        return loc, f"missing required key '{loc[-1]}'", False
    if kind == "string_pattern_mismatch":
        return loc, "names use letters, digits and underscores, and start with a letter", True
    value = err.get("input")
    if kind.startswith(("float", "int", "date", "string", "bool", "dict", "list")) and not isinstance(
        value, dict | list
    ):
        msg = f"{msg} (got {value!r})"
    return loc, msg, False


def _suggest_key(loc: tuple[str | int, ...], sc_fields: list[str]) -> str:
    return did_you_mean(str(loc[-1]), sc_fields) if len(loc) == 1 else ""


def parse_scenario(doc: SourceDoc, strict: bool = False) -> Scenario:
    """Validate a :class:`SourceDoc` into a :class:`Scenario`, or raise :class:`ScenarioError`."""
    if not isinstance(doc.data, dict):
        raise ScenarioError([Problem(doc.file, 1, 1, "a scenario file is a YAML mapping "
                                     "(name:, title:, start:, horizon:, actors:, …)")])
    try:
        sc = Scenario.model_validate(doc.data)
    except ValidationError as exc:
        problems = []
        fields = [f.alias or n for n, f in Scenario.model_fields.items()]
        for err in exc.errors():
            loc, msg, at_key = _message(err, doc)  # type: ignore[arg-type]
            if err["type"] == "extra_forbidden":
                msg += _suggest_key(loc, fields)
            problems.append(doc.problem(loc, msg, key=at_key))
        raise ScenarioError(_dedupe(problems)) from None
    problems = check(sc, doc, strict=strict)
    if problems:
        raise ScenarioError(problems)
    sc._origin = doc.file
    sc._sha256 = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
    return sc


def _dedupe(problems: list[Problem]) -> list[Problem]:
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
