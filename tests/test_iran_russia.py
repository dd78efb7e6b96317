"""The built-in scenario iran-russia-2022: strict validation, both engines, the switch from
whole drones to kits, the interception coupling, the licence cap, and its sourced numbers
against the fact sheet's figures."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from spillover.engine.draws import draw
from spillover.engine.params import build_params
from spillover.engine.simulate import simulate
from spillover.engine.state import State
from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.design import sample_inputs
from spillover.ensemble.variants import apply_variants, policy_variants
from spillover.scenario.dates import DateQuantity
from spillover.scenario.load import builtin_names, load_scenario
from spillover.scenario.model import Scenario
from spillover.scenario.walk import quantities
from tests.conftest import ensemble
from tests.test_cli import cli

NAME = "iran-russia-2022"
START = dt.date(2022, 8, 1)


@pytest.fixture(scope="module")
def sc() -> Scenario:
    return load_scenario(NAME, strict=True)


def day(date: str) -> int:
    return (dt.date.fromisoformat(date) - START).days


# ----------------------------------------------------------------------------------------
# Validation and listing
# ----------------------------------------------------------------------------------------

def test_validates_strictly_without_warnings(sc: Scenario) -> None:
    assert sc.name == NAME and sc.warnings == ()
    assert sc.start == START and START + dt.timedelta(days=sc.horizon - 1) == dt.date(2025, 12, 31)
    assert NAME in builtin_names() and "nk-russia-2023" in builtin_names()


def test_the_cli_lists_validates_and_shows_it() -> None:
    listed = cli("scenarios", "list")
    assert listed.returncode == 0 and NAME in listed.stdout and "nk-russia-2023" in listed.stdout
    checked = cli("validate", NAME, "--strict")
    assert checked.returncode == 0, checked.stderr
    assert "valid (strict)" in checked.stdout
    assert "alabuga_localises" in cli("scenarios", "show", NAME).stdout


def test_every_policy_claim_and_judgment_says_why(sc: Scenario) -> None:
    assert all(p.description and p.description.strip() for p in sc.policies.values())
    assert all(c.source in sc.sources for c in sc.claims.values())
    bare = [".".join(map(str, path)) for path, q in quantities(sc) if q.judgment and not q.note]
    assert bare == [], "judgments without a one-line rationale (note:)"
    blends = [q for _, q in quantities(sc) if q.judgment and q.sources]
    assert blends and all("blended judgment" in (q.note or "") for q in blends)


# ----------------------------------------------------------------------------------------
# Engines
# ----------------------------------------------------------------------------------------

def test_both_engines_give_bit_identical_results(sc: Scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPILLOVER_ENGINE", "numpy")
    ref = ensemble(sc, runs=6, seed=5, series=False)
    monkeypatch.setenv("SPILLOVER_ENGINE", "compiled")
    got = ensemble(sc, runs=6, seed=5, series=False)
    pd.testing.assert_frame_equal(ref.outcomes, got.outcomes, check_exact=True)
    o = got.outcomes
    assert (o["fired_total.RUS.shahed"] > 0).all()  # the comparison compares something


# ----------------------------------------------------------------------------------------
# Day-by-day checks with the NumPy engine and a recording watcher
# ----------------------------------------------------------------------------------------

class Recorder:
    """Records, every day, what the kit, interception and payment checks need."""

    def __init__(self, st: Structure) -> None:
        self.st = st
        a, m = st.actors.index, st.munitions.index
        self.kit = (a("RUS"), m("shahed_kit"))
        prods = [st.series[i].key for i in st.lines.prod]
        self.line = prods.index(("RUS", "shahed"))
        dems = [st.series[i].key for i in st.lines.dem]
        self.rus, self.ukr = dems.index(("RUS", "shahed")), dems.index(("UKR", "interceptor"))
        self.coupled = int(st.lines.coupled[self.ukr])
        self.f = {name: st.transfers.index(name) for name in st.transfers}
        self.ev = st.events.index("alabuga_localises")
        self.days: dict[str, list[np.ndarray]] = {k: [] for k in (
            "made", "kit_stock", "kits_in", "kits_shipped", "whole_shipped", "localised",
            "rus_fired", "ukr_demand", "ukr_fired", "leaked", "licence")}

    def observe(self, s: State) -> None:
        d, f = self.days, self.f
        d["made"].append(s.prod_today[:, self.line].copy())
        d["kit_stock"].append(s.S[:, self.kit[0], self.kit[1]].copy())
        d["kits_in"].append(s.flows[4, f["irn_rus_kits"]].copy())
        d["kits_shipped"].append(s.flows[3, f["irn_rus_kits"]].copy())
        d["whole_shipped"].append(s.flows[3, f["irn_rus_shahed"]].copy())
        d["localised"].append(s.E[:, self.ev].copy())
        d["rus_fired"].append(s.fired_today[:, self.rus].copy())
        d["ukr_demand"].append(s.demand_today[:, self.ukr].copy())
        d["ukr_fired"].append(s.fired_today[:, self.ukr].copy())
        d["leaked"].append(s.leaked_today[:, self.coupled].copy())
        d["licence"].append(s.flows[4, f["rus_irn_licence"]].copy())

    def array(self, key: str) -> np.ndarray:
        """(T, R) of one recorded quantity."""
        return np.stack(self.days[key])


@pytest.fixture(scope="module")
def recorded(sc: Scenario):
    runs = 12
    st = build_structure(sc)
    exp = sample_inputs(st.inputs, runs, 7)
    values = {c: exp[c].to_numpy() for c in exp.columns if c != "run"}
    variants = policy_variants(sc, list(sc.policies), counterfactual=True)
    p = apply_variants(st, build_params(st, values, runs), variants)
    d = draw(st, 7, np.arange(runs)).tile(len(variants))
    rec = Recorder(st)
    simulate(st, p, d, [rec], engine="numpy")
    names = np.repeat([v.name for v in variants], runs)
    inputs = {k: np.tile(v, len(variants)) for k, v in values.items()}
    return rec, names, inputs


def _rows(names: np.ndarray, variant: str) -> np.ndarray:
    rows = np.flatnonzero(names == variant)
    assert rows.size, variant
    return rows


def test_whole_drones_stop_on_their_end_date(recorded) -> None:
    rec, names, inputs = recorded
    whole = rec.array("whole_shipped")
    end = inputs["whole_drones_end"]
    rows = _rows(names, "as-enacted")
    for r in rows:
        last = int(np.floor(end[r]))
        assert whole[day("2022-08-15"):last, r].min() > 0  # shipped every day until then
        assert not whole[last + 1:, r].any()


def test_alabuga_assembles_from_delivered_kits(recorded) -> None:
    """Before localisation the line makes nothing it has no kit for: its kit stock is exactly
    the kits delivered less the drones made, and it makes nothing before the first kit."""
    rec, names, _ = recorded
    made, stock, kits_in = rec.array("made"), rec.array("kit_stock"), rec.array("kits_in")
    local = rec.array("localised")
    for r in _rows(names, "as-enacted"):
        first_kit = int(np.argmax(kits_in[:, r] > 0))
        assert kits_in[first_kit, r] > 0 and not made[:first_kit, r].any()
        assert made[:, r].sum() > 1000  # the switch really happens
        before = local[:, r] == 0
        balance = np.cumsum(kits_in[:, r]) - np.cumsum(made[:, r])
        np.testing.assert_allclose(stock[before, r], balance[before], rtol=1e-9, atol=1e-6)


def test_stopping_the_kits_stops_their_shipments_and_assembly_waits_on_localisation(recorded) -> None:
    """With the kits stopped in July 2023, a run that never localises makes no more drones
    than the kits that arrived, and nothing once they are used up."""
    rec, names, _ = recorded
    shipped, made, local = rec.array("kits_shipped"), rec.array("made"), rec.array("localised")
    kits_in = rec.array("kits_in")
    rows = _rows(names, "stop-kits-2023")
    assert not shipped[day("2023-07-01"):, rows].any()
    never = [r for r in rows if not local[:, r].any()]
    for r in never:
        assert made[:, r].sum() == pytest.approx(kits_in[:, r].sum(), rel=1e-9)
        assert not made[day("2024-01-01"):, r].any()
    assert never, "with seed 7 some runs never localise under this policy"


def test_counterfactual_without_transfers_has_no_russian_drones(recorded) -> None:
    rec, names, _ = recorded
    for v in set(names):
        if v.endswith("without_transfers"):
            rows = _rows(names, v)
            assert not rec.array("made")[:, rows].any()
            assert not rec.array("rus_fired")[:, rows].any()
            assert not rec.array("ukr_fired")[:, rows].any() and not rec.array("leaked")[:, rows].any()


def test_ukraine_engages_in_proportion_to_russian_fire(recorded) -> None:
    """Interceptor demand is engagements_per_drone x the drones Russia fires that day; what
    leaks is the drones fired less the share engaged times the share stopped."""
    rec, names, inputs = recorded
    fired, want = rec.array("rus_fired"), rec.array("ukr_demand")
    got, leaked = rec.array("ukr_fired"), rec.array("leaked")
    ratio, stops = inputs["engagements_per_drone"], inputs["share_stopped"]
    np.testing.assert_allclose(want, fired * ratio, rtol=1e-12, atol=0)
    cover = np.divide(got, want, out=np.zeros_like(got), where=want > 0)
    np.testing.assert_allclose(leaked, fired * (1 - cover * stops), rtol=1e-9, atol=1e-9)
    rows = _rows(names, "as-enacted")
    assert not fired[: day("2022-09-13"), rows].any() and not want[: day("2022-09-13"), rows].any()
    assert (fired[:, rows] > 0).mean() > 0.5
    assert (leaked[:, rows] >= (1 - stops[rows]) * fired[:, rows] - 1e-9).all()


def test_the_licence_fee_stops_after_6000_drones(recorded) -> None:
    """Gold on its two dates, then the fee for each drone made, up to 6,000 drones. The day's
    transfers come before its production, so a day's output is paid the next day."""
    rec, names, inputs = recorded
    made, paid = rec.array("made"), rec.array("licence")
    fee = inputs["licence_fee"]
    gold = {day("2023-03-16"): 104.0, day("2023-04-05"): 120.0}
    rows = _rows(names, "as-enacted")
    over = made[:, rows].sum(axis=0) > 6001
    assert over.any()  # Alabuga outgrows the licence within the horizon in some runs
    for r in rows:
        counted = np.minimum(np.cumsum(made[:, r]), 6000.0)
        per_day = np.diff(counted, prepend=0.0)  # units paid for, by day made
        want = np.concatenate([[0.0], fee[r] * per_day[:-1]])
        for d, amount in gold.items():
            want[d] += amount
        np.testing.assert_allclose(paid[:, r], want, rtol=1e-9, atol=1e-9)
        units = min(made[:-1, r].sum(), 6000.0)  # the last day's output is paid after the horizon
        assert paid[:, r].sum() == pytest.approx(224 + fee[r] * units, rel=1e-9)


