"""The sampled inputs of a scenario: every uncertain number, named, with where it occurs.

An input is one column of the experiments table. Numbers that share a ``name:`` are one
input sampled once per run, used at every place the name occurs.
"""

from __future__ import annotations

from dataclasses import dataclass

from spillover.scenario.model import Scenario
from spillover.scenario.quantity import Quantity
from spillover.scenario.walk import Path_, input_name, quantities


@dataclass(frozen=True)
class Input:
    """One sampled (uncertain) input of the scenario: a column of ``experiments``."""

    name: str
    quantity: Quantity
    paths: tuple[Path_, ...]


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
        if name in by_name:
            prev = by_name[name]
            by_name[name] = Input(name, prev.quantity, (*prev.paths, path))
        else:
            by_name[name] = Input(name, q, (path,))
    return list(by_name.values())
