"""Tests for paired policy differences (spillover.analysis.compare)."""

from __future__ import annotations

import doctest
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from spillover.analysis import compare as compare_module
from spillover.analysis.compare import COMPARISON_COLUMNS, paired_differences, paired_summary
from spillover.scenario.expr import ExprError


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    expr: str


def test_doctests() -> None:
    result = doctest.testmod(compare_module)
    assert result.attempted > 3
    assert result.failed == 0


def _frame(base: list[float], other: list[float], column: str = "x") -> pd.DataFrame:
    runs = list(range(len(base)))
    return pd.DataFrame(
        {
            "run": runs + runs,
            "policy": ["base"] * len(base) + ["alt"] * len(other),
            column: base + other,
        }
    )


# --------------------------------------------------------------------------- known answers


def test_known_answer_on_a_tiny_frame() -> None:
    table = paired_differences(_frame([1.0, 2.0, 3.0], [2.0, 4.0, 3.0]), "base", {"x": "x"})
    assert tuple(table.columns) == COMPARISON_COLUMNS
    assert len(table) == 1
    row = table.iloc[0]
    assert (row["policy"], row["baseline"], row["quantity"], row["kind"]) == (
        "alt", "base", "x", "outcome"
    )
    # differences 1, 2, 0: mean 1, sd 1; t(0.95, 2 df) = 2.920 in published t tables
    assert row["n"] == 3
    assert row["mean_diff"] == 1.0
    assert row["lo"] == pytest.approx(1 - 2.920 / math.sqrt(3), abs=1e-3)
    assert row["hi"] == pytest.approx(1 + 2.920 / math.sqrt(3), abs=1e-3)
    assert row["lo"] == pytest.approx(1 - stats.t.ppf(0.95, 2) / math.sqrt(3), rel=1e-12)
    assert row["share_lower"] == 0.0
    assert row["share_higher"] == pytest.approx(2 / 3)


def test_known_answer_at_95_percent() -> None:
    # differences -2, -4, -6, -8: mean -5, sd sqrt(20/3); t(0.975, 3 df) = 3.182
    table = paired_differences(
        _frame([10.0, 10.0, 10.0, 10.0], [8.0, 6.0, 4.0, 2.0]), "base", {"x": "x"}, level=0.95
    )
    row = table.iloc[0]
    half = 3.182 * math.sqrt(20 / 3) / 2
    assert row["mean_diff"] == -5.0
    assert (row["lo"], row["hi"]) == pytest.approx((-5 - half, -5 + half), abs=2e-3)
    assert (row["share_lower"], row["share_higher"]) == (1.0, 0.0)


def test_pairs_by_run_not_by_row_order() -> None:
    frame = pd.DataFrame(
        {
            "run": [0, 1, 2, 2, 0, 1],
            "policy": ["base", "base", "base", "alt", "alt", "alt"],
            "x": [1.0, 2.0, 3.0, 3.5, 1.5, 2.5],
        }
    )
    row = paired_differences(frame, "base", {"x": "x"}).iloc[0]
    # every paired difference is exactly 0.5: the interval collapses to the point
    assert (row["mean_diff"], row["lo"], row["hi"]) == (0.5, 0.5, 0.5)
    assert row["share_higher"] == 1.0


def test_equal_policies_give_a_zero_point_interval() -> None:
    row = paired_differences(_frame([1.0, 5.0, 9.0], [1.0, 5.0, 9.0]), "base", {"x": "x"}).iloc[0]
    assert (row["mean_diff"], row["lo"], row["hi"]) == (0.0, 0.0, 0.0)
    assert (row["share_lower"], row["share_higher"]) == (0.0, 0.0)


def test_nan_differences_are_dropped() -> None:
    nan = math.nan
    frame = _frame([10.0, nan, 30.0, nan], [12.0, 50.0, nan, nan], column="fired_day.k")
    row = paired_differences(frame, "base", {"day": "fired_day.k"}).iloc[0]
    assert row["n"] == 1
    assert row["mean_diff"] == 2.0
    assert math.isnan(row["lo"])
    assert math.isnan(row["hi"])
    none = paired_differences(_frame([nan], [nan], column="f"), "base", {"f": "f"}).iloc[0]
    assert none["n"] == 0
    assert math.isnan(none["mean_diff"])


