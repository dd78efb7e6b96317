"""The key outcomes and the policy comparison under the evidence's weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import spillover
from spillover.analysis.claims import binomial_interval
from spillover.analysis.compare import (
    compare_policies,
    paired_differences,
    paired_summary,
    weighted_paired_summary,
)
from spillover.analysis.evidence_outcomes import weighted_outcomes
from spillover.scenario.load import load_scenario

HERE = Path(__file__).parent / "evidence"
KNOWN = HERE / "known.yaml"


@settings(deadline=None, max_examples=60, derandomize=True)
@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=2, max_size=50))
def test_equal_weights_give_the_unweighted_summary(d: list[float]) -> None:
    plain = paired_summary(d)
    n, mean, lo, hi, lower, higher, e = weighted_paired_summary(d, np.full(len(d), 0.37))
    assert n == plain[0] and e == pytest.approx(len(d))
    np.testing.assert_allclose([mean, lo, hi, lower, higher], plain[1:], rtol=1e-9, atol=1e-6)


def test_weights_of_zero_and_one_are_the_subset_and_the_interval_uses_the_ess() -> None:
    rng = np.random.default_rng(5)
    d = rng.normal(2.0, 3.0, 400)
    d[::7] = np.nan
    keep = rng.random(400) < 0.3
    n, mean, lo, hi, lower, higher, e = weighted_paired_summary(d, keep.astype(float))
    sub = d[keep]
    assert (n, mean, lo, hi, lower, higher) == pytest.approx(paired_summary(sub), rel=1e-12)
    assert e == pytest.approx(np.sum(~np.isnan(sub)))
    # unequal weights: the interval is wider than the same weights' run count would give
    w = rng.exponential(1.0, 400)
    wide = weighted_paired_summary(d, w)
    assert wide[-1] < np.sum(~np.isnan(d)) and wide[3] - wide[2] > paired_summary(d)[3] - paired_summary(d)[2]


def _frame() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    runs = np.arange(300)
    base = rng.normal(100, 20, 300)
    return pd.DataFrame({"run": np.concatenate([runs, runs]), "policy": ["a"] * 300 + ["b"] * 300,
                         "days_of_fire.x": np.concatenate([base, base - rng.normal(10, 5, 300)]),
                         "fired.e": np.concatenate([rng.random(300) < 0.2, rng.random(300) < 0.6])})


def test_the_weighted_comparison_of_a_subset_is_the_subsets_comparison() -> None:
    frame = _frame()
    chosen = frame["run"].unique()[::3]
    weights = pd.DataFrame({"run": chosen, "weight": 1.0 / len(chosen)})
    quantities = {"days": "days_of_fire.x", "e": "fired.e"}
    got = paired_differences(frame, "a", quantities, weights=weights)
    want = paired_differences(frame[frame["run"].isin(chosen)], "a", quantities)
    assert list(got.columns) == [*want.columns, "ess"]
    pd.testing.assert_frame_equal(got.drop(columns="ess"), want, rtol=1e-12)
    np.testing.assert_allclose(got["ess"], len(chosen))


def test_weighted_key_outcomes_of_a_subset_are_its_quantiles_and_shares() -> None:
    frame = _frame()
    chosen = np.arange(0, 300, 2)
    weights = pd.DataFrame({"run": chosen, "weight": 1.0})
    table = weighted_outcomes(frame, weights, ["days_of_fire.x", "fired.e"]).set_index(["policy", "outcome"])
    sub = frame[frame["run"].isin(chosen)]
    for policy in ("a", "b"):
        v = sub.loc[sub["policy"] == policy, "days_of_fire.x"].to_numpy()
        row = table.loc[(policy, "days_of_fire.x")]
        want = np.quantile(v, [0.5, 0.05, 0.95], method="inverted_cdf")
        assert [row["posterior"], row["lo"], row["hi"]] == pytest.approx(want, rel=1e-12)
        every = frame.loc[frame["policy"] == policy, "days_of_fire.x"].to_numpy()
        assert row["prior"] == pytest.approx(np.percentile(every, 50))
        flag = table.loc[(policy, "fired.e")]
        k = int(sub.loc[sub["policy"] == policy, "fired.e"].sum())
        assert flag["kind"] == "event" and flag["posterior"] == pytest.approx(k / len(chosen))
        assert (flag["lo"], flag["hi"]) == pytest.approx(binomial_interval(k, len(chosen)), abs=1e-9)
        assert flag["ess"] == pytest.approx(len(chosen))


def test_a_conditioned_run_weighs_its_comparison_and_key_outcomes(tmp_path: Path) -> None:
    kw = dict(runs=300, seed=2, policies=["status-quo", "recommended"], counterfactual=False)
    plain = spillover.run("nk-russia-2023", **kw)
    res = spillover.run("nk-russia-2023", **kw, evidence=["nk-russia-2023"], as_of="2024-06-30",
                        out=tmp_path / "r", report=True)
    cond = res.extra["evidence"]
    # the run's own tables stay the prior's, bit for bit
    pd.testing.assert_frame_equal(plain.comparison, res.comparison, check_exact=True)
    pd.testing.assert_frame_equal(plain.claims, res.claims, check_exact=True)
    sc = load_scenario("nk-russia-2023")
    want = compare_policies(res.outcomes, sc, ["status-quo", "recommended"], weights=cond.weights)
    pd.testing.assert_frame_equal(cond.comparison, want, check_exact=True)
    assert (cond.comparison["ess"] <= 300).all() and (cond.comparison["ess"] > 0).all()
    assert set(cond.outcomes["policy"]) == {"status-quo", "recommended"}
    folder = tmp_path / "r"
    pd.testing.assert_frame_equal(pd.read_parquet(folder / "evidence_comparison.parquet"), cond.comparison,
                                  check_dtype=False)
    assert len(pd.read_parquet(folder / "evidence_outcomes.parquet")) == len(cond.outcomes)
    html = (folder / "report.html").read_text()
    assert "Key outcomes before and after the evidence" in html
    from rich.console import Console

    from spillover.cli.render import render_summary

    console = Console(record=True, width=200)
    for item in render_summary(res):
        console.print(item)
    text = " ".join(console.export_text().split())  # titles wrap to their table's width
    assert "Key outcomes before and after the evidence" in text
    assert ("after the evidence (intervals from the ESS)" in text) == cond.confident


def test_a_run_without_evidence_writes_no_weighted_tables(tmp_path: Path) -> None:
    spillover.run(KNOWN, runs=100, seed=1, out=tmp_path / "r", report=False)
    assert not list((tmp_path / "r").glob("evidence_*"))


def test_with_every_runs_series_kept_the_daily_series_are_weighted(tmp_path: Path) -> None:
    """stock.B.m = 1e8 - shipped: its weighted median on day 49 is 1e8 - 50 x the posterior mean rate."""
    ev = tmp_path / "e.evidence.yaml"
    ev.write_text("sources:\n  count: {citation: A count}\nobservations:\n  n:\n    date: 2024-02-19\n"
                  "    source: count\n    grade: A1\n    measures: shipped(b_a)\n    value: 1750\n"
                  "    error: {normal: 100}\n")
    res = spillover.run(KNOWN, runs=2000, seed=3, evidence=[ev], out=tmp_path / "r", save_series=True,
                        report=False)
    cond = res.extra["evidence"]
    series = pd.read_parquet(tmp_path / "r" / "evidence_series.parquet")
    day = series[(series["series"] == "stock.B.m") & (series["day"] == 49)].iloc[0]
    prec = 1 / 5**2 + 50**2 / 100**2
    mean_rate = (30 / 5**2 + 50 * 1750 / 100**2) / prec  # 34.31
    assert day["q50"] == pytest.approx(1e8 - 50 * mean_rate, abs=30)
    full = pd.read_parquet(tmp_path / "r" / "series_full")
    at = full[full["day"] == 49].sort_values("run")
    assert np.median(at["stock.B.m"]) == pytest.approx(1e8 - 50 * 30, abs=30)  # the prior's median
    w = cond.weights.set_index("run")["weight"].reindex(at["run"]).to_numpy()
    from spillover.analysis.evidence_tables import weighted_quantiles

    want = weighted_quantiles(at["stock.B.m"].to_numpy(float), w, [0.05, 0.5, 0.95])
    assert [day["q05"], day["q50"], day["q95"]] == pytest.approx(want, rel=0, abs=0)
    assert day["mean"] == pytest.approx(np.sum(w * at["stock.B.m"].to_numpy(float)))


def test_without_every_runs_series_there_are_no_weighted_series(tmp_path: Path) -> None:
    ev = tmp_path / "e.evidence.yaml"
    ev.write_text("sources:\n  count: {citation: A count}\nobservations:\n  n:\n    date: 2024-02-19\n"
                  "    source: count\n    grade: A1\n    measures: shipped(b_a)\n    value: 1750\n"
                  "    error: {normal: 100}\n")
    res = spillover.run(KNOWN, runs=200, seed=3, evidence=[ev], out=tmp_path / "r", report=True)
    assert res.extra["evidence"].series is None and not (tmp_path / "r" / "evidence_series.parquet").exists()
    assert "daily series and the report's figures elsewhere are the unweighted" in \
        (tmp_path / "r" / "report.html").read_text()
