"""Known answers, worked out by hand, for each feature of the format beyond one case.

Every case runs in both engines (which must agree bit for bit, see ``format_helpers``).
"""

from __future__ import annotations

import numpy as np
import pytest

from spillover.scenario.expr import parse
from tests.conftest import ensemble
from tests.format_helpers import base, j, load, outcomes

ON_2 = {"actor": "A", "munition": "drone"}


def duel(stops: float = 1.0, horizon: int = 20) -> dict:
    """A fires 10 drones a day from a stock of 100 (days 0-9); D engages each with 2 interceptors
    from a stock of 25, stopping ``stops`` of those it engages."""
    follows = {"fired": ON_2} | ({"stops": j(stops)} if stops != 1.0 else {})
    return base(horizon, stocks={"A": {"drone": j(100)}, "D": {"interceptor": j(25)}},
                demand={"A": {"drone": j(10)},
                        "D": {"interceptor": {"constant": j(2), "follows": follows}}})


def test_a_coupled_duel_day_by_day() -> None:
    out = outcomes(load(duel(), strict=True))
    # day 0: wants 20, fires 20; day 1: wants 20, has 5; days 2-9: wants 20, has 0; then A is empty
    assert out["fired_total.D.interceptor"][0] == 25
    assert out["shortfall.D.interceptor"][0] == 15 + 8 * 20
    assert out["first_shortfall.D.interceptor"][0] == 1
    assert out["shortfall_days.D.interceptor"][0] == 9
    # leaked: day 0 none, day 1 10·(1 − 5/20), days 2-9 all 10
    assert out["leaked.D.interceptor"][0] == 7.5 + 80


def test_interceptors_that_do_not_always_stop_let_some_through() -> None:
    out = outcomes(load(duel(stops=0.5), strict=True))
    # day 0: 10·(1 − 1·0.5); day 1: 10·(1 − 0.25·0.5); days 2-9: 10
    assert out["leaked.D.interceptor"][0] == 5 + 8.75 + 80


def test_a_coupled_demand_can_follow_deliveries() -> None:
    doc = base(10, stocks={"S": {"drone": j(1000)}, "D": {"interceptor": j(1000)}},
               transfers={"s_a": {"supplier": "S", "recipient": "A", "munition": "drone", "rate": j(4),
                                  "delay": j(2)}},
               demand={"D": {"interceptor": {"constant": j(3), "follows": {"delivered": "s_a"}}}})
    out = outcomes(load(doc, strict=True))
    assert out["fired_total.D.interceptor"][0] == 3 * 4 * 8  # deliveries on days 2-9
    assert out["leaked.D.interceptor"][0] == 0


def pause_doc() -> dict:
    return base(30, stocks={"S": {"shell": j(1000)}}, demand={"R": {"shell": j(10)}},
                transfers={"s_r": {"supplier": "S", "recipient": "R", "munition": "shell", "rate": j(10)}},
                levers={"cap": {"kind": "cap", "transfers": ["s_r"]}},
                policies={"status-quo": {}, "pause": {"levers": {"cap": [
                    {"from": "2024-01-11", "to": "2024-01-20", "value": 0}]}}},
                windows=[{"from": "2024-01-11", "to": "2024-01-20"}],
                claims={"bites": {"text": "The pause bites.", "source": None,
                                  "expr": "shortfall_days(R, shell, 2024-01-11, 2024-01-20) >= 10"}})


def test_a_pause_window_gives_its_exact_shortfall() -> None:
    out = outcomes(load(pause_doc(), strict=False), runs=2)
    quo, pause, none = slice(0, 2), slice(2, 4), slice(4, 6)
    window = "2024-01-11.2024-01-20"
    assert (out["shortfall.R.shell"][quo] == 0).all()
    assert (out["shortfall.R.shell"][pause] == 100).all()  # ten days of 10 rounds
    assert (out[f"shortfall.R.shell.{window}"][pause] == 100).all()
    assert (out[f"shortfall_days.R.shell.{window}"][pause] == 10).all()
    assert (out[f"delivered.s_r.{window}"][pause] == 0).all()
    assert (out[f"delivered.s_r.{window}"][quo] == 100).all()
    assert (out["first_shortfall.R.shell"][pause] == 10).all()
    assert (out["shipped.s_r"][pause] == 200).all()
    assert (out[f"shortfall_days.R.shell.{window}"][none] == 10).all()  # without transfers


def test_a_windowed_outcome_is_usable_in_a_claim() -> None:
    from spillover.analysis.claims import claims_of, evaluate_claims

    sc = load(pause_doc(), strict=False)
    col = "shortfall_days.R.shell.2024-01-11.2024-01-20"
    assert parse(sc.claims["bites"].expr).columns() == {col}
    ens = ensemble(sc, runs=20, seed=1, series=False)
    table = evaluate_claims(ens.outcomes, claims_of(sc))
    p = table.set_index("policy")["probability"]
    assert p["pause"] == 1.0 and p["status-quo"] == 0.0


def kits_doc(up_to: float = 25) -> dict:
    """L makes up to 10 drones a day at 2 kits each, from 40 kits and 6 more a day; it pays
    S 0.5 per drone made, for at most ``up_to`` drones."""
    return base(10, stocks={"S": {"kit": j(1000)}, "L": {"kit": j(40), "drone": j(0)}},
                production={"L": {"drone": {"constant": j(10),
                                            "input": {"munition": "kit", "per_unit": j(2)}}}},
                transfers={"s_l": {"supplier": "S", "recipient": "L", "munition": "kit", "rate": j(6)},
                           "fee": {"supplier": "L", "recipient": "S", "munition": "money", "compensation": {
                               "produced": {"actor": "L", "munition": "drone"}, "per_unit": j(0.5),
                               "up_to": j(up_to)}}})


