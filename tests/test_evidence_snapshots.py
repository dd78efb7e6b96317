"""Snapshots: quantities recorded at the end of given days, alike in both engines."""

from __future__ import annotations

import numpy as np
import pytest

from spillover.engine.compiled import simulate_compiled, supports
from spillover.engine.outcomes import OutcomeWatcher
from spillover.engine.simulate import simulate
from spillover.engine.snapshots import SnapshotSpec, SnapshotWatcher
from spillover.scenario.load import load_scenario
from spillover.scenario.measures import measure_names
from tests.conftest import engine_inputs


@pytest.fixture(scope="module")
def nk():
    return load_scenario("nk-russia-2023")


def _every_quantity(st, days=(0, 100, 729)):
    return SnapshotSpec.build(st, [(c, d) for c in measure_names(st.scenario) for d in days])


def test_both_engines_record_the_same_values_bit_for_bit(nk) -> None:
    st, p, d, _ = engine_inputs(nk, runs=40, seed=5)
    spec = _every_quantity(st)
    a, b = SnapshotWatcher(spec, p.R), SnapshotWatcher(spec, p.R)
    assert supports([OutcomeWatcher(st, p.R), a])
    simulate(st, p, d, [OutcomeWatcher(st, p.R), a], engine="numpy")
    simulate_compiled(st, p, d, [OutcomeWatcher(st, p.R), b], block=64)
    assert not np.isnan(a.values).any()
    np.testing.assert_array_equal(a.values, b.values)


def test_the_last_day_equals_the_final_state(nk) -> None:
    st, p, d, _ = engine_inputs(nk, runs=20, seed=2)
    spec = SnapshotSpec.build(st, [("delivered.prk_rus_shells", st.T - 1), ("stock.RUS.shell152", st.T - 1),
                                   ("fired.kor_arms_ukraine", st.T - 1), ("indicator.kor_threat", st.T - 1)])
    w = SnapshotWatcher(spec, p.R)
    final = simulate_compiled(st, p, d, [w])
    f, k = st.transfers.index("prk_rus_shells"), st.indicators.index("kor_threat")
    np.testing.assert_array_equal(w.values[0], final.delivered[:, f])
    rus = st.actors.index("RUS"), st.munitions.index("shell152")
    np.testing.assert_array_equal(w.values[1], final.S[:, rus[0], rus[1]])
    np.testing.assert_array_equal(w.values[2], final.E[:, st.events.index("kor_arms_ukraine")].astype(float))
    np.testing.assert_array_equal(w.values[3], final.I[:, k])


def test_cumulative_quantities_never_fall_and_block_size_does_not_matter(nk) -> None:
    st, p, d, _ = engine_inputs(nk, runs=30, seed=9)
    days = list(range(0, st.T, 30))
    spec = SnapshotSpec.build(st, [("shipped.prk_rus_shells", t) for t in days])
    a, b = SnapshotWatcher(spec, p.R), SnapshotWatcher(spec, p.R)
    simulate_compiled(st, p, d, [a], block=64)
    simulate_compiled(st, p, d, [b], block=256)
    np.testing.assert_array_equal(a.values, b.values)
    assert (np.diff(a.values, axis=0) >= 0).all()


def test_unknown_quantities_and_days_outside_the_horizon_are_refused(nk) -> None:
    st, *_ = engine_inputs(nk, runs=2)
    with pytest.raises(ValueError, match=r"unknown quantity 'delivered\.nope'"):
        SnapshotSpec.build(st, [("delivered.nope", 3)])
    with pytest.raises(ValueError, match="outside the horizon"):
        SnapshotSpec.build(st, [("delivered.prk_rus_shells", 730)])
