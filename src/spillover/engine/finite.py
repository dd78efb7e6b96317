"""No silent non-finite values: a state that becomes infinite or NaN stops the run, named.

Every cumulative quantity keeps a non-finite value once it has one (a stock, a counter, an
indicator: ``x + inf`` stays infinite, ``inf − inf`` and everything after it is NaN), so the
final state shows whether any row ever overflowed. Only then is the first such row stepped
again alone, with the NumPy step and a watcher that checks every day, to name the
quantity and the day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np

from spillover.engine.draws import Draws
from spillover.engine.params import Params
from spillover.engine.state import State
from spillover.engine.structure import Structure


class NonFiniteError(ValueError):
    """A quantity of the run became infinite or NaN: which one, in which row, on which day."""

    def __init__(self, message: str, quantity: str = "", day: int = -1, row: int = -1) -> None:
        super().__init__(message)
        self.quantity, self.day, self.row = quantity, day, row

    def __reduce__(self) -> tuple[type[NonFiniteError], tuple[str, str, int, int]]:
        return (NonFiniteError, (str(self), self.quantity, self.day, self.row))


def _named(st: Structure, s: State) -> Iterator[tuple[str, np.ndarray]]:
    """Every quantity of the state, as (name, (R, n) values)."""
    R = s.S.shape[0]
    cells = [f"{a}.{m}" for a in st.actors for m in st.munitions]
    for kind, arr in (("indicator", s.levels[0].T), ("indicator (true signals)", s.levels[1].T)):
        yield from ((f"{kind} '{k}'", arr[:, [i]]) for i, k in enumerate(st.indicators))
    for kind, arr in (("stock", s.S), ("production", s.produced), ("fire", s.fired),
                      ("demand", s.demanded), ("shortfall", s.shortfall)):
        flat = arr.reshape(R, -1)
        yield from ((f"{kind} of {c}", flat[:, [i]]) for i, c in enumerate(cells))
    for j, what in enumerate(("shipped", "delivered", "lost")):
        yield from ((f"{what} by transfer '{f}'", s.flows[j].T[:, [i]]) for i, f in enumerate(st.transfers))
    yield "leaked units", s.leaked
    yield "event hazard", s.hazard


def first_bad(st: Structure, s: State) -> tuple[str, int] | None:
    """(quantity, row) of the first non-finite value of the state, or None when all are finite."""
    for name, values in _named(st, s):
        bad = ~np.isfinite(values).all(axis=1)
        if bad.any():
            return name, int(np.argmax(bad))
    return None


class _Found(Exception):
    """Raised by :class:`_DayCheck` to stop the step once the day is known."""


class _DayCheck:
    """Stops the NumPy step on the first day some quantity is not finite."""

    def __init__(self, st: Structure) -> None:
        self.st = st
        self.found: tuple[str, int] | None = None

    def observe(self, s: State) -> None:
        if self.found is None:
            bad = first_bad(self.st, s)
            if bad is not None:
                self.found = (bad[0], s.t)
                raise _Found


def _one_row(d: Draws, row: int) -> Draws:
    noise = d.noise[:, row: row + 1] if d.noise.ndim == 4 else d.noise[row: row + 1]
    return Draws(noise=noise, thresholds=d.thresholds[row: row + 1])


def check_finite(st: Structure, p: Params, draws: Draws, s: State) -> None:
    """Raise :class:`NonFiniteError` if any quantity of any row became infinite or NaN."""
    bad = first_bad(st, s)
    if bad is None:
        return
    from spillover.engine.step import simulate_numpy

    name, row = bad
    check = _DayCheck(st)
    try:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            simulate_numpy(st, p.take(np.array([row])), _one_row(draws, row), [check])
    except _Found:
        pass
    name, day = check.found or (name, st.T - 1)
    date = st.scenario.start + dt.timedelta(days=day)
    hint = ("A linear indicator fed back with a gain above 1 diverges: lower its weights, make it "
            "logistic, or shorten the horizon" if name.startswith("indicator") else
            "Check the numbers that feed it: an overflowing rate, or a huge value given for an input")
    raise NonFiniteError(
        f"{name} became infinite or NaN on day {day} ({date}) of row {row}; the run stops rather than "
        f"report numbers that are not numbers. {hint}", name, day, row)
