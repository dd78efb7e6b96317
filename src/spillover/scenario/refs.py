"""Reference checks on the file as read: every name that must be declared elsewhere.

They run on the plain YAML data rather than on the validated scenario, so that a shape
error in a transfer does not hide a misspelt supplier in the same transfer. A value that
is not a name (a number, a list) is left to the shape check.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from spillover.scenario.errors import NameSet, Problem, Suggestions
from spillover.scenario.source import SourceDoc

Path_ = tuple[str | int, ...]
ANY = "*"  # any key of a mapping or index of a list
KEY = "<key>"  # the keys of a mapping themselves

# (where the names stand, which declared names they refer to, what a name is called)
RULES: list[tuple[Path_, str, str]] = [
    (("stocks", KEY), "actors", "actor"),
    (("stocks", ANY, KEY), "munitions", "munition"),
    (("production", KEY), "actors", "actor"),
    (("production", ANY, KEY), "munitions", "munition"),
    (("demand", KEY), "actors", "actor"),
    (("demand", ANY, KEY), "munitions", "munition"),
    (("transfers", ANY, "supplier"), "actors", "actor"),
    (("transfers", ANY, "recipient"), "actors", "actor"),
    (("transfers", ANY, "munition"), "munitions", "munition"),
    (("perception", "observers", KEY), "actors", "actor"),
    (("signals", ANY, "flow"), "transfers", "transfer"),
    (("signals", ANY, "stock", "actor"), "actors", "actor"),
    (("signals", ANY, "stock", "munition"), "munitions", "munition"),
    (("signals", ANY, "event"), "events", "event"),
    (("signals", ANY, "lever"), "levers", "lever"),
    (("indicators", ANY, "observer"), "actors", "actor"),
    (("indicators", ANY, "inputs", KEY), "signals+indicators", "signal or indicator"),
    (("events", ANY, "trigger", "hazard", "indicator"), "indicators", "indicator"),
    (("events", ANY, "trigger", "threshold", "indicator"), "indicators", "indicator"),
    (("events", ANY, "effects", ANY, "start"), "transfers", "transfer"),
    (("events", ANY, "effects", ANY, "add_beta", "indicator"), "indicators", "indicator"),
    (("events", ANY, "effects", ANY, "scale_weight", "indicator"), "indicators", "indicator"),
    (("events", ANY, "effects", ANY, "scale_rate", "transfer"), "transfers", "transfer"),
    (("levers", ANY, "transfers", ANY), "transfers", "transfer"),
    (("policies", ANY, "levers", KEY), "levers", "lever"),
    (("claims", ANY, "source"), "sources", "source"),
    (("production", ANY, ANY, "input", "munition"), "munitions", "munition"),
    (("demand", ANY, ANY, "follows", "fired", "actor"), "actors", "actor"),
    (("demand", ANY, ANY, "follows", "fired", "munition"), "munitions", "munition"),
    (("demand", ANY, ANY, "follows", "delivered"), "transfers", "transfer"),
]
# Where an {actor, munition} pair must name a declared production or demand.
TABLE_RULES: list[tuple[Path_, str]] = [
    (("events", ANY, "effects", ANY, "scale_rate", "production"), "production"),
    (("events", ANY, "effects", ANY, "scale_rate", "demand"), "demand"),
    (("events", ANY, "effects", ANY, "start_production"), "production"),
    (("levers", ANY, "production", ANY), "production"),
    (("transfers", ANY, "compensation", "produced"), "production"),
    (("signals", ANY, "fired"), "demand"),
    (("signals", ANY, "shortfall"), "demand"),
    (("signals", ANY, "leaked"), "demand"),
]
SECTIONS = ("sources", "actors", "munitions", "transfers", "signals", "indicators", "events", "levers")


def match(data: Any, pattern: Path_, path: Path_ = ()) -> Iterator[tuple[Path_, Any]]:
    """``(path, value)`` for every place in ``data`` that ``pattern`` describes, in file order."""
    if not pattern:
        yield path, data
        return
    head, rest = pattern[0], pattern[1:]
    if head == KEY:
        if isinstance(data, dict):
            for k in data:
                yield (*path, k), k
    elif head == ANY:
        items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
        for k, v in items:
            yield from match(v, rest, (*path, k))
    elif isinstance(data, dict) and head in data:
        yield from match(data[head], rest, (*path, head))


def _keys(value: Any) -> list[str]:
    return [k for k in value if isinstance(k, str)] if isinstance(value, dict) else []


def section(data: dict[str, Any], name: str) -> Any:
    """The section ``name`` as read, or the one under a misspelt top-level key standing for it."""
    if name in data:
        return data[name]
    from spillover.scenario.model import Scenario

    strays = NameSet(k for k in data if k not in Scenario.model_fields)
    stray = strays.closest(name) if len(strays) else None
    return data[stray] if stray is not None and NameSet([name]).closest(stray) == name else None


def declared(data: dict[str, Any]) -> dict[str, NameSet | None]:
    """The names each section declares in the file, whether or not their entries validate.

    A section under a misspelt key (``actros:``) declares its names all the same, and a
    section that is not a mapping gives None: its names are unknown, so references to it
    are not checked (the shape error is enough).
    """
    names: dict[str, NameSet | None] = {}
    for s in SECTIONS:
        value = section(data, s)
        names[s] = NameSet(_keys(value)) if value is None or isinstance(value, dict) else None
    sig, ind = names["signals"], names["indicators"]
    names["signals+indicators"] = NameSet([*sig, *ind]) if sig is not None and ind is not None else None
    return names


class RefChecker:
    """Every unknown name in the file, each with the closest declared name."""

    def __init__(self, doc: SourceDoc, names: dict[str, NameSet | None], hints: Suggestions) -> None:
        self.doc, self.names, self.hints = doc, names, hints
        self.data: dict[str, Any] = doc.data
        self.problems: list[Problem] = []

    def ref(self, name: Any, names: NameSet | None, what: str, path: Path_, key: bool = False) -> bool:
        if not isinstance(name, str):  # the shape check reports it; nothing to look up
            return False
        if names is None or name in names:
            return True
        self.problems.append(self.doc.problem(path, f"unknown {what} '{name}'"
                                              f"{self.hints.did_you_mean(name, names)}", key=key))
        return False

    def run(self) -> list[Problem]:
        for pattern, section, what in RULES:
            for path, name in match(self.data, pattern):
                self.ref(name, self.names[section], what, path, key=pattern[-1] == KEY)
        self.compensation()
        self.scale_weight_inputs()
        self.scale_rate_tables()
        self.number_sources()
        return self.problems

    def compensation(self) -> None:
        for path, given in match(self.data, ("transfers", ANY, "compensation", "for")):
            parents = list(enumerate(given)) if isinstance(given, list) else [(None, given)]
            for i, parent in parents:
                where = path if i is None else (*path, i)
                if parent == path[1]:
                    self.problems.append(self.doc.problem(where, f"transfer '{parent}' cannot be the payment "
                                                          "for itself; name the transfer it pays for"))
                else:
                    self.ref(parent, self.names["transfers"], "transfer", where)

    def scale_weight_inputs(self) -> None:
        indicators = self.data.get("indicators")
        for path, sw in match(self.data, ("events", ANY, "effects", ANY, "scale_weight")):
            ind = sw.get("indicator") if isinstance(sw, dict) else None
            spec = indicators.get(ind) if isinstance(indicators, dict) and isinstance(ind, str) else None
            if isinstance(spec, dict) and "input" in sw:
                inputs = NameSet(_keys(spec.get("inputs")))
                self.ref(sw["input"], inputs, f"input of indicator '{ind}'", (*path, "input"))

    def scale_rate_tables(self) -> None:
        """Pairs that must name a declared production or demand (``{actor, munition}``)."""
        for pattern, section in TABLE_RULES:
            table = self.data.get(section)
            actors = NameSet(_keys(table))
            for path, ref in match(self.data, pattern):
                if not isinstance(ref, dict):
                    continue
                actor = ref.get("actor")
                if self.ref(actor, actors, f"actor with {section}", (*path, "actor")) and actor in actors:
                    self.ref(ref.get("munition"), NameSet(_keys(table[actor])),  # type: ignore[index]
                             f"{section} of {actor}", (*path, "munition"))

    def number_sources(self) -> None:
        """``source:`` keys of numbers, wherever a number stands (found by its form's key)."""
        from spillover.scenario.quantity import KINDS

        sources = self.names["sources"]
        stack: list[tuple[Path_, Any]] = [((), self.data)]
        while stack:
            path, node = stack.pop()
            if isinstance(node, list):
                stack.extend(((*path, i), v) for i, v in enumerate(node))
                continue
            if not isinstance(node, dict):
                continue
            if any(k in node for k in KINDS) and "source" in node and path[:1] != ("claims",):
                given = node["source"]
                listed = given if isinstance(given, list) else [given]
                for i, key in enumerate(listed):
                    where = (*path, "source", i) if isinstance(given, list) else (*path, "source")
                    self.ref(key, sources, "source", where)
            stack.extend(((*path, k), v) for k, v in node.items() if k != "source")
