"""Known answers for signals of fire, shortfall and leaked units, production as a target of
levers and events, days of fire over all suppliers, and the stop on non-finite values."""

from __future__ import annotations

import numpy as np
import pytest

from spillover.engine.finite import NonFiniteError
from spillover.engine.series import SeriesRecorder, series_names
from spillover.engine.simulate import simulate
from spillover.scenario.errors import ScenarioError
from tests.conftest import engine_inputs
from tests.format_helpers import base, j, load, outcomes
from tests.test_format_known import duel


def _series(sc, names: list[str]) -> dict[str, np.ndarray]:
    """Each named daily series of the first row, the same in both engines."""
    st, p, d, _ = engine_inputs(sc, 1, 1)
    have = series_names(st)
    got = []
    for engine in ("numpy", "compiled"):
        rec = SeriesRecorder(st, p.R)
        simulate(st, p, d, [rec], engine=engine)
        got.append({n: rec.values[:, 0, have.index(n)].astype(float) for n in names})
    for n in names:
        np.testing.assert_array_equal(got[0][n], got[1][n])
    return got[0]


def _echo(signal: dict) -> dict:
    """A linear indicator with tau 1 and weight 1: each day it equals its one signal."""
    return {"name": "echo", "observer": "D", "kind": "linear", "tau": j(1), "beta": j(0),
            "inputs": {"x": j(1)}} | signal


@pytest.mark.parametrize("form, ref, expected", [
    ("fired", ({"actor": "A", "munition": "drone"}, 10), np.r_[np.ones(10), np.zeros(10)]),
    ("shortfall", ({"actor": "D", "munition": "interceptor"}, 20), np.r_[0, 0.75, np.ones(8), np.zeros(10)]),
    ("leaked", ({"actor": "D", "munition": "interceptor"}, 10), np.r_[0, 0.75, np.ones(8), np.zeros(10)]),
    ("fired", ({"actor": "D", "munition": "interceptor"}, 20), np.r_[1, 0.25, np.zeros(18)]),
])
def test_signals_read_fire_shortfall_and_what_got_through(form: str, ref: tuple, expected: np.ndarray,
                                                          ) -> None:
    doc = duel()
    doc["signals"] = {"x": {form: ref[0], "reference": j(ref[1])}}
    doc["indicators"] = {"echo": _echo({})}
    got = _series(load(doc, strict=True), ["indicator.echo"])["indicator.echo"]
    np.testing.assert_allclose(got, expected, rtol=1e-7)  # float32 series


def production_doc(**extra) -> dict:
    doc = base(10, stocks={"L": {"drone": j(0)}},
               production={"L": {"drone": j(10)}},
               levers={"cap": {"kind": "cap", "production": [{"actor": "L", "munition": "drone"}]},
                       "sanctions": {"kind": "sanctions", "production": [{"actor": "L", "munition": "drone"}],
                                     "loss": j(0.4)}},
               policies={"status-quo": {}, "half": {"levers": {"cap": 0.5}},
                         "enforced": {"levers": {"sanctions": 1}},
                         "from_day_5": {"levers": {"cap": [{"from": "2024-01-06", "value": 0}]}}})
    doc.update(extra)
    return doc


def test_levers_scale_production() -> None:
    out = outcomes(load(production_doc()), runs=1)["final_stock.L.drone"]
    assert list(out) == [100, 50, 60, 50]  # open; capped at half; 40% lost; stopped from day 5


def test_events_start_and_scale_production() -> None:
    doc = production_doc(events={
        "opens": {"name": "opens", "trigger": {"on": "2024-01-03"},
                  "effects": [{"start_production": {"actor": "L", "munition": "drone"}}]},
        "strike": {"name": "strike", "trigger": {"on": "2024-01-06"},
                   "effects": [{"scale_rate": {"production": {"actor": "L", "munition": "drone"},
                                               "factor": j(0.3)}}]}})
    doc["production"]["L"]["drone"] = {"constant": j(10), "dormant": True}
    out = outcomes(load(doc), runs=1)["final_stock.L.drone"]
    # fires on day 2 and makes from day 3; the strike on day 5 cuts days 6-9 to 3 a day
    assert out[0] == 3 * 10 + 4 * 3


def test_days_of_fire_over_all_suppliers() -> None:
    doc = base(10, stocks={"S": {"shell": j(1000)}, "L": {"shell": j(1000)}},
               demand={"R": {"shell": j(20)}},
               transfers={"s_r": {"supplier": "S", "recipient": "R", "munition": "shell", "rate": j(10)},
                          "l_r": {"supplier": "L", "recipient": "R", "munition": "shell", "rate": j(6),
                                  "delay": j(5)}})
    out = outcomes(load(doc), runs=1)
    assert out["days_of_fire.s_r"][0] == 100 / 20 and out["days_of_fire.l_r"][0] == 30 / 20
    assert out["days_of_fire_total.R.shell"][0] == (100 + 30) / 20


DIVERGENT = """\
name: divergent
title: two linear indicators that feed each other
start: 2024-01-01
horizon: 3000
actors: {A: {name: A}}
munitions: {m: {name: m}}
indicators:
  a: {name: a, observer: A, kind: linear, tau: {value: 2, judgment: true}, beta: {value: 1, judgment: true},
      inputs: {b: WEIGHT}}
  b: {name: b, observer: A, kind: linear, tau: {value: 2, judgment: true}, beta: {value: 1, judgment: true},
      inputs: {a: WEIGHT}}
policies: {status-quo: {}}
claims:
  huge: {text: it grows, expr: "peak(a) > 1e6"}
"""


def test_a_divergent_pair_of_linear_indicators_is_refused_at_validation() -> None:
    with pytest.raises(ScenarioError) as info:
        from spillover.scenario.load import loads_scenario

        loads_scenario(DIVERGENT.replace("WEIGHT", "{value: 2, judgment: true}"), "div.yaml")
    (p,) = info.value.problems
    assert (p.line, p.file) == (8, "div.yaml")
    assert "overflow after about" in p.message and "lower the weights" in p.message


def test_a_run_that_overflows_stops_naming_the_quantity_and_day() -> None:
    from spillover.scenario.load import loads_scenario

    # nominal 1.0 (stable): validation passes; some runs draw weights that diverge
    sc = loads_scenario(DIVERGENT.replace("WEIGHT", "{uniform: [0.2, 1.8], judgment: true}"), "div.yaml")
    st, p, d, _ = engine_inputs(sc, 40, 2)
    for engine in ("numpy", "compiled"):
        with pytest.raises(NonFiniteError) as info, np.errstate(over="ignore", invalid="ignore"):
            simulate(st, p, d, [], engine=engine)
        err = info.value
        assert err.quantity.startswith("indicator '") and 0 < err.day < 3000
        assert f"on day {err.day} (" in str(err) and "lower its weights" in str(err)


def test_the_cli_reports_an_overflowing_run_in_one_line(tmp_path) -> None:
    from tests.test_cli import cli

    path = tmp_path / "div.yaml"
    path.write_text(DIVERGENT.replace("WEIGHT", "{uniform: [0.2, 1.8], judgment: true}"))
    done = cli("run", str(path), "--runs", "40", "--seed", "2", "--out", str(tmp_path / "out"))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: indicator '")
    assert "infinite or NaN on day" in lines[0]
    assert not (tmp_path / "out" / "claims.json").exists()
    # and no folder: a resume would stop at the same day (one was left as out.partial)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["div.yaml"]
