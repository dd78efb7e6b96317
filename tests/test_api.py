"""The library's facade: its public names, the built-in scenario, and run-time policies."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import spillover
from spillover.scenario import errors, quantity, source
from tests.conftest import MINI


def test_public_names_are_exactly_the_facade() -> None:
    assert sorted(spillover.__all__) == sorted([
        "RunResult", "Scenario", "ScenarioError", "__version__", "analyse", "copy_builtin",
        "load_scenario", "loads_scenario", "resume", "run", "scenarios", "summarize", "validate",
    ])
    for name in spillover.__all__:
        assert getattr(spillover, name) is not None


def test_builtin_scenario_is_strict_and_runs_with_a_fixed_seed() -> None:
    sc = spillover.load_scenario("nk-russia-2023", strict=True)
    res = spillover.run(sc, runs=40, seed=20230801, chunk_size=20)
    assert set(res.outcomes["policy"]) == set(sc.policies)
    assert len(res.claims) == len(sc.claims) * len(sc.policies)
    assert res.claims["probability"].between(0, 1).all()
    assert (res.claims["lo"] <= res.claims["probability"]).all()
    assert (res.claims["probability"] <= res.claims["hi"]).all()
    again = spillover.run(sc, runs=40, seed=20230801, chunk_size=7)
    assert res.outcomes.equals(again.outcomes)


def test_extra_policies_run_beside_the_presets() -> None:
    res = spillover.run(MINI, runs=30, seed=2, extra_policies={"half": {"cap": 0.5}},
                        policies=["status-quo", "half"])
    o = res.outcomes
    sq = o[o.policy == "status-quo"]["shipped.s_r_shells"].to_numpy()
    half = o[o.policy == "half"]["shipped.s_r_shells"].to_numpy()
    assert np.all(half <= sq + 1e-9) and half.sum() < 0.75 * sq.sum()


@pytest.mark.parametrize(("levers", "message"), [
    ({"capp": 0.5}, "unknown lever 'capp' (did you mean 'cap'?)"),
    ({"cap": 1.5}, "lever 'cap' takes a value between 0 and 1"),
])
def test_extra_policies_refuse_bad_levers(levers, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        spillover.run(MINI, runs=5, extra_policies={"x": levers})


def test_save_series_needs_a_folder() -> None:
    with pytest.raises(ValueError, match="needs a run folder"):
        spillover.run(MINI, runs=5, save_series=True)


def test_save_series_writes_every_run(tmp_path) -> None:
    import pandas as pd

    spillover.run(MINI, runs=12, seed=1, out=tmp_path / "r", save_series=True, report=False, chunk_size=5)
    full = pd.read_parquet(tmp_path / "r" / "series_full")
    assert len(full) == 12 * 3 * 120
    assert {"run", "policy", "day", "indicator.threat", "stock.R.shell"} <= set(full.columns)


@pytest.mark.parametrize("module", [errors, quantity, source])
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0
