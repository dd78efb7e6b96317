"""Events evaluated on both paths: each event's shadow on the true indicators.

The engine fires events on the perceived indicators; beside each one it runs a shadow on
the true indicators with the same draws and no effects. The outcomes ``fired_true``,
``misfired`` and ``missed`` compare the two. Both engines must agree bit for bit; with
exact perception the shadow is the event; a perceived indicator biased upwards fires
before its true one (misfired) and one biased downwards after it or never (missed).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st_

from spillover.engine.compiled import simulate_compiled
from spillover.engine.outcomes import OutcomeWatcher
from spillover.engine.simulate import simulate
from spillover.engine.snapshots import SnapshotSpec, SnapshotWatcher
from spillover.scenario.expr import compile_expr
from spillover.scenario.load import builtin_path, load_scenario, loads_scenario
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import family_of, outcome_names
from tests.conftest import MINI, engine_inputs, ensemble
from tests.test_engine_compiled import _assert_same, _everything, _setup


def _v(x: object) -> dict:
    """A number with its (made-up) source."""
    return {"value": x, "source": "t"}


SHADOW = ("E_true", "fired_at_true", "hazard_true", "above_true")
FAMILIES = ("fired_true", "misfired", "missed")


def _both(sc: Scenario, runs: int, seed_: int = 3) -> tuple[dict, dict, object, object]:
    """Outcomes and final state of every variant of ``sc`` from the NumPy and compiled steps."""
    st, p, d, _ = engine_inputs(sc, runs, seed_)
    acc_n, acc_c = OutcomeWatcher(st, p.R), OutcomeWatcher(st, p.R)
    s_n = simulate(st, p, d, [acc_n], engine="numpy")
    s_c = simulate_compiled(st, p, d, [acc_c])
    return acc_n.finish(s_n), acc_c.finish(s_c), s_n, s_c


def _exact(doc: dict) -> Scenario:
    """The scenario with every observer seeing exactly (bias and noise 0)."""
    for o in doc["perception"]["observers"].values():
        o["bias"] = {"value": 0, "source": "test"}
        o["noise"] = {"value": 0, "source": "test"}
    return loads_scenario(yaml.safe_dump(doc, sort_keys=False))


def test_numpy_and_compiled_shadows_agree_bit_for_bit_under_secrecy() -> None:
    sc = load_scenario(MINI)
    st, p, d, P = _setup(sc, 60)
    numpy_, compiled = _everything(st, p, d, P, 60, "numpy"), _everything(st, p, d, P, 60, "compiled")
    _assert_same(numpy_, compiled)  # every outcome column, the new families included
    out_n, _, s_n, s_c = _both(sc, 60)
    for name in SHADOW:
        assert np.array_equal(getattr(s_n, name), getattr(s_c, name), equal_nan=True), name
    # the perception error matters: the shadow differs from the event in some rows
    assert not np.array_equal(s_n.E_true, s_n.E)
    assert not np.array_equal(s_n.hazard_true, s_n.hazard)
    for e in st.events:
        assert out_n[f"misfired.{e}"].any(), e


def test_the_builtin_scenario_agrees_bit_for_bit() -> None:
    out_n, out_c, s_n, s_c = _both(load_scenario(builtin_path("nk-russia-2023")), 16)
    assert out_n.keys() == out_c.keys()
    for name in out_n:
        assert np.array_equal(out_n[name], out_c[name], equal_nan=True), name
    for name in SHADOW:
        assert np.array_equal(getattr(s_n, name), getattr(s_c, name), equal_nan=True), name


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
def test_exact_perception_makes_the_shadow_the_event(engine: str) -> None:
    sc = _exact(yaml.safe_load(MINI.read_text()))
    st, p, d, _ = engine_inputs(sc, 40)
    acc = OutcomeWatcher(st, p.R)
    s = simulate(st, p, d, [acc], engine=engine)
    assert s.exact
    out = acc.finish(s)
    for e in st.events:
        assert out[f"fired.{e}"].any(), e  # not a vacuous check
        assert np.array_equal(out[f"fired_true.{e}"], out[f"fired.{e}"]), e
        assert not out[f"misfired.{e}"].any() and not out[f"missed.{e}"].any(), e
    assert np.array_equal(s.fired_at_true, s.fired_at, equal_nan=True)
    assert not s.hazard_true.any() and not s.above_true.any()  # no shadow work when exact


def _known(bias: float, dated: bool = False) -> Scenario:
    return loads_scenario(yaml.safe_dump(_known_doc(bias, dated), sort_keys=False))


def _known_doc(bias: float, dated: bool = False) -> dict:
    """One covert flow of 100 a day read by O with a fixed bias; a linear indicator relaxing to
    the perceived flow (tau 20) triggers ``react`` at 0.8, so the true one crosses on day 31."""
    events = {"react": {"name": "O reacts",
                        "trigger": {"threshold": {"indicator": "watch", "theta": _v(0.8)}}}}
    if dated:
        events["calendar"] = {"name": "A date", "trigger": {"on": "2024-02-10"}}
    return {
        **_covert_flow("known", 120, _v(100), _v(1), {"bias": _v(bias)}),
        "indicators": {"watch": {"name": "watch", "observer": "O", "kind": "linear",
                                 "tau": _v(20), "beta": _v(0),
                                 "inputs": {"flow": _v(1)}}},
        "events": events,
        "policies": {"only": {}},
    }


def _covert_flow(name: str, horizon: int, rate: dict, covertness: dict, observer: dict) -> dict:
    """A scenario's head: S ships shells to R in transfer ``t``, which O reads through the
    signal ``flow`` (reference 100) with the perception ``observer``."""
    return {
        "name": name, "title": name, "start": "2024-01-01", "horizon": horizon,
        "sources": {"t": {"citation": "made up"}},
        "actors": {a: {"name": a} for a in ("S", "R", "O")},
        "munitions": {"shell": {"name": "shell", "unit": "rounds"}},
        "stocks": {"S": {"shell": _v(1e9)}},
        "transfers": {"t": {"supplier": "S", "recipient": "R", "munition": "shell",
                            "rate": rate, "covertness": covertness}},
        "perception": {"observers": {"O": observer}},
        "signals": {"flow": {"flow": "t", "reference": _v(100)}},
    }


def _crossing(target: float, theta: float = 0.8, tau: float = 20.0) -> float:
    """First day a linear indicator from 0 relaxing to ``target`` is at or over theta, or NaN."""
    level = 0.0
    for t in range(120):
        level += (target - level) / tau
        if level >= theta:
            return float(t)
    return float("nan")


@pytest.mark.parametrize("engine", ["numpy", "compiled"])
@pytest.mark.parametrize("bias, misfired, missed", [(0.5, True, False), (-0.5, False, True)])
def test_a_biased_reading_fires_early_or_late_known_answer(engine: str, bias: float, misfired: bool,
                                                         missed: bool) -> None:
    sc = _known(bias)
    st, p, d, _ = engine_inputs(sc, 3, counterfactual=False)
    acc = OutcomeWatcher(st, p.R)
    s = simulate(st, p, d, [acc], engine=engine)
    out = acc.finish(s)
    true_day, seen_day = _crossing(1.0), _crossing(float(np.exp(bias)))
    assert true_day == 31.0
    assert np.array_equal(out["fired_day.react"], np.full(3, seen_day), equal_nan=True)
    assert (s.fired_at_true[:, 0] == true_day).all()
    assert out["fired_true.react"].all()
    assert (out["misfired.react"] == misfired).all() and (out["missed.react"] == missed).all()
    assert (out["fired.react"] == (bias > 0)).all()  # biased down, the reading never reaches 0.8


def test_a_dated_event_is_its_own_shadow_under_secrecy() -> None:
    out_n, _, s_n, _ = _both(_known(0.5, dated=True), 2)
    assert not s_n.exact
    assert out_n["fired.calendar"].all() and out_n["fired_true.calendar"].all()
    assert not out_n["misfired.calendar"].any() and not out_n["missed.calendar"].any()
    assert np.array_equal(out_n["fired_day.calendar"], s_n.fired_at_true[:, 1])
    # the run, then its counterfactual without the flow: nothing there to misread
    assert list(out_n["misfired.react"]) == [True, True, False, False]


def test_claims_and_evidence_read_the_new_families() -> None:
    sc = _known(0.5)
    names = outcome_names(sc)
    for fam in FAMILIES:
        assert f"{fam}.react" in names
        assert family_of(f"{fam}.react").kind == "flag"  # type: ignore[union-attr]
    frame = pd.DataFrame({"misfired.react": [True, False], "missed.react": [False, False]})
    expr = compile_expr("misfired(react) and not missed[react] and fired_true(react)", names)
    assert sorted(expr.columns()) == ["fired_true.react", "misfired.react", "missed.react"]
    frame["fired_true.react"] = [True, True]
    assert list(expr.evaluate(frame)) == [True, False]
    st, p, d, _ = engine_inputs(sc, 2, counterfactual=False)
    spec = SnapshotSpec.build(st, [("fired_true.react", 30), ("fired_true.react", 31), ("fired.react", 12)])
    for engine in ("numpy", "compiled"):
        snap = SnapshotWatcher(spec, p.R)
        simulate(st, p, d, [snap], engine=engine)
        assert snap.values.tolist() == [[0.0, 0.0], [1.0, 1.0], [1.0, 1.0]], engine


@pytest.mark.parametrize("options", [{"chunk_size": 7}, {"chunk_size": 64, "workers": 2}])
def test_the_shadow_does_not_depend_on_chunks_or_workers(options: dict) -> None:
    sc = load_scenario(MINI)
    cols = [c for c in outcome_names(sc) if c.partition(".")[0] in FAMILIES]
    base = ensemble(sc, runs=80, seed=9, series=False, chunk_size=80).outcomes
    other = ensemble(sc, runs=80, seed=9, series=False, **options).outcomes
    pd.testing.assert_frame_equal(base[cols], other[cols])
    assert base[cols].to_numpy().any()


@st_.composite
def secret_events(draw: st_.DrawFn) -> str:
    """A covert flow read with random bias and noise by two indicators, and hazard and
    threshold events on them whose effects feed back into the indicators and the flow."""
    unit = st_.floats(0.05, 0.95)
    events: dict = {}
    for i in range(draw(st_.integers(1, 4))):
        ind = draw(st_.sampled_from(["watch", "alarm"]))
        theta = _v(draw(unit))
        if draw(st_.booleans()):
            trig = {"hazard": {"indicator": ind, "theta": theta, "rate": _v(draw(unit)),
                               "width": _v(draw(st_.floats(0.01, 0.3)))}}
        else:
            trig = {"threshold": {"indicator": ind, "theta": theta, "days": draw(st_.integers(1, 6))}}
        effects = [{"add_beta": {"indicator": draw(st_.sampled_from(["watch", "alarm"])),
                                 "value": _v(draw(st_.floats(-1, 1)))}},
                   {"scale_rate": {"transfer": "t", "factor": _v(draw(st_.floats(0.2, 2)))}}]
        events[f"e{i}"] = {"name": f"e{i}", "trigger": trig, "effects": effects[: draw(st_.integers(0, 2))]}
    bias = draw(st_.floats(-1, 1))
    doc = {
        **_covert_flow("random", 60, _v(draw(st_.floats(10, 200))), _v(draw(st_.floats(0, 1))),
                       {"bias": {"uniform": [bias - 0.3, bias + 0.3], "judgment": True},
                        "noise": {"uniform": [0, draw(st_.floats(0.01, 1))], "judgment": True}}),
        "indicators": {
            "watch": {"name": "watch", "observer": "O", "kind": "linear", "tau": _v(10),
                      "beta": _v(0), "inputs": {"flow": _v(draw(unit))}},
            "alarm": {"name": "alarm", "observer": "O", "tau": _v(draw(st_.floats(1, 30))),
                      "beta": _v(-2),
                      "inputs": {"flow": _v(draw(st_.floats(0, 4))),
                                 "watch": _v(draw(st_.floats(-2, 2)))}},
        },
        "events": events,
        "policies": {"only": {}},
    }
    return yaml.safe_dump(doc, sort_keys=False)


@seed(20240101)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(secret_events())
def test_misfired_and_missed_are_consistent_on_random_scenarios(text: str) -> None:
    sc = loads_scenario(text)
    out_n, out_c, s, s_c = _both(sc, 8, seed_=5)
    for e, name in enumerate(sc.events):
        fired, true = out_n[f"fired.{name}"], out_n[f"fired_true.{name}"]
        mis, miss = out_n[f"misfired.{name}"], out_n[f"missed.{name}"]
        day, true_day = s.fired_at[:, e], s.fired_at_true[:, e]
        assert not (mis & miss).any()
        assert (~mis | fired).all() and (~miss | true).all()
        same = fired & true & (day == true_day)
        assert not (mis | miss)[same].any()
        assert ((mis | miss) == ~((fired == true) & (~fired | (day == true_day)))).all()
        for fam in FAMILIES:
            assert np.array_equal(out_n[f"{fam}.{name}"], out_c[f"{fam}.{name}"]), fam
    for name in SHADOW:
        assert np.array_equal(getattr(s, name), getattr(s_c, name), equal_nan=True), name


def test_a_claim_on_misfired_is_zero_by_construction_only_without_a_gap() -> None:
    from types import SimpleNamespace

    from spillover.analysis.construction import by_construction

    claim = SimpleNamespace(id="m", text="", expr="misfired(a) or missed(a)")
    none = pd.DataFrame({"misfired.a": [False, False], "missed.a": [False, False]})
    assert by_construction(none.assign(miscalc_peak=[0.0, 0.0]), claim)  # the views never part
    assert not by_construction(none.assign(miscalc_peak=[0.0, 0.2]), claim)  # a rare miss, no more
    assert not by_construction(none, claim)


def test_the_report_shows_the_shadow_flags_as_shares_of_runs() -> None:
    from spillover.report.tables.outcomes import outcome_groups

    frame = pd.DataFrame({"run": range(4), "policy": ["a"] * 4,
                          "misfired.react": [True, False, False, False]})
    (group,) = outcome_groups(frame, {"events": [{"id": "react", "name": "O reacts"}]})
    (quantity,) = group["quantities"]
    (row,) = quantity["rows"]
    assert group["name"] == "Miscalculation" and "O reacts" in quantity["label"]
    assert "true in 1 of 4 runs" in row["note"] and row["median"] == "—"


@pytest.mark.parametrize("family", FAMILIES)
def test_a_bare_flag_is_a_claim_and_a_case_of_its_own(family: str) -> None:
    """``misfired(e)`` alone is a true/false claim, as ``fired(e)`` is (it was refused)."""
    import spillover

    doc = _known_doc(0.5)
    doc["claims"] = {"c": {"text": "the flag", "expr": f"{family}(react)", "source": "t"}}
    doc["cases"] = {"either": {"description": "either way", "claims": {"c": {"expr": f"{family}[react]"}}}}
    sc = loads_scenario(yaml.safe_dump(doc, sort_keys=False), strict=True)
    res = spillover.run(sc, runs=4, seed=1, counterfactual=False)
    # biased up, the reading fires before the truth does (known answer above): misfired, not missed
    assert res.claims.set_index("claim").loc["c", "probability"] == (0.0 if family == "missed" else 1.0)
