"""The checks beyond the schema, each located in the file: references, logic, strict mode, claims.

:func:`check` runs them all on the validated scenario, or on the partial scenario that
shape validation leaves when the file has shape errors (see :mod:`spillover.scenario.shape`),
so that one pass reports every problem. It returns errors and warnings apart.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from spillover.scenario.checker import Checker
from spillover.scenario.checks_flows import check_coupled, check_leaked_signals, check_production
from spillover.scenario.checks_growth import check_growth
from spillover.scenario.checks_time import check_dates, lever_settings
from spillover.scenario.dates import DateQuantity
from spillover.scenario.errors import Problem, Suggestions
from spillover.scenario.evidence_check import evidence_problems
from spillover.scenario.model import Scenario, Schedule, Span
from spillover.scenario.refs import ANY, RefChecker, match
from spillover.scenario.refs import section as raw_section
from spillover.scenario.source import SourceDoc
from spillover.scenario.walk import input_name, quantities

Path_ = tuple[str | int, ...]
RESERVED_INPUTS = ("run", "policy")  # columns of the experiments and outcomes tables


class _Checker(Checker):
    def transfers(self) -> None:
        sc = self.sc
        for f, tr in sc.transfers.items():
            if tr.supplier == tr.recipient:
                self.bad(("transfers", f, "recipient"),
                         "a transfer needs a recipient other than its supplier")
            if tr.compensation is not None and f not in tr.compensation.parents and self._cycle(f):
                self.bad(("transfers", f, "compensation", "for"), "compensation flows form a cycle")

    def _cycle(self, f: str) -> bool:
        """True when following f's parents (transfers it pays for) leads back to f."""
        sc = self.sc
        stack, seen = [f], set[str]()
        while stack:
            comp = sc.transfers[stack.pop()].compensation
            for parent in comp.parents if comp else []:
                if parent == f:
                    return True
                if parent in sc.transfers and parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
        return False

    def holdings(self) -> None:
        """A transfer that would ship, but whose supplier never holds its munition: a warning."""
        held = self.held()
        for f, tr in self.sc.transfers.items():
            mun = self.sc.munitions.get(tr.munition)
            if mun is None or mun.kind != "munition" or (tr.supplier, tr.munition) in held:
                continue
            if tr.rate is not None and not _may_flow(tr.rate):
                continue  # its rate is zero throughout: it ships nothing whatever the supplier holds
            if tr.supplier not in (self.names["actors"] or ()):
                continue
            self.warn(("transfers", f, "supplier"),
                      f"'{tr.supplier}' never holds '{tr.munition}' (no stock, production or incoming "
                      f"transfer of it), so transfer '{f}' ships nothing; add a stock or production, "
                      "or make the munition kind: good")

    def signals(self) -> None:
        for s in self.names["signals"] or ():
            if s in (self.names["indicators"] or ()):
                self.bad(("signals", s), f"'{s}' names both a signal and an indicator; rename one", key=True)

    def events(self) -> None:
        sc = self.sc
        started = set()
        for e, ev in sc.events.items():
            for i, eff in enumerate(ev.effects):
                if eff.start is None:
                    continue
                started.add(eff.start)
                tr = sc.transfers.get(eff.start)
                if tr is not None and not tr.dormant:
                    self.bad(("events", e, "effects", i, "start"), f"transfer '{eff.start}' already flows "
                             "from day 0; mark it dormant: true so that this event starts it")
        if not self.complete("events"):
            return  # an event that failed validation may start a dormant transfer
        for f, tr in sc.transfers.items():
            if tr.dormant and f not in started:
                self.bad(("transfers", f, "dormant"),
                         f"dormant transfer '{f}' is started by no event; add an effect "
                         f"'start: {f}' to an event or drop dormant")

    def policies(self) -> None:
        if not self.data.get("policies"):
            self.bad(("policies",) if "policies" in self.data else (),
                     "the scenario declares no policy; add at least one, e.g. "
                     "'policies: {status-quo: {levers: {}}}'")
        for path, setting in lever_settings(self):
            values = [(path, setting)] if not isinstance(setting, list) else \
                [((*path, i, "value"), w.value) for i, w in setting]
            for where, value in values:
                if not 0 <= value <= 1:
                    self.bad(where, f"lever values lie between 0 and 1, got {value:g}")

    def inputs(self, strict: bool) -> None:
        """Strict sources, and input names: unique per number, and not a table's own column."""
        seen: dict[str, object] = {}
        for path, q in quantities(self.sc):
            plain_date = isinstance(q, DateQuantity) and q.kind == "value"  # a date, like any other
            if strict and not q.sources and not q.judgment and path in self.doc.values and not plain_date:
                self.bad(path, "this number has no source; add 'source: KEY' (a key of "
                         "sources) or 'judgment: true' (strict mode)")
            if q.name in RESERVED_INPUTS:
                self.bad((*path, "name"), f"the input name '{q.name}' is reserved (a column of the "
                         "experiments and outcomes tables); choose another name")
            elif q.name:
                other = seen.setdefault(q.name, q)
                if other != q:
                    self.bad(path, f"input name '{q.name}' is used for a different number")
            input_name(path, q)
        if strict:
            for c, claim in self.sc.claims.items():
                if claim.source is None:
                    self.bad(("claims", c), "this claim has no source (strict mode)")

    def claims(self) -> None:
        from spillover.scenario.expr import ExprError, compile_expr
        from spillover.scenario.outcomes import outcome_names, yes_no

        view = _outcome_view(self.data, self.sc)
        if view is None:
            return  # a section the outcomes come from is not a mapping: their names are unknown
        available = outcome_names(view)  # type: ignore[arg-type]
        for path, text in match(self.data, ("claims", ANY, "expr")):
            c = path[1]
            if not isinstance(text, str):
                continue
            try:
                expr = compile_expr(text, available)
            except ExprError as exc:
                line, col = self.doc.where(path)
                raw = self.doc.text.splitlines()[line - 1] if self.doc.text else ""
                quoted = 1 if raw[col - 1: col] in ("'", '"') else 0
                self.problems.append(Problem(self.doc.file, line, col + quoted + max(exc.column or 1, 1) - 1,
                                             f"claim '{c}': {exc.message}"))
                continue
            if not yes_no(expr):
                self.bad(path, f"claim '{c}' needs a true/false expression: a comparison such as "
                         f"'{text.strip()} > 0', or a yes/no outcome such as fired(EVENT)")

    def cases_and_directions(self, strict: bool, partial: bool = False) -> None:
        """The ``cases:`` and ``prefer:`` sections (see :mod:`spillover.scenario.cases`)."""
        from spillover.scenario.cases import case_problems
        from spillover.scenario.directions import prefer_problems

        def sure(message: str) -> bool:  # an unknown name may belong to an entry left out
            return not (partial and message.startswith(("unknown input", "unknown outcome")))

        for path, message in case_problems(self.sc, strict):
            if sure(message):
                self.bad(path, message)
        for path, message in prefer_problems(self.sc):
            if sure(message):
                self.bad(path, message, key=True)


