"""The generic engine, run from a scenario file, reproduces a hand-written reference model."""

from __future__ import annotations

import numpy as np

from benchmarks.richardson_loop import hand_loop
from spillover.engine.draws import draw
from spillover.engine.outcomes import OutcomeWatcher
from spillover.engine.params import build_params
from spillover.engine.simulate import simulate
from spillover.engine.structure import build_structure
from spillover.ensemble.design import sample_inputs
from spillover.scenario.load import load_scenario
from tests.conftest import HERE

RICHARDSON = HERE.parent / "benchmarks" / "scenarios" / "richardson7.yaml"


def test_engine_matches_the_hand_written_loop_on_20_parameter_sets() -> None:
    sc = load_scenario(RICHARDSON, strict=True)
    st = build_structure(sc)
    assert len(st.inputs) == 18
    exp = sample_inputs(st.inputs, 20, seed=9)
    p = build_params(st, {c: exp[c].to_numpy()[:20] for c in exp.columns if c != 'run'}, 20)
    acc = OutcomeWatcher(st, 20)
    out = acc.finish(simulate(st, p, draw(st, 9, np.arange(20)), [acc]))
    want = hand_loop(exp)
    assert len(want) == 36
    for name, values in want.items():
        np.testing.assert_allclose(out[name], values, rtol=1e-12, atol=1e-9, err_msg=name)
    # The comparison covers real dynamics: stocks run short and the race moves.
    assert (out["first_shortfall.A1.arms"] < 365).any() or (out["final_stock.A1.arms"] > 0).all()
    assert np.ptp(out["final.x_A0"]) > 0.1
