"""The compiled step's blocks of rows on several threads give what one thread gives, bit for bit.

Each thread (lane) beyond the first steps its blocks with its own histogram counts and
extremes, series ranges and event scratch, added into the run's afterwards; every other
array a call writes is in its own rows. Which lane takes which block depends on timing,
so the tests also force the lanes to interleave.
"""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import yaml

from spillover.engine import compiled, jit
from spillover.engine import kernel_args as args
from spillover.scenario.load import builtin_path, load_scenario, loads_scenario
from tests.conftest import MINI
from tests.test_engine_compiled import _assert_same, _everything, _setup


@pytest.fixture
def interleaved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every block's call waits a little (without the GIL), so that each lane takes blocks;
    gives the names of the threads that stepped blocks (the same names in every call)."""
    seen: list[str] = []
    step = jit.run_days

    def slow(*a: object) -> None:
        seen.append(threading.current_thread().name)
        time.sleep(0.002)
        step(*a)

    monkeypatch.setattr(jit, "run_days", slow)
    monkeypatch.setenv("SPILLOVER_PREBUILT", "0")  # the wrapper wraps the JIT-compiled step
    return seen


@pytest.mark.parametrize("threads", [2, 3, 5])
def test_threads_never_change_results(threads: int, interleaved: list[str]) -> None:
    st, p, d, P = _setup(load_scenario(MINI), 60)
    one = _everything(st, p, d, P, 60, "compiled", block=4, sampled=23)
    interleaved.clear()
    many = _everything(st, p, d, P, 60, "compiled", block=4, sampled=23, threads=threads)
    _assert_same(one, many)
    assert len(set(interleaved)) == threads  # every lane stepped blocks
    assert many["counts"].sum() > 0 and (many["counts"].sum(axis=-1) == 23).all()
    for name in st.events:  # events fire in some rows: their scratch is per lane
        assert 0 < many["outcomes"][f"fired.{name}"].sum() < len(many["outcomes"][f"fired.{name}"])


def _on_keys(node: object) -> object:
    """PyYAML reads a dated trigger's ``on:`` key as True (YAML 1.1); spillover's reader does not."""
    if isinstance(node, dict):
        return {("on" if k is True else k): _on_keys(v) for k, v in node.items()}
    return [_on_keys(v) for v in node] if isinstance(node, list) else node


def test_threads_on_nk_with_ar1_perception(interleaved: list[str]) -> None:
    """nk-russia-2023 (many policies, events, dated steps) with AR(1) perception, on 2 threads."""
    doc = _on_keys(yaml.safe_load(builtin_path("nk-russia-2023").read_text()))
    doc.setdefault("perception", {})["process"] = "ar1"
    doc["perception"]["persistence"] = {"value": 0.8, "judgment": True}
    st, p, d, P = _setup(loads_scenario(yaml.safe_dump(doc, sort_keys=False)), 12)
    one = _everything(st, p, d, P, 12, "compiled", block=16)
    _assert_same(one, _everything(st, p, d, P, 12, "compiled", block=16, threads=2))
    assert len(set(interleaved)) >= 2


def test_more_threads_than_blocks_and_one_block() -> None:
    st, p, d, P = _setup(load_scenario(MINI), 10)
    one = _everything(st, p, d, P, 10, "compiled")
    _assert_same(one, _everything(st, p, d, P, 10, "compiled", block=8, threads=8))
    _assert_same(one, _everything(st, p, d, P, 10, "compiled", block=64, threads=2))


def _watch(counts: list[int], lo: float, hi: float, rlo: float, rhi: float) -> args.Watch:
    n = np.zeros(0)
    fields = dict.fromkeys(args.Watch._fields, n)
    fields.update(counts=np.array(counts, np.uint32).reshape(1, 1, 1, -1), vmin=np.full((1, 1, 1), lo),
                  vmax=np.full((1, 1, 1), hi), range_lo=np.array([rlo]), range_hi=np.array([rhi]))
    return args.Watch(**fields)


def test_merging_a_lane_adds_counts_and_keeps_extremes_and_nan() -> None:
    w = _watch([1, 2], 0.5, 3.0, -1.0, 4.0)
    compiled._merge(w, _watch([3, 0], -2.0, 2.0, np.nan, 9.0))
    assert w.counts.ravel().tolist() == [4, 2]
    assert (w.vmin.item(), w.vmax.item(), w.range_hi.item()) == (-2.0, 3.0, 9.0)
    assert np.isnan(w.range_lo.item())  # a NaN in any lane's rows stays, as in one pass
    compiled._merge(w, _watch([0, 0], np.nan, np.nan, 0.0, 0.0))
    assert np.isnan(w.vmin.item()) and np.isnan(w.vmax.item()) and np.isnan(w.range_lo.item())


def test_own_copies_leave_the_run_state_alone() -> None:
    w = _watch([5, 6], 1.0, 2.0, 0.0, 1.0)
    ev = args.Events(**{**dict.fromkeys(args.Events._fields, np.zeros(0)), "newly": np.ones(3, np.bool_)})
    mine, own_ev = compiled._own(w, ev)
    assert mine.counts.sum() == 0 and mine.counts.shape == w.counts.shape
    assert mine.vmin is not w.vmin and mine.vmin.item() == 1.0 and mine.range_lo is not w.range_lo
    assert own_ev.newly is not ev.newly and own_ev.newly.shape == (3,)
