"""Cases: named alternative readings of a scenario, run on the same runs as the scenario itself.

A case (the ``cases:`` section) gives some inputs other numbers ("the fire rate per the
Ukrainian figures") or some claims another threshold. :func:`case_scenario` is the scenario
as that case reads it, and :func:`case_inputs` its sampled inputs: the scenario's own inputs,
in the same order, each with the case's number where the case gives one. Sampling each
input's column of the unit design through the case's number keeps every run's draws (common
random numbers): an input the case leaves alone takes exactly the scenario's values, run by
run.

A case may give a sampled input any number (a value or a distribution) and a fixed number
another value; it cannot turn a fixed number into a distribution, since the runs would then
need a design column the scenario does not have.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import Any

from pydantic import BaseModel, ValidationError

from spillover.scenario.errors import did_you_mean
from spillover.scenario.inputs import Input, scenario_inputs
from spillover.scenario.model import Case, Claim, Scenario
from spillover.scenario.quantity import Quantity
from spillover.scenario.walk import Path_, input_name, quantities

__all__ = ["Target", "case_claims", "case_inputs", "case_names", "case_problems", "case_scenario",
           "changes", "check_cases", "rethreshold", "simulated", "targets", "thresholds"]


@dataclass(frozen=True)
class Target:
    """A number a case may change: its name, where it stands, its number, whether it is sampled."""

    name: str
    paths: tuple[Path_, ...]
    quantity: Quantity
    sampled: bool


def targets(sc: Scenario) -> dict[str, Target]:
    """Every number of ``sc`` by its input name (``name:`` or dotted path), in file order."""
    out: dict[str, Target] = {}
    for path, q in quantities(sc):
        name = input_name(path, q)
        prev = out.get(name)
        out[name] = Target(name, (*prev.paths, path) if prev else (path,), prev.quantity if prev else q,
                           q.uncertain if prev is None else prev.sampled)
    return out


def case_names(sc: Scenario) -> list[str]:
    """The scenario's cases, in file order."""
    return list(sc.cases)


def check_cases(sc: Scenario, names: Sequence[str] | None) -> list[str]:
    """The cases asked for (every case for None), refusing unknown names with a suggestion."""
    if names is None:
        return case_names(sc)
    for n in names:
        if n not in sc.cases:
            known = f" (the scenario declares {', '.join(sc.cases)})" if sc.cases else \
                " (the scenario declares no cases)"
            raise ValueError(f"unknown case '{n}'{did_you_mean(n, sc.cases) or known}")
    return list(dict.fromkeys(names))


def simulated(sc: Scenario, name: str) -> bool:
    """True when the case changes inputs, so its runs must be simulated (not only its claims)."""
    return bool(sc.cases[name].inputs)


# --------------------------------------------------------------------------- claims


def thresholds(expr: str) -> list[float]:
    """The distinct numbers a claim's comparisons compare with, in order.

    >>> thresholds("peak(a) > 0.25 and peak(b) > 0.25")
    [0.25]
    """
    from spillover.scenario.expr import Compare, Number, parse

    found: list[float] = []
    for node in parse(expr).walk():
        if isinstance(node, Compare):
            for side in (node.first, *(x for _, x in node.rest)):
                if isinstance(side, Number) and side.value not in found:
                    found.append(side.value)
    return found


def rethreshold(expr: str, value: float) -> str:
    """The claim's expression with its one threshold set to ``value``.

    Raises ValueError when the expression compares with no number, or with several.

    >>> rethreshold("peak(a) > 0.25 and peak(b) > 0.25", 0.3)
    'peak.a > 0.3 and peak.b > 0.3'
    """
    from spillover.scenario.expr import parse

    found = thresholds(expr)
    if len(found) != 1:
        what = "no number" if not found else f"several numbers ({', '.join(f'{x:g}' for x in found)})"
        raise ValueError(f"'{expr}' compares with {what}; give the case's claim a whole expr instead")
    return str(_swap(parse(expr), found[0], float(value)))


def _swap(node: Any, old: float, new: float) -> Any:
    """A copy of an expression tree with every compared number ``old`` set to ``new``."""
    from spillover.scenario.expr import Compare, Number

    if isinstance(node, Compare):
        def side(x: Any) -> Any:
            return Number(new) if isinstance(x, Number) and x.value == old else _swap(x, old, new)

        return Compare(side(node.first), tuple((op, side(x)) for op, x in node.rest))
    if isinstance(node, tuple):
        return tuple(_swap(x, old, new) for x in node)
    if is_dataclass(node) and not isinstance(node, type):
        values = {f.name: _swap(getattr(node, f.name), old, new) for f in fields(node)}
        return type(node)(**values)
    return node


def case_claims(sc: Scenario, name: str) -> dict[str, Claim]:
    """The scenario's claims as the case reads them (the others unchanged)."""
    out = dict(sc.claims)
    for c, change in sc.cases[name].claims.items():
        claim = sc.claims[c]
        expr = change.expr if change.expr is not None else \
            rethreshold(claim.expr, float(change.threshold or 0))
        out[c] = claim.model_copy(update={"expr": expr})
    return out


# --------------------------------------------------------------------------- inputs


