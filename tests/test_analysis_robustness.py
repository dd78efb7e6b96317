"""Regret across policies: known answers on hand-made outcomes, and on a run."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spillover.analysis.robustness import default_quantities, regret_summary, regret_table


def frame() -> pd.DataFrame:
    # Three runs, three policies. On x (lower is better): a wins runs 0 and 1, c wins run 2.
    x = {"a": [1.0, 2.0, 9.0], "b": [2.0, 3.0, 4.0], "c": [5.0, 6.0, 1.0]}
    rows = [{"run": r, "policy": p, "x": v[r], "hit": v[r] > 3} for p, v in x.items() for r in range(3)]
    return pd.DataFrame(rows)


def test_regret_known_answer() -> None:
    t = regret_table(frame(), {"x": "x"}).set_index("policy")
    # regrets: a = 0, 0, 8; b = 1, 1, 3; c = 4, 4, 0
    assert t.loc["a", "best_runs"] == 2 and t.loc["c", "best_runs"] == 1 and t.loc["b", "best_runs"] == 0
    assert t.loc["a", "max_regret"] == 8 and t.loc["b", "max_regret"] == 3 and t.loc["c", "max_regret"] == 4
    assert t.loc["b", "mean_regret"] == pytest.approx(5 / 3)
    assert t["minimax"].tolist() == [False, True, False]  # b never does badly
    assert (t["better"] == "lower").all() and (t["n"] == 3).all()


def test_higher_is_better_and_yes_no_outcomes() -> None:
    t = regret_table(frame(), {"x": "x", "hit": "hit"}, higher_is_better=["x"])
    hi = t[t["quantity"] == "x"].set_index("policy")
    # higher is better: a wins run 2 (9), c runs 0 and 1 (5, 6)
    assert hi.loc["c", "best_runs"] == 2 and hi.loc["a", "best_runs"] == 1
    assert (hi["better"] == "higher").all()
    hit = t[t["quantity"] == "hit"].set_index("policy")
    assert hit["max_regret"].max() == 1.0
    with pytest.raises(ValueError, match="did you mean 'hit'"):
        regret_table(frame(), {"x": "x", "hit": "hit"}, higher_is_better=["hti"])


def test_ties_count_for_each_policy_and_the_minimax_breaks_ties_by_the_mean() -> None:
    f = frame()
    f["y"] = [0.0, 0.0, 1.0] * 3
    t = regret_table(f, {"y": "y"})
    assert (t["best_runs"] == 3).all() and (t["max_regret"] == 0).all()
    assert t["minimax"].all()  # an exact tie on max and mean regret: each tied policy is minimax


def test_an_exact_tie_is_shown_and_counted_as_a_tie() -> None:
    from rich.console import Console

    from spillover.cli.analysis_render import render_regret

    f = frame()
    f["y"] = [0.0, 0.0, 1.0] * 3  # every policy scores the same in every run
    t = regret_table(f, {"y": "y", "x": "x"})
    s = regret_summary(t).set_index("policy")
    assert s.loc[["a", "b", "c"], "most_often_best"].tolist() == [2, 1, 1]  # y: all tied; x: a
    assert s.loc[["a", "b", "c"], "minimax"].tolist() == [1, 2, 1]  # y: all tied; x: b
    console = Console(width=250, record=True)
    console.print(render_regret(t))
    row = next(line for line in console.export_text().splitlines() if line.lstrip("│ ").startswith("y "))
    assert row.count("★ tie") == 3


def test_summary_counts_minimax_choices() -> None:
    t = regret_table(frame(), {"x": "x", "hit": "hit"})
    s = regret_summary(t)
    # x: b (max regret 3); hit: a, b and c all have max regret 1, a and b a mean of 1/3: a tie.
    assert s.set_index("policy")["minimax"].to_dict() == {"a": 1, "b": 2, "c": 0}
    assert s["policy"].iloc[0] == "b"


def test_regret_on_a_run(mini) -> None:
    import spillover

    res = spillover.run(mini, runs=30, seed=2)
    t = regret_table(res.outcomes, default_quantities(mini))
    assert set(t["policy"]) == set(mini.policies)
    assert t.groupby("quantity")["minimax"].sum().ge(1).all()  # one, or each of the tied
    assert (t["mean_regret"] <= t["max_regret"] + 1e-12).all() and (t["mean_regret"] >= 0).all()
    with pytest.raises(Exception, match="did you mean"):
        regret_table(res.outcomes, {"z": "peak.thret"})


def test_an_outcome_without_a_declared_direction_is_listed_not_scored() -> None:
    t = regret_table(frame(), {"x": "x", "hit": "hit"}, directions={"hit": "lower"})
    x = t[t["quantity"] == "x"]
    assert (x["better"] == "undeclared").all() and x["max_regret"].isna().all() and not x["minimax"].any()
    assert x.set_index("policy")["mean"].to_dict() == {"a": 4.0, "b": 3.0, "c": 4.0}
    assert t["quantity"].tolist()[-1] == "x"  # unscored quantities come last
    s = regret_summary(t)
    assert s["minimax"].sum() == 2  # only 'hit' is scored (a and b tie on it)


def _supply():
    """A supply scenario: cutting the aid lowers the days of fire it buys, and nothing else."""
    from spillover.scenario.load import loads_scenario
    from tests.conftest import MINI

    return loads_scenario(MINI.read_text() + "\nprefer:\n  days_of_fire.s_r_shells: higher\n", "supply.yaml")


def test_robust_reads_the_declared_directions(mini) -> None:
    import spillover
    from spillover.analysis.robustness import robust

    out = spillover.run(mini, runs=40, seed=5, counterfactual=False).outcomes
    col = "days_of_fire.s_r_shells"
    undeclared = robust(mini, outcomes=out, quantities={col: col})
    assert (undeclared["better"] == "undeclared").all()  # was scored as "lower is better"
    supply = _supply()
    declared = robust(supply, outcomes=out, quantities={col: col})
    assert (declared["better"] == "higher").all()
    best = declared.loc[declared["minimax"], "policy"].tolist()
    assert best != ["capped"]  # halving and sanctioning the aid is never the robust choice for more aid
    every = robust(supply, outcomes=out)
    assert "lasting" in set(every["quantity"]) and "helps" in set(every["quantity"])  # claims are listed
    assert (every.loc[every["quantity"] == col, "better"] == "higher").all()
    lowered = robust(mini, outcomes=out, quantities={col: col}, lower_is_better=[col])
    assert (lowered["better"] == "lower").all()


@settings(max_examples=60, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.integers(0, 6), st.sampled_from(["a", "b", "c"]),
                          st.one_of(st.floats(-5, 5), st.just(float("nan")))), min_size=1, max_size=40))
def test_the_paired_matrix_is_what_a_first_value_pivot_gives(rows) -> None:
    """Runs ascending, a missing (run, policy) NaN, a repeated one its first value that is
    not NaN: as ``pivot_table(aggfunc="first", dropna=False)``, including repeats and gaps."""
    from spillover.analysis.robustness import _matrix, _pairs

    out = pd.DataFrame(rows, columns=["run", "policy", "v"])
    policies = [p for p in ["a", "b", "c"] if p in set(out["policy"])]
    wide = out.pivot_table(index="run", columns="policy", values="v", aggfunc="first", dropna=False)
    want = wide.reindex(columns=policies).to_numpy()
    np.testing.assert_array_equal(_matrix(_pairs(out, policies), out["v"].to_numpy()), want)
    with pytest.raises(ValueError, match="policy 'z' has no runs"):
        _pairs(out, [*policies, "z"])
