"""The checks of an evidence section beyond its schema, each located in its file.

Sources must be declared (in the scenario or the evidence file), dates must lie within
the scenario's horizon, ``measures:`` must name model quantities and inputs the scenario
has and give a number (or a yes/no for ``value: true/false``), and a count cannot be
reported as negative.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import ValidationError

from spillover.scenario.errors import NameSet, Problem, Suggestions
from spillover.scenario.evidence import Evidence, Observation, Reported
from spillover.scenario.expr import Arith, Column, Expr, ExprError, Neg, compile_expr
from spillover.scenario.measures import is_flag, measure_names
from spillover.scenario.source import SourceDoc

Path_ = tuple[str | int, ...]
COUNTS = ("shipped", "delivered", "lost", "shipped_today", "delivered_today", "stock", "produced",
          "fired_total", "demanded", "shortfall", "fired_today")


def scale_names(ev: Evidence) -> dict[str, str]:
    """Input name of every uncertain ``scale``/``offset`` (its ``name:``, else ``<id>.scale``)."""
    out: dict[str, str] = {}
    for kind, table in (("observations", ev.observations), ("series", ev.series)):
        for oid, rep in table.items():
            for part in ("scale", "offset"):
                q = getattr(rep, part)
                if q.uncertain:
                    out[f"{kind}.{oid}.{part}"] = q.name or f"{oid}.{part}"
    return out


def scenario_names(sc: Any) -> tuple[str, ...]:
    """The scenario's quantities and inputs that a ``measures:`` expression may read."""
    from spillover.scenario.inputs import scenario_inputs

    return (*measure_names(sc), *(i.name for i in scenario_inputs(sc)))


@dataclass(frozen=True)
class Names:
    """What one evidence section's ``measures:`` may read, worked out once for all its
    observations (per observation, a file of thousands took minutes)."""

    known: tuple[str, ...]  # the scenario's quantities and inputs
    scales: dict[str, str]  # the section's uncertain conversions (scale_names)

    @classmethod
    def of(cls, sc: Any, ev: Evidence, known: tuple[str, ...] | None = None) -> Names:
        return cls(scenario_names(sc) if known is None else known, scale_names(ev))

    @cached_property
    def all(self) -> list[str]:
        return [*self.known, *self.scales.values()]


def available(sc: Any, ev: Evidence) -> list[str]:
    """The names a ``measures:`` expression may read: quantities and inputs."""
    return Names.of(sc, ev).all


def is_count(expr: Expr) -> bool:
    """True when the expression can only be >= 0: counts and inputs, no minus sign."""
    for node in expr.walk():
        if isinstance(node, Neg) or (isinstance(node, Arith) and any(op == "-" for op, _ in node.rest)):
            return False
        if isinstance(node, Column) and "." in node.name and node.name.partition(".")[0] not in COUNTS:
            return False
    return True


