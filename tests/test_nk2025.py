"""nk-russia-2025, the forward scenario: conditioned on the evidence through July 2025.

Its 2025 shipping rate must cover the rate that nk-russia-2023's evidence file implies (the
two latest South Korean container counts about a year apart, with their errors), so the two
files cannot drift apart silently; no judged number is tagged sourced; and its runs keep the
structure the file describes (the rate in containers, the contingent bounded by the soldiers
ready to go, the change of pace in 2026). Its starting stocks and indicator levels are what
scripts/derive_nk2025_start.py derives from nk-russia-2023's last day under that scenario's
evidence, and the file's ranges are checked against the recorded derivation.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from spillover.scenario.audit import numbers
from spillover.scenario.load import builtin_evidence, builtin_path, load_scenario
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
              "srbm_per_day_2025", "continuation", "change_date", "contingent_pace", "rounds_per_container"}
    own = table[~table["path"].str.startswith("cases.")]
    rows = own[own["input"].isin(judged)]
    assert set(rows["input"]) == judged and set(rows["tag"]) == {"judgment"}
    # every starting stock and every starting indicator level is a model output or a judgment
    start = own[own["path"].str.startswith("stocks.") | own["path"].str.endswith(".initial")]
    assert len(start) >= 19 and set(start["tag"]) == {"judgment"}
    # the only sourced number is the rate derived straight from the counts
    sourced = own[own["tag"] == "sourced"]
    assert set(sourced["input"]) == {"containers_per_day_2025"}
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


# -- The starting values: nk-russia-2023's last day, weighted by its evidence ----------------
#
# scripts/derive_nk2025_start.py derives them; tests/nk2025_start.json records what it gave
# for the file (2,000 runs). The fast tests tie the file to that record and check the
# derivation's arithmetic on known answers; the last test reruns it at a small size (400
# runs, a few seconds once the engine is compiled).

START_JSON = Path(__file__).with_name("nk2025_start.json")


def _derivation():
    path = Path(__file__).resolve().parents[1] / "scripts" / "derive_nk2025_start.py"
    spec = importlib.util.spec_from_file_location("derive_nk2025_start", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(spec.name, module)
    spec.loader.exec_module(module)
    return module


def _at(sc, path: str):
    """The quantity at a starting value's path (``stocks.A.M`` or ``indicators.K.initial``)."""
    kind, key, rest = path.split(".")
    return sc.stocks[key][rest] if kind == "stocks" else getattr(sc.indicators[key], rest)


@pytest.fixture(scope="module")
def recorded():
    return json.loads(START_JSON.read_text(encoding="utf-8"))


def test_every_starting_value_of_the_2023_chain_is_derived(sc, recorded):
    derive = _derivation()
    assert set(recorded["values"]) == set(derive.targets())
    # every 2023 indicator the 2025 file carries on, and every 2023 stock, is there
    old = load_scenario("nk-russia-2023")
    carried = {k for k in old.indicators if k in sc.indicators}
    derived = set(recorded["values"])
    assert {f"indicators.{k}.initial" for k in carried} == {p for p in derived if p.startswith("indicators.")}
    stocks = {f"stocks.{a}.{m}" for a, by in old.stocks.items() for m in by}
    assert stocks == {p for p in recorded["values"] if p.startswith("stocks.")}
    assert (recorded["scenario"], recorded["policy"], recorded["evidence"]) == (
        "nk-russia-2023", "status-quo", "nk-russia-2023")


def test_the_file_starts_where_the_recorded_derivation_says(sc, recorded):
    for path, v in recorded["values"].items():
        q = _at(sc, path)
        lo, hi = q.support()
        assert (lo, hi) == pytest.approx((v["low"], v["high"])), path
        assert lo <= v["q50"] <= hi and lo < hi, path
        assert q.judgment and "derive_nk2025_start" in (q.note or ""), path


def test_the_header_names_the_derivation_and_its_ess(sc, recorded):
    text = builtin_path("nk-russia-2025").read_text(encoding="utf-8")
    header = text[: text.index("\nname:")]
    runs, seed, ess = recorded["runs"], recorded["seed"], round(recorded["ess"])
    assert f"--runs {runs} --seed {seed}" in header and "derive_nk2025_start.py" in header
    assert f"ESS {ess:,} of {runs:,}" in header
    assert recorded["ess"] >= 200  # the library's ESS floor: the weights are worth trusting


def test_the_quantiles_are_weighted_by_the_evidence():
    derive = _derivation()
    paths = list(derive.targets())
    n = 10
    values = pd.DataFrame({p: np.arange(n, dtype=float) / n for p in paths})
    flat = derive.quantile_table(values, np.ones(n)).set_index("path")
    # all the weight on the upper half moves every median up to the upper half's
    upper = derive.quantile_table(values, np.r_[np.zeros(5), np.ones(5)]).set_index("path")
    assert (flat["q50"] == 0.4).all() and (upper["q50"] == 0.7).all()
    assert (upper["q05"] == 0.5).all() and (upper["q95"] == 0.9).all()
    # the ranges are the stated quantiles rounded outwards (indicators to 0.01)
    ind = upper.loc["indicators.kor_threat.initial"]
    assert (ind["low"], ind["high"]) == (0.6, 0.8) and ind["span"] == [0.25, 0.75]


def test_north_koreas_start_is_its_stock_less_its_reserve_run_by_run():
    derive = _derivation()
    outcomes = pd.DataFrame({"run": [0, 1, 2]})
    for column, _ in derive.targets().values():
        outcomes[column] = 1.0
    outcomes["final_stock.PRK.shell152"] = [5e6, 1.5e6, 2e6]
    experiments = pd.DataFrame({"run": [2, 1, 0], derive.PRK_RESERVE: [2e6, 1.5e6, 1e6]})
    got = derive.starting_values(outcomes, experiments)
    assert got["stocks.PRK.shell152"].tolist() == [4e6, 0.0, 0.0]
    assert got["stocks.RUS.shell152"].tolist() == [1.0, 1.0, 1.0]


def test_a_fresh_derivation_falls_inside_the_files_ranges(sc):
    d = _derivation().derive(runs=400, seed=20250801)
    assert d.ess > 20
    for row in d.quantiles.itertuples():
        lo, hi = _at(sc, row.path).support()
        assert lo <= row.q50 <= hi, (row.path, lo, row.q50, hi)
