"""The compiled engine (Numba) against the NumPy step it is a fused copy of.

Both engines must give the same final state, outcomes, daily histograms, recorded series
and series ranges: bit for bit with a constant perception process, and to rounding in
the last bit with an AR(1) process (NumPy's vectorised ``exp`` and the C library's
differ there). The compiled engine steps rows in blocks; the block size must not matter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings

from spillover.engine.compiled import block_size, simulate_compiled, supports
from spillover.engine.outcomes import OutcomeWatcher
from spillover.engine.series import HistogramWatcher, RangeWatcher, SeriesRecorder
from spillover.engine.simulate import engine_name, simulate
from spillover.engine.structure import Structure
from spillover.scenario.load import builtin_path, load_scenario, loads_scenario
from spillover.scenario.model import Scenario
from tests.conftest import MINI, engine_inputs
from tests.test_engine_properties import scenarios

ROOT = Path(__file__).resolve().parents[1]
STATE = ("S", "pipe", "levels", "E", "fired_at", "hazard", "above", "E_true", "fired_at_true",
         "hazard_true", "above_true", "produced", "fired", "demanded", "shortfall", "flows",
         "demand_today", "fired_today", "z")


def _setup(sc: Scenario, runs: int, seed: int = 11):
    st, p, d, variants = engine_inputs(sc, runs, seed)
    return st, p, d, sum(v.is_policy for v in variants)


def _everything(st: Structure, p, d, P: int, runs: int, engine: str, block: int | None = None,
                sampled: int | None = None, threads: int = 1):
    ranges = RangeWatcher(st)
    if engine == "compiled":
        simulate_compiled(st, p, d, [ranges], block=block, threads=threads)
    else:
        simulate(st, p, d, [ranges], engine="numpy")
    spec = ranges.spec()
    acc = OutcomeWatcher(st, p.R)
    hist = HistogramWatcher(st, spec, P, runs, st.T, sampled)
    rec = SeriesRecorder(st, p.R)
    if engine == "compiled":
        final = simulate_compiled(st, p, d, [acc, hist, rec], block=block, threads=threads)
    else:
        final = simulate(st, p, d, [acc, hist, rec], engine="numpy")
    return {"lo": spec.lo, "hi": spec.hi, "outcomes": acc.finish(final), "counts": hist.hist.counts,
            "vmin": hist.hist.vmin, "vmax": hist.hist.vmax, "series": rec.values,
            "state": {f: getattr(final, f) for f in STATE}}


def _assert_same(a: dict, b: dict, rtol: float = 0.0) -> None:
    def same(x: np.ndarray, y: np.ndarray, what: str) -> None:
        if rtol == 0.0 or x.dtype.kind not in "fc":
            assert np.array_equal(x, y, equal_nan=True), what
        else:
            np.testing.assert_allclose(x, y, rtol=rtol, atol=1e-12, equal_nan=True, err_msg=what)

    for key in ("lo", "hi", "vmin", "vmax", "series"):
        same(a[key], b[key], key)
    if rtol == 0.0:
        same(a["counts"], b["counts"], "histogram counts")
    assert a["outcomes"].keys() == b["outcomes"].keys()
    for name in a["outcomes"]:
        same(np.asarray(a["outcomes"][name]), np.asarray(b["outcomes"][name]), name)
    for name in STATE:
        same(a["state"][name], b["state"][name], name)


@pytest.mark.parametrize("path, runs", [
    (MINI, 40),
    (builtin_path("nk-russia-2023"), 24),
    (ROOT / "benchmarks" / "scenarios" / "richardson7.yaml", 64),
])
def test_compiled_equals_numpy_bit_for_bit(path: Path, runs: int) -> None:
    sc = load_scenario(path)
    st, p, d, P = _setup(sc, runs)
    numpy_ = _everything(st, p, d, P, runs, "numpy")
    compiled = _everything(st, p, d, P, runs, "compiled")
    _assert_same(numpy_, compiled)
    assert numpy_["counts"].sum() > 0


def test_events_fire_and_their_effects_apply_in_the_compiled_engine() -> None:
    st, p, d, P = _setup(load_scenario(MINI), 60)
    out = _everything(st, p, d, P, 60, "compiled")["outcomes"]
    for name in st.events:  # every event fires in some rows and not in others
        fired = out[f"fired.{name}"]
        assert 0 < fired.sum() < len(fired), name


@pytest.mark.parametrize("sampled", [0, 1, 17])
def test_a_sampled_histogram_counts_the_first_runs_in_both_engines(sampled: int) -> None:
    st, p, d, P = _setup(load_scenario(MINI), 40)
    numpy_ = _everything(st, p, d, P, 40, "numpy", sampled=sampled)
    compiled = _everything(st, p, d, P, 40, "compiled", block=8, sampled=sampled)
    _assert_same(numpy_, compiled)
    assert (compiled["counts"].sum(axis=-1) == sampled).all()


@pytest.mark.parametrize("block", [1, 7, 64, 4096])
def test_block_size_never_changes_results(block: int) -> None:
    st, p, d, P = _setup(load_scenario(MINI), 50)
    _assert_same(_everything(st, p, d, P, 50, "compiled"), _everything(st, p, d, P, 50, "compiled", block))


def test_ar1_perception_agrees_to_rounding() -> None:
    doc = yaml.safe_load(MINI.read_text())
    doc["perception"]["process"] = "ar1"
    doc["perception"]["persistence"] = {"value": 0.9, "judgment": True}
    sc = loads_scenario(yaml.safe_dump(doc, sort_keys=False))
    st, p, d, P = _setup(sc, 30)
    assert d.noise.ndim == 4
    a, b = _everything(st, p, d, P, 30, "numpy"), _everything(st, p, d, P, 30, "compiled")
    _assert_same(a, b, rtol=1e-9)
    assert np.abs(a["state"]["levels"][0] - a["state"]["levels"][1]).max() > 0  # noise matters


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_compiled_equals_numpy_on_random_scenarios(text: str) -> None:
    sc = loads_scenario(text)
    st, p, d, P = _setup(sc, 4, seed=5)
    _assert_same(_everything(st, p, d, P, 4, "numpy"), _everything(st, p, d, P, 4, "compiled"))


def test_engine_choice_and_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SPILLOVER_ENGINE", raising=False)
    assert engine_name() == "compiled"
    monkeypatch.setenv("SPILLOVER_ENGINE", "numpy")
    assert engine_name() == "numpy"
    assert engine_name("compiled") == "compiled"
    monkeypatch.setenv("SPILLOVER_ENGINE", "fortran")
    with pytest.raises(ValueError, match="unknown engine 'fortran'"):
        engine_name()

    class Custom:
        def __init__(self) -> None:
            self.days = 0

        def observe(self, state) -> None:
            self.days += 1

    custom = Custom()
    assert not supports([custom])
    st, p, d, _ = _setup(load_scenario(MINI), 5)
    simulate(st, p, d, [custom], engine="compiled")  # falls back to the NumPy step
    assert custom.days == st.T
    with pytest.raises(ValueError, match="only outcome, histogram"):
        simulate_compiled(st, p, d, [custom])


def test_block_size_fits_the_cache() -> None:
    assert block_size(2_300) == 4096  # richardson7's rows
    assert block_size(15_500) == 1024  # nk-russia-2023's rows (15.4-15.7 kB, 5 December 2026)
    assert block_size(10_000) == 2048
    assert block_size(1.0) == 4096
    assert block_size(1e9) == 64


def test_a_scenario_with_no_schedules_signals_or_events() -> None:
    doc = {"name": "bare", "title": "bare", "start": "2024-01-01", "horizon": 30,
           "actors": {"A": {"name": "A"}}, "munitions": {"m": {"name": "m"}},
           "stocks": {"A": {"m": {"value": 5.0, "judgment": True}}},
           "indicators": {"calm": {"name": "calm", "observer": "A", "beta": {"value": 0.3, "judgment": True},
                                   "tau": {"value": 4, "judgment": True}}},
           "policies": {"status-quo": {"levers": {}}}}
    sc = loads_scenario(yaml.safe_dump(doc, sort_keys=False))
    st, p, d, P = _setup(sc, 3)
    _assert_same(_everything(st, p, d, P, 3, "numpy"), _everything(st, p, d, P, 3, "compiled"))


def test_every_kernel_function_divides_without_a_zero_check() -> None:
    """Numba's default (Python) error model puts a zero check before every division, and
    the branch keeps the loops that divide from being unrolled or vectorised: 4× slower.
    Every function of the step is compiled with the NumPy error model instead."""
    from numba.core.registry import CPUDispatcher

    from spillover.engine import jit, jit_react, jit_watch

    found = {f"{m.__name__}.{name}": fn.targetoptions.get("error_model")
             for m in (jit, jit_react, jit_watch) for name, fn in vars(m).items()
             if isinstance(fn, CPUDispatcher) and fn.__module__ == m.__name__}
    assert len(found) >= 30, sorted(found)
    assert {k: v for k, v in found.items() if v != "numpy"} == {}


def _richardson_row(seed: int = 1):
    sc = load_scenario(ROOT / "benchmarks" / "scenarios" / "richardson7.yaml")
    return engine_inputs(sc, 30, seed, counterfactual=False)


def test_a_zero_divisor_stops_the_run_by_name_in_both_engines() -> None:
    """The kernels divide without a zero check. A fatigue time of 0 cannot come from a
    scenario or a given table (both are checked), but if one reaches the step the
    indicator becomes infinite and the run stops naming it, its row and its day."""
    from spillover.engine.finite import NonFiniteError

    st, p, d, _ = _richardson_row()
    p.tau[7, 3] = 0.0
    for engine in ("numpy", "compiled"):
        with pytest.raises(NonFiniteError) as info, np.errstate(divide="ignore", invalid="ignore"):
            simulate(st, p, d, [], engine=engine)
        err = info.value
        assert (err.quantity, err.row, err.day) == ("indicator 'x_A3'", 7, 0)
        assert "lower its weights" in str(err)


def test_a_stock_that_overflows_gets_a_hint_about_its_inputs_not_indicator_weights() -> None:
    from spillover.engine.finite import NonFiniteError

    st, p, d, _ = _richardson_row()
    p.scale[4, :] = 1e308  # every production line of row 4
    with pytest.raises(NonFiniteError) as info, np.errstate(over="ignore", invalid="ignore"):
        simulate(st, p, d, [], engine="compiled")
    err = info.value
    assert err.row == 4 and err.quantity.startswith("stock of ")
    assert "Check the numbers that feed it" in str(err) and "lower its weights" not in str(err)
