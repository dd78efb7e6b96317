"""Which of the top inputs cannot be told apart, and how many runs would separate them."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.sensitivity.base import Method

__all__ = ["PRACTICAL_RUNS", "rank_warnings"]

PRACTICAL_RUNS = 10_000_000
"""More runs than this (hours of a laptop's time on the built-in scenario) are not practical."""


def _method(m: str | Method) -> Method:
    from spillover.analysis.sensitivity import method

    return method(m) if isinstance(m, str) else m


def _pair(a: Any, b: Any, m: Method, n: int, d: int, second: bool) -> str:
    """The sentence for two neighbouring inputs whose intervals overlap."""
    names = f"{a.input} and {b.input} (ranks {a.Index + 1} and {b.Index + 1})"
    gap = float(a.index - b.index)
    width = float((a.hi - a.index) + (b.hi - b.index))
    if gap <= 0 or width <= 0:
        return (f"The intervals of {names} overlap at n={n:,}: their indices are equal, and no number "
                f"of runs would rank them.")
    need = m.round_up(int(np.ceil(n * (width / gap) ** 2 - 1e-9)))
    runs = m.runs(need, d, second)
    if m.unit == "runs":
        size = f"n={need:,} runs ({need / n:.3g}× as many)"
    else:
        size = f"n={need:,} ({runs:,} runs, {need / n:.3g}× as many)"
    if runs > PRACTICAL_RUNS:
        return (f"The intervals of {names} overlap at n={n:,}: about {size} would separate them: too "
                f"close to rank with any practical number of runs.")
    return f"The intervals of {names} overlap at n={n:,}: about {size} would separate them."


def rank_warnings(table: pd.DataFrame, method: str | Method, n: int, d: int, top: int = 10,
                  second: bool = False, show: int = 3) -> list[str]:
    """Sentences saying which of the top inputs cannot be told apart, and what would help.

    An interval's half-width shrinks as 1/√N, so separating two inputs whose intervals
    overlap needs N·((c₁ + c₂)/gap)² base samples.

    >>> t = pd.DataFrame({"input": ["a", "b", "c"], "index": [0.5, 0.45, 0.1],
    ...                   "lo": [0.4, 0.35, 0.05], "hi": [0.6, 0.55, 0.15]})
    >>> print(rank_warnings(t, "pawn", 200, 3)[1])
    The intervals of a and b (ranks 1 and 2) overlap at n=200: about n=3,200 runs (16× as many) would separate them.
    """  # noqa: E501
    m = _method(method)
    head = table.head(min(top, len(table)))
    floor = 0.01 * float(np.nanmax(np.abs(head["index"]))) if len(head) else 0.0
    out = []
    rows = list(head.itertuples())
    for a, b in itertools.pairwise(rows):
        if not (np.isfinite(a.lo) and np.isfinite(b.hi)) or a.index <= floor or a.lo > b.hi:
            continue
        out.append(_pair(a, b, m, n, d, second))
    if out:
        shown = out[:show]
        if len(out) > show:
            shown.append(f"({len(out) - show} more overlapping pairs among the top {len(head)}.)")
        shown.insert(0, f"Some of the top {len(head)} inputs cannot be ranked: their intervals overlap.")
        return shown
    return out
