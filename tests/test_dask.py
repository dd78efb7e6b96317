"""The dask executor: bit-identical results on a LocalCluster, worker loss, bad scheduler."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pandas as pd
import pytest

pytest.importorskip("dask.distributed")

from spillover.ensemble.chunks import pilot_spec
from spillover.ensemble.dask_executor import DaskRunner, close, connect
from spillover.ensemble.design import MemoryDesign
from spillover.ensemble.flight import chunk_ranges
from spillover.ensemble.runner import plan
from spillover.results.assemble import Assembler
from tests.conftest import ensemble

RUNS, SEED = 60, 8


@pytest.fixture(scope="module")
def client():
    c = connect(None, workers=2)
    yield c
    close(c)


def test_dask_two_workers_equal_the_local_executor(mini, client) -> None:
    local = ensemble(mini, runs=RUNS, seed=SEED, chunk_size=1000)
    pl = plan(mini, SEED)
    source = MemoryDesign(pl.structure.inputs, RUNS, SEED)
    source.prepare()
    pl.batch.spec = pilot_spec(pl.batch, source)
    asm = Assembler(pl.batch)
    for res in DaskRunner(client).run(pl.batch, source, chunk_ranges(RUNS, 7)):
        asm.add(res)
    pd.testing.assert_frame_equal(asm.outcomes(pl.policies), local.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(asm.series(mini.start), local.series, check_exact=True)


def test_dask_one_worker_through_the_runner(mini) -> None:
    local = ensemble(mini, runs=RUNS, seed=SEED, chunk_size=1000)
    got = ensemble(mini, runs=RUNS, seed=SEED, chunk_size=20, executor="dask", workers=1)
    pd.testing.assert_frame_equal(got.outcomes, local.outcomes, check_exact=True)


def test_a_worker_killed_mid_run_changes_nothing(mini, client) -> None:
    local = ensemble(mini, runs=RUNS, seed=SEED, chunk_size=1000)
    pl = plan(mini, SEED)
    source = MemoryDesign(pl.structure.inputs, RUNS, SEED)
    source.prepare()
    asm = Assembler(pl.batch)
    killed = False
    for res in DaskRunner(client).run(pl.batch, source, chunk_ranges(RUNS, 4)):
        asm.add(res)
        if not killed:
            pids = client.run(os.getpid)
            os.kill(next(iter(pids.values())), signal.SIGKILL)
            killed = True
    assert killed
    pd.testing.assert_frame_equal(asm.outcomes(pl.policies), local.outcomes, check_exact=True)


def test_unreachable_scheduler_is_one_line_and_exit_2(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", "from spillover.cli.main import main; main()", "run", "--runs", "10",
         "--executor", "dask", "--scheduler", "tcp://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "no dask scheduler answered at tcp://127.0.0.1:9" in lines[0], lines
    assert not list((tmp_path / "runs").glob("*")), "nothing ran, so no run folder is left behind"
