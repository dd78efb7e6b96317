"""Same seed, same results: whatever the chunk size and workers; policies share their draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import ensemble


def _run(sc, **kw):
    return ensemble(sc, runs=kw.pop("runs", 90), seed=kw.pop("seed", 11), **kw)


@pytest.mark.parametrize("chunk_size", [1, 7, 64])
def test_chunk_size_does_not_change_results(mini, chunk_size) -> None:
    ref = _run(mini, chunk_size=1000)
    got = _run(mini, chunk_size=chunk_size)
    pd.testing.assert_frame_equal(ref.outcomes, got.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(ref.series, got.series, check_exact=True)
    pd.testing.assert_frame_equal(ref.experiments, got.experiments, check_exact=True)


@pytest.mark.parametrize("executor", ["local", "processes"])
def test_workers_do_not_change_results(mini, executor) -> None:
    """Two threads (local) or two processes give what one thread gives."""
    ref = _run(mini, chunk_size=25)
    got = _run(mini, chunk_size=25, workers=2, executor=executor)
    pd.testing.assert_frame_equal(ref.outcomes, got.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(ref.series, got.series, check_exact=True)


def test_threads_give_the_numpy_engine_results_too(mini, monkeypatch) -> None:
    monkeypatch.setenv("SPILLOVER_ENGINE", "numpy")
    ref = _run(mini, chunk_size=25)
    got = _run(mini, chunk_size=7, workers=2)
    pd.testing.assert_frame_equal(ref.outcomes, got.outcomes, check_exact=True)


def test_same_seed_same_results_other_seed_differs(mini) -> None:
    a, b, c = _run(mini), _run(mini), _run(mini, seed=12)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes, check_exact=True)
    assert not a.experiments.equals(c.experiments)


def test_policies_share_their_draws(mini) -> None:
    """A policy's runs are the same whether it runs alone or beside others."""
    both = _run(mini, policies=["status-quo", "capped"])
    alone = _run(mini, policies=["capped"])
    got = both.outcomes[both.outcomes["policy"] == "capped"].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, alone.outcomes, check_exact=True)


def test_paired_differences_are_tighter_than_unpaired(mini) -> None:
    """Common random numbers: the paired spread of a difference is far below the unpaired one."""
    res = _run(mini, runs=200, policies=["status-quo", "capped"])
    o = res.outcomes
    a = o[o.policy == "status-quo"]["days_of_fire.s_r_shells"].to_numpy()
    b = o[o.policy == "capped"]["days_of_fire.s_r_shells"].to_numpy()
    paired = np.std(a - b)
    unpaired = np.sqrt(np.var(a) + np.var(b))
    assert paired < 0.75 * unpaired
    # Transparency changes what observers see, never the flows: the paired difference is 0.
    res = _run(mini, runs=50, policies=["status-quo", "open"])
    o = res.outcomes
    a = o[o.policy == "status-quo"]["delivered.s_r_shells"].to_numpy()
    b = o[o.policy == "open"]["delivered.s_r_shells"].to_numpy()
    assert np.array_equal(a, b) and a.std() > 0


def test_design_columns_follow_their_distributions(mini) -> None:
    res = _run(mini, runs=400)
    x = res.experiments["fullness"].to_numpy()
    # LHS stratifies: exactly one value in each of the 400 equal-probability strata.
    strata = np.floor((x - 0.5) / 0.5 * 400).astype(int)
    assert sorted(strata) == list(range(400))


