"""Streamed run folders, resume after a crash, refusals, and the dask executor."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

import spillover
from spillover.ensemble import design as design_mod
from spillover.ensemble import designs as designs_mod
from spillover.results.folder import ResumeRefused, RunFolder, partial_of
from tests.conftest import MINI, ensemble, interrupt_run

RUNS, SEED, CHUNK = 120, 4, 15


def _outcomes(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path / "outcomes.parquet").sort_values(["policy", "run"]).reset_index(drop=True)


def _reference(mini, runs: int = RUNS) -> pd.DataFrame:
    ens = ensemble(mini, runs=runs, seed=SEED, chunk_size=1000)
    return ens.outcomes.sort_values(["policy", "run"]).reset_index(drop=True)


def test_folder_run_streams_parts_and_equals_the_memory_run(mini, tmp_path) -> None:
    res = spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "r", report=False)
    parts = sorted((tmp_path / "r" / "outcomes.parquet").glob("part-*.parquet"))
    assert len(parts) == RUNS // CHUNK
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)
    assert not partial_of(tmp_path / "r").exists()
    m = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert m["status"] == "complete" and len(m["finished_chunks"]) == RUNS // CHUNK
    assert res.path == tmp_path / "r"
    # Only the text column is dictionary-encoded (trying it on every float column cost time).
    meta = pq.ParquetFile(parts[0]).metadata
    encoded = {meta.schema.column(i).name for i in range(meta.num_columns)
               if any("DICTIONARY" in e for e in meta.row_group(0).column(i).encodings)}
    assert encoded == {"policy"}


def test_a_full_disk_leaves_a_resumable_run(mini, tmp_path, monkeypatch) -> None:
    real = RunFolder.write_part
    calls = {"n": 0}

    def failing(self, first_run, frame):
        calls["n"] += 1
        if calls["n"] == 4:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(self, first_run, frame)

    monkeypatch.setattr(RunFolder, "write_part", failing)
    with pytest.raises(OSError) as caught:
        spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "r", report=False)
    want = (f"no space left on device while writing {partial_of(tmp_path / 'r')}; free some space, then "
            f"finish the run with: spillover run --resume {tmp_path / 'r'}")
    assert str(caught.value) == want
    assert partial_of(tmp_path / "r").exists() and not (tmp_path / "r").exists()
    monkeypatch.setattr(RunFolder, "write_part", real)
    spillover.resume(tmp_path / "r", report=False)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


def test_resume_after_kill_9_gives_the_uninterrupted_results(mini, tmp_path) -> None:
    out, runs = tmp_path / "killed", 6000  # enough chunks of 5 that the kill lands midway
    cmd = [sys.executable, "-c", "from spillover.cli.main import main; main()", "run", str(MINI),
           "--runs", str(runs), "--seed", str(SEED), "--chunk-size", "5", "--out", str(out), "--no-report"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = partial_of(out) / "manifest.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if manifest.exists():
            try:
                if len(json.loads(manifest.read_text())["finished_chunks"]) >= 3:
                    break
            except ValueError:
                pass
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = json.loads(manifest.read_text())["finished_chunks"]
    assert 3 <= len(finished) < runs // 5, "the run must be killed midway"
    done = subprocess.run([sys.executable, "-c", "from spillover.cli.main import main; main()", "run",
                           "--resume", str(out), "--no-report"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pd.testing.assert_frame_equal(_outcomes(out), _reference(mini, runs), check_exact=True)


def _interrupted(tmp_path: Path, monkeypatch, scenario: Path = MINI) -> Path:
    """A run stopped (as by Ctrl-C) once its first chunks are on disk."""
    interrupt_run(monkeypatch, scenario, tmp_path / "r", runs=RUNS, seed=SEED, chunk_size=CHUNK)
    return tmp_path / "r"


def test_resume_refuses_another_version(tmp_path, monkeypatch) -> None:
    path = _interrupted(tmp_path, monkeypatch)
    mf = partial_of(path) / "manifest.json"
    m = json.loads(mf.read_text())
    m["versions"]["spillover"] = "0.0.1"
    mf.write_text(json.dumps(m))
    with pytest.raises(ResumeRefused, match=r"started by spillover 0\.0\.1"):
        spillover.resume(path)


def test_resume_refuses_a_changed_scenario(tmp_path, monkeypatch) -> None:
    copy = tmp_path / "mini.yaml"
    copy.write_text(MINI.read_text())
    path = _interrupted(tmp_path, monkeypatch, copy)
    copy.write_text(MINI.read_text().replace("value: 20000", "value: 21000"))
    with pytest.raises(ResumeRefused, match="scenario file"):
        spillover.resume(path)


def test_cli_resume_refuses_another_seed(tmp_path, monkeypatch) -> None:
    path = _interrupted(tmp_path, monkeypatch)
    done = subprocess.run([sys.executable, "-c", "from spillover.cli.main import main; main()", "run",
                           "--resume", str(path), "--seed", "5"], capture_output=True, text=True)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"error: cannot resume {path}: it ran with --seed 4, not 5"]


def test_resume_of_nothing_is_refused(tmp_path) -> None:
    with pytest.raises(ResumeRefused, match="no interrupted run"):
        spillover.resume(tmp_path / "nothing")


def test_sobol_blocks_equal_one_sequence(monkeypatch) -> None:
    whole = design_mod.unit_design(700, 3, 9, "sobol")
    monkeypatch.setattr(designs_mod, "BLOCK", 64)
    assert np.array_equal(design_mod.unit_design(700, 3, 9, "sobol"), whole)


@pytest.mark.parametrize("design", list(designs_mod.DESIGNS))
def test_file_design_equals_memory_design(mini, tmp_path, design) -> None:
    from spillover.engine.structure import build_structure
    from spillover.ensemble.design import FileDesign, sample_inputs

    st = build_structure(mini)
    fd = FileDesign(tmp_path / "d", st.inputs, 90, 3, design)
    fd.prepare()
    mem = sample_inputs(st.inputs, 90, 3, design)
    got = fd.rows(30, 60)
    for name, values in got.items():
        assert np.array_equal(values, mem[name].to_numpy()[30:60])


def test_large_folder_runs_keep_a_sample_in_memory_but_analyse_every_run(mini, tmp_path, monkeypatch) -> None:
    import spillover.api as api

    monkeypatch.setattr(api, "IN_MEMORY_RUNS", 50)  # the name api reads
    res = spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "r", report=False)
    assert res.extra["outcomes_sample_runs"] == 50
    assert res.outcomes["run"].max() == 49 and len(res.experiments) == 50
    everything = spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK)
    pd.testing.assert_frame_equal(res.claims, everything.claims, check_exact=True)
    pd.testing.assert_frame_equal(res.comparison, everything.comparison, check_exact=True)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


def test_a_crash_between_a_checkpoints_two_writes_resumes_exactly(mini, tmp_path, monkeypatch) -> None:
    real = RunFolder.checkpoint

    def dies_before_the_manifest(self, hist, finished):
        if len(finished) == RUNS // CHUNK:  # the last checkpoint: histogram written, then the crash
            def crash(self):
                raise KeyboardInterrupt
            monkeypatch.setattr(RunFolder, "save_manifest", crash)
        return real(self, hist, finished)

    saved = RunFolder.save_manifest
    monkeypatch.setattr(RunFolder, "checkpoint", dies_before_the_manifest)
    with pytest.raises(KeyboardInterrupt):
        spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "r", report=False)
    monkeypatch.setattr(RunFolder, "checkpoint", real)
    monkeypatch.setattr(RunFolder, "save_manifest", saved)
    stale = json.loads((partial_of(tmp_path / "r") / "manifest.json").read_text())["finished_chunks"]
    assert len(stale) < RUNS // CHUNK  # the manifest missed chunks the histogram counts
    resumed = spillover.resume(tmp_path / "r", report=False)
    everything = spillover.run(MINI, runs=RUNS, seed=SEED, chunk_size=CHUNK)
    pd.testing.assert_frame_equal(resumed.series, everything.series, check_exact=True)
    pd.testing.assert_frame_equal(_outcomes(tmp_path / "r"), _reference(mini), check_exact=True)


def test_resume_refuses_another_engine(mini, tmp_path, monkeypatch) -> None:
    _interrupted(tmp_path, monkeypatch)
    monkeypatch.setenv("SPILLOVER_ENGINE", "numpy")
    with pytest.raises(ResumeRefused, match="engine was 'compiled', now 'numpy'"):
        spillover.resume(tmp_path / "r", report=False)


@pytest.mark.parametrize("design", list(designs_mod.DESIGNS))
def test_every_design_fills_each_cell_once_in_the_unit_cube(design) -> None:
    method = designs_mod.DESIGNS[design]
    seen = np.zeros((300, 4), dtype=int)
    for start, cols, block in method.blocks(300, 4, 3):
        assert block.shape == (len(block), len(cols))
        seen[start:start + len(block), cols] += 1
        assert ((block >= 0) & (block < 1)).all()
    assert (seen == 1).all()
