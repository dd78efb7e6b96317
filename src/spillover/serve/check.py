"""Check scenario text as ``spillover validate`` does, turning every failure into a problem.

The app checks text from anyone who can reach it, so beyond the validator's own problems
this module makes sure that:

* an error inside the validator (an overflow, a deep recursion, a bug) becomes a problem
  at the best place it can find, never an exception for the server to answer with a 500;
* text holding lone surrogates (``"\\ud800"`` escapes, or raw in a JSON request) is
  refused with its line and column: such text cannot be written as UTF-8, so a file
  holding it would break every page that lists it;
* YAML with more than :data:`MAX_ALIASES` aliases is refused before it is read.

It imports only the scenario package, so the checking worker processes start quickly.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import yaml

from spillover.scenario.errors import Problem, ScenarioError
from spillover.scenario.load import loads_scenario
from spillover.scenario.model import Scenario

__all__ = ["MAX_ALIASES", "Checked", "check_text", "parse_text", "scrub"]

#: Most YAML aliases (``*name``) a scenario may use: each alias is walked again by the
#: reader, so a file built of nested aliases could take hours to read.
MAX_ALIASES = 200
_SURROGATE = re.compile("[\ud800-\udfff]")
#: A ``\\u`` or ``\\U`` escape of a surrogate code point (as YAML's double quotes allow).
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
#: An integer literal too long to be a float (more than 308 digits).
_HUGE_NUMBER = re.compile(r"(?<![\w.])[-+]?\d{309,}")


@dataclass
class Checked:
    """The outcome of a check: the scenario when valid, else its problems (never both)."""

    scenario: Scenario | None
    problems: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.scenario is not None


def scrub(text: str) -> str:
    """``text`` with lone surrogates replaced by U+FFFD (pairs joined into their character).

    >>> scrub("a\\ud800b"), scrub("\\ud83d\\ude00")
    ('a\\ufffdb', '😀')
    """
    if not _SURROGATE.search(text):
        return text
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _at(text: str, pos: int) -> tuple[int, int]:
    """1-based line and column of character ``pos``."""
    return text.count("\n", 0, pos) + 1, pos - text.rfind("\n", 0, pos)


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


def _yaml_problem(text: str, file: str, exc: yaml.YAMLError) -> Problem:
    """A YAML error the reader raised outside the validator, at its line and column."""
    pos = getattr(exc, "position", None)
    if isinstance(pos, int):
        line, col = _at(text, pos)
        reason = getattr(exc, "reason", "")
        char = getattr(exc, "character", None)
        what = f"character #x{char:04x}: {reason}" if isinstance(char, int) else str(reason)
        return Problem(file, line, col, f"YAML error: {what}")
    return Problem(file, 1, 1, f"YAML error: {str(exc).splitlines()[0]}")


def _crash_problem(text: str, file: str, exc: Exception) -> Problem:
    """A problem for an error the validator raised instead of reporting a problem."""
    if isinstance(exc, OverflowError):
        m = _HUGE_NUMBER.search(text)
        if m is not None:
            line, col = _at(text, m.start())
            digits = len(m.group().lstrip("+-"))
            return Problem(file, line, col, f"a number of {digits} digits is too large "
                                            "(the largest is about 1.8e308)")
        return Problem(file, 1, 1, f"a number is too large ({exc})")
    what = scrub(f"{type(exc).__name__}: {exc}".splitlines()[0])[:300]
    return Problem(file, 1, 1, f"the validator could not check this file ({what}); "
                               "spillover validate gives the same error")


def _surrogate_problem(text: str, file: str) -> Problem | None:
    """A problem at the first lone surrogate written raw in ``text``, else None."""
    m = _SURROGATE.search(text)
    if m is None:
        return None
    line, col = _at(text, m.start())
    return Problem(file, line, col, f"character U+{ord(m.group()):04X} is half of a UTF-16 pair, "
                                    "not a character: the text cannot be saved as UTF-8")


def _unencodable(sc: Scenario, text: str, file: str) -> Problem | None:
    """A problem when the scenario's values hold surrogates (from ``\\u`` escapes), else None."""
    from spillover.scenario.summary import summarize

    try:
        json.dumps(summarize(sc), ensure_ascii=False, default=str).encode("utf-8")
    except UnicodeEncodeError:
        m = _SURROGATE_ESCAPE.search(text)
        line, col = _at(text, m.start()) if m else (1, 1)
        return Problem(file, line, col, "a \\u escape gives half of a UTF-16 pair (U+D800 to U+DFFF), "
                                        "not a character: write the character itself")
    return None


def parse_text(text: str, file: str, strict: bool = False) -> Scenario:
    """Validate scenario text as ``spillover validate`` does; raises :class:`ScenarioError`.

    Every failure of the validator is raised as a :class:`ScenarioError` with a problem.

    >>> parse_text("name: x\\n", "x.yaml")
    Traceback (most recent call last):
    ...
    spillover.scenario.errors.ScenarioError: x.yaml:1:1: missing required key 'title'...
    """
    first = _surrogate_problem(text, file) or _alias_problem(text, file)
    if first is not None:
        raise ScenarioError([first])
    try:
        sc = loads_scenario(text, file, strict=strict)
    except ScenarioError:
        raise
    except RecursionError:
        raise ScenarioError([Problem(file, 1, 1, "the YAML is nested too deeply")]) from None
    except yaml.YAMLError as exc:  # e.g. a control character, refused before parsing starts
        raise ScenarioError([_yaml_problem(text, file, exc)]) from None
    except Exception as exc:  # any validator failure is the file's problem
        raise ScenarioError([_crash_problem(text, file, exc)]) from None
    try:
        bad = _unencodable(sc, text, file)
    except Exception as exc:  # a scenario the summary cannot show is not usable
        bad = _crash_problem(text, file, exc)
    if bad is not None:
        raise ScenarioError([bad])
    return sc


def check_text(text: str, file: str, strict: bool = False) -> Checked:
    """:func:`parse_text` as data: the scenario, or its problems (what a worker sends back)."""
    try:
        return Checked(parse_text(text, file, strict))
    except ScenarioError as exc:
        return Checked(None, list(exc.problems))