def test_infinite_differences_do_not_warn() -> None:
    row = paired_differences(_frame([1.0, 2.0], [math.inf, 3.0]), "base", {"x": "x"}).iloc[0]
    assert row["mean_diff"] == math.inf
    assert math.isnan(row["lo"])
    assert row["share_higher"] == 1.0


# --------------------------------------------------------------------------- pairing pays


def test_paired_interval_is_much_narrower_than_unpaired() -> None:
    rng = np.random.default_rng(20230801)
    runs = 400
    shared = rng.normal(400, 100, runs)  # what both policies share: the sampled inputs
    base = shared + rng.normal(0, 3, runs)
    alt = shared - 5 + rng.normal(0, 3, runs)  # the policy costs five days of fire
    frame = _frame(base.tolist(), alt.tolist(), column="days_of_fire.prk_rus_shells")
    row = paired_differences(frame, "base", {"days": "days_of_fire.prk_rus_shells"}).iloc[0]
    paired_width = row["hi"] - row["lo"]
    # Welch's interval treating the two policies as independent samples
    se = math.sqrt(base.var(ddof=1) / runs + alt.var(ddof=1) / runs)
    unpaired_width = 2 * stats.norm.ppf(0.95) * se
    assert paired_width < 0.1 * unpaired_width
    assert row["lo"] < -5 < row["hi"]
    assert row["hi"] < 0  # paired: the reduction is clear
    assert (alt.mean() - base.mean()) + unpaired_width / 2 > 0  # unpaired: it is not


# --------------------------------------------------------------------------- inputs


