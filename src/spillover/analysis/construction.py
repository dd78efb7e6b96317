"""Claims that are 0 or 1 *by construction*: a property of the model, not an estimate.

A claim that holds in every run or in none is by construction when an outcome it reads is
fixed by the model (miscalculation with every flow declared; ``misfired``/``missed`` where
perceived and true indicators never part) and no free outcome it reads could change it.
The headline marks such claims instead of rating their confidence.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.claims import ClaimLike, claim_indicator
from spillover.scenario.expr import parse

__all__ = ["by_construction"]


def _no_gap(outcomes: pd.DataFrame) -> bool:
    """True when the perceived and true indicators never part in any of these rows."""
    return "miscalc_peak" in outcomes.columns and bool((outcomes["miscalc_peak"] == 0.0).all())


def _fixed(outcomes: pd.DataFrame, column: str) -> bool:
    """True when the model fixes this column in these rows: a measured number with one finite
    value in every row (miscalculation with every flow declared), or a flag that needs a
    perception gap (``misfired``, ``missed``) where there is none."""
    from spillover.scenario.outcomes import family_of

    family = family_of(column)
    if family is None or column not in outcomes.columns:
        return False
    if family.needs_gap:
        return _no_gap(outcomes)
    if family.kind != "number":
        return False
    values = outcomes[column].to_numpy(dtype=float)
    return bool(np.isfinite(values[0]) and np.all(values == values[0]))


def by_construction(outcomes: pd.DataFrame, claim: ClaimLike, most_free: int = 8) -> bool:
    """True when the claim is exactly 0 or 1 *by construction* in these rows (one policy's runs).

    That is: it holds in every row or in none, some outcome it reads is fixed by the model
    (:func:`_fixed`), and the claim keeps its value whatever the other outcomes it reads do
    (each free one set to its lowest and highest value in these rows, or to false and true,
    in every combination). No sampled input moves such a claim, so its 0 or 1 is a property
    of the model rather than an estimate; a claim that is 0 only because a rare event never
    fired in these runs is not by construction, nor is ``misfired(a) or fired(b)`` when ``b``
    merely never fired.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> claim = SimpleNamespace(id="m", text="", expr="miscalc_peak > 0.1")
    >>> by_construction(pd.DataFrame({"miscalc_peak": [0.0, 0.0]}), claim)
    True
    >>> by_construction(pd.DataFrame({"miscalc_peak": [0.0, 0.05]}), claim)
    False
    >>> rare = SimpleNamespace(id="r", text="", expr="miscalc_peak > 0.1 or fired(e)")
    >>> by_construction(pd.DataFrame({"miscalc_peak": [0.0, 0.0], "fired.e": [False, False]}), rare)
    False
    """
    if len(outcomes) == 0:
        return False
    holds = claim_indicator(outcomes, claim)
    if holds.any() and not holds.all():
        return False
    columns = sorted(c for c in parse(claim.expr).columns() if c in outcomes.columns)
    fixed = [c for c in columns if _fixed(outcomes, c)]
    free = [c for c in columns if c not in fixed]
    if not fixed or len(free) > most_free:
        return False
    corners = {c: _corners(outcomes[c]) for c in free}
    grid = pd.MultiIndex.from_product(list(corners.values()), names=free).to_frame(index=False) if free \
        else pd.DataFrame(index=[0])
    for c in fixed:
        grid[c] = outcomes[c].iloc[0]
    return bool((claim_indicator(grid, claim) == holds[0]).all())


def _corners(col: pd.Series) -> list[Any]:
    """The extreme values a free outcome could take: false and true, or its lowest and highest."""
    if col.dtype == bool:
        return [False, True]
    values = col.to_numpy(dtype=float)
    finite = values[np.isfinite(values)]
    return [float(finite.min()), float(finite.max())] if len(finite) else [np.nan]