def test_policies_differing_only_in_transfer_levers_share_one_counterfactual(mini) -> None:
    """Without transfers, transparency, caps and sanctions change nothing (checked, not assumed)."""
    from spillover.ensemble.chunks import run_chunk
    from spillover.ensemble.design import MemoryDesign
    from spillover.ensemble.runner import plan
    from spillover.ensemble.variants import Variant, policy_variants

    shared = policy_variants(mini, list(mini.policies))
    cfs = [v for v in shared if not v.is_policy]
    # status-quo and capped differ in cap and sanctions only; "open" also opens a channel.
    assert [v.counterfactual_for for v in cfs] == [("status-quo", "capped"), ("open",)]
    every = tuple(mini.transfers)
    separate = [Variant(p, p) for p in mini.policies] + [
        Variant(f"{p}|cf", p, ablate_transfers=every) for p in mini.policies]
    pl = plan(mini, 3, variants=separate)
    source = MemoryDesign(pl.structure.inputs, 40, 3)
    source.prepare()
    res = run_chunk(pl.batch, 0, source.seeds(0, 40), source.rows(0, 40))
    names = [v.name for v in separate]
    for col, values in res.outcomes.items():
        block = {n: values[i * 40:(i + 1) * 40] for i, n in enumerate(names)}
        assert np.array_equal(block["status-quo|cf"], block["capped|cf"], equal_nan=True), col


def test_assembled_outcomes_equal_the_sorted_table_whatever_the_arrival_order(mini) -> None:
    from spillover.ensemble.chunks import run_chunk
    from spillover.ensemble.design import MemoryDesign
    from spillover.ensemble.flight import chunk_ranges
    from spillover.ensemble.runner import plan
    from spillover.results.assemble import Assembler, canonical

    pl = plan(mini, 5, list(mini.policies))
    design = MemoryDesign(pl.structure.inputs, 30, 5)
    design.prepare()
    asm = Assembler(pl.batch)
    for a, b in reversed(chunk_ranges(30, 7)):  # the last chunk arrives first
        asm.add(run_chunk(pl.batch, a, design.seeds(a, b), design.rows(a, b)))
    order = list(reversed(pl.policies))
    got = asm.outcomes(order)
    want = canonical(pd.concat([pd.DataFrame(p) for p in asm.parts], ignore_index=True), order)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got["policy"].unique()) == order and got["run"].is_monotonic_increasing is False


@pytest.mark.parametrize("chunk_size", [7, 64])
def test_the_series_sample_does_not_depend_on_chunks(mini, chunk_size) -> None:
    from spillover.ensemble.runner import plan
    from spillover.ensemble.settings import Execution
    from spillover.results.assemble import run_in_memory

    def series(chunk: int) -> pd.DataFrame:
        pl = plan(mini, 11)
        pl.batch.sample_runs = 37  # a sample that ends inside a chunk
        return run_in_memory(pl, Execution(runs=90, seed=11, chunk_size=chunk)).series

    pd.testing.assert_frame_equal(series(1000), series(chunk_size), check_exact=True)


def test_keeping_freed_memory_is_done_once_and_changes_no_result(mini) -> None:
    from spillover.ensemble.executors import keep_freed_memory

    first = keep_freed_memory()
    assert keep_freed_memory() is first  # once per process
    ref = _run(mini, chunk_size=25)
    got = _run(mini, chunk_size=25, workers=2)
    pd.testing.assert_frame_equal(ref.outcomes, got.outcomes, check_exact=True)


def test_blocks_on_threads_inside_chunks_do_not_change_results(mini, monkeypatch) -> None:
    """The local executor steps each chunk's blocks of rows on ``workers`` threads: with blocks
    of 4 rows every chunk has many, and the results are those of one thread."""
    import threading

    from spillover.engine import compiled, jit

    ref = _run(mini, chunk_size=30)
    monkeypatch.setattr(compiled, "block_size", lambda row_bytes: 4)
    names: set[str] = set()
    step = jit.run_days

    def spy(*a):
        names.add(threading.current_thread().name.rsplit("_", 1)[0])
        step(*a)

    monkeypatch.setattr(jit, "run_days", spy)
    monkeypatch.setenv("SPILLOVER_PREBUILT", "0")  # the spy wraps the JIT-compiled step
    got = _run(mini, chunk_size=30, workers=3)
    pd.testing.assert_frame_equal(ref.outcomes, got.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(ref.series, got.series, check_exact=True)
    assert "spillover-lane" in names  # helper threads stepped blocks
