"""Checks of dates: schedule steps, dated events, lump sums, lever windows and outcome windows.

Each date must fall within the run (``start`` to ``start + horizon − 1``) where a date
outside it would silently never matter.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from spillover.scenario.checker import Checker, Path_
from spillover.scenario.dates import DateQuantity
from spillover.scenario.errors import Problem
from spillover.scenario.levers import Window
from spillover.scenario.model import Schedule
from spillover.scenario.refs import ANY, match


def _outside(q: DateQuantity, first: dt.date, last: dt.date) -> dt.date | None:
    """A date the quantity can take outside [first, last], or None."""
    lo, hi = q.first_date, q.last_date
    return lo if lo < first else hi if hi > last else None


def _can_be(q: DateQuantity, bad: dt.date) -> str:
    """``is 2025-03-01`` for a fixed date, ``can be 2025-03-01`` for an uncertain one."""
    return f"is {bad}" if q.first_date == q.last_date else f"can be {bad}"


def _schedules(c: Checker) -> list[tuple[Path_, Schedule]]:
    sc = c.sc
    out: list[tuple[Path_, Schedule]] = []
    for section in ("production", "demand"):
        out += [((section, a, m), s) for a, by in getattr(sc, section).items() for m, s in by.items()]
    out += [(("transfers", f, "rate"), tr.rate) for f, tr in sc.transfers.items() if tr.rate is not None]
    return out


def check_dates(c: Checker) -> None:
    """The run ends by 9999-12-31, and every schedule step starts within the horizon."""
    start, horizon = c.sc.start, c.sc.horizon
    if start is None or horizon is None:
        return
    span = c.run_days()
    if span is None:
        c.bad(("horizon",), f"the run would end after 9999-12-31 (start {start} plus {horizon} days); "
              "choose an earlier start or a shorter horizon")
        return
    last = span[1]
    for path, schedule in _schedules(c):
        for i, step in enumerate(schedule.piecewise or []):
            day = step.start
            if day.first_date > last:
                c.bad((*path, "piecewise", i, "from"), f"this step starts on {day.first_date}, after "
                      f"the horizon's last day {last} (start {start} plus {horizon} days); it never "
                      "takes effect")
            elif day.uncertain and (day.first_date < start or day.last_date > last):
                c.bad((*path, "piecewise", i, "from"), f"this uncertain date can be {day.first_date} to "
                      f"{day.last_date}; every date it can take must fall within the run ({start} to {last})")
    check_dated_events(c, *span)
    check_lumps(c, *span)
    check_lever_windows(c, *span)
    check_outcome_windows(c, *span)


def check_dated_events(c: Checker, first: dt.date, last: dt.date) -> None:
    for e, ev in c.sc.events.items():
        on = ev.trigger.on
        bad = _outside(on, first, last) if on is not None else None
        if on is not None and bad is not None:
            c.bad(("events", e, "trigger", "on"), f"this event's date {_can_be(on, bad)}, outside the run "
                  f"({first} to {last}); it would never fire there. Move the date inside the run or change "
                  "the horizon")


def check_lumps(c: Checker, first: dt.date, last: dt.date) -> None:
    for f, tr in c.sc.transfers.items():
        for i, lump in enumerate(tr.compensation.lumps if tr.compensation else []):
            bad = _outside(lump.on, first, last)
            if bad is not None:
                c.bad(("transfers", f, "compensation", "lumps", i, "on"), f"this lump sum's date "
                      f"{_can_be(lump.on, bad)}, outside the run ({first} to {last}); it would never be paid")


Setting = float | list[tuple[int, Window]]


def lever_settings(c: Checker) -> Iterator[tuple[Path_, Setting]]:
    """Each lever's setting in each policy as the file gives it: a number, or the windows that
    validate (with their index). A policy that failed validation (one window's from after its
    to) still has its other windows and values checked."""
    for path, value in match(c.data, ("policies", ANY, "levers", ANY)):
        if isinstance(value, list):
            yield path, [(i, w) for i, raw in enumerate(value) if (w := _window(raw)) is not None]
        elif isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            yield path, float(value)


def _window(raw: Any) -> Window | None:
    try:
        return Window.model_validate(raw)
    except ValidationError:
        return None


def check_lever_windows(c: Checker, first: dt.date, last: dt.date) -> None:
    """Windows of one lever may not overlap; a window wholly outside the run is a warning."""
    for path, value in lever_settings(c):
        if isinstance(value, list):
            prev: Window | None = None
            for i, w in sorted(value, key=lambda iw: iw[1].start or dt.date.min):
                if prev is not None and (prev.end is None or (w.start or dt.date.min) <= prev.end):
                    c.bad((*path, i), f"this window ({w.text()}) overlaps the one before ({prev.text()}); "
                          "the windows of one lever may not overlap: end one before the next begins")
                prev = w
                if (w.start and w.start > last) or (w.end and w.end < first):
                    c.warn((*path, i), f"this window ({w.text()}) lies outside the run ({first} to {last}), "
                           "so it never applies")


def _expr_problem(c: Checker, path: Path_, column: int, message: str) -> Problem:
    line, col = c.doc.where(path)
    raw = c.doc.text.splitlines()[line - 1] if c.doc.text else ""
    quoted = 1 if raw[col - 1: col] in ("'", '"') else 0
    return Problem(c.doc.file, line, col + quoted + max(column, 1) - 1, message)


def check_outcome_windows(c: Checker, first: dt.date, last: dt.date) -> None:
    """The ``windows:`` section, and windows named in claims: from ≤ to, within the run."""
    for i, w in enumerate(c.sc.windows):
        if w.start < first or w.end > last:
            c.bad(("windows", i), f"this window ({w.start} to {w.end}) reaches outside the run ({first} to "
                  f"{last}); windowed outcomes are counted within the run")
    for path, text in match(c.data, ("claims", ANY, "expr")):
        for column, position in _windowed_columns(text):
            from spillover.scenario.outcomes import window_of

            span = window_of(column)
            if span is None:
                continue
            if span[0] > span[1]:
                msg = f"the window's from ({span[0]}) is after its to ({span[1]}); swap them"
            elif span[0] < first or span[1] > last:
                msg = f"the window {span[0]} to {span[1]} reaches outside the run ({first} to {last})"
            else:
                continue
            c.problems.append(_expr_problem(c, path, position, f"claim '{path[1]}': {msg}"))


def _windowed_columns(text: Any) -> list[tuple[str, int]]:
    from spillover.scenario.expr import Column, ExprError, parse

    if not isinstance(text, str):
        return []
    try:
        expr = parse(text)
    except ExprError:
        return []
    return [(n.name, n.position or 1) for n in expr.walk() if isinstance(n, Column)]
