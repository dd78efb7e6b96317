"""Scenario errors that point at the file, line and column of the problem, with suggestions.

Suggestions stay cheap however many names a file declares or misspells: a set of more than
:data:`EXHAUSTIVE` names is indexed by character triples, so that one lookup compares the
unknown name with at most :data:`CANDIDATES` names, and one validation makes at most
:data:`MAX_LOOKUPS` lookups (later unknown names are reported without a suggestion).
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

EXHAUSTIVE = 64  # a set of up to this many names is compared name by name (difflib)
CANDIDATES = 12  # names an indexed lookup hands to difflib
POSTINGS = 1024  # index entries one lookup may read, rarest character triples first
MAX_LOOKUPS = 1000  # suggestions worked out in one validation
CUTOFF = 0.6  # difflib's similarity needed for a suggestion


@dataclass(frozen=True, order=True)
class Problem:
    """One problem in a scenario file, at a 1-based line and column.

    Line 0 means the problem has no place in a file (a file or built-in name that does not
    exist): it reads ``FILE: message``, or just the message when ``file`` is empty.

    >>> str(Problem("", 0, 0, "no built-in scenario 'x'"))
    "no built-in scenario 'x'"
    """

    file: str
    line: int
    col: int
    message: str

    def __post_init__(self) -> None:
        if "\n" in self.message or "\r" in self.message:  # one problem, one line
            object.__setattr__(self, "message", self.message.replace("\r", "\\r").replace("\n", "\\n"))

    def __str__(self) -> str:
        if self.line == 0:
            return f"{self.file}: {self.message}" if self.file else self.message
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ScenarioWarning(Problem):
    """A problem that does not stop the scenario from running (an error under ``strict``)."""

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: warning: {self.message}"


class ScenarioError(ValueError):
    """A scenario file that cannot be used, with every problem found.

    ``str(error)`` gives one ``FILE:LINE:COL: message`` line per problem, first problem first.
    ``warnings`` holds the warnings found in the same pass (see :attr:`Scenario.warnings`).
    """

    def __init__(self, problems: Iterable[Problem], warnings: Iterable[Problem] = ()) -> None:
        self.problems = sorted(problems)
        self.warnings = sorted(warnings)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def first(self) -> Problem:
        """The first problem in file order."""
        return self.problems[0]


def _grams(name: str) -> set[str]:
    """The character triples of ``name`` (lower case, padded at both ends)."""
    s = f"\0{name.lower()}\0"
    return {s[i:i + 3] for i in range(max(len(s) - 2, 1))}


class NameSet:
    """A set of declared names that can suggest the closest one to an unknown name.

    >>> NameSet(["PRK", "RUS"]).closest("PRKK")
    'PRK'
    """

    def __init__(self, names: Iterable[str]) -> None:
        self._names = names if isinstance(names, set | frozenset | dict) else set(names)
        self._sorted: list[str] | None = None
        self._grams: dict[str, list[int]] | None = None
        self._lowered: dict[str, str] | None = None

    def __contains__(self, name: object) -> bool:
        return name in self._names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    @property
    def ordered(self) -> list[str]:
        """The names, sorted."""
        if self._sorted is None:
            self._sorted = sorted({str(n) for n in self._names})
        return self._sorted

    def _index(self) -> dict[str, list[int]]:
        if self._grams is None:
            grams: dict[str, list[int]] = {}
            for i, name in enumerate(self.ordered):
                for g in _grams(name):
                    grams.setdefault(g, []).append(i)
            self._grams = grams
        return self._grams

    def candidates(self, name: str) -> list[str]:
        """The names worth comparing with ``name``: all of a small set, else the best few by the index."""
        if len(self.ordered) <= EXHAUSTIVE:
            return self.ordered
        index = self._index()
        postings = sorted((index[g] for g in _grams(name) if g in index), key=len)
        shared: Counter[int] = Counter()
        budget = POSTINGS
        for posting in postings:
            shared.update(posting[:budget])
            budget -= len(posting)
            if budget <= 0:
                break
        return [self.ordered[i] for i, _ in shared.most_common(CANDIDATES)]

    def closest(self, name: str) -> str | None:
        """The closest name (difflib similarity at least :data:`CUTOFF`, or equal but for case)."""
        close = difflib.get_close_matches(name, self.candidates(name), n=1, cutoff=CUTOFF)
        if close:
            return close[0]
        if self._lowered is None:
            self._lowered = {}
            for n in reversed(self.ordered):
                self._lowered[n.lower()] = n
        return self._lowered.get(name.lower())

    def hint(self, close: str | None) -> str:
        """`` (did you mean 'X'?)`` for a suggestion, else the valid names (the first eight)."""
        if close is not None:
            return f" (did you mean '{close}'?)"
        if not self.ordered:
            return " (none are declared)"
        shown = ", ".join(self.ordered[:8]) + (", …" if len(self.ordered) > 8 else "")
        return f" (valid: {shown})"


class Suggestions:
    """The suggestions of one validation: cached per (name, set), and at most :data:`MAX_LOOKUPS`.

    Cached answers are kept for :class:`NameSet` arguments, which the caller keeps alive for
    the whole validation; other iterables are wrapped afresh each time.
    """

    def __init__(self, limit: int = MAX_LOOKUPS) -> None:
        self.limit = limit
        self.lookups = 0
        self._seen: dict[tuple[str, int], str | None] = {}
        self._kept: dict[int, NameSet] = {}  # the sets cached answers refer to (so ids stay unique)

    def _lookup(self, name: str, names: Iterable[str]) -> tuple[NameSet, str | None, bool]:
        """(the set, the closest name, whether a lookup was available)."""
        if not isinstance(names, NameSet):
            ns = NameSet(names)
        else:
            ns = names
            key = (name, id(ns))
            if key in self._seen:
                return ns, self._seen[key], True
        if self.lookups >= self.limit:
            return ns, None, False
        self.lookups += 1
        found = ns.closest(name)
        if ns is names:
            self._kept.setdefault(id(ns), ns)
            self._seen[(name, id(ns))] = found
        return ns, found, True

    def closest(self, name: str, names: Iterable[str]) -> str | None:
        """The closest of ``names`` to ``name``, or None (also once the limit is reached)."""
        return self._lookup(name, names)[1]

    def did_you_mean(self, name: str, names: Iterable[str]) -> str:
        """`` (did you mean 'X'?)``, the valid names, or nothing once the limit is reached."""
        ns, found, looked = self._lookup(name, names)
        return ns.hint(found) if looked else ""


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'X'?)"`` for the closest choice, or the valid names.

    >>> did_you_mean("PRKK", ["PRK", "RUS"])
    " (did you mean 'PRK'?)"
    """
    ns = NameSet(choices)
    return ns.hint(ns.closest(name))
