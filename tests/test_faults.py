"""Run folders under faults: a kill mid-write, a dead parent, another cwd, two resumes, a full disk."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pyarrow.parquet as pq
import pytest

import spillover
from spillover.results.folder import FolderBusy, RunFolder, partial_of
from tests.conftest import MINI, ensemble, interrupt_run

RUNS, SEED, CHUNK = 60, 4, 10
CLI = [sys.executable, "-c", "from spillover.cli.main import main; main()"]


def _outcomes(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path / "outcomes.parquet").sort_values(["policy", "run"]).reset_index(drop=True)


def _reference(mini) -> pd.DataFrame:
    ens = ensemble(mini, runs=RUNS, seed=SEED, chunk_size=1000)
    return ens.outcomes.sort_values(["policy", "run"]).reset_index(drop=True)


def test_a_kill_while_experiments_are_written_leaves_a_resumable_run(mini, tmp_path, monkeypatch) -> None:
    real = pq.ParquetWriter.write_table

    def killed(self, table, *a, **k):
        real(self, table, *a, **k)
        raise KeyboardInterrupt  # the process dies after the first row group

    monkeypatch.setattr(pq.ParquetWriter, "write_table", killed)
    with pytest.raises(KeyboardInterrupt):
        spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "r", report=False)
    monkeypatch.setattr(pq.ParquetWriter, "write_table", real)
    partial = partial_of(tmp_path / "r")
    assert (partial / "manifest.json").exists() and not (partial / "experiments.parquet").exists()
    assert not [p for p in partial.iterdir() if ".tmp-" in p.name]  # nothing half-written is left
    spillover.resume(tmp_path / "r", report=False)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


def test_a_damaged_file_from_an_older_run_is_rebuilt(mini, tmp_path, monkeypatch) -> None:
    interrupt_run(monkeypatch, MINI, tmp_path / "r", runs=RUNS, seed=SEED, chunk_size=CHUNK)
    partial = partial_of(tmp_path / "r")
    (partial / "experiments.parquet").write_bytes(b"PAR1")  # as a kill mid-write used to leave it
    (partial / "outcomes.parquet" / "part-000000000010.parquet").write_bytes(b"\0" * 7)
    res = spillover.resume(tmp_path / "r", report=False)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)
    assert len(res.experiments) == RUNS


def test_resume_works_from_another_working_directory(mini, tmp_path, monkeypatch) -> None:
    here, there = tmp_path / "a", tmp_path / "b"
    here.mkdir(), there.mkdir()
    (here / "mini.yaml").write_text(MINI.read_text())
    monkeypatch.chdir(here)
    interrupt_run(monkeypatch, "mini.yaml", tmp_path / "r", runs=RUNS, seed=SEED, chunk_size=CHUNK)
    manifest = json.loads((partial_of(tmp_path / "r") / "manifest.json").read_text())
    assert manifest["scenario_file"] == str(here / "mini.yaml")
    monkeypatch.chdir(there)
    spillover.resume(tmp_path / "r", report=False)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


def test_a_second_resume_of_the_same_folder_is_refused_at_once(mini, tmp_path, monkeypatch) -> None:
    interrupt_run(monkeypatch, MINI, tmp_path / "r", runs=RUNS, seed=SEED, chunk_size=CHUNK)
    first = RunFolder.open(tmp_path / "r")  # a resume in progress holds the folder
    with pytest.raises(FolderBusy, match=rf"another spillover process \(pid {os.getpid()}\)"):
        spillover.resume(tmp_path / "r", report=False)
    done = subprocess.run([*CLI, "run", "--resume", str(tmp_path / "r"), "--no-report"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "being written by another spillover process" in done.stderr
    first.unlock()
    spillover.resume(tmp_path / "r", report=False)  # once the first is gone, it goes ahead
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


def test_pool_workers_die_with_a_killed_parent(tmp_path) -> None:
    out = tmp_path / "r"
    args = ["run", str(MINI), "--runs", "400000", "--chunk-size", "500", "--workers", "2",
            "--executor", "processes", "--out", str(out), "--no-report"]
    proc = subprocess.Popen([*CLI, *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + 120
    workers: list[psutil.Process] = []
    while time.monotonic() < deadline and len(workers) < 3:  # two workers and the resource tracker
        workers = parent.children(recursive=True)
        time.sleep(0.2)
    assert len(workers) >= 2, "the pool never started"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    _, alive = psutil.wait_procs(workers, timeout=15)
    assert not alive, f"{len(alive)} process(es) outlived their parent by 15 s"


def _interrupted_at_30(tmp_path: Path, monkeypatch) -> Path:
    interrupt_run(monkeypatch, MINI, tmp_path / "r", runs=RUNS, seed=SEED, chunk_size=CHUNK)
    return partial_of(tmp_path / "r")


def _tampered(z: dict, damage: str) -> dict:
    """The saved histogram arrays changed as a damaged or hand-edited file would be: each
    loads, but none can be what the run counted."""
    import numpy as np

    c = z["counts"]
    changes = {
        "nan-floats": {"counts": np.where(c > 0, np.nan, c.astype(float))},
        "int8": {"counts": (c * 50).astype(np.int8)},
        "negative": {"counts": c.astype(np.int64) - 1},
        "above-n": {"counts": c + np.uint32(3)},
        "64-bins": {"counts": c[..., :64] + c[..., 64:]},
        "float-finished": {"finished": z["finished"] + 0.5},
        "int-extremes": {"vmin": np.zeros(z["vmin"].shape, np.int64)},
        "one-series-less": {"counts": c[:, :, 1:], "vmin": z["vmin"][:, :, 1:], "vmax": z["vmax"][:, :, 1:]},
    }
    return {**z, **changes[damage]}


DAMAGES = ["delete", "garbage", "pickle", "directory", "nan-floats", "int8", "negative", "above-n",
           "64-bins", "float-finished", "int-extremes", "one-series-less"]


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_lost_or_damaged_series_counts_file_is_rebuilt(mini, tmp_path, monkeypatch, damage) -> None:
    """A resume counts the daily series again rather than trust a counts file that cannot be
    the run's: before, a tampered one that loaded (NaN, wrapped or negative counts, more
    counts than runs) gave wrong series without a word, and others a raw NumPy error."""
    import numpy as np

    partial = _interrupted_at_30(tmp_path, monkeypatch)
    counts = partial / "series-counts.npz"
    assert counts.exists() and json.loads((partial / "manifest.json").read_text())["finished_chunks"]
    if damage == "delete":
        counts.unlink()
    elif damage == "garbage":
        counts.write_bytes(b"PK\3\4 not really a zip")
    elif damage == "pickle":
        np.save(counts.open("wb"), np.array([{"a": 1}], dtype=object), allow_pickle=True)
    elif damage == "directory":
        counts.unlink()
        counts.mkdir()
    else:
        with np.load(counts) as z:
            arrays = _tampered({k: z[k] for k in z.files}, damage)
        with counts.open("wb") as f:
            np.savez(f, **arrays)
    spillover.resume(tmp_path / "r", report=False)
    spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "ref", report=False)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "r" / "series.parquet"),
                                  pd.read_parquet(tmp_path / "ref" / "series.parquet"), check_exact=True)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


def test_a_killed_worker_is_one_error_naming_the_folder_to_resume(mini, tmp_path) -> None:
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    from spillover.cli.errors import outcome_of
    from spillover.results.folder import WorkerLost

    pool = ProcessPoolExecutor(1)
    pool.submit(int).result()
    for proc in list(pool._processes.values()):  # as `kill -9` of a worker does
        os.kill(proc.pid, signal.SIGKILL)
        proc.join(10)
    with pytest.raises(WorkerLost) as info:
        spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "r", report=False,
                      executor="processes", workers=1, pool=pool)
    pool.shutdown()
    partial = partial_of(tmp_path / "r")
    assert str(info.value) == (f"a worker process died (killed, or out of memory?) while writing {partial}; "
                               f"finish the run with: spillover run --resume {tmp_path / 'r'}")
    assert outcome_of(info.value).code == 2 and outcome_of(info.value).lines == (f"error: {info.value}",)
    assert outcome_of(BrokenProcessPool("x")).code == 2
    spillover.resume(tmp_path / "r", report=False)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


@pytest.mark.parametrize(("flag", "written"), [([], False), (["--report"], True)])
def test_a_resume_writes_the_report_as_the_run_chose_unless_told(tmp_path, monkeypatch, flag,
                                                                  written) -> None:
    """A run started with --no-report (interrupt_run's) gets no report on --resume, unless
    --report is given: before, a resume always wrote one."""
    interrupt_run(monkeypatch, MINI, tmp_path / "r", runs=RUNS, seed=SEED, chunk_size=CHUNK)
    assert json.loads((partial_of(tmp_path / "r") / "manifest.json").read_text())["report"] is False
    done = subprocess.run([*CLI, "run", "--resume", str(tmp_path / "r"), *flag],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "r" / "report.html").exists() is written
    assert ("report:" in done.stdout) is written


def test_the_api_resume_writes_the_report_as_the_run_chose(tmp_path, monkeypatch) -> None:
    interrupt_run(monkeypatch, MINI, tmp_path / "r", runs=RUNS, seed=SEED, chunk_size=CHUNK)
    done = spillover.resume(tmp_path / "r", workers=1)
    assert done.path == tmp_path / "r" and not (tmp_path / "r" / "report.html").exists()
    m = json.loads((tmp_path / "r" / "manifest.json").read_text())
    [resumed] = m["resumed"]  # the run records that it was resumed, and how
    assert resumed["workers"] == 1 and resumed["executor"] == "local"
    assert 0 < resumed["chunks_done_before"] < RUNS // CHUNK and m["status"] == "complete"


def test_half_written_files_of_a_killed_process_are_gone_once_the_run_completes(tmp_path,
                                                                                monkeypatch) -> None:
    """A kill -9 mid-write leaves ``.<name>.tmp-<pid>`` beside the file (its cleanup never
    ran); the finished folder keeps none of them (DuckDB's ``outcomes.parquet/*`` read them)."""
    partial = _interrupted_at_30(tmp_path, monkeypatch)
    left = [partial / ".series-counts.npz.tmp-99999",
            partial / "outcomes.parquet" / ".part-000000000030.parquet.tmp-99999"]
    for f in left:
        f.write_bytes(b"half")
    spillover.resume(tmp_path / "r", report=False)
    assert not list((tmp_path / "r").rglob("*.tmp-*"))


@pytest.mark.parametrize(("key", "value", "said"), [
    ("chunk_size", 0, "has chunk_size 0, not a whole number of at least 1"),
    ("finished_chunks", ["0", "10"], "has finished_chunks ['0', '10'], not a list of whole numbers"),
    ("runs", "60", "has runs '60', not a whole number of at least 1"),
    ("policies", "status-quo", "has policies 'status-quo', not a list of texts"),
    ("seed", True, "has seed True, not a whole number of at least 0"),
])
def test_a_hand_edited_manifest_is_refused_in_one_line_naming_the_field(tmp_path, monkeypatch, key, value,
                                                                        said) -> None:
    """Before, chunk_size 0 ended in a ZeroDivisionError (exit 1) and text chunk numbers in
    "Unknown format code 'd'"."""
    partial = _interrupted_at_30(tmp_path, monkeypatch)
    m = json.loads((partial / "manifest.json").read_text())
    (partial / "manifest.json").write_text(json.dumps({**m, key: value}))
    done = subprocess.run([*CLI, "run", "--resume", str(tmp_path / "r")], capture_output=True, text=True,
                          timeout=300)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2 and len(lines) == 1, done.stderr
    assert said in lines[0] and "delete" in lines[0]
