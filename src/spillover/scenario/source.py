"""Read YAML while keeping the line and column of every key and value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spillover.scenario.errors import Problem, ScenarioError

Path_ = tuple[str | int, ...]


@dataclass
class SourceDoc:
    """Plain YAML data plus where each value (and each mapping key) stands in the file."""

    file: str
    text: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path_, key: bool = False) -> tuple[int, int]:
        """Line and column (1-based) of the value (or key) at ``path``, or its nearest ancestor."""
        table = self.keys if key else self.values
        p = tuple(path)
        while p:
            if p in table:
                return table[p]
            if not key and p in self.keys:
                return self.keys[p]
            p = p[:-1]
        return (1, 1)

    def problem(self, path: Path_, message: str, key: bool = False) -> Problem:
        """A :class:`Problem` located at ``path``."""
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, message)


class _Loader(yaml.SafeLoader):
    """SafeLoader that leaves dates as strings (the schema parses them) and keeps marks."""


# Keep ISO dates as text so that the schema decides what a date is.
_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _mark(node: yaml.Node) -> tuple[int, int]:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


MAX_NODES = 200_000  # far beyond any real scenario; stops alias bombs


def _build(loader: _Loader, node: yaml.Node, path: Path_, doc: SourceDoc) -> Any:
    doc.values[path] = _mark(node)
    if len(doc.values) > MAX_NODES:
        raise ScenarioError([Problem(doc.file, *_mark(node), f"the file expands to more than {MAX_NODES:,} "
                                     "values (nested aliases?); a scenario is far smaller")])
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        out: dict[Any, Any] = {}
        for knode, vnode in node.value:
            key = loader.construct_object(knode, deep=True)
            if not isinstance(key, str | int | float | bool):
                raise ScenarioError([Problem(doc.file, *_mark(knode), "a key must be a plain value")])
            key = str(key) if not isinstance(key, str) else key
            if key in out:
                raise ScenarioError(
                    [Problem(doc.file, *_mark(knode), f"duplicate key '{key}' (it is already set above)")]
                )
            doc.keys[(*path, key)] = _mark(knode)
            out[key] = _build(loader, vnode, (*path, key), doc)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_build(loader, v, (*path, i), doc) for i, v in enumerate(node.value)]
    value = loader.construct_object(node, deep=True)
    if isinstance(value, dt.date | dt.datetime):
        value = value.isoformat()
    return value


def read_yaml(text: str, file: str = "<string>") -> SourceDoc:
    """Parse YAML text into a :class:`SourceDoc`.

    Raises
    ------
    ScenarioError
        On a YAML syntax error or a duplicate key, with its line and column.

    Examples
    --------
    >>> doc = read_yaml("a:\\n  b: 1\\n")
    >>> doc.data, doc.where(("a", "b"))
    ({'a': {'b': 1}}, (2, 6))
    """
    doc = SourceDoc(file=file, text=text, data=None)
    try:
        loader = _Loader(text)
    except yaml.YAMLError as exc:  # e.g. a control character the reader refuses
        raise ScenarioError([_reader_problem(file, text, exc)]) from None
    try:
        node = loader.get_single_node()
        doc.data = {} if node is None else _build(loader, node, (), doc)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = exc.problem or exc.context or "invalid YAML"
        raise ScenarioError([Problem(file, line, col, f"YAML syntax error: {what}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([_reader_problem(file, text, exc)]) from None
    finally:
        loader.dispose()
    return doc


def _reader_problem(file: str, text: str, exc: yaml.YAMLError) -> Problem:
    """Locate a reader error (bad character) by its position in the text."""
    pos = getattr(exc, "position", None)
    if isinstance(pos, int):
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        char = getattr(exc, "character", None)
        shown = f"U+{char:04X}" if isinstance(char, int) else repr(char)
        return Problem(file, line, col, f"character {shown} is not allowed in YAML; remove it")
    return Problem(file, 1, 1, f"YAML error: {exc}")


def read_yaml_file(path: str | Path) -> SourceDoc:
    """Read a YAML file into a :class:`SourceDoc` (UTF-8)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ScenarioError([Problem(str(p), 1, 1, "no such file")]) from None
    except UnicodeDecodeError as exc:
        raise ScenarioError(
            [Problem(str(p), 1, 1, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8")]
        ) from None
    return read_yaml(text, str(p))