def _named(target: Target, q: Quantity) -> Quantity:
    """The case's number under the input's own name, so that it reads the same design column."""
    return q.model_copy(update={"name": target.quantity.name})


def _field(model: type[BaseModel], key: str | int) -> str:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return name
    raise KeyError(key)


def _replace(node: Any, path: Path_, new: Quantity) -> Any:
    """``node`` with the number at ``path`` replaced; each model on the way validated again, so
    the number's own bounds (not negative, a fraction…) hold for the case's number too."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(node, BaseModel):
        name = _field(type(node), head)
        values = {n: getattr(node, n) for n in type(node).model_fields}
        values[name] = _replace(values[name], rest, new)
        out = type(node).model_validate(values)
        for k, v in (node.__pydantic_private__ or {}).items():
            setattr(out, k, v)
        return out
    if isinstance(node, dict):
        return {**node, head: _replace(node[head], rest, new)}
    items = list(node)
    items[int(head)] = _replace(items[int(head)], rest, new)
    return type(node)(items) if isinstance(node, tuple) else items


def _input_problem(target: Target | None, key: str, q: Quantity, known: dict[str, Target]) -> str | None:
    if target is None:
        return f"unknown input '{key}'{did_you_mean(key, known)}; a case changes an input by its name " \
               "(name:) or its dotted path, as in the experiments table"
    if q.name is not None and q.name != target.quantity.name:
        return f"a case's number keeps the name of the input it replaces; drop name: '{q.name}'"
    if q.uncertain and not target.sampled:
        return f"'{key}' is a fixed number in the scenario ({target.quantity.describe()}); a case may give " \
               "it another value, not a distribution (make it a distribution in the scenario to vary it)"
    return None


def _apply(sc: Scenario, case: Case) -> Scenario:
    known = targets(sc)
    out = sc
    for key, q in case.inputs.items():
        target = known.get(key)
        problem = _input_problem(target, key, q, known)
        if problem is not None:
            raise ValueError(problem)
        assert target is not None
        for path in target.paths:
            try:
                out = _replace(out, path, _named(target, q))
            except ValidationError as exc:
                msg = str(exc.errors()[0]["msg"]).removeprefix("Value error, ")
                raise ValueError(f"'{key}' {msg}") from None
    return out


def case_scenario(sc: Scenario, name: str) -> Scenario:
    """The scenario as case ``name`` reads it: its inputs' numbers and its claims changed."""
    out = _apply(sc, sc.cases[name])
    return out.model_copy(update={"claims": case_claims(sc, name)})


def case_inputs(sc: Scenario, name: str) -> list[Input]:
    """The scenario's sampled inputs, in order, each with the case's number where it gives one."""
    case = sc.cases[name]
    known = targets(sc)
    return [replace(i, quantity=_named(known[i.name], case.inputs[i.name])) if i.name in case.inputs else i
            for i in scenario_inputs(sc)]


def changes(sc: Scenario, name: str) -> list[dict[str, Any]]:
    """What the case changes, as plain data: ``what`` (input or claim), ``name``, ``scenario``
    (the number or expression as written), ``case`` (as the case reads it) and ``source``."""
    case, known = sc.cases[name], targets(sc)
    out: list[dict[str, Any]] = []
    for key, q in case.inputs.items():
        base = known[key].quantity if key in known else None
        out.append({"what": "input", "name": key, "scenario": base.describe() if base else "",
                    "case": q.describe(), "source": q.source, "judgment": q.judgment})
    for c, claim in case_claims(sc, name).items():
        if c in case.claims:
            out.append({"what": "claim", "name": c, "scenario": sc.claims[c].expr, "case": claim.expr,
                        "source": None, "judgment": False})
    return out


# --------------------------------------------------------------------------- checks


def case_problems(sc: Scenario, strict: bool = False) -> Iterator[tuple[Path_, str]]:
    """Every problem of the ``cases:`` section: (path in the file, message)."""
    from spillover.scenario.expr import ExprError, compile_expr
    from spillover.scenario.outcomes import outcome_names, yes_no

    known = targets(sc)
    available = outcome_names(sc)
    for name, case in sc.cases.items():
        for key, q in case.inputs.items():
            problem = _input_problem(known.get(key), key, q, known)
            if problem is None:
                try:
                    _apply(sc, Case(inputs={key: q}))
                except ValueError as exc:
                    problem = str(exc)
            if problem is None and strict and not q.sources and not q.judgment:
                problem = "this number has no source; add 'source: KEY' or 'judgment: true' (strict mode)"
            if problem is not None:
                yield ("cases", name, "inputs", key), problem
        for c, change in case.claims.items():
            where: Path_ = ("cases", name, "claims", c)
            if c not in sc.claims:
                yield where, f"unknown claim '{c}'{did_you_mean(c, sc.claims)}"
                continue
            try:
                expr = change.expr if change.expr is not None else \
                    rethreshold(sc.claims[c].expr, float(change.threshold or 0))
                parsed = compile_expr(expr, available)
            except (ValueError, ExprError) as exc:
                yield where, f"claim '{c}': {getattr(exc, 'message', exc)}"
                continue
            if not yes_no(parsed):
                yield where, f"claim '{c}' needs a true/false expression, e.g. '{expr} > 0'"