# ----------------------------------------------------------------------------------------
# Sourced numbers against the fact sheet (shared/design/facts-iran-russia.md)
# ----------------------------------------------------------------------------------------

FACTS: dict[str, tuple[float, float, str]] = {
    # Alabuga output: 2,738 in 2023; 5,760 in Jan-Sep 2024 (CNN)
    "production.RUS.shahed.ramp.0.rate": (2738 / 365, 2738 / 365, "2,738 in 2023"),
    "production.RUS.shahed.ramp.1.rate": (5760 / 274, 5760 / 274, "5,760 Jan-Sep 2024"),
    "production.RUS.shahed_kit.ramp.0.rate": (2738 / 365, 2738 / 365, "2,738 in 2023"),
    "production.RUS.shahed_kit.ramp.1.rate": (5760 / 274, 5760 / 274, "5,760 Jan-Sep 2024"),
    # 2025: ~30,000 a year (NYT), 2,700 Geran-2 a month plus decoys (HUR), 300-350 a day (C4ADS)
    "production.RUS.shahed.ramp.2.rate": (30000 / 365, 350, "NYT to C4ADS"),
    "production.RUS.shahed_kit.ramp.2.rate": (30000 / 365, 350, "NYT to C4ADS"),
    # Launches: ~5.5 a day in year one; 1,961 by 3 Aug 2023 (324 days from 13 Sep 2022)
    "demand.RUS.shahed.piecewise.0.rate": (5.5, 1961 / 324, "5.5 a day; 1,961 by 3 Aug 2023"),
    "demand.RUS.shahed.piecewise.1.rate": ((8060 - 1961 - 423 - 790 - 1339 * 13 / 30) / 333,) * 2
    + ("8,060 by 13 Sep 2024 less the monthly counts",),
    "demand.RUS.shahed.piecewise.2.rate": (423 / 31, 423 / 31, "Jul 2024"),
    "demand.RUS.shahed.piecewise.3.rate": (790 / 31, 790 / 31, "Aug 2024"),
    "demand.RUS.shahed.piecewise.4.rate": (1339 / 30, 1339 / 30, "Sep 2024"),
    "demand.RUS.shahed.piecewise.5.rate": (2023 / 31, 2023 / 31, "Oct 2024"),
    "demand.RUS.shahed.piecewise.6.rate": (2576 / 30, 2576 / 30, "Nov 2024"),
    "demand.RUS.shahed.piecewise.7.rate": (2567 / 31, 2567 / 31, "Jan 2025"),
    "demand.RUS.shahed.piecewise.8.rate": (3912 / 28, 3912 / 28, "Feb 2025"),
    "demand.RUS.shahed.piecewise.9.rate": (4198 / 31, 4198 / 31, "Mar 2025"),
    "demand.RUS.shahed.piecewise.10.rate": (2560 / 30, 2560 / 30, "Apr 2025"),
    "demand.RUS.shahed.piecewise.11.rate": (6129 / 31, 6297 / 31, "Jul 2025"),
    "demand.RUS.shahed.piecewise.12.rate": (6900 / 30, 6900 / 30, "Sep 2025"),
    "demand.RUS.shahed.piecewise.13.rate": (5312 / 31, 5312 / 31, "Oct 2025"),
    "demand.RUS.shahed.piecewise.14.rate": (5131 / 31, 5131 / 31, "Dec 2025"),
    # Interception: <80% (Oct 2025) .. >90% (early 2025)
    "demand.UKR.interceptor.follows.stops": (0.80, 0.90, "interception rates"),
    # 1,700 (Budanov) to 2,400 (Ihnat) over ~320 days from mid-Aug 2022
    "transfers.irn_rus_shahed.rate.piecewise.0.rate": (1700 / 320, 2400 / 320, "1,700-2,400 ordered"),
    # 6,000 by Sep 2025 over 943 days from Feb 2023; 2,738 in 2023
    "transfers.irn_rus_kits.rate.piecewise.0.rate": (6000 / 943, 2738 / 365, "licence pace to 2023 output"),
    "transfers.irn_rus_fath.rate.piecewise.0.rate": (200 / 153, 200 / 153, "200 in 2024 (SIPRI)"),
    "transfers.rus_irn_payment.compensation.lumps.0.amount": (140, 140, "EUR 140m"),
    "transfers.rus_irn_payment.compensation.lumps.1.amount": (200, 200, "EUR 200m"),
    "transfers.rus_irn_licence.compensation.per_unit": ((1700 - 224) / 6000, (2000 - 224) / 6000,
                                                        "$1.7-2bn less gold, over 6,000"),
    "transfers.rus_irn_licence.compensation.up_to": (6000, 6000, "6,000 drones"),
    "transfers.rus_irn_licence.compensation.lumps.0.amount": (104, 104, "1.788 t, ~$104m"),
    "transfers.rus_irn_licence.compensation.lumps.1.amount": (104 * 2.07 / 1.788,) * 2 + ("2.07 t",),
}
DATES: dict[str, str] = {
    "transfers.rus_irn_licence.compensation.lumps.0.on": "2023-03-16",
    "transfers.rus_irn_licence.compensation.lumps.1.on": "2023-04-05",
    "transfers.rus_irn_tech.compensation.lumps.0.on": "2023-09-02",
    "events.israel_strikes_iran.trigger.on": "2025-06-13",
    "events.un_snapback.trigger.on": "2025-09-28",  # 27 Sep, 20:00 EDT
}


