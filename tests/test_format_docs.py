"""The scenario-format docs match the engine: each statement fixed in the docs has a test,
and the docs' examples of the new features, put together, make a valid scenario that runs."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

import spillover
from spillover.engine.series import SeriesRecorder, series_names
from spillover.engine.simulate import simulate
from spillover.scenario.levers import LEVER_KINDS
from spillover.scenario.load import loads_scenario
from tests.conftest import MINI, engine_inputs, ensemble
from tests.format_helpers import base, j, load, outcomes

DOCS = Path(__file__).resolve().parents[1] / "docs" / "scenario-format.md"


def _indicator_series(doc: dict, name: str) -> np.ndarray:
    st, p, d, _ = engine_inputs(load(doc), 1, 1)
    rec = SeriesRecorder(st, p.R)
    simulate(st, p, d, [rec], engine="numpy")
    return rec.values[:, 0, series_names(st).index(name)].astype(float)


def test_initial_is_before_day_0_and_peak_excludes_it() -> None:
    doc = base(30, indicators={"calm": {"name": "calm", "observer": "A", "tau": j(10), "beta": j(-3),
                                        "initial": j(0.9)}})
    first = 0.9 + (1 / (1 + np.exp(3)) - 0.9) / 10  # day 0's step applied to initial
    out = outcomes(load(doc), runs=1)
    assert out["peak.calm"][0] == first and first < 0.9
    assert abs(_indicator_series(doc, "indicator.calm")[0] - first) < 1e-6


def test_tau_is_a_relaxation_time_not_a_lag() -> None:
    doc = base(30, stocks={"S": {"shell": j(1000)}},
               transfers={"s_r": {"supplier": "S", "recipient": "R", "munition": "shell", "rate": j(10)}},
               signals={"x": {"flow": "s_r", "reference": j(10)}},
               indicators={"echo": {"name": "echo", "observer": "A", "kind": "linear", "tau": j(4),
                                    "beta": j(0), "inputs": {"x": j(1)}}})
    got = _indicator_series(doc, "indicator.echo")
    days = np.arange(30)
    np.testing.assert_allclose(got, 1 - (1 - 1 / 4) ** (days + 1), rtol=1e-6)  # moves from day 0
    assert abs(got[3] - (1 - 0.75**4)) < 1e-6  # after tau days about 68% here (37% left at large tau)


def test_a_stock_signal_reads_the_stock_after_the_days_fire() -> None:
    doc = base(5, stocks={"R": {"shell": j(100)}}, demand={"R": {"shell": j(1)}},
               signals={"s": {"stock": {"actor": "R", "munition": "shell"}}},
               indicators={"echo": {"name": "echo", "observer": "A", "kind": "linear", "tau": j(1),
                                    "beta": j(0), "inputs": {"s": j(1)}}})
    got = _indicator_series(doc, "indicator.echo")
    np.testing.assert_allclose(got, (100 - np.arange(1, 6)) / 30, rtol=1e-6)  # 99/30 on day 0


def test_delays_round_half_to_even() -> None:
    for delay, arrives in ((2.5, 2), (3.5, 4), (0.5, 0), (1.5, 2)):
        doc = base(10, stocks={"S": {"shell": j(1000)}},
                   transfers={"s_r": {"supplier": "S", "recipient": "R", "munition": "shell", "rate": j(1),
                                      "delay": j(delay)}})
        out = outcomes(load(doc), runs=1)
        assert out["delivered.s_r"][0] == 10 - arrives, delay


def test_a_cap_lever_is_open_unless_set_and_the_docs_say_so() -> None:
    assert LEVER_KINDS["cap"].default == 1.0
    doc = base(10, stocks={"S": {"shell": j(1000)}},
               transfers={"s_r": {"supplier": "S", "recipient": "R", "munition": "shell", "rate": j(1)}},
               levers={"cap": {"kind": "cap", "transfers": ["s_r"]}})
    assert outcomes(load(doc), runs=1)["shipped.s_r"][0] == 10
    text = DOCS.read_text()
    assert "A `cap` lever is open (1) unless you write a `default`" in text
    assert "A lever's `default` is 0 unless you write one" not in text


def test_series_full_is_float32_with_a_signed_miscalculation(tmp_path) -> None:
    spillover.run(MINI, runs=20, seed=1, out=tmp_path / "r", save_series=True, report=False)
    full = pd.read_parquet(tmp_path / "r" / "series_full")
    series = [c for c in full.columns if c not in ("run", "policy", "day")]
    assert all(full[c].dtype == np.float32 for c in series)
    gap = full["miscalc.threat"]
    assert (gap < 0).any() and (gap > 0).any()  # signed: I − I_true
    text = DOCS.read_text()
    assert "**float32**" in text and "**signed** gap `I − I_true`" in text


def _on(node):
    """PyYAML reads a plain key ``on`` as True (YAML 1.1); spillover's reader does not."""
    if isinstance(node, dict):
        return {("on" if k is True else k): _on(v) for k, v in node.items()}
    return [_on(v) for v in node] if isinstance(node, list) else node


