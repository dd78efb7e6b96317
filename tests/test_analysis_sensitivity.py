"""Global sensitivity: known answers on the engine, SALib's PAWN reproduced, bad sizes refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillover.analysis.sensitivity import RANDOMNESS, pawn_median, rank_warnings, sensitivity
from spillover.scenario.expr import ExprError

# days_of_fire of the mini scenario's shells depends on the supplier's stock, the fullness,
# the delay and the late fire rate; not on how the observer sees them, nor on chance.
IRRELEVANT = {"perception.observers.O.bias", "perception.observers.O.noise",
              "indicators.threat.inputs.shells", RANDOMNESS}
DRIVERS = ("fullness", "late_fire", "stocks.S.shell")


@pytest.fixture(scope="module")
def sobol(mini):
    return sensitivity(mini, "days_of_fire.s_r_shells", "sobol", n=64, seed=2)


def test_sobol_finds_what_matters_and_what_does_not(sobol) -> None:
    t = sobol.table.set_index("input")
    assert set(IRRELEVANT) <= set(t.index)
    assert (t.loc[list(IRRELEVANT), "ST"].abs() < 0.02).all()
    assert t.loc[list(DRIVERS), "ST"].sum() > 0.8
    assert sobol.table["input"].iloc[0] in DRIVERS
    assert sobol.runs == 64 * (len(t) + 2)
    assert sobol.table["rank"].tolist() == list(range(1, len(t) + 1))
    assert set(sobol.table["label"]) <= {"sourced", "judgment", "unsourced", "random"}
    assert t.loc[RANDOMNESS, "label"] == "random" and t.loc["fullness", "label"] == "judgment"


def test_rows_of_a_saltelli_group_share_their_draws(mini) -> None:
    # An outcome driven by chance alone (the observer's noise) has all its variance in the
    # randomness factor.
    res = sensitivity(mini, "miscalc_peak", "sobol", n=64, seed=1,
                      inputs=["fullness"], resamples=50)
    t = res.table.set_index("input")
    assert t.loc[RANDOMNESS, "ST"] > 0.8
    assert abs(t.loc["fullness", "S1"]) < 0.2


def test_morris_screens(mini) -> None:
    res = sensitivity(mini, "days_of_fire.s_r_shells", "morris", n=8, seed=3)
    t = res.table.set_index("input")
    assert (t.loc[list(IRRELEVANT), "mu_star"] < 1e-9).all()
    assert res.table["input"].iloc[0] in DRIVERS


def test_pawn_matches_salib() -> None:
    from SALib.analyze import pawn

    rng = np.random.default_rng(0)
    X = rng.random((600, 3))
    X[:, 2] = np.round(X[:, 2] * 4) / 4  # ties
    for Y in (X[:, 0] + 0.1 * rng.random(600), (X[:, 1] > 0.5).astype(float)):
        problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0, 1]] * 3}
        np.testing.assert_allclose(pawn_median(X, Y), pawn.analyze(problem, X, Y, S=10)["median"])


def test_pawn_ranks_with_bootstrap_intervals(mini) -> None:
    res = sensitivity(mini, "days_of_fire.s_r_shells", "pawn", n=200, seed=4, resamples=20)
    t = res.table
    assert t["input"].iloc[0] in DRIVERS
    assert (t["lo"] <= t["index"]).all() and (t["index"] <= t["hi"]).all()


@pytest.mark.parametrize(("method", "n", "message"), [
    ("sobol", 32, "sobol needs --n of at least 64 base samples, got 32"),
    ("sobol", 100, "power of 2 .*: use 64 or 128"),
    ("morris", 2, "morris needs --n of at least 4 trajectories"),
    ("pawn", 50, "pawn needs --n of at least 100 runs"),
    ("sobl", 64, "did you mean 'sobol'"),
])
def test_bad_sizes_and_methods_are_refused(mini, method, n, message) -> None:
    with pytest.raises(ValueError, match=message):
        sensitivity(mini, "peak.threat", method, n=n)


def test_bad_outcomes_are_refused(mini) -> None:
    with pytest.raises(ExprError, match=r"did you mean 'peak\.threat'"):
        sensitivity(mini, "peak.thret", "morris", n=4)
    with pytest.raises(ExprError) as err:
        sensitivity(mini, "peak.threat >", "morris", n=4)
    assert err.value.column == 14
    with pytest.raises(ValueError, match=r"undefined \(NaN\)"):
        sensitivity(mini, "fired_day.o_helps", "morris", n=4, seed=1)
    with pytest.raises(ValueError, match="is 0 in every run"):
        sensitivity(mini, "peak.threat - peak.threat", "morris", n=4)
    with pytest.raises(ValueError, match="unknown input 'fullnes'"):
        sensitivity(mini, "peak.threat", "morris", n=4, inputs=["fullnes"])


def test_rank_warnings_say_how_many_runs_would_help() -> None:
    t = pd.DataFrame({"input": ["a", "b", "c"], "index": [0.5, 0.3, 0.299],
                      "lo": [0.45, 0.2, 0.2], "hi": [0.55, 0.4, 0.4]})
    w = rank_warnings(t, "sobol", 256, d=3)
    # a vs b: half-widths 0.05 + 0.1 over a gap of 0.2 → (0.75)² < 1: already apart;
    # b vs c: a gap of 0.001 cannot be closed in practice.
    assert len(w) == 2 and "b and c (ranks 2 and 3)" in w[1] and "too close" in w[1]
    t.loc[1, "index"], t.loc[1, "lo"], t.loc[1, "hi"] = 0.35, 0.25, 0.45
    t.loc[0, "lo"], t.loc[0, "hi"] = 0.3, 0.7
    w = rank_warnings(t.head(2), "sobol", 256, d=3)
    # half-widths 0.2 + 0.1 = 0.3 over a gap of 0.15: (2)² = 4× → n = 1,024 (a power of 2).
    assert "about n=1,024 (5,120 runs, 4× as many)" in w[1]
    assert rank_warnings(t.iloc[[0, 2]].reset_index(drop=True).assign(lo=[0.45, 0.2], hi=[0.55, 0.35]),
                         "sobol", 256, d=3) == []