def _sourced(sc: Scenario) -> dict[str, object]:
    return {".".join(map(str, path)): q for path, q in quantities(sc) if q.sources}


def test_every_sourced_number_lies_within_its_fact(sc: Scenario) -> None:
    sourced = _sourced(sc)
    assert set(sourced) == set(FACTS) | set(DATES), "a sourced number has no fact row here (or the reverse)"
    for path, (lo, hi, fact) in FACTS.items():
        q = sourced[path]
        a, b = q.support()  # type: ignore[attr-defined]
        slack = 0.01 * max(abs(lo), abs(hi))  # figures are rounded to about 1%
        assert lo - slack <= a <= b <= hi + slack, f"{path}: {a}..{b} outside {fact} ({lo:g}..{hi:g})"
    for path, date in DATES.items():
        q = sourced[path]
        assert isinstance(q, DateQuantity), path
        assert q.first_date == q.last_date == dt.date.fromisoformat(date), path


def test_the_fact_table_catches_a_number_outside_its_fact(sc: Scenario) -> None:
    """The check above can fail: a launch rate moved off its month's count is caught."""
    q = _sourced(sc)["demand.RUS.shahed.piecewise.12.rate"]
    lo, hi, _ = FACTS["demand.RUS.shahed.piecewise.12.rate"]
    moved = q.model_copy(update={"params": (260.0,)})  # type: ignore[attr-defined]
    a, b = moved.support()
    assert not (lo - 0.01 * hi <= a <= b <= hi * 1.01)