def _may_flow(schedule: Schedule) -> bool:
    """True when some rate of the schedule, scaled, can be above zero."""
    steps = schedule.piecewise or schedule.ramp or []
    rates = [schedule.constant] if schedule.constant is not None else [s.rate for s in steps]
    top = max((q.support()[1] for q in rates if q is not None), default=0.0)
    return top > 0 and all(q.support()[1] > 0 for q in schedule.scale)


def _outcome_view(data: dict[str, Any], sc: Scenario) -> SimpleNamespace | None:
    """The names :func:`outcome_names` reads, as the file declares them (valid or not).

    None when one of the sections they come from is there but is not a mapping.
    """
    sections = ("transfers", "demand", "stocks", "indicators", "events", "claims")
    raw = {s: raw_section(data, s) for s in sections}
    if any(v is not None and not isinstance(v, dict) for v in raw.values()):
        return None
    raw = {s: v or {} for s, v in raw.items()}

    def table(s: str) -> dict[str, dict[str, Any]]:
        return {a: {k: SimpleNamespace(follows=v.get("follows") if isinstance(v, dict) else None)
                    for k, v in by.items() if isinstance(k, str)}
                for a, by in raw[s].items() if isinstance(by, dict)}

    def name(value: Any) -> str | None:
        return value if isinstance(value, str) else None

    transfers = {f: SimpleNamespace(recipient=name(t.get("recipient")), munition=name(t.get("munition")))
                 for f, t in raw["transfers"].items() if isinstance(t, dict)}
    claims = {c: SimpleNamespace(expr=x.get("expr")) for c, x in raw["claims"].items() if isinstance(x, dict)}
    events = {e: sc.events.get(e) for e in raw["events"]}
    windows: list[Span] = list(sc.windows or [])
    return SimpleNamespace(transfers=transfers, demand=table("demand"), stocks=table("stocks"),
                           indicators=dict.fromkeys(raw["indicators"]), events=events, claims=claims,
                           windows=windows)


def check(sc: Scenario, doc: SourceDoc, strict: bool = False, hints: Suggestions | None = None,
          partial: bool = False) -> tuple[list[Problem], list[Problem]]:
    """Every problem beyond the schema in ``sc``: (errors, warnings); under strict, no warnings.

    ``partial``: ``sc`` lacks the entries that had shape errors, so a name a case or ``prefer:``
    cannot find may be one of theirs; those findings are left to the next pass.
    """
    c = _Checker(sc, doc, hints or Suggestions())
    c.problems += RefChecker(doc, c.names, c.hints).run()
    c.transfers()
    c.holdings()
    c.signals()
    c.events()
    c.policies()
    check_dates(c)
    check_coupled(c)
    check_production(c)
    check_leaked_signals(c)
    check_growth(c)
    c.inputs(strict)
    c.claims()
    c.cases_and_directions(strict, partial)
    c.problems += evidence_problems(sc, doc, c.hints)
    if strict:
        strict_errors = [Problem(w.file, w.line, w.col, f"{w.message} (strict mode)") for w in c.warnings]
        return c.problems + strict_errors, []
    return c.problems, c.warnings