def _doc_blocks(marker: str) -> dict:
    """The docs' yaml block that contains ``marker``, read."""
    blocks = re.findall(r"```yaml\n(.*?)```", DOCS.read_text(), flags=re.S)
    (block,) = [b for b in blocks if marker in b]
    return _on(yaml.safe_load(block))


def test_the_docs_examples_of_the_new_features_make_a_scenario_that_runs() -> None:
    doc = {"name": "docs", "title": "the docs' examples", "start": "2022-09-01", "horizon": 700,
           "sources": {"judgment-pause": {"citation": "the analyst"},
                       "pledge-2024": {"citation": "a pledge"}},
           "actors": {a: {"name": a} for a in ("RUS", "UKR", "IRN")},
           "munitions": {"drone": {"name": "drone"}, "interceptor": {"name": "interceptor"},
                         "kit": {"name": "kit"}, "shell155": {"name": "shell"},
                         "money": {"name": "money", "kind": "good"}},
           "stocks": {"IRN": {"drone": j(5000), "kit": j(5000)}, "UKR": {"interceptor": j(3000)}},
           "transfers": {"irn_rus_drones": {"supplier": "IRN", "recipient": "RUS", "munition": "drone",
                                            "rate": j(10)},
                         "irn_rus_kits": {"supplier": "IRN", "recipient": "RUS", "munition": "kit",
                                          "rate": j(10)}}}
    doc["demand"] = _doc_blocks("interceptors per incoming drone")["demand"]
    doc["demand"]["UKR"]["shell155"] = j(100)
    doc["production"] = _doc_blocks("Alabuga")["production"]
    doc["transfers"] |= _doc_blocks("rus_irn_licence")
    doc["signals"] = {k: v for k, v in _doc_blocks("drones_through")["signals"].items()
                      if k in ("drones_launched", "interceptors_short", "drones_through")}
    doc["indicators"] = {"alarm": {"name": "alarm", "observer": "UKR", "tau": j(10), "beta": j(-3),
                                   "inputs": {k: j(1) for k in doc["signals"]}}}
    doc["events"] = _doc_blocks("kerch_strike")["events"]
    doc["levers"] = _doc_blocks("transfers: [irn_rus_kits]")["levers"]
    doc["policies"] = _doc_blocks("enforce-from-2024")["policies"]
    doc |= _doc_blocks("pause_bites")
    sc = loads_scenario(yaml.safe_dump(doc, sort_keys=False), "docs.yaml", strict=True)
    out = ensemble(sc, runs=10, seed=1, series=False).outcomes
    assert out["leaked.UKR.interceptor"].max() > 0
    assert "shortfall_days.UKR.shell155.2024-01-01.2024-04-30" in out
    assert out["delivered.rus_irn_licence"].max() > 0 and out["fired.plant_opens"].all()
