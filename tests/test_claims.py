"""Tests for binomial intervals, estimative words and claim evaluation."""

from __future__ import annotations

import doctest
import itertools
import math
from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, stats

from spillover.analysis import claims as claims_module
from spillover.analysis.claims import (
    CLAIM_COLUMNS,
    ESTIMATIVE_BANDS,
    binomial_interval,
    claim_indicator,
    estimative_word,
    evaluate_claims,
)
from spillover.scenario.expr import ExprError


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    expr: str


def test_doctests() -> None:
    result = doctest.testmod(claims_module)
    assert result.attempted > 5
    assert result.failed == 0


# --------------------------------------------------------------------------- intervals


@pytest.mark.parametrize(
    ("k", "n", "lo", "hi"),
    [
        # Newcombe (1998), Statistics in Medicine 17:857-872, Table I, method 3 (score).
        (81, 263, 0.2553, 0.3662),
        (15, 148, 0.0624, 0.1605),
        (0, 20, 0.0000, 0.1611),
        (1, 29, 0.0061, 0.1718),
    ],
)
def test_wilson_published_values(k: int, n: int, lo: float, hi: float) -> None:
    got = binomial_interval(k, n, level=0.95, method="wilson")
    assert got == pytest.approx((lo, hi), abs=5e-5)


@pytest.mark.parametrize(("k", "n"), [(1, 29), (15, 148), (81, 263), (7, 10), (3, 4)])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_wilson_ends_solve_the_score_equation(k: int, n: int, level: float) -> None:
    z = stats.norm.ppf(1 - (1 - level) / 2)
    for p in binomial_interval(k, n, level, method="wilson"):
        assert (k / n - p) ** 2 == pytest.approx(z * z * p * (1 - p) / n, rel=1e-9)


@pytest.mark.parametrize(("k", "n"), [(1, 10), (3, 7), (15, 148), (81, 263), (199, 200)])
@pytest.mark.parametrize("level", [0.8, 0.9, 0.95])
def test_jeffreys_tails_by_numerical_integration(k: int, n: int, level: float) -> None:
    # Independent of scipy's quantile function: integrate the Beta(k+1/2, n-k+1/2) density.
    lo, hi = binomial_interval(k, n, level)
    density = stats.beta(k + 0.5, n - k + 0.5).pdf
    tail = (1 - level) / 2
    below, _ = integrate.quad(density, 0, lo, limit=200, epsabs=1e-12)
    above, _ = integrate.quad(density, hi, 1, limit=200, epsabs=1e-12)
    assert below == pytest.approx(tail, abs=1e-8)
    assert above == pytest.approx(tail, abs=1e-8)


@pytest.mark.parametrize("level", [0.5, 0.8, 0.9, 0.95, 0.99])
def test_jeffreys_closed_form_for_one_trial(level: float) -> None:
    # Beta(1/2, 3/2) has the closed-form CDF F(x) = (2/pi) (asin(sqrt x) + sqrt(x (1 - x))).
    def cdf(x: float) -> float:
        return 2 / math.pi * (math.asin(math.sqrt(x)) + math.sqrt(x * (1 - x)))

    lo, hi = binomial_interval(0, 1, level)
    assert lo == 0.0  # convention at k = 0
    assert cdf(hi) == pytest.approx(1 - (1 - level) / 2, abs=1e-12)
    lo1, hi1 = binomial_interval(1, 1, level)
    assert hi1 == 1.0  # convention at k = n
    assert lo1 == pytest.approx(1 - hi, abs=1e-12)


def test_jeffreys_conventional_ends() -> None:
    assert binomial_interval(0, 50)[0] == 0.0
    assert binomial_interval(50, 50)[1] == 1.0
    assert binomial_interval(1, 50)[0] > 0
    assert binomial_interval(49, 50)[1] < 1


