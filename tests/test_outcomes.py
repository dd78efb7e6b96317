"""The outcome catalogue: every family computed, names equal to what a run writes, known answers."""

from __future__ import annotations

import numpy as np
import pytest

import spillover
from spillover.engine.outcomes import COMPUTE
from spillover.scenario.load import builtin_names, load_scenario, loads_scenario
from spillover.scenario.outcomes import FAMILIES, Scope, family_of, outcome_names
from tests.conftest import HERE, MINI

RICHARDSON = HERE.parent / "benchmarks" / "scenarios" / "richardson7.yaml"


def test_every_family_is_computed_and_every_computation_declared() -> None:
    declared = {(f.name, f.scope) for f in FAMILIES}
    assert declared == set(COMPUTE)
    assert len(declared) == len(FAMILIES)  # no family declared twice


def test_families_carry_what_readers_need() -> None:
    for f in FAMILIES:
        assert f.description.endswith(".") and len(f.description) > 15, f.name
        assert ("{key}" in f.label) == (f.scope is not Scope.RUN), f.name
        assert f.prefer in (None, "lower", "higher")


@pytest.mark.parametrize("source", [*builtin_names(), str(MINI), str(RICHARDSON)])
def test_outcome_names_are_the_columns_a_run_writes(source: str) -> None:
    sc = load_scenario(source)
    res = spillover.run(sc, runs=8, seed=2, chunk_size=5)
    written = [c for c in res.outcomes.columns if c not in ("run", "policy")]
    assert written == outcome_names(sc, counterfactual=bool(sc.transfers))
    assert all(family_of(c) is not None for c in written)


TWO_SUPPLIERS = """
name: two-suppliers
title: Two suppliers keep one recipient firing
start: 2024-01-01
horizon: 10
actors: {A: {name: A}, B: {name: B}, C: {name: C}}
munitions: {m: {name: m}}
stocks: {B: {m: 1000000000}, C: {m: 1000000000}}
demand: {A: {m: 100}}
transfers:
  b_a: {supplier: B, recipient: A, munition: m, rate: 30}
  c_a: {supplier: C, recipient: A, munition: m, rate: 20, delay: 4}
policies: {only: {}}
"""


def test_days_of_fire_over_all_suppliers_is_the_sum_known_by_hand() -> None:
    res = spillover.run(loads_scenario(TWO_SUPPLIERS), runs=3, seed=1)
    out = res.outcomes
    # 10 days of 30 from B; C's 20 a day arrive from day 4: 6 days. Mean demand is 100 a day.
    assert np.array_equal(out["days_of_fire.b_a"], np.full(3, 3.0))
    assert np.array_equal(out["days_of_fire.c_a"], np.full(3, 1.2))
    assert np.array_equal(out["days_of_fire_total.A.m"], np.full(3, 4.2))
    assert "days_of_fire_total.B.m" not in out  # B has no demand, nothing to count