class EvidenceChecker:
    """Every problem of one evidence section (``prefix`` is where it stands in its file)."""

    def __init__(self, ev: Evidence, sc: Any, doc: SourceDoc, prefix: Path_, hints: Suggestions,
                 names: Names | None = None) -> None:
        self.ev, self.sc, self.doc, self.prefix, self.hints = ev, sc, doc, prefix, hints
        self.problems: list[Problem] = []
        self.names = NameSet((names or Names.of(sc, ev)).all)
        self.sources = NameSet([*sc.sources, *ev.sources])

    def bad(self, path: Path_, message: str, key: bool = False) -> None:
        self.problems.append(self.doc.problem((*self.prefix, *path), message, key=key))

    def run(self) -> list[Problem]:
        ev, sc = self.ev, self.sc
        if ev.scenario is not None and ev.scenario != sc.name:
            self.bad(("scenario",), f"this evidence is written for scenario '{ev.scenario}', not '{sc.name}'")
        if ev.policy is not None and ev.policy not in sc.policies:
            hint = self.hints.did_you_mean(ev.policy, sc.policies)
            self.bad(("policy",), f"unknown policy '{ev.policy}'{hint}")
        for oid, obs in ev.observations.items():
            self.reported(("observations", oid), obs)
            self.dates(("observations", oid), obs)
        for sid, ser in ev.series.items():
            self.reported(("series", sid), ser)
        return self.problems

    def reported(self, path: Path_, rep: Reported) -> None:
        if rep.source not in self.sources:
            self.bad((*path, "source"), f"unknown source '{rep.source}'"
                     f"{self.hints.did_you_mean(rep.source, self.sources)}")
        expr = self.measures(path, rep.measures)
        if expr is None:
            return
        flag = isinstance(expr, Column) and is_flag(expr.name)
        if isinstance(rep, Observation) and rep.form == "flag" and not (flag or expr.is_predicate):
            self.bad((*path, "value"), "value: true/false observes a yes/no quantity, e.g. "
                     "measures: fired(kor_arms_ukraine); give a number with its error instead")
        elif (not isinstance(rep, Observation) or rep.form != "flag") and (flag or expr.is_predicate):
            self.bad((*path, "measures"), "this measures a yes/no quantity: observe it with value: true "
                     "or value: false")
        elif isinstance(rep, Observation) and is_count(expr) and rep.offset.support()[0] >= 0 \
                and rep.scale.support()[0] >= 0:
            self.negative(path, rep)

    def negative(self, path: Path_, obs: Observation) -> None:
        for form in ("value", "more_than", "less_than", "between"):
            given = getattr(obs, form)
            low = min(given) if isinstance(given, tuple) else given
            if isinstance(low, float) and low < 0 and not isinstance(given, bool):
                self.bad((*path, form), f"a count cannot be negative, got {low:g} ({obs.measures} is "
                         "a quantity of at least 0)")

    def measures(self, path: Path_, text: str) -> Expr | None:
        try:
            return compile_expr(text, self.names)
        except ExprError as exc:
            line, col = self.doc.where((*self.prefix, *path, "measures"))
            raw = self.doc.text.splitlines()[line - 1] if self.doc.text and line else ""
            quoted = 1 if raw[col - 1: col] in ("'", '"') else 0
            message = exc.message.replace("unknown outcome", "unknown quantity or input")
            self.problems.append(Problem(self.doc.file, line, col + quoted + max(exc.column or 1, 1) - 1,
                                         f"measures: {message}"))
            return None

    def dates(self, path: Path_, obs: Observation) -> None:
        for key, day in self._days(obs):
            where = (*path, *key)
            self.within(where, day)
        if obs.since is not None and obs.since >= obs.first_day:
            self.bad((*path, "since"), f"since {obs.since} must come before the observation's date "
                     f"{obs.first_day}")
        if obs.published is not None and obs.published < obs.last_day:
            self.bad((*path, "published"), f"published {obs.published} comes before the date it reports "
                     f"on ({obs.last_day})")

    def within(self, where: Path_, day: dt.date) -> None:
        start, horizon = self.sc.start, self.sc.horizon
        last = start + dt.timedelta(days=horizon - 1)
        if not start <= day <= last:
            self.bad(where, f"date {day} lies outside the scenario's horizon ({start} to {last})")

    @staticmethod
    def _days(obs: Observation) -> Iterable[tuple[Path_, dt.date]]:
        if obs.date is not None:
            yield ("date",), obs.date
        if obs.window is not None:
            yield ("window", 0), obs.window[0]
            yield ("window", 1), obs.window[1]
        if obs.since is not None:
            yield ("since",), obs.since


def sound_part(data: dict[str, Any], errors: list[Any]) -> Evidence | None:
    """The evidence without the entries that have shape errors (None if that fails too)."""
    bad = {(e["loc"][0], e["loc"][1]) for e in errors if len(e["loc"]) > 1}
    top = {e["loc"][0] for e in errors if len(e["loc"]) <= 1}
    part = {k: ({i: v for i, v in data[k].items() if (k, i) not in bad} if isinstance(data[k], dict)
                and k in ("observations", "series", "sources") else data[k])
            for k in data if k not in top}
    try:
        return Evidence.model_validate(part)
    except ValidationError:
        return None


def evidence_problems(sc: Any, doc: SourceDoc, hints: Suggestions | None = None,
                      prefix: Path_ = ("evidence",)) -> list[Problem]:
    """The problems of the scenario's own ``evidence:`` section (none without one)."""
    ev = getattr(sc, "evidence", None)
    raw = doc.data.get(prefix[0]) if len(prefix) == 1 and isinstance(doc.data, dict) else None
    if ev is None and isinstance(raw, dict):  # a shape error dropped the section: check what is sound
        try:
            ev = Evidence.model_validate(raw)
        except ValidationError as exc:
            ev = sound_part(raw, exc.errors())
    if ev is None or sc.start is None or sc.horizon is None:
        return []
    return EvidenceChecker(ev, sc, doc, prefix, hints or Suggestions()).run()
