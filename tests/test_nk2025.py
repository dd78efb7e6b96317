"""nk-russia-2025, the forward scenario: conditioned on the evidence through July 2025.

Its 2025 shipping rate must cover the rate that nk-russia-2023's evidence file implies (the
two latest South Korean container counts about a year apart, with their errors), so the two
files cannot drift apart silently; no judged number is tagged sourced; and its runs keep the
structure the file describes (the rate in containers, the contingent bounded by the soldiers
ready to go, the change of pace in 2026).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
import yaml

from spillover.scenario.audit import numbers
from spillover.scenario.load import builtin_evidence, load_scenario
from tests.conftest import ensemble

CONTAINERS = "shipped(prk_rus_shells) / (rounds_per_container * fullness)"


@pytest.fixture(scope="module")
def sc():
    return load_scenario("nk-russia-2025", strict=True)


@pytest.fixture(scope="module")
def table(sc):
    return numbers(sc)


def _container_counts(start: dt.date) -> list[tuple[dt.date, float, float, bool]]:
    """(date, count, error sd, whether a value rather than a floor) of the dated container
    counts published before ``start``."""
    path = builtin_evidence("nk-russia-2023")
    assert path is not None
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for obs in doc["observations"].values():
        if obs.get("measures", "").replace(" ", "") != CONTAINERS.replace(" ", "") or "date" not in obs:
            continue  # windows (the undated Yonhap figure) and other quantities are not counts of a day
        count = obs.get("value", obs.get("more_than"))
        published = obs.get("published", obs["date"])
        if count is not None and published < start:
            out.append((obs["date"], float(count), float(obs["error"]["normal"]), "value" in obs))
    return sorted(out)


def _implied_rate(start: dt.date) -> tuple[float, float, float, int]:
    """The containers a day between the latest count given as a value and the latest count
    at least 300 days before it: central, low and high (each count moved by its error sd),
    and the days between."""
    counts = _container_counts(start)
    end = next(c for c in reversed(counts) if c[3])
    first = max((c for c in counts if (end[0] - c[0]).days >= 300), key=lambda c: c[0])
    days = (end[0] - first[0]).days
    central = (end[1] - first[1]) / days
    low = (end[1] - end[2] - (first[1] + first[2])) / days
    high = (end[1] + end[2] - (first[1] - first[2])) / days
    return central, low, high, days


def test_the_evidence_gives_the_counts_the_scenario_names(sc):
    counts = _container_counts(sc.start)
    dates = [c[0] for c in counts]
    assert dt.date(2024, 8, 27) in dates and dt.date(2025, 7, 13) in dates
    central, low, high, days = _implied_rate(sc.start)
    assert days == 320 and central == pytest.approx(15000 / 320)
    assert (low, high) == pytest.approx((12500 / 320, 17500 / 320))


def test_the_2025_rate_covers_the_rate_the_evidence_implies(sc):
    central, low, high, _ = _implied_rate(sc.start)
    rate = sc.transfers["prk_rus_shells"].rate.constant
    assert rate is not None and rate.name == "containers_per_day_2025"
    lo, hi = rate.support()
    assert lo <= low and high <= hi and lo < central < hi
    # and not a range so wide that it no longer rests on the counts
    assert lo >= 0.95 * low and hi <= 1.05 * high
    assert set(rate.sources) == {"kyiv-independent-2024-08-27", "rok-dia-2025-07-13"}


def test_the_conversion_to_rounds_is_nk_russia_2023s(sc):
    old = load_scenario("nk-russia-2023").transfers["prk_rus_shells"].rate.scale
    new = sc.transfers["prk_rus_shells"].rate.scale
    by_name = lambda qs: {q.name: q.support() for q in qs}  # noqa: E731
    old_names, new_names = by_name(old), by_name(new)
    for name in ("rounds_per_container", "fullness"):
        assert new_names[name] == old_names[name]


def test_no_judged_number_is_tagged_sourced(table):
    judged = {"rus_fire_rate", "rus_fire_trend", "fuel_per_shell", "goods_per_shell", "fullness",
              "prk_shell_stock", "rus_shell_stock", "next_contingent", "prk_troops_in_russia",
              "troop_outflow", "rus_production", "prk_production", "ukr_fire_rate",
              "srbm_per_day_2025", "continuation", "change_date", "contingent_pace"}
    own = table[~table["path"].str.startswith("cases.")]
    rows = own[own["input"].isin(judged)]
    assert set(rows["input"]) == judged and set(rows["tag"]) == {"judgment"}
    # every starting stock and every starting indicator level is a model output or a judgment
    start = own[own["path"].str.startswith("stocks.") | own["path"].str.endswith(".initial")]
    assert len(start) >= 19 and set(start["tag"]) == {"judgment"}
    # the only sourced numbers are the two derived straight from the counts
    sourced = own[own["tag"] == "sourced"]
    assert set(sourced["input"]) == {"containers_per_day_2025", "rounds_per_container"}
    assert not (own["tag"] == "unsourced").any()


def test_plain_numbers_are_judgments_with_a_rationale(table):
    path = table["path"]
    plain = table[path.str.startswith(("policies.", "claims.")) | path.str.endswith(".threshold")]
    assert len(plain) >= 15
    assert set(plain["tag"]) == {"judgment"} and (plain["rationale"].str.len() > 20).all()


def test_sources_are_graded_and_the_claims_have_a_direction(sc):
    assert all(s.grade for s in sc.sources.values())
    assert sc.sources["perera-2024"].grade == "F"
    assert {"deliveries_hold", "new_contingent", "tech_package", "seoul_arms_kyiv"} <= set(sc.claims)
    assert all(c.prefer == "lower" and c.source in sc.sources for c in sc.claims.values())


@pytest.fixture(scope="module")
def runs(sc):
    return ensemble(sc, runs=40, seed=11, policies=["status-quo", "limited"], series=False)


def test_deliveries_before_the_change_run_at_the_2025_rate_in_containers(runs):
    exp = runs.experiments.set_index("run")
    out = runs.outcomes[runs.outcomes["policy"] == "status-quo"].set_index("run").reindex(exp.index)
    rounds = out["delivered.prk_rus_shells.2025-10-01.2025-12-30"]
    full = exp["rounds_per_container"] * exp["fullness"]
    containers_a_day = rounds / 91 / (full * (1 - exp["transfers.prk_rus_shells.loss"]))
    rate = exp["containers_per_day_2025"]
    # runs whose stock lasts to the end of the window ship the 2025 rate; the others less
    lasts = exp["prk_shell_stock"] > rate * full * 152
    assert lasts.mean() > 0.5 and (~lasts).any()
    assert np.allclose(containers_a_day[lasts], rate[lasts], rtol=1e-9)
    assert (containers_a_day[~lasts] <= rate[~lasts] * (1 + 1e-9)).all()


def test_the_contingent_is_bounded_by_the_soldiers_ready_and_needs_its_event(runs):
    exp = runs.experiments.set_index("run")
    for policy in ("status-quo", "limited"):
        out = runs.outcomes[runs.outcomes["policy"] == policy].set_index("run")
        sent = out["delivered.prk_rus_troops"]
        assert (sent <= exp["next_contingent"].reindex(sent.index) + 1e-6).all()
        assert (sent[~out["fired.prk_new_contingent"].astype(bool)] == 0).all()
    sq = runs.outcomes[runs.outcomes["policy"] == "status-quo"]
    assert 0 < sq["fired.prk_new_contingent"].mean() < 1  # uncertain, not settled by the file


def test_the_change_of_pace_scales_the_late_deliveries(sc):
    # With stock to spare, a 91-day window late in the year delivers what one early in the
    # year does when the pace holds (factor 1), and half when it halves (factor 0.5) for the
    # runs whose change was shipped before the late window's deliveries (day 273 less the
    # longest delay, 21 days).
    base = ensemble(sc, runs=12, seed=3, policies=["status-quo"], series=False, counterfactual=False)
    exp = base.experiments.copy()
    exp["prk_shell_stock"] = 3e7  # far above what a year ships

    def windows(factor: float):
        exp["continuation"] = factor
        out = ensemble(sc, runs=12, seed=3, policies=["status-quo"], series=False, counterfactual=False,
                       experiments=exp).outcomes.set_index("run")
        return (out["delivered.prk_rus_shells.2025-10-01.2025-12-30"],
                out["delivered.prk_rus_shells.2026-05-01.2026-07-30"])

    early, late = windows(1.0)
    assert (early > 0).all() and np.allclose(late, early, rtol=1e-9)
    early_half, late_half = windows(0.5)
    assert np.allclose(early_half, early, rtol=1e-9)  # the change comes in 2026
    change = exp.set_index("run")["change_date"]
    after = (change + 1 <= 273 - 21).to_numpy()
    assert after.any() and np.allclose(late_half[after], 0.5 * early[after], rtol=1e-9)
    assert (late_half[~after] > 0.5 * early[~after] - 1e-6).all()
