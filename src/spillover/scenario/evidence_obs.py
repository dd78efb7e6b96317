"""A compiled observation: the report, its expression and the engine days it reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from spillover.scenario.evidence import Evidence, Observation, grade_rule
from spillover.scenario.evidence_check import Names
from spillover.scenario.expr import Expr, compile_expr

__all__ = ["MAX_WINDOW_DAYS", "Obs", "compile_obs", "engine_days"]

MAX_WINDOW_DAYS = 32
"""A window is read on at most this many days, evenly spread (every day of a shorter one)."""


@dataclass(frozen=True)
class Obs:
    """One observation ready to score runs against (see :mod:`spillover.analysis.evidence`)."""

    id: str
    file: str
    line: int
    report: Observation
    expr: Expr
    days: tuple[int, ...]
    since: int | None
    scale: str | None  # input name of an uncertain scale, else None
    offset: str | None

    @property
    def form(self) -> str:
        return self.report.form

    @property
    def floor(self) -> float:
        return grade_rule(self.report.grade)[0]

    @property
    def widen(self) -> float:
        return grade_rule(self.report.grade)[1]

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


def _day(sc: Any, d: dt.date) -> int:
    return (d - sc.start).days


def engine_days(sc: Any, obs: Observation) -> tuple[int, ...]:
    """The engine days an observation is read on: its date, or up to 32 days of its window."""
    first, last = _day(sc, obs.first_day), _day(sc, obs.last_day)
    if last - first + 1 <= MAX_WINDOW_DAYS:
        return tuple(range(first, last + 1))
    step = (last - first) / (MAX_WINDOW_DAYS - 1)
    return tuple(sorted({first + round(i * step) for i in range(MAX_WINDOW_DAYS)}))


def compile_obs(sc: Any, ev: Evidence, oid: str, obs: Observation, file: str, line: int,
                kind: str = "observations", names: Names | None = None) -> Obs:
    """An observation of a valid evidence section, compiled (``names``: the section's, when
    the caller compiles many of its observations)."""
    names = names or Names.of(sc, ev)
    return Obs(id=oid, file=file, line=line, report=obs, expr=compile_expr(obs.measures, names.all),
               days=engine_days(sc, obs), since=None if obs.since is None else _day(sc, obs.since),
               scale=names.scales.get(f"{kind}.{oid}.scale"), offset=names.scales.get(f"{kind}.{oid}.offset"))
