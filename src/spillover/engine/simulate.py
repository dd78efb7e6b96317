"""Simulate rows over the horizon with one of the two engines, which give the same results.

``compiled`` (the default) is the step compiled with Numba (:mod:`spillover.engine.jit`,
packed by :mod:`spillover.engine.compiled`); ``numpy`` is the readable reference step
(:mod:`spillover.engine.step`) the compiled one is tested against.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

from spillover.engine.draws import Draws
from spillover.engine.finite import check_finite
from spillover.engine.params import Params
from spillover.engine.state import State
from spillover.engine.step import simulate_numpy
from spillover.engine.structure import Structure
from spillover.engine.watch import Watcher

ENGINES = ("compiled", "numpy")


def engine_name(requested: str | None = None) -> str:
    """The engine a run uses: ``requested``, else ``$SPILLOVER_ENGINE``, else ``compiled``."""
    name = requested or os.environ.get("SPILLOVER_ENGINE") or "compiled"
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}: use one of {', '.join(ENGINES)}")
    return name


def simulate(st: Structure, p: Params, draws: Draws, watchers: Sequence[Watcher] = (),
             engine: str | None = None, threads: int = 1) -> State:
    """Run every row of ``p`` over the horizon and return the final state.

    Each watcher sees the state after every day. The compiled engine fills the run's own
    watchers (outcomes, histograms, recorded series, ranges) inside its loop; with any
    other watcher, or with ``engine="numpy"``, the NumPy step calls each watcher's
    ``observe(state)`` after every day. The compiled engine steps its blocks of rows on
    ``threads`` threads (the same results on any number).

    Raises
    ------
    NonFiniteError
        When a quantity of a row became infinite or NaN: it names the quantity, the row
        and the day (:mod:`spillover.engine.finite`).
    """
    if engine_name(engine) == "compiled":
        from spillover.engine.compiled import simulate_compiled, supports

        if supports(watchers):
            final = simulate_compiled(st, p, draws, watchers, threads=threads)
            check_finite(st, p, draws, final)
            return final
    with np.errstate(over="ignore", invalid="ignore"):  # checked below, and named
        final = simulate_numpy(st, p, draws, watchers)
    check_finite(st, p, draws, final)
    return final
