"""Scenario errors that point at the file, line and column of the problem."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a scenario file, at a 1-based line and column."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every problem found.

    ``str(error)`` gives one ``FILE:LINE:COL: message`` line per problem, first problem first.
    """

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> Problem:
        """The first problem in file order."""
        return self.problems[0]


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'X'?)"`` for the closest choice, or the valid names.

    >>> did_you_mean("PRKK", ["PRK", "RUS"])
    " (did you mean 'PRK'?)"
    """
    options = sorted(set(choices))
    close = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if not close:
        lowered = {o.lower(): o for o in options}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    if close:
        return f" (did you mean '{close[0]}'?)"
    if not options:
        return " (none are declared)"
    shown = ", ".join(options[:8]) + (", …" if len(options) > 8 else "")
    return f" (valid: {shown})"
