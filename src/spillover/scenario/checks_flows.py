"""Checks of what flows between stocks: coupled demands, production lines and their inputs,
and what refers to a production or a demand (effects, levers, payments, signals)."""

from __future__ import annotations

from typing import Any

from spillover.scenario.base import StockRef
from spillover.scenario.checker import Checker, Path_
from spillover.scenario.refs import ANY, match
from spillover.scenario.refs import section as raw_section

Pair = tuple[str, str]


def _pair(ref: StockRef) -> Pair:
    return ref.actor, ref.munition


def _raw_follows(data: dict[str, Any]) -> dict[Pair, Pair]:
    """Which demand each coupled demand follows the fire of, as the file gives it: a demand
    with a shape error elsewhere (a misspelt ``stops:``) is still checked for a cycle."""
    follows: dict[Pair, Pair] = {}
    for path, fired in match(data, ("demand", ANY, ANY, "follows", "fired")):
        if isinstance(fired, dict) and isinstance(a := fired.get("actor"), str) \
                and isinstance(m := fired.get("munition"), str):
            follows[(str(path[1]), str(path[2]))] = (a, m)
    return follows


def _declared_demands(data: dict[str, Any]) -> set[Pair]:
    """Every (actor, munition) the ``demand:`` section declares, whether or not it validated."""
    table = raw_section(data, "demand")
    if not isinstance(table, dict):
        return set()
    return {(str(a), str(m)) for a, by in table.items() if isinstance(by, dict) for m in by}


def check_coupled(c: Checker) -> None:
    """A coupled demand follows a declared demand (never itself, never in a cycle); its actor
    should hold the munition it fires (a warning: else every incoming unit gets through)."""
    sc, held = c.sc, c.held()
    follows = _raw_follows(c.data)
    declared = _declared_demands(c.data)
    in_cycle: set[Pair] = set()
    for (a, m), (sa, sm) in follows.items():
        path: Path_ = ("demand", a, m, "follows", "fired")
        if (sa, sm) == (a, m):
            c.bad(path, f"the demand of {a} for {m} cannot follow its own fire; follow another actor's "
                  "fire (e.g. the attacker's drones) or another munition")
        elif (sa, sm) not in declared:
            c.bad(path, f"{sa} has no demand for {sm}, so it fires none; a coupled demand "
                  f"follows a declared demand (add demand: {{{sa}: {{{sm}: ...}}}})")
        elif (a, m) not in in_cycle and (cycle := _cycle(follows, (a, m))):
            in_cycle.update(cycle)
            loop = " → ".join(f"{x}.{y}" for x, y in [*cycle, (a, m)])
            c.bad(path, f"coupled demands form a cycle ({loop}): "
                  "each waits on the other's fire; let one of them follow a demand that follows nothing")
    for a, by in sc.demand.items():
        for m, d in by.items():
            mun = sc.munitions.get(m)
            if d.follows is not None and mun is not None and mun.kind == "munition" and (a, m) not in held:
                c.warn(("demand", a, m), f"'{a}' never holds '{m}' (no stock, production or incoming "
                       "transfer of it), so it engages nothing and every incoming unit gets through")


def _cycle(follows: dict[Pair, Pair], start: Pair) -> list[Pair]:
    """The demands of the cycle through ``start``, in order from it; empty if there is none."""
    seen, pair = [start], follows.get(start)
    while pair is not None:
        key = pair
        if key == start:
            return seen
        if key in seen:
            return []
        seen.append(key)
        pair = follows.get(key)
    return []


def check_production(c: Checker) -> None:
    """Inputs a production line consumes must be held by its producer, and differ from its output;
    a dormant line must be started by an event, and only a dormant one can be."""
    sc, held = c.sc, c.held()
    for a, by in sc.production.items():
        for m, prod in by.items():
            if prod.input is None:
                continue
            path: Path_ = ("production", a, m, "input", "munition")
            kit = prod.input.munition
            if kit == m:
                c.bad(path, f"a production line cannot consume its own output ({m}); name the input it is "
                      "made from")
            elif kit in sc.munitions and (a, kit) not in held:
                c.bad(path, f"'{a}' never holds '{kit}' (no stock, production or incoming transfer of it), "
                      f"so this line makes no {m}; add a transfer or stock of {kit} to {a}")
    _started_production(c)


def _started_production(c: Checker) -> None:
    sc = c.sc
    started: set[tuple[str, str]] = set()
    for e, ev in sc.events.items():
        for i, eff in enumerate(ev.effects):
            if eff.start_production is None:
                continue
            pair = _pair(eff.start_production)
            started.add(pair)
            prod = sc.production.get(pair[0], {}).get(pair[1])
            if prod is not None and not prod.dormant:
                c.bad(("events", e, "effects", i, "start_production"), f"the production of {pair[1]} by "
                      f"{pair[0]} already runs from day 0; mark it dormant: true so that this event "
                      "starts it")
    if not c.complete("events"):
        return
    for a, by in sc.production.items():
        for m, prod in by.items():
            if prod.dormant and (a, m) not in started:
                c.bad(("production", a, m, "dormant"), f"dormant production of {m} by {a} is started by no "
                      f"event; add an effect 'start_production: {{actor: {a}, munition: {m}}}' or drop "
                      "dormant")


def check_leaked_signals(c: Checker) -> None:
    """A leaked signal reads a coupled demand: one that follows another's fire or deliveries."""
    for s, sig in c.sc.signals.items():
        ref = sig.leaked
        if ref is None:
            continue
        d = c.sc.demand.get(ref.actor, {}).get(ref.munition)
        if d is not None and d.follows is None:
            c.bad(("signals", s, "leaked"), f"the demand of {ref.actor} for {ref.munition} follows nothing, "
                  "so nothing leaks through it; a leaked signal reads a demand with follows:")
