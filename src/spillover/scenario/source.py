"""Read YAML while keeping the line and column of every key and value.

Reading never crashes: a file that is too large, too deep, not YAML, or that holds a
character a scenario may not contain is refused with a located :class:`Problem`. Problems
that leave the rest of the file readable (a duplicate key, a value its tag cannot read,
a lone surrogate in a string) are collected in :attr:`SourceDoc.problems` and reading goes
on, so that the validator can report them together with every other problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from spillover.scenario.errors import Problem, ScenarioError
from spillover.scenario.limits import size_problem
from spillover.scenario.reader import NOT_ALLOWED, EventReader, codepoint

Path_ = tuple[str | int, ...]

_SHOWN_CHARACTERS = 20  # the first bad characters reported; the last says how many more


@dataclass
class SourceDoc:
    """Plain YAML data plus where each value (and each mapping key) stands in the file."""

    file: str
    text: str
    data: Any
    values: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

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


_FLOAT = "tag:yaml.org,2002:float"
# YAML 1.2's floats: YAML 1.1 (PyYAML's) wants a dot and a signed exponent, so that `1e9`,
# `1E9` and `5e-3` would be strings; here they are numbers, as in every other YAML reader.
_FLOAT_RE = re.compile(r"""^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
    |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
    |\.[0-9_]+(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""", re.X)


def loader_class(base: type) -> type:
    """A subclass of the safe loader ``base`` that leaves dates as strings (the schema parses
    them) and reads YAML 1.2 floats (``1e9``, ``5e-3``) as numbers."""
    resolvers = {k: [(tag, _FLOAT_RE if tag == _FLOAT else rx) for tag, rx in v
                     if tag != "tag:yaml.org,2002:timestamp"]
                 for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
    return type("_Loader", (base,), {"yaml_implicit_resolvers": resolvers})


# libyaml's loader when PyYAML has it (twenty times faster), else the pure-Python one.
_Loader: Any = loader_class(yaml.CSafeLoader if getattr(yaml, "__with_libyaml__", False) else yaml.SafeLoader)


def read_yaml(text: str, file: str = "<string>") -> SourceDoc:
    """Parse YAML text into a :class:`SourceDoc`.

    Raises
    ------
    ScenarioError
        When the text cannot be read at all: a YAML syntax error, a character YAML does not
        allow, a file too large or too deeply nested, a recursive alias. Each problem has
        its line and column. Problems that leave the rest readable are in ``doc.problems``.

    Examples
    --------
    >>> doc = read_yaml("a:\\n  b: 1\\n")
    >>> doc.data, doc.where(("a", "b"))
    ({'a': {'b': 1}}, (2, 6))
    """
    doc = SourceDoc(file=file, text=text, data=None)
    refused = _character_problems(file, text)
    if refused:
        raise ScenarioError(refused)
    loader = _Loader(text)
    try:
        reader = EventReader(loader, file)
        doc.data = reader.read()
        doc.values, doc.keys, doc.problems = dict(reader.values), dict(reader.keys), reader.problems
    except yaml.MarkedYAMLError as exc:
        raise ScenarioError([syntax_problem(file, text, exc)]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([_reader_problem(file, text, exc)]) from None
    finally:
        loader.dispose()
    return doc


def syntax_problem(file: str, text: str, exc: yaml.MarkedYAMLError) -> Problem:
    """A YAML syntax error, located where an unclosed bracket or quote opened (if one did)."""
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
    what = exc.problem or exc.context or "invalid YAML"
    opened = exc.context_mark
    if exc.context and exc.context.startswith("expected a single document"):
        return Problem(file, line, col, "YAML syntax error: a scenario file holds one YAML document; "
                       "this '---' starts a second one")
    bracket = (exc.context or "").startswith(("while parsing a flow", "while scanning a quoted"))
    if opened is None or not bracket:
        quote = _quote_ending_on(text, line - 1)
        if quote is None:
            return Problem(file, line, col, f"YAML syntax error: {what}")
        q = quote.style or '"'
        return Problem(file, quote.start_mark.line + 1, quote.start_mark.column + 1,
                       f"YAML syntax error: the text in {q}quotes{q} opened here runs on to line {line}, "
                       f"where the reader stopped ({what}); is its closing {q} missing?")
    rows = text.splitlines()
    row = rows[opened.line] if opened.line < len(rows) else ""
    ch = row[opened.column] if opened.column < len(row) else "bracket"
    if opened.line + 1 == line:
        return Problem(file, line, col, f"YAML syntax error: {what} (in the '{ch}' opened at column "
                       f"{opened.column + 1})")
    return Problem(file, opened.line + 1, opened.column + 1,
                   f"YAML syntax error: the '{ch}' opened here is still open at line {line}, column {col}, "
                   f"where the reader stopped: {what}")


def _quote_ending_on(text: str, line0: int) -> Any:
    """The quoted text that spans several lines and ends on line ``line0`` (0-based), if any."""
    loader = _Loader(text)
    found = None
    try:
        while loader.check_token():
            tok = loader.get_token()
            if isinstance(tok, yaml.ScalarToken) and not tok.plain and \
                    tok.start_mark.line < tok.end_mark.line == line0:
                found = tok
    except yaml.YAMLError:
        pass
    finally:
        loader.dispose()
    return found


def _character_problems(file: str, text: str) -> list[Problem]:
    """Every character YAML does not allow (the first few), or a file over the size limit."""
    big = size_problem(file, len(text))
    if big is not None:
        return [big]
    problems: list[Problem] = []
    for n, m in enumerate(NOT_ALLOWED.finditer(text)):
        if n == _SHOWN_CHARACTERS:
            rest = sum(1 for _ in NOT_ALLOWED.finditer(text, m.start()))
            last = problems[-1]
            problems[-1] = Problem(last.file, last.line, last.col,
                                   f"{last.message} (and {rest:,} more such characters)")
            break
        problems.append(_char_problem(file, text, m.start()))
    return problems


def _char_problem(file: str, text: str, pos: int) -> Problem:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return Problem(file, line, col, f"{codepoint(text[pos])} is not allowed in YAML; remove it")


def _reader_problem(file: str, text: str, exc: yaml.YAMLError) -> Problem:
    """Locate a reader error (bad character) by its position in the text."""
    pos = getattr(exc, "position", None)
    if isinstance(pos, int) and 0 <= pos < len(text):
        return _char_problem(file, text, pos)
    return Problem(file, 1, 1, f"YAML error: {str(exc).splitlines()[0] if str(exc) else exc!r}")


def read_yaml_file(path: str | Path) -> SourceDoc:
    """Read a YAML file into a :class:`SourceDoc` (UTF-8)."""
    p = Path(path)
    try:
        big = size_problem(str(p), p.stat().st_size) if p.is_file() else None
        if big is not None:
            raise ScenarioError([big])
        raw = p.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(str(p), 1, 1, "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(str(p), 1, 1, "a folder, not a scenario file")]) from None
    try:
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")  # as read_text does
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        col = len(raw[raw.rfind(b"\n", 0, exc.start) + 1: exc.start].decode("utf-8", "replace")) + 1
        raise ScenarioError([Problem(str(p), line, col, f"not UTF-8 text (byte {exc.start}, "
                                     f"0x{raw[exc.start]:02X}); save the file as UTF-8")]) from None
    return read_yaml(text, str(p))
