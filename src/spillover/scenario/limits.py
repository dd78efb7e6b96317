"""How large and deep a scenario file may be, and the guard that refuses one quickly.

A scenario of a few dozen actors is a few hundred kilobytes at most. The limits below are
far beyond that; they exist so that a hostile or mistaken file (a 50 MB dump, an alias
bomb, ten thousand nested brackets, a recursive alias) is refused at once with its real
reason and place, instead of exhausting time, memory or the stack.
"""

from __future__ import annotations

from spillover.scenario.errors import Problem

MAX_BYTES = 10_000_000  # characters of YAML text (about bytes for scenario files)
MAX_VALUES = 1_000_000  # keys, values, list items and mappings, after aliases are expanded
MAX_DEPTH = 64  # nested lists and mappings; the format itself needs fewer than 10


def size_problem(file: str, size: int) -> Problem | None:
    """The problem with a file of ``size`` bytes, or None when it is within :data:`MAX_BYTES`."""
    if size <= MAX_BYTES:
        return None
    return Problem(file, 1, 1, f"the file is {size / 1e6:,.1f} MB; spillover reads scenario files of up "
                   f"to {MAX_BYTES / 1e6:.0f} MB (a large scenario is well under 1 MB)")