@pytest.fixture
def outcomes() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    runs = 30
    frames = []
    for policy, cut in [("status_quo", 0.0), ("interdiction", 0.4), ("aid", -0.2)]:
        delivered = rng.uniform(0.5, 1.5, runs) * (1 - cut) * 1e6
        fired = rng.random(runs) < 0.3 + cut / 2
        frames.append(
            pd.DataFrame(
                {
                    "run": np.arange(runs),
                    "policy": policy,
                    "delivered.prk_rus_shells": delivered,
                    "days_of_fire.prk_rus_shells": delivered / 2500,
                    "first_shortfall.RUS.shell152": rng.integers(100, 731, runs),
                    "first_shortfall_without_transfers.RUS.shell152": rng.integers(50, 400, runs),
                    "fired.kor_arms_ukraine": fired,
                    "scenario_note": "text",  # not numeric: skipped by default
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def test_quantities_claims_and_order(outcomes: pd.DataFrame) -> None:
    quantities = {
        "delay": "first_shortfall[RUS, shell152] - first_shortfall_without_transfers.RUS.shell152",
        "year_of_fire": "days_of_fire.prk_rus_shells > 365",
    }
    claims = [Claim("arms", "South Korea arms Ukraine", "fired.kor_arms_ukraine")]
    table = paired_differences(outcomes, "status_quo", quantities, claims)
    assert list(table["policy"]) == ["interdiction"] * 3 + ["aid"] * 3
    assert list(table["quantity"]) == ["delay", "year_of_fire", "arms"] * 2
    assert list(table["kind"]) == ["outcome", "outcome", "claim"] * 2
    assert (table["baseline"] == "status_quo").all()
    assert (table["n"] == 30).all()

    def values(policy: str, column: str) -> np.ndarray:
        return outcomes[outcomes["policy"] == policy].sort_values("run")[column].to_numpy()

    arms = table[(table["policy"] == "aid") & (table["quantity"] == "arms")].iloc[0]
    diff = values("aid", "fired.kor_arms_ukraine").astype(float) - values(
        "status_quo", "fired.kor_arms_ukraine"
    ).astype(float)
    assert arms["mean_diff"] == pytest.approx(diff.mean())
    assert arms["share_lower"] == pytest.approx(np.mean(diff < 0))
    year = table[(table["policy"] == "interdiction") & (table["quantity"] == "year_of_fire")]
    expected = (values("interdiction", "days_of_fire.prk_rus_shells") > 365).astype(float) - (
        values("status_quo", "days_of_fire.prk_rus_shells") > 365
    ).astype(float)
    assert year.iloc[0]["mean_diff"] == pytest.approx(expected.mean())


def test_default_quantities_are_every_numeric_outcome(outcomes: pd.DataFrame) -> None:
    table = paired_differences(outcomes, "interdiction")
    assert list(table["policy"].unique()) == ["status_quo", "aid"]
    assert list(table["quantity"][:5]) == [
        "delivered.prk_rus_shells",
        "days_of_fire.prk_rus_shells",
        "first_shortfall.RUS.shell152",
        "first_shortfall_without_transfers.RUS.shell152",
        "fired.kor_arms_ukraine",
    ]
    assert len(table) == 10
    assert paired_differences(outcomes, "aid", {}).empty


def test_errors(outcomes: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="baseline policy 'nope' is not in the outcomes"):
        paired_differences(outcomes, "nope")
    with pytest.raises(ValueError, match="no 'run' column"):
        paired_differences(outcomes.drop(columns="run"), "aid")
    with pytest.raises(ValueError, match="repeated"):
        paired_differences(pd.concat([outcomes, outcomes.iloc[:1]]), "aid")
    with pytest.raises(ExprError) as caught:
        paired_differences(outcomes, "aid", {"d": "delivered.prk_rus_shell"})
    assert str(caught.value).startswith("quantity 'd', column 1: unknown outcome")
    with pytest.raises(ExprError, match="claim 'c'"):
        paired_differences(outcomes, "aid", {}, [Claim("c", "", "delivered.prk_rus_shells")])
    with pytest.raises(ValueError, match="level"):
        paired_differences(outcomes, "aid", {"d": "delivered.prk_rus_shells"}, level=1.0)


def test_missing_runs_are_named(outcomes: pd.DataFrame) -> None:
    gappy = outcomes[~((outcomes["policy"] == "aid") & outcomes["run"].isin([3, 7]))]
    gappy = pd.concat(
        [gappy, gappy[(gappy["policy"] == "status_quo") & (gappy["run"] == 0)].assign(run=99)]
    )
    with pytest.raises(ValueError) as caught:
        paired_differences(gappy, "status_quo", {})
    message = str(caught.value)
    assert "cannot pair policy 'interdiction' with baseline 'status_quo'" in message
    assert "'interdiction' lacks run 99" in message
    gappy = outcomes[~((outcomes["policy"] == "aid") & outcomes["run"].isin([3, 7]))]
    with pytest.raises(ValueError, match="'aid' lacks run 3, 7"):
        paired_differences(gappy, "status_quo", {})


# --------------------------------------------------------------------------- properties

finite = st.integers(-(10**9), 10**9).map(lambda i: i / 1000)  # no underflowing spreads


@given(st.lists(finite, min_size=2, max_size=50), st.sampled_from([0.5, 0.8, 0.9, 0.95]))
def test_summary_matches_scipy_t_interval(diffs: list[float], level: float) -> None:
    n, mean, lo, hi, lower, higher = paired_summary(diffs, level)
    d = np.asarray(diffs)
    assert n == len(diffs)
    assert lower + higher <= 1.0
    assert lower == pytest.approx(np.mean(d < 0))
    if np.all(d == d[0]):
        assert lo == hi == mean == d[0]
        return
    expected = stats.t.interval(level, n - 1, loc=d.mean(), scale=stats.sem(d))
    assert (lo, hi) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    assert lo <= mean <= hi


@given(st.lists(finite, min_size=2, max_size=30), finite)
def test_shifting_both_policies_changes_nothing(base: list[float], shift: float) -> None:
    alt = [b + 1.0 for b in base]
    frame = _frame(base, alt)
    moved = _frame([b + shift for b in base], [a + shift for a in alt])
    one = paired_differences(frame, "base", {"x": "x"}).iloc[0]
    two = paired_differences(moved, "base", {"x": "x"}).iloc[0]
    assert one["mean_diff"] == pytest.approx(two["mean_diff"], abs=1e-6)
    assert one["n"] == two["n"]
