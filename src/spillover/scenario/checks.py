"""Cross-reference checks on a validated scenario, each located in the file."""

from __future__ import annotations

from collections.abc import Iterable

from spillover.scenario.errors import Problem, did_you_mean
from spillover.scenario.model import Scenario
from spillover.scenario.source import SourceDoc
from spillover.scenario.walk import input_name, quantities

Path_ = tuple[str | int, ...]


class _Checker:
    def __init__(self, sc: Scenario, doc: SourceDoc) -> None:
        self.sc, self.doc = sc, doc
        self.problems: list[Problem] = []

    def bad(self, path: Path_, message: str, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def ref(self, name: str, valid: Iterable[str], what: str, path: Path_, key: bool = False) -> bool:
        valid = list(valid)
        if name in valid:
            return True
        self.bad(path, f"unknown {what} '{name}'{did_you_mean(name, valid)}", key=key)
        return False

    def stock_table(self, section: str) -> None:
        table = getattr(self.sc, section)
        for a, by in table.items():
            self.ref(a, self.sc.actors, "actor", (section, a), key=True)
            for m in by:
                self.ref(m, self.sc.munitions, "munition", (section, a, m), key=True)

    def transfers(self) -> None:
        sc = self.sc
        for f, tr in sc.transfers.items():
            p: Path_ = ("transfers", f)
            self.ref(tr.supplier, sc.actors, "actor", (*p, "supplier"))
            self.ref(tr.recipient, sc.actors, "actor", (*p, "recipient"))
            self.ref(tr.munition, sc.munitions, "munition", (*p, "munition"))
            if tr.supplier == tr.recipient:
                self.bad((*p, "recipient"), "a transfer needs a recipient other than its supplier")
            if tr.compensation is not None:
                parent = tr.compensation.of
                cp = (*p, "compensation", "for")
                if self.ref(parent, [g for g in sc.transfers if g != f], "transfer", cp):
                    seen = {f}
                    while parent is not None and parent in sc.transfers:
                        if parent in seen:
                            self.bad(cp, "compensation flows form a cycle")
                            break
                        seen.add(parent)
                        comp = sc.transfers[parent].compensation
                        parent = comp.of if comp else None

    def signals(self) -> None:
        sc = self.sc
        for s, sig in sc.signals.items():
            p: Path_ = ("signals", s)
            if s in sc.indicators:
                self.bad(p, f"'{s}' names both a signal and an indicator; rename one", key=True)
            if sig.flow is not None:
                self.ref(sig.flow, sc.transfers, "transfer", (*p, "flow"))
            if sig.stock is not None:
                self.ref(sig.stock.actor, sc.actors, "actor", (*p, "stock", "actor"))
                self.ref(sig.stock.munition, sc.munitions, "munition", (*p, "stock", "munition"))
            if sig.event is not None:
                self.ref(sig.event, sc.events, "event", (*p, "event"))
            if sig.lever is not None:
                self.ref(sig.lever, sc.levers, "lever", (*p, "lever"))

    def indicators(self) -> None:
        sc = self.sc
        for o in sc.perception.observers:
            self.ref(o, sc.actors, "actor", ("perception", "observers", o), key=True)
        for k, ind in sc.indicators.items():
            p: Path_ = ("indicators", k)
            self.ref(ind.observer, sc.actors, "actor", (*p, "observer"))
            valid = [*sc.signals, *sc.indicators]
            for j in ind.inputs:
                self.ref(j, valid, "signal or indicator", (*p, "inputs", j), key=True)

    def events(self) -> None:
        sc = self.sc
        started = set()
        for e, ev in sc.events.items():
            p: Path_ = ("events", e)
            kind = "hazard" if ev.trigger.hazard else "threshold"
            self.ref(ev.trigger.indicator, sc.indicators, "indicator",
                     (*p, "trigger", kind, "indicator"))
            for i, eff in enumerate(ev.effects):
                ep: Path_ = (*p, "effects", i)
                if eff.start is not None:
                    started.add(eff.start)
                    if self.ref(eff.start, sc.transfers, "transfer", (*ep, "start")) and not (
                        sc.transfers[eff.start].dormant
                    ):
                        self.bad((*ep, "start"), f"transfer '{eff.start}' already flows from "
                                 "day 0; mark it dormant: true so that this event starts it")
                if eff.add_beta is not None:
                    self.ref(eff.add_beta.indicator, sc.indicators, "indicator",
                             (*ep, "add_beta", "indicator"))
                if eff.scale_weight is not None:
                    sw = eff.scale_weight
                    wp: Path_ = (*ep, "scale_weight")
                    if self.ref(sw.indicator, sc.indicators, "indicator", (*wp, "indicator")):
                        self.ref(sw.input, sc.indicators[sw.indicator].inputs,
                                 f"input of indicator '{sw.indicator}'", (*wp, "input"))
                if eff.scale_rate is not None:
                    self.scale_rate(eff.scale_rate, (*ep, "scale_rate"))
        for f, tr in sc.transfers.items():
            if tr.dormant and f not in started:
                self.bad(("transfers", f, "dormant"),
                         f"dormant transfer '{f}' is started by no event; add an effect "
                         f"'start: {f}' to an event or drop dormant")

    def scale_rate(self, sr: object, p: Path_) -> None:
        sc = self.sc
        if sr.transfer is not None:  # type: ignore[attr-defined]
            self.ref(sr.transfer, sc.transfers, "transfer", (*p, "transfer"))  # type: ignore[attr-defined]
        for section in ("production", "demand"):
            ref = getattr(sr, section)
            if ref is None:
                continue
            table = getattr(sc, section)
            if self.ref(ref.actor, table, f"actor with {section}", (*p, section, "actor")):
                self.ref(ref.munition, table[ref.actor], f"{section} of {ref.actor}",
                         (*p, section, "munition"))

    def levers_policies(self) -> None:
        sc = self.sc
        for name, lv in sc.levers.items():
            for i, f in enumerate(lv.transfers):
                self.ref(f, sc.transfers, "transfer", ("levers", name, "transfers", i))
        if not sc.policies:
            self.bad(("policies",) if "policies" in self.doc.data else (),
                     "the scenario declares no policy; add at least one, e.g. "
                     "'policies: {status-quo: {levers: {}}}'")
        for pol, spec in sc.policies.items():
            for lever, value in spec.levers.items():
                lp: Path_ = ("policies", pol, "levers", lever)
                if self.ref(lever, sc.levers, "lever", lp, key=True) and not 0 <= value <= 1:
                    self.bad(lp, f"lever values lie between 0 and 1, got {value:g}")

    def sources(self, strict: bool) -> None:
        sc = self.sc
        names: dict[str, object] = {}
        for path, q in quantities(sc):
            if q.sources:
                listed = (*path, "source", 0) in self.doc.values
                for i, key in enumerate(q.sources):
                    where = (*path, "source", i) if listed else (*path, "source")
                    self.ref(key, sc.sources, "source", where)
            elif strict and not q.judgment and path in self.doc.values:
                self.bad(path, "this number has no source; add 'source: KEY' (a key of "
                         "sources) or 'judgment: true' (strict mode)")
            if q.name:
                other = names.setdefault(q.name, q)
                if other != q:
                    self.bad(path, f"input name '{q.name}' is used for a different number")
            input_name(path, q)
        for c, claim in sc.claims.items():
            if claim.source is not None:
                self.ref(claim.source, sc.sources, "source", ("claims", c, "source"))
            elif strict:
                self.bad(("claims", c), "this claim has no source (strict mode)")

    def claims(self) -> None:
        from spillover.scenario.expr import Column, ExprError, compile_expr
        from spillover.scenario.outcomes import outcome_names

        available = outcome_names(self.sc)
        for c, claim in self.sc.claims.items():
            try:
                expr = compile_expr(claim.expr, available)
            except ExprError as exc:
                line, col = self.doc.where(("claims", c, "expr"))
                raw = self.doc.text.splitlines()[line - 1] if self.doc.text else ""
                quoted = 1 if raw[col - 1 : col] in ("'", '"') else 0
                self.problems.append(Problem(self.doc.file, line, col + quoted + exc.column - 1,
                                             f"claim '{c}': {exc.message}"))
                continue
            flag = isinstance(expr, Column) and expr.name.startswith("fired.")
            if not (expr.is_predicate or flag):
                self.bad(("claims", c, "expr"), f"claim '{c}' needs a true/false expression, "
                         "e.g. 'days_of_fire[prk_rus_shells] > 365'")


def check(sc: Scenario, doc: SourceDoc, strict: bool = False) -> list[Problem]:
    """Every cross-reference problem in ``sc`` (empty when the scenario is usable)."""
    c = _Checker(sc, doc)
    for section in ("stocks", "production", "demand"):
        c.stock_table(section)
    c.transfers()
    c.signals()
    c.indicators()
    c.events()
    c.levers_policies()
    c.sources(strict)
    if not c.problems:
        c.claims()
    return c.problems