def test_a_production_line_limited_by_its_kits() -> None:
    out = outcomes(load(kits_doc()), runs=1)
    # day 0: 46 kits, makes 10; day 1: 32, makes 10; day 2: 18, makes 9; days 3-9: 6, makes 3
    assert out["final_stock.L.drone"][0] == 10 + 10 + 9 + 7 * 3
    assert out["final_stock.L.kit"][0] == 0
    # without transfers: its own 40 kits make 20 drones
    assert out["final_stock.L.drone"][1] == 20 and out["final_stock.L.kit"][1] == 0


def test_a_capped_compensation_stops_at_its_cap() -> None:
    capped = outcomes(load(kits_doc(up_to=25)), runs=1)
    assert capped["shipped.fee"][0] == 0.5 * 25
    # uncapped it pays for what was made on days 0-8 (paid the day after): 10+10+9+6·3
    uncapped = outcomes(load(kits_doc(up_to=1e9)), runs=1)
    assert uncapped["shipped.fee"][0] == 0.5 * (10 + 10 + 9 + 6 * 3)


def test_compensation_for_several_transfers_and_a_lump_sum() -> None:
    doc = base(10, stocks={"S": {"shell": j(1000), "kit": j(1000)}},
               transfers={"shells": {"supplier": "S", "recipient": "R", "munition": "shell", "rate": j(10)},
                          "kits": {"supplier": "S", "recipient": "R", "munition": "kit", "rate": j(5),
                                   "delay": j(3)},
                          "pay": {"supplier": "R", "recipient": "S", "munition": "money", "compensation": {
                              "for": ["shells", "kits"], "per_unit": j(0.1),
                              "lumps": [{"on": "2024-01-04", "amount": j(100)}]}}},
               windows=[{"from": "2024-01-04", "to": "2024-01-04"}])
    out = outcomes(load(doc), runs=1)
    assert out["shipped.pay"][0] == pytest.approx(0.1 * (10 * 10 + 5 * 7) + 100, abs=1e-9)
    assert out["delivered.pay.2024-01-04.2024-01-04"][0] == pytest.approx(100 + 0.1 * (10 + 5), abs=1e-12)


def test_a_dated_event_fires_on_its_day_in_every_variant() -> None:
    doc = base(10, stocks={"S": {"shell": j(1000)}}, demand={"R": {"shell": j(10)}},
               transfers={"s_r": {"supplier": "S", "recipient": "R", "munition": "shell", "rate": j(10)}},
               events={"cut": {"name": "cut", "trigger": {"on": "2024-01-05"},
                               "effects": [{"scale_rate": {"transfer": "s_r", "factor": j(0)}}]}})
    out = outcomes(load(doc), runs=2)
    assert (out["fired_day.cut"] == 4).all() and out["fired.cut"].all()  # the counterfactual too
    assert (out["shipped.s_r"][:2] == 50).all()  # days 0-4: its effects act from the next day


def test_a_lump_sum_alone_ships_on_its_date() -> None:
    doc = base(10, transfers={"pay": {"supplier": "R", "recipient": "S", "munition": "money",
                                      "compensation": {"lumps": [{"on": "2024-01-04", "amount": j(100)},
                                                                 {"on": "2024-01-09", "amount": j(7)}]}}},
               windows=[{"from": "2024-01-04", "to": "2024-01-04"},
                        {"from": "2024-01-05", "to": "2024-01-10"}])
    out = outcomes(load(doc), runs=1)
    assert out["shipped.pay"][0] == 107
    assert out["delivered.pay.2024-01-04.2024-01-04"][0] == 100
    assert out["delivered.pay.2024-01-05.2024-01-10"][0] == 7


def test_uncertain_dates_in_schedules_and_events() -> None:
    doc = base(40, demand={"R": {"shell": {"piecewise": [
        {"from": "2024-01-01", "rate": j(10)},
        {"from": {"uniform": ["2024-01-05", "2024-01-25"], "judgment": True}, "rate": j(30)}]}}},
        events={"ev": {"name": "ev", "trigger": {"on": {
            "triangular": ["2024-01-03", "2024-01-10", "2024-01-30"], "judgment": True}}}})
    ens = ensemble(load(doc), runs=40, seed=2, series=False)
    step = np.round(ens.experiments["demand.R.shell.piecewise.1.from"].to_numpy())  # half to even
    on = np.round(ens.experiments["events.ev.trigger.on"].to_numpy())
    out = ens.outcomes
    assert (step >= 4).all() and (step <= 24).all() and np.unique(step).size > 5
    np.testing.assert_array_equal(out["shortfall.R.shell"], 10 * step + 30 * (40 - step))
    np.testing.assert_array_equal(out["fired_day.ev"], on)
    assert (on >= 2).all() and (on <= 29).all()


def test_what_got_through_by_day_is_a_daily_series() -> None:
    from spillover.engine.series import SeriesRecorder, series_names
    from spillover.engine.simulate import simulate
    from tests.conftest import engine_inputs

    st, p, d, _ = engine_inputs(load(duel(), strict=True), 1, 1)
    names = series_names(st)
    assert "leaked.D.interceptor" in names
    by_engine = []
    for engine in ("numpy", "compiled"):
        rec = SeriesRecorder(st, p.R)
        simulate(st, p, d, [rec], engine=engine)
        by_engine.append(rec.values[:, 0, names.index("leaked.D.interceptor")])
    expected = np.r_[0.0, 7.5, np.full(8, 10.0), np.zeros(10)]
    np.testing.assert_array_equal(by_engine[0], expected)
    np.testing.assert_array_equal(by_engine[1], expected)
