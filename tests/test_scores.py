"""Forecast scores: closed forms, hand computations, weights as duplicates, calibration, bad input."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import stats

from spillover.analysis.scores import (
    brier_score,
    central_interval,
    coverage,
    crps_ensemble,
    crps_normal,
    crps_point,
    effective_sample_size,
    event_probability,
    log_score,
    persistence,
    pit,
    pit_histogram,
    score_events,
    score_numbers,
    weighted_quantile,
)


def energy_crps(x: np.ndarray, y: float, w: np.ndarray | None = None) -> float:
    """E|X − y| − ½E|X − X′| of a weighted ensemble, by the O(n²) double sum."""
    w = np.full(len(x), 1 / len(x)) if w is None else w / w.sum()
    return float(w @ np.abs(x - y) - 0.5 * w @ np.abs(x[:, None] - x[None, :]) @ w)


def test_crps_of_many_normal_draws_matches_the_closed_form() -> None:
    rng = np.random.default_rng(11)
    mu, sigma = 1.5, 2.0
    y = np.array([-3.0, 0.0, 1.5, 2.5, 8.0])
    draws = rng.normal(mu, sigma, size=(200_000, 1)).repeat(len(y), axis=1)
    got = crps_ensemble(draws, y)
    want = crps_normal(mu, sigma, y)
    np.testing.assert_allclose(got, want, atol=0.01)
    # and the closed form itself: CRPS(N(0,1), 0) = (√2 − 1)/√π, scaling with σ
    assert crps_normal(0.0, 1.0, 0.0) == pytest.approx((np.sqrt(2) - 1) / np.sqrt(np.pi))
    assert crps_normal(3.0, 4.0, 3.0) == pytest.approx(4 * (np.sqrt(2) - 1) / np.sqrt(np.pi))


def test_crps_of_an_ensemble_on_known_points_by_hand() -> None:
    # {1, 2, 4}, y = 3: E|X − y| = 4/3, E|X − X′| = 12/9, CRPS = 4/3 − 6/9 = 2/3
    assert crps_ensemble(np.array([1.0, 2.0, 4.0]), 3.0)[0] == pytest.approx(2 / 3)
    # the integral of (F(x) − 1{x ≥ 3})²: 1/9 on [1,2), 4/9 on [2,3), 1/9 on [3,4) = 2/3
    # weights 1, 1, 2 on the same points: E|X − y| = (2 + 1 + 2)/4, ½E|X − X′| = 1/2·(2·1 + 4·3 + 4·2)/16
    assert crps_ensemble(np.array([1.0, 2.0, 4.0]), 3.0, np.array([1.0, 1.0, 2.0]))[0] == pytest.approx(
        5 / 4 - 11 / 16)
    # one observation below and one above every run: the mean distance less half the mean spread
    x = np.array([[0.0, 0.0], [2.0, 2.0]])
    np.testing.assert_allclose(crps_ensemble(x, [-1.0, 5.0]), [2.0 - 0.5, 4.0 - 0.5])


def test_crps_matches_the_double_sum_and_scoringrules_on_random_weighted_ensembles() -> None:
    import scoringrules  # imported here: with Numba present its import compiles for seconds

    rng = np.random.default_rng(3)
    for _ in range(20):
        n = int(rng.integers(1, 60))
        x = np.round(rng.normal(size=n), 1)  # ties on purpose
        w = rng.uniform(0, 1, n) * (rng.uniform(size=n) > 0.2) + 1e-3
        y = float(rng.normal())
        got = crps_ensemble(x, y, w)[0]
        assert got == pytest.approx(energy_crps(x, y, w), abs=1e-12)
        ref = scoringrules.crps_ensemble(np.array([y]), x[None, :], ens_w=w[None, :], estimator="nrg",
                                         backend="numpy")
        assert got == pytest.approx(float(ref[0]), abs=1e-12)


def test_weights_are_the_same_as_duplicating_runs() -> None:
    rng = np.random.default_rng(5)
    x = rng.normal(size=(40, 6))
    k = rng.integers(0, 4, 40)
    k[0] = 1
    y = rng.normal(size=6)
    dup = np.repeat(x, k, axis=0)
    np.testing.assert_allclose(crps_ensemble(x, y, k), crps_ensemble(dup, y), atol=1e-12)
    np.testing.assert_allclose(pit(x, y, k), pit(dup, y))
    for level in (0.5, 0.9):
        for a, b in zip(central_interval(x, level, k), central_interval(dup, level), strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(coverage(x, y, level, k), coverage(dup, y, level))
    fired = x > 0
    np.testing.assert_allclose(event_probability(fired, k), event_probability(np.repeat(fired, k, axis=0)))
    # per-observation weights: column j uses its own weights
    w2 = np.column_stack([k] + [np.ones(40)] * 5)
    assert crps_ensemble(x, y, w2)[0] == pytest.approx(crps_ensemble(dup[:, :1], y[:1])[0])
    np.testing.assert_allclose(crps_ensemble(x, y, w2)[1:], crps_ensemble(x[:, 1:], y[1:]))


def test_climatology_is_the_uniform_weighting() -> None:
    x = np.random.default_rng(2).gamma(2.0, size=(300, 4))
    y = np.array([0.5, 1.0, 2.0, 7.0])
    np.testing.assert_allclose(crps_ensemble(x, y), crps_ensemble(x, y, np.full(300, 7.0)))
    assert effective_sample_size(np.full(300, 7.0)) == pytest.approx(300)


def test_brier_and_log_score_known_answers() -> None:
    np.testing.assert_allclose(brier_score([0.0, 1.0, 0.7, 0.7], [0, 1, 1, 0]), [0.0, 0.0, 0.09, 0.49])
    np.testing.assert_allclose(log_score([0.5, 0.8, 0.8], [1, 1, 0]), [np.log(2), -np.log(0.8), -np.log(0.2)])
    # an ensemble that never saw the event scores ln(2(ess + 1)), not infinity
    assert log_score(0.0, 1, ess=99)[()] == pytest.approx(np.log(200))
    assert log_score(1.0, 1, ess=99)[()] == pytest.approx(-np.log(1 - 1 / 200))
    assert np.isfinite(log_score(0.0, 1))
    out = score_events(np.array([[1, 0], [0, 0], [1, 0], [1, 0]]), [1, 1], weights=np.array([1, 1, 1, 1]))
    np.testing.assert_allclose(out["prob"], [0.75, 0.0])
    np.testing.assert_allclose(out["brier"], [0.0625, 1.0])
    np.testing.assert_allclose(out["log"], [-np.log(0.75), np.log(10)])  # ess 4: c = 1/10


def test_coverage_and_pit_are_uniform_under_a_calibrated_forecast() -> None:
    rng = np.random.default_rng(20231231)
    k, runs = 3000, 400
    mu, sd = rng.normal(0, 5, k), rng.uniform(0.5, 3, k)
    samples = rng.normal(mu, sd, size=(runs, k))
    y = rng.normal(mu, sd)
    out = score_numbers(samples, y, seed=1)
    assert out["in50"].mean() == pytest.approx(0.5, abs=0.03)
    assert out["in90"].mean() == pytest.approx(0.9, abs=0.02)
    assert stats.kstest(out["pit"], "uniform").pvalue > 0.01
    counts, _ = pit_histogram(out["pit"], bins=10)
    assert stats.chisquare(counts).pvalue > 0.01
    # the same checks fail for a forecast half as wide: intervals too narrow, PIT U-shaped
    narrow = score_numbers(mu + (samples - mu) / 2, y, seed=1)
    assert narrow["in90"].mean() < 0.7
    counts, _ = pit_histogram(narrow["pit"], bins=10)
    assert counts[0] + counts[-1] > 3 * (counts[4] + counts[5])


def test_weighted_forecast_is_calibrated_by_importance_weights() -> None:
    # runs from N(0, 2²) reweighted to N(0, 1); observations drawn from N(0, 1)
    rng = np.random.default_rng(7)
    k, runs = 1500, 1000
    x = rng.normal(0, 2, size=(runs, k))
    w = stats.norm.pdf(x) / stats.norm.pdf(x, scale=2)
    y = rng.normal(size=k)
    out = score_numbers(x, y, w, seed=2)
    assert out["in50"].mean() == pytest.approx(0.5, abs=0.035)
    assert out["in90"].mean() == pytest.approx(0.9, abs=0.025)
    assert stats.kstest(out["pit"], "uniform").pvalue > 0.01
    unweighted = score_numbers(x, y, seed=2)
    assert unweighted["in50"].mean() > 0.75  # the unweighted ensemble is too wide
    assert out["crps"].mean() < unweighted["crps"].mean()


def test_randomised_pit_is_uniform_for_counts() -> None:
    rng = np.random.default_rng(9)
    k = 3000
    lam = rng.uniform(1, 4, k)
    samples = rng.poisson(lam, size=(300, k)).astype(float)
    y = rng.poisson(lam).astype(float)
    u = pit(samples, y, seed=3)
    assert stats.kstest(u, "uniform").pvalue > 0.01
    # without randomisation (F(y)) the values pile up above uniform
    plain = ((samples <= y).mean(axis=0))
    assert stats.kstest(plain, "uniform").pvalue < 1e-6
    np.testing.assert_array_equal(u, pit(samples, y, seed=3))  # the seed fixes it


def test_weighted_quantile_and_intervals() -> None:
    x = np.arange(1.0, 101.0)
    lo, hi = central_interval(x, 0.9)
    assert (lo[0], hi[0]) == (5.0, 95.0)
    assert weighted_quantile(x, 0.0)[0] == 1.0 and weighted_quantile(x, 1.0)[0] == 100.0
    # all the weight on two runs
    w = np.zeros(100)
    w[[9, 89]] = 1
    assert weighted_quantile(x, 0.5, w)[0] == 10.0 and weighted_quantile(x, 0.51, w)[0] == 90.0
    assert coverage(x, 50.0, 0.5, w)[0] and not coverage(x, 95.0, 0.5, w)[0]


def test_persistence_levels_and_rates() -> None:
    days, vals = np.array([30, 10, 20]), np.array([9.0, 2.0, 5.0])
    np.testing.assert_allclose(persistence(days, vals, 25, np.array([40, 60])), [5.0, 5.0])
    np.testing.assert_allclose(persistence(days, vals, 30, np.array([40, 60]), cumulative=True), [13.0, 21.0])
    assert np.isnan(persistence(days, vals, 5, np.array([40]))).all()
    # a revision down is carried as no growth
    np.testing.assert_allclose(persistence(np.array([10, 20]), np.array([5.0, 4.0]), 20, np.array([30]),
                                           cumulative=True), [4.0])
    np.testing.assert_allclose(crps_point(persistence(days, vals, 25, np.array([40])), [8.0]), [3.0])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: crps_ensemble(np.zeros((3, 2)), [1.0]), "2 forecast column"),
    (lambda: crps_ensemble(np.zeros((3, 2)), [1.0, 2.0], np.array([1.0, -1.0, 1.0])), "not negative"),
    (lambda: crps_ensemble(np.zeros((3, 2)), [1.0, 2.0], np.zeros(3)), "positive sum"),
    (lambda: crps_ensemble(np.zeros((3, 2)), [1.0, np.nan]), "finite"),
    (lambda: crps_ensemble(np.zeros((3, 2)), [1.0, 2.0], np.ones(4)), "shape"),
    (lambda: crps_ensemble(np.zeros((0, 2)), [1.0, 2.0]), "at least one run"),
    (lambda: brier_score(1.2, 1), "probabilities"),
    (lambda: log_score(0.5, 2), "0/1"),
    (lambda: event_probability(np.array([0, 2])), "0/1"),
    (lambda: pit_histogram(np.array([0.5, 1.5])), "[0, 1]"),
    (lambda: central_interval(np.zeros(3), 1.0), "level"),
    (lambda: crps_normal(0.0, 0.0, 1.0), "sigma"),
])
def test_bad_input_is_refused_with_a_message(call, message) -> None:
    with pytest.raises(ValueError) as err:
        call()
    assert message in str(err.value)


finite = st.floats(-1e6, 1e6, allow_nan=False)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(x=arrays(float, st.integers(1, 30), elements=finite), y=finite,
       w=arrays(float, 30, elements=st.floats(0, 10)))
def test_crps_is_never_negative_and_matches_the_double_sum(x, y, w) -> None:
    w = w[: len(x)] + 1e-9
    got = crps_ensemble(x, y, w)[0]
    assert got >= 0
    assert got == pytest.approx(energy_crps(x, y, w), rel=1e-9, abs=1e-6)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(y=finite, n=st.integers(1, 50), w=arrays(float, 50, elements=st.floats(0.01, 10)))
def test_a_point_mass_at_the_observation_scores_zero(y, n, w) -> None:
    samples = np.full(n, y)
    assert crps_ensemble(samples, y, w[:n])[0] == 0.0
    assert crps_ensemble(samples, y + 2.0, w[:n])[0] == pytest.approx(crps_point(y, y + 2.0))
    assert coverage(samples, y, 0.5, w[:n])[0]
