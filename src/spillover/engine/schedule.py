"""Schedules as a linear basis over days: rate[t] = sum_k basis[t, k] * value_k, times scales."""

from __future__ import annotations

import datetime as dt

import numpy as np

from spillover.scenario.dates import DateQuantity
from spillover.scenario.model import Schedule
from spillover.scenario.quantity import Quantity

Path_ = tuple[str | int, ...]


def _day(date: dt.date, start: dt.date) -> int:
    return (date - start).days


def step_day(q: DateQuantity, start: dt.date) -> int:
    """The day of the run a fixed date falls on (day 0 is ``start``)."""
    if q.origin is None:  # not rebased: an ordinal
        return int(q.params[0]) - start.toordinal()
    return int(np.rint(q.params[0]))


def basis(schedule: Schedule, start: dt.date, horizon: int, path: Path_) -> tuple[
    np.ndarray, list[tuple[Path_, Quantity]]
]:
    """The (horizon, K) basis of a schedule and the K quantities it weighs.

    A constant is one column of ones. A piecewise schedule is a step function: column k is
    1 from its ``from`` date until the next one (zero before the first). A ramp is linear
    interpolation between its points and constant outside them. A piecewise schedule whose
    dates are uncertain (:attr:`Schedule.dated`) has zero columns: each run's step days are
    its own, and the engine picks the step in force row by row.
    """
    t = np.arange(horizon)
    if schedule.constant is not None:
        return np.ones((horizon, 1)), [((*path, "constant"), schedule.constant)]
    if schedule.piecewise is not None:
        steps = schedule.piecewise
        qs: list[tuple[Path_, Quantity]] = [((*path, "piecewise", k, "rate"), s.rate)
                                            for k, s in enumerate(steps)]
        if schedule.dated:
            return np.zeros((horizon, len(steps))), qs
        starts = [step_day(s.start, start) for s in steps] + [np.iinfo(np.int64).max]
        cols = [((t >= starts[k]) & (t < starts[k + 1])).astype(float) for k in range(len(steps))]
        return np.stack(cols, axis=1), qs
    points = schedule.ramp or []
    days = np.array([_day(p.at, start) for p in points], dtype=float)
    cols = []
    for k in range(len(points)):
        unit = np.zeros(len(points))
        unit[k] = 1.0
        cols.append(np.interp(t, days, unit))
    qs = [((*path, "ramp", k, "rate"), p.rate) for k, p in enumerate(points)]
    return np.stack(cols, axis=1), qs