@pytest.mark.parametrize("method", ["jeffreys", "wilson"])
def test_no_trials_gives_the_unit_interval(method: str) -> None:
    assert binomial_interval(0, 0, method=method) == (0.0, 1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize("method", ["jeffreys", "wilson"])
def test_vectorised_matches_scalar(method: str) -> None:
    k = np.array([0, 1, 5, 9, 10, 0])
    n = np.array([10, 10, 10, 10, 10, 0])
    lo, hi = binomial_interval(k, n, 0.9, method)  # type: ignore[arg-type]
    assert isinstance(lo, np.ndarray)
    assert lo.shape == hi.shape == (6,)
    for i in range(len(k)):
        one = binomial_interval(int(k[i]), int(n[i]), 0.9, method)  # type: ignore[arg-type]
        assert (lo[i], hi[i]) == one
    scalar = binomial_interval(np.int64(3), np.int64(10))
    assert isinstance(scalar[0], float)
    assert isinstance(scalar[1], float)


@pytest.mark.parametrize(
    ("k", "n", "level", "method", "fragment"),
    [
        (1, 10, 0.0, "jeffreys", "level"),
        (1, 10, 1.0, "jeffreys", "level"),
        (1, 10, 90, "jeffreys", "level"),
        (11, 10, 0.9, "jeffreys", "between 0"),
        (-1, 10, 0.9, "wilson", "between 0"),
        (1.5, 10, 0.9, "jeffreys", "whole numbers"),
        (1, math.inf, 0.9, "jeffreys", "finite"),
        (1, 10, 0.9, "clopper", "unknown interval method"),
    ],
)
def test_interval_argument_errors(
    k: float, n: float, level: float, method: str, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        binomial_interval(k, n, level, method)  # type: ignore[arg-type, call-overload]


methods = st.sampled_from(["jeffreys", "wilson"])


@given(
    n=st.integers(10, 300),
    level=st.sampled_from([0.8, 0.9, 0.95]),
    method=methods,
)
@settings(max_examples=60, deadline=None)
def test_coverage_is_nominal_on_average(n: int, level: float, method: str) -> None:
    # Exact coverage P(lo(K) <= p <= hi(K)), K ~ Binomial(n, p), averaged over p in
    # [0.05, 0.95]: Brown, Cai & DasGupta (2001) show both intervals are close to nominal.
    k = np.arange(n + 1)
    lo, hi = binomial_interval(k, n, level, method)  # type: ignore[arg-type]
    p = np.linspace(0.05, 0.95, 181)[:, None]
    covered = (lo <= p) & (p <= hi)
    coverage = (stats.binom.pmf(k, n, p) * covered).sum(axis=1)
    assert abs(coverage.mean() - level) < 0.02
    # Pointwise the coverage oscillates (worst cases for n >= 10 are about 0.60, 0.76 and
    # 0.87 at these levels) but never collapses.
    assert coverage.min() > {0.8: 0.55, 0.9: 0.72, 0.95: 0.84}[level]


@given(
    k=st.integers(0, 500),
    extra=st.integers(0, 500),
    level=st.floats(0.5, 0.999),
    method=methods,
)
def test_interval_properties(k: int, extra: int, level: float, method: str) -> None:
    n = k + extra
    lo, hi = binomial_interval(k, n, level, method)  # type: ignore[arg-type]
    assert 0.0 <= lo <= hi <= 1.0
    if n:
        assert lo <= k / n <= hi
        # mirror symmetry: failures are successes seen the other way round
        _, hi_m = binomial_interval(n - k, n, level, method)  # type: ignore[arg-type]
        assert lo == pytest.approx(1 - hi_m, abs=1e-12)
        # one more success never moves the interval down
        if k < n:
            lo_up, hi_up = binomial_interval(k + 1, n, level, method)  # type: ignore[arg-type]
            assert lo_up >= lo
            assert hi_up >= hi
        # a higher level gives a wider interval
        wider = level + 0.05 * (1 - level)
        lo_w, hi_w = binomial_interval(k, n, wider, method)  # type: ignore[arg-type]
        assert lo_w <= lo
        assert hi_w >= hi


# --------------------------------------------------------------------------- words

WORDS = [word for word, _, _ in ESTIMATIVE_BANDS]


def test_bands_tile_the_unit_interval() -> None:
    assert ESTIMATIVE_BANDS[0][1] == 0.0
    assert ESTIMATIVE_BANDS[-1][2] == 1.0
    for (_, _, high), (_, low, _) in itertools.pairwise(ESTIMATIVE_BANDS):
        assert high == low


@pytest.mark.parametrize(
    ("edge", "below", "at", "above"),
    [
        (0.05, "almost no chance", "very unlikely", "very unlikely"),
        (0.20, "very unlikely", "unlikely", "unlikely"),
        (0.45, "unlikely", "roughly even chance", "roughly even chance"),
        (0.55, "roughly even chance", "roughly even chance", "likely"),
        (0.80, "likely", "likely", "very likely"),
        (0.95, "very likely", "very likely", "almost certain"),
    ],
)
def test_band_edges_go_to_the_band_nearer_even_chance(
    edge: float, below: str, at: str, above: str
) -> None:
    assert estimative_word(np.nextafter(edge, 0.0)) == below
    assert estimative_word(edge) == at
    assert estimative_word(np.nextafter(edge, 1.0)) == above


@pytest.mark.parametrize(
    ("p", "word"),
    [
        (0.0, "almost no chance"),
        (0.005, "almost no chance"),
        (0.01, "almost no chance"),
        (0.03, "almost no chance"),
        (0.1, "very unlikely"),
        (0.3, "unlikely"),
        (0.5, "roughly even chance"),
        (0.7, "likely"),
        (0.9, "very likely"),
        (0.97, "almost certain"),
        (0.99, "almost certain"),
        (0.995, "almost certain"),
        (1.0, "almost certain"),
    ],
)
def test_words_inside_bands(p: float, word: str) -> None:
    assert estimative_word(p) == word


@pytest.mark.parametrize("p", [math.nan, -0.01, 1.01, math.inf])
def test_word_refuses_non_probabilities(p: float) -> None:
    with pytest.raises(ValueError, match="probability"):
        estimative_word(p)


@given(st.integers(0, 10_000))
def test_words_are_symmetric(k: int) -> None:
    p, q = k / 10_000, (10_000 - k) / 10_000
    assert WORDS.index(estimative_word(p)) == len(WORDS) - 1 - WORDS.index(estimative_word(q))


@given(st.floats(0, 1), st.floats(0, 1))
def test_words_are_monotone(p: float, q: float) -> None:
    low, high = sorted((p, q))
    assert WORDS.index(estimative_word(low)) <= WORDS.index(estimative_word(high))


# --------------------------------------------------------------------------- claims


@pytest.fixture
def outcomes() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    runs = 40
    frames = []
    for policy, shift in [("status_quo", 0.0), ("interdiction", -150.0), ("aid", 60.0)]:
        days = rng.normal(380 + shift, 60, runs)
        fired = rng.random(runs) < 0.3
        frames.append(
            pd.DataFrame(
                {
                    "run": np.arange(runs),
                    "policy": policy,
                    "days_of_fire.prk_rus_shells": days,
                    "peak.kor_threat": rng.random(runs),
                    "peak.chn_rus_friction": rng.random(runs),
                    "fired.kor_arms_ukraine": fired,
                    "fired_day.kor_arms_ukraine": np.where(fired, rng.integers(0, 700, runs),
                                                           np.nan),
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


LONG_FIRE = Claim("long-fire", "The transfers keep Russia firing for over a year",
                  "days_of_fire.prk_rus_shells > 365")
ARMS = Claim("arms", "South Korea arms Ukraine", "fired[kor_arms_ukraine]")
EARLY = Claim("early-arms", "... within 200 days", "fired_day('kor_arms_ukraine') < 200")


def test_evaluate_claims_counts_and_order(outcomes: pd.DataFrame) -> None:
    table = evaluate_claims(outcomes, [LONG_FIRE, ARMS, EARLY])
    assert tuple(table.columns) == CLAIM_COLUMNS
    assert list(table["claim"]) == ["long-fire"] * 3 + ["arms"] * 3 + ["early-arms"] * 3
    assert list(table["policy"][:3]) == ["status_quo", "interdiction", "aid"]
    for row in table.itertuples():
        rows = outcomes[outcomes["policy"] == row.policy]
        claim = {"long-fire": LONG_FIRE, "arms": ARMS, "early-arms": EARLY}[row.claim]
        if row.claim == "long-fire":
            k = int((rows["days_of_fire.prk_rus_shells"] > 365).sum())
        elif row.claim == "arms":
            k = int(rows["fired.kor_arms_ukraine"].sum())
        else:
            k = int((rows["fired_day.kor_arms_ukraine"] < 200).sum())  # NaN never counts
        assert (row.n, row.k) == (len(rows), k)
        assert row.probability == k / len(rows)
        assert (row.lo, row.hi) == binomial_interval(k, len(rows), 0.9)
        assert row.word == estimative_word(k / len(rows))
        assert (row.text, row.expr) == (claim.text, claim.expr)
    assert table["n"].dtype == np.int64
    assert table["k"].dtype == np.int64
    assert table["probability"].dtype == np.float64


def test_policy_order_is_first_appearance_not_alphabetical() -> None:
    frame = pd.DataFrame(
        {"run": [0, 0, 1, 1], "policy": ["zeta", "alpha", "zeta", "alpha"], "x": [1, 2, 3, 4]}
    )
    table = evaluate_claims(frame, [Claim("c", "x is big", "x > 2")])
    assert list(table["policy"]) == ["zeta", "alpha"]
    assert list(table["k"]) == [1, 1]


def test_level_is_forwarded(outcomes: pd.DataFrame) -> None:
    narrow = evaluate_claims(outcomes, [LONG_FIRE], level=0.5)
    wide = evaluate_claims(outcomes, [LONG_FIRE], level=0.99)
    assert ((wide["hi"] - wide["lo"]) > (narrow["hi"] - narrow["lo"])).all()


def test_claims_accept_any_object_with_the_attributes(outcomes: pd.DataFrame) -> None:
    claim = SimpleNamespace(id="x", text="t", expr="peak.kor_threat >= 0")
    table = evaluate_claims(outcomes, [claim])
    assert (table["probability"] == 1.0).all()
    assert (table["word"] == "almost certain").all()


def test_no_claims_gives_an_empty_typed_table(outcomes: pd.DataFrame) -> None:
    table = evaluate_claims(outcomes, [])
    assert tuple(table.columns) == CLAIM_COLUMNS
    assert len(table) == 0
    assert table["n"].dtype == np.int64
    assert table["lo"].dtype == np.float64


def test_numeric_claim_is_refused_naming_the_claim(outcomes: pd.DataFrame) -> None:
    claim = Claim("threat", "threat is high", "peak.kor_threat")
    with pytest.raises(ExprError) as caught:
        evaluate_claims(outcomes, [LONG_FIRE, claim])
    assert "claim 'threat'" in str(caught.value)
    assert "not yes/no" in caught.value.message
    with pytest.raises(ExprError, match="claim 'sum'"):
        claim_indicator(outcomes, Claim("sum", "", "peak.kor_threat + 1"))


def test_unknown_outcome_names_the_claim_and_suggests(outcomes: pd.DataFrame) -> None:
    claim = Claim("friction", "China-Russia friction", "peak('chn_rus_fricton') > 0.2")
    with pytest.raises(ExprError) as caught:
        evaluate_claims(outcomes, [claim])
    error = caught.value
    assert str(error).startswith("claim 'friction', column 1: unknown outcome")
    assert "did you mean 'peak.chn_rus_friction'" in error.message
    assert error.text == claim.expr


def test_syntax_error_names_the_claim(outcomes: pd.DataFrame) -> None:
    with pytest.raises(ExprError) as caught:
        evaluate_claims(outcomes, [Claim("bad", "", "days_of_fire.prk_rus_shells >")])
    assert str(caught.value) == "claim 'bad', column 30: expected a name or number after '>'"


@pytest.mark.parametrize("name", ["run", "policy"])
def test_row_labels_are_not_outcomes(outcomes: pd.DataFrame, name: str) -> None:
    with pytest.raises(ExprError, match="unknown outcome"):
        evaluate_claims(outcomes, [Claim("c", "", f"{name} > 1")])


def test_table_errors(outcomes: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="duplicate claim ids: 'long-fire'"):
        evaluate_claims(outcomes, [LONG_FIRE, LONG_FIRE])
    with pytest.raises(ValueError, match="no 'policy' column"):
        evaluate_claims(outcomes.drop(columns="policy"), [LONG_FIRE])
    broken = outcomes.copy()
    broken.loc[3, "policy"] = None
    with pytest.raises(ValueError, match="without a policy"):
        evaluate_claims(broken, [LONG_FIRE])


def test_claim_indicator_per_row(outcomes: pd.DataFrame) -> None:
    holds = claim_indicator(outcomes, LONG_FIRE)
    assert holds.dtype == np.bool_
    assert holds.tolist() == (outcomes["days_of_fire.prk_rus_shells"] > 365).tolist()
    early = claim_indicator(outcomes, EARLY)
    assert not early[outcomes["fired_day.kor_arms_ukraine"].isna().to_numpy()].any()
