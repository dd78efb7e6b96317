"""The sampled inputs of a scenario: every uncertain number, named, with where it occurs.

An input is one column of the experiments table. Numbers that share a ``name:`` are one
input sampled once per run, used at every place the name occurs.
"""

from __future__ import annotations

import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from spillover.scenario.model import Scenario
from spillover.scenario.quantity import Quantity
from spillover.scenario.walk import Path_, input_name, quantities

Limits = tuple[float, float, str]
"""Smallest and largest value a field takes, and the rule in words, naming the field
("transfers.t01.rate must not be negative")."""


@dataclass(frozen=True)
class Input:
    """One sampled (uncertain) input of the scenario: a column of ``experiments``.

    ``limits`` are the rules of the fields it fills (a fatigue time is at least 1 day, a
    share lies between 0 and 1), each once, in the words of the first field with it: the
    file's distributions keep to them, and so must values given in an experiments table."""

    name: str
    quantity: Quantity
    paths: tuple[Path_, ...]
    limits: tuple[Limits, ...] = ()


def _rule(items: Any) -> Limits | None:
    for item in items:
        found = getattr(getattr(item, "func", None), "limits", None)
        if found is not None:
            return typing.cast(Limits, found)
    return None


def _rule_in(annotation: Any) -> Limits | None:
    found = _rule(getattr(annotation, "__metadata__", ()))
    for arg in typing.get_args(annotation):
        found = found or _rule_in(arg)
    return found


def field_limits(sc: Scenario, path: Path_) -> Limits | None:
    """The rule of the field that holds the number at ``path`` (None when it has none)."""
    node: Any = sc
    info: FieldInfo | None = None
    for step in path:
        if isinstance(node, BaseModel):
            fields = type(node).model_fields
            name = next((n for n, f in fields.items() if (f.alias or n) == step), None)
            if name is None:
                return None
            info, node = fields[name], getattr(node, name)
        elif isinstance(node, dict | list | tuple):
            node = node[step]  # type: ignore[index]
    return None if info is None else (_rule(info.metadata) or _rule_in(info.annotation))


def scenario_inputs(sc: Scenario) -> list[Input]:
    """Every uncertain number of ``sc`` as an :class:`Input`, in file order.

    >>> from spillover.scenario.load import load_scenario
    >>> scenario_inputs(load_scenario("nk-russia-2023"))[0].name
    'prk_shell_stock'
    """
    by_name: dict[str, Input] = {}
    for path, q in quantities(sc):
        if not q.uncertain:
            continue
        name = input_name(path, q)
        rule = field_limits(sc, path)
        rules = () if rule is None else ((rule[0], rule[1], f"{'.'.join(map(str, path))} {rule[2]}"),)
        if name in by_name:
            prev = by_name[name]
            new = tuple(r for r in rules if r[:2] not in {p[:2] for p in prev.limits})
            by_name[name] = Input(name, prev.quantity, (*prev.paths, path), prev.limits + new)
        else:
            by_name[name] = Input(name, q, (path,), rules)
    return list(by_name.values())
