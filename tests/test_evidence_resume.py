"""Resuming an interrupted run with evidence applies the same evidence, or refuses clearly."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

import spillover
from spillover.results.folder import ResumeRefused
from tests.conftest import interrupt_run

HERE = Path(__file__).parent / "evidence"
KNOWN = HERE / "known.yaml"
RUNS, CHUNK, SEED = 400, 100, 6


def _evidence(tmp_path: Path) -> Path:
    ev = tmp_path / "e.evidence.yaml"
    ev.write_text("sources:\n  count: {citation: A count}\nobservations:\n  n:\n    date: 2024-02-19\n"
                  "    source: count\n    grade: A1\n    measures: shipped(b_a)\n    value: 1750\n"
                  "    error: {normal: 100}\n")
    return ev


def _interrupted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ev: Path) -> Path:
    """A run with evidence stopped (as by Ctrl-C) once its first two chunks are on disk."""
    interrupt_run(monkeypatch, KNOWN, tmp_path / "r", after=2 * CHUNK, runs=RUNS, seed=SEED, chunk_size=CHUNK,
                  evidence=[ev], as_of="2024-03-01")
    partial = tmp_path / "r.partial"
    assert json.loads((partial / "manifest.json").read_text())["finished_chunks"], "some chunks must be done"
    return tmp_path / "r"


def test_a_resumed_run_applies_the_evidence_it_was_started_with(tmp_path: Path, monkeypatch) -> None:
    ev = _evidence(tmp_path)
    path = _interrupted(tmp_path, monkeypatch, ev)
    resumed = spillover.resume(path, report=False)
    whole = spillover.run(KNOWN, runs=RUNS, seed=SEED, chunk_size=CHUNK, out=tmp_path / "whole", report=False,
                          evidence=[ev], as_of="2024-03-01")
    a, b = resumed.extra["evidence"], whole.extra["evidence"]
    assert len(a.weights) == RUNS and a.ess == b.ess and a.as_of == b.as_of
    for name in ("weights", "claims", "inputs", "fit", "outcomes"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)
    pd.testing.assert_frame_equal(pd.read_parquet(path / "weights.parquet"),
                                  pd.read_parquet(tmp_path / "whole" / "weights.parquet"), check_exact=True)
    files = resumed.manifest["evidence"]["files"], whole.manifest["evidence"]["files"]
    assert files[0][0]["sha256"] == files[1][0]["sha256"]


def test_a_lost_record_of_observed_quantities_sends_the_chunks_back(tmp_path: Path, monkeypatch) -> None:
    ev = _evidence(tmp_path)
    path = _interrupted(tmp_path, monkeypatch, ev)
    for part in (tmp_path / "r.partial" / "observed").glob("part-*.parquet"):
        part.unlink()
    resumed = spillover.resume(path, report=False)
    whole = spillover.run(KNOWN, runs=RUNS, seed=SEED, chunk_size=CHUNK, evidence=[ev], as_of="2024-03-01")
    pd.testing.assert_frame_equal(resumed.extra["evidence"].weights, whole.extra["evidence"].weights,
                                  check_exact=True)


def test_resume_refuses_when_the_evidence_file_changed(tmp_path: Path, monkeypatch) -> None:
    ev = _evidence(tmp_path)
    path = _interrupted(tmp_path, monkeypatch, ev)
    ev.write_text(ev.read_text().replace("1750", "1800"))
    with pytest.raises(ResumeRefused, match=r"evidence file .*e\.evidence\.yaml has changed"):
        spillover.resume(path)
    ev.unlink()
    with pytest.raises(ResumeRefused, match="is gone"):
        spillover.resume(path)
    assert (tmp_path / "r.partial" / "manifest.json").exists()  # nothing lost: it can still be resumed


def test_the_cli_says_why_it_cannot_resume(tmp_path: Path, monkeypatch, capsys) -> None:
    from spillover.cli.main import main

    ev = _evidence(tmp_path)
    path = _interrupted(tmp_path, monkeypatch, ev)
    ev.write_text(ev.read_text().replace("1750", "1800"))
    with pytest.raises(SystemExit) as exit_:
        main(["run", "--resume", str(path), "--no-report"])
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "has changed since the run started" in err[0]
