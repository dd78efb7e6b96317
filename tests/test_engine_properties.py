"""Hypothesis: conservation and flow bounds hold on random scenarios."""

from __future__ import annotations

import numpy as np
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st_

from spillover.scenario.load import loads_scenario
from tests.conftest import run_engine
from tests.test_engine_invariants import Bounds, _by_class

pos = st_.floats(min_value=0, max_value=5000, allow_nan=False)


@st_.composite
def scenarios(draw):
    n_actors = draw(st_.integers(2, 4))
    actors = [f"A{i}" for i in range(n_actors)]
    muns = ["m0", "m1"]
    stocks = {a: {m: draw(pos) for m in muns} for a in actors}
    demand = {a: {m: draw(pos) for m in muns} for a in actors if draw(st_.booleans())}
    production = {a: {m: draw(pos) for m in muns} for a in actors if draw(st_.booleans())}
    transfers = {}
    for i in range(draw(st_.integers(1, 4))):
        s, r = draw(st_.permutations(actors))[:2]
        transfers[f"t{i}"] = {
            "supplier": s, "recipient": r, "munition": draw(st_.sampled_from(muns)),
            "rate": {"piecewise": [{"from": "2024-01-01", "rate": draw(pos)},
                                   {"from": "2024-01-20", "rate": draw(pos)}]},
            "delay": draw(st_.integers(0, 12)), "loss": draw(st_.floats(0, 1)),
            "reserve": draw(pos),
        }
    transfers["pay"] = {"supplier": "A1", "recipient": "A0", "munition": "m1",
                        "compensation": {"for": "t0", "per_unit": draw(st_.floats(0, 2))},
                        "delay": draw(st_.integers(0, 5))}
    doc = {"name": "random", "title": "random", "start": "2024-01-01", "horizon": 40,
           "actors": {a: {"name": a} for a in actors},
           "munitions": {"m0": {"name": "m0"}, "m1": {"name": "m1", "kind": draw(st_.sampled_from(
               ["munition", "good"]))}},
           "stocks": stocks, "demand": demand, "production": production, "transfers": transfers,
           "levers": {"cap": {"kind": "cap", "transfers": ["t0"], "default": 1},
                      "sanctions": {"kind": "sanctions", "transfers": ["t0"], "delay": 3, "loss": 0.2}},
           "policies": {"a": {}, "b": {"levers": {"cap": 0.3, "sanctions": 1}}}}
    return yaml.safe_dump(doc, sort_keys=False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_conservation_and_bounds_on_random_scenarios(text) -> None:
    sc = loads_scenario(text)
    bounds = Bounds()
    st, s = run_engine(sc, runs=3, observers=[bounds])
    assert bounds.violations == []
    from spillover.engine.params import build_params

    S0 = build_params(st, {}, 3).S0
    S0 = np.tile(S0, (s.S.shape[0] // 3, 1, 1))
    lhs = S0.sum(axis=1) + s.produced.sum(axis=1)
    rhs = s.S.sum(axis=1) + _by_class(st, s.in_transit) + _by_class(st, s.lost) + s.fired.sum(axis=1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-10, atol=1e-6)
    assert (s.delivered <= s.shipped + 1e-9).all()
