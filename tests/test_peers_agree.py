"""The peers' versions of the reference model agree with spillover (``make bench-peers`` relies on it).

The plain Python loop is always checked. The EMA Workbench and Mesa versions are checked
when those packages are installed (the optional ``bench`` extra, which CI leaves out).
"""

from __future__ import annotations

import multiprocessing
import warnings
from types import ModuleType

import numpy as np
import pandas as pd
import pytest

import spillover
from benchmarks.peers.loop_model import INPUTS, OUTCOMES, ident, run_one
from tests.conftest import HERE

RICHARDSON = HERE.parent / "benchmarks" / "scenarios" / "richardson7.yaml"
N = 6


@pytest.fixture(scope="module")
def reference() -> tuple[list[dict[str, float]], pd.DataFrame]:
    """Six LHS parameter sets and spillover's outcomes for them, in run order."""
    res = spillover.run(RICHARDSON, runs=N, seed=11, counterfactual=False)
    rows = res.experiments.sort_values("run")[INPUTS].to_dict("records")
    return rows, res.outcomes.sort_values("run").reset_index(drop=True)


def assert_agree(got: pd.DataFrame, want: pd.DataFrame) -> None:
    for name in OUTCOMES:
        np.testing.assert_allclose(got[name].to_numpy(), want[name].to_numpy(), rtol=1e-9, atol=1e-9,
                                   err_msg=name)


def test_the_plain_loop_matches_spillover(reference: tuple[list[dict[str, float]], pd.DataFrame]) -> None:
    rows, want = reference
    assert_agree(pd.DataFrame([run_one(r) for r in rows]), want)
    # The sets exercise the stock logic: the transfer drains the supplier in these runs.
    assert (want["delivered.t01"] < 365 * np.array([r["transfer_rate"] for r in rows])).any()


def test_the_loop_transfer_is_capped_by_the_suppliers_stock() -> None:
    base = {n: 1.0 for n in INPUTS} | {"threat_scale": 0.5, "fatigue_days.A0": 10.0}
    out = run_one(base | {"transfer_rate": 1e9})
    assert out["delivered.t01"] == 100_000.0  # the first day ships the whole stock, then nothing is left
    assert out["first_shortfall.A0.arms"] == 0.0
    assert out["final_stock.A0.arms"] == 0.0


def test_identifiers_are_unique_and_valid() -> None:
    names = [ident(n) for n in INPUTS + OUTCOMES]
    assert len(set(names)) == len(names) == 18 + 36
    assert all(n.isidentifier() for n in names)


def _import_ema() -> ModuleType:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import ema_workbench  # noqa: F401
        except ImportError:
            pytest.skip("ema_workbench is not installed (pip install -e '.[bench]')")
    from benchmarks.peers import ema_model

    return ema_model


def _import_mesa() -> ModuleType:
    # Importing mesa sets the multiprocessing start method to "spawn" for the whole process
    # (mesa/batchrunner.py); put back whatever was there so other tests are unaffected.
    before = multiprocessing.get_start_method(allow_none=True)
    try:
        import mesa  # noqa: F401
    except ImportError:
        pytest.skip("mesa is not installed (pip install -e '.[bench]')")
    finally:
        multiprocessing.set_start_method(before, force=True)
    from benchmarks.peers import mesa_model

    return mesa_model


def test_ema_workbench_matches_spillover_on_given_scenarios(
    reference: tuple[list[dict[str, float]], pd.DataFrame],
) -> None:
    ema_model = _import_ema()
    rows, want = reference
    ranges = {n: (min(r[n] for r in rows), max(r[n] for r in rows)) for n in INPUTS}
    got = ema_model.run_given(ema_model.build_model(ranges), rows, processes=1)
    assert_agree(got, want)


def test_mesa_batch_run_matches_spillover(reference: tuple[list[dict[str, float]], pd.DataFrame]) -> None:
    mesa_model = _import_mesa()
    rows, want = reference
    assert_agree(mesa_model.run_batch(rows, processes=1), want)


def test_mesa_update_is_synchronous_whatever_the_activation_order(
    reference: tuple[list[dict[str, float]], pd.DataFrame],
) -> None:
    mesa_model = _import_mesa()
    rows, _ = reference
    finals = []
    for seed in (1, 2, 3):  # each seed shuffles the agents differently every day
        model = mesa_model.RichardsonModel(rows[0], seed=seed)
        while model.running:
            model.step()
        assert model.steps == 365
        finals.append([a.x for a in model.actors] + [a.stock for a in model.actors])
    assert finals[0] == finals[1] == finals[2]


def test_the_fused_kernel_is_the_hand_loop_bit_for_bit() -> None:
    """The limit bench-peers measures against computes exactly the model the others do."""
    from benchmarks.peers.fused_model import fused
    from benchmarks.richardson_loop import hand_loop
    from spillover.engine.structure import build_structure
    from spillover.ensemble.design import sample_inputs
    from spillover.scenario.load import load_scenario

    exp = sample_inputs(build_structure(load_scenario(RICHARDSON)).inputs, 300, 5)
    got, want = fused(exp), hand_loop(exp)
    assert list(got) == OUTCOMES
    for name in OUTCOMES:
        assert np.array_equal(got[name], want[name]), name
    assert (got["first_shortfall.A6.arms"] < 365).any()  # shortfalls are exercised
