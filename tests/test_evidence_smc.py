"""Resample-move: it recovers a closed-form posterior the prior runs barely reach, deterministically."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import spillover
from spillover.analysis.evidence import ESS_FLOOR, EvidenceContradicts

HERE = Path(__file__).parent / "evidence"
KNOWN, FAR = HERE / "known.yaml", HERE / "far.evidence.yaml"  # rate ~ N(30, 5); 50·rate reported 2250 ± 10
PREC = 1 / 5**2 + 50**2 / 10**2
MEAN, SD = (30 / 5**2 + 50 * 2250 / 10**2) / PREC, PREC**-0.5  # 44.976, 0.1998


def _rate(res: spillover.RunResult) -> tuple[np.ndarray, np.ndarray]:
    cond = res.extra["evidence"]
    post = cond.posterior_experiments.set_index("run").loc[cond.weights["run"]]
    return post["rate"].to_numpy(), cond.weights["weight"].to_numpy()


def test_fewer_than_one_percent_of_prior_runs_lie_near_the_truth() -> None:
    near = stats.norm(30, 5).cdf(MEAN + 2 * SD) - stats.norm(30, 5).cdf(MEAN - 2 * SD)
    assert near < 0.01


def test_resample_move_recovers_the_closed_form() -> None:
    plain = spillover.run(KNOWN, runs=2000, seed=1, evidence=[FAR])
    assert plain.extra["evidence"].ess < ESS_FLOOR and not plain.extra["evidence"].confident
    res = spillover.run(KNOWN, runs=2000, seed=1, evidence=[FAR], resample=True)
    cond = res.extra["evidence"]
    assert cond.confident and cond.resampled["prior_ess"] < ESS_FLOOR
    rate, w = _rate(res)
    mean = float(np.sum(w * rate))
    assert mean == pytest.approx(MEAN, abs=0.05)
    assert np.sqrt(np.sum(w * (rate - mean) ** 2)) == pytest.approx(SD, rel=0.15)
    q = cond.inputs.set_index("input").loc["rate"]
    assert q["posterior_q05"] == pytest.approx(MEAN - 1.645 * SD, abs=0.08)
    assert q["posterior_q95"] == pytest.approx(MEAN + 1.645 * SD, abs=0.08)
    assert res.manifest["evidence"]["resample_move"]["stages"] >= 2


def test_resample_move_does_not_depend_on_chunks_or_workers() -> None:
    a = spillover.run(KNOWN, runs=600, seed=7, evidence=[FAR], resample=True, chunk_size=600)
    b = spillover.run(KNOWN, runs=600, seed=7, evidence=[FAR], resample=True, chunk_size=77, workers=2)
    pd.testing.assert_frame_equal(a.extra["evidence"].weights, b.extra["evidence"].weights, check_exact=True)
    pd.testing.assert_frame_equal(a.extra["evidence"].posterior_experiments,
                                  b.extra["evidence"].posterior_experiments, check_exact=True)


def test_evidence_beyond_reach_is_named_when_resampling_fails(tmp_path: Path) -> None:
    ev = tmp_path / "x.evidence.yaml"
    ev.write_text("observations:\n  huge:\n    date: 2024-02-19\n    source: count\n    grade: A1\n"
                  "    measures: shipped(b_a)\n    value: 1.0e7\n    error: {normal: 1}\n")
    with pytest.raises(EvidenceContradicts, match="huge"):
        spillover.run(KNOWN, runs=200, seed=1, evidence=[ev], resample=True)


def _two(tmp_path: Path) -> Path:
    """One report the prior fits (50·rate ≈ 1500) and one it barely reaches (2250 ± 10)."""
    ev = tmp_path / "two.evidence.yaml"
    common = "    date: 2024-02-19\n    source: count\n    grade: A1\n    measures: shipped(b_a)\n"
    ev.write_text(f"observations:\n  fits:\n{common}    value: 1500\n    error: {{normal: 400}}\n"
                  f"  far:\n{common}    value: 2250\n    error: {{normal: 10}}\n")
    return ev


def test_when_resample_move_gives_up_it_says_the_evidence_contradicts_and_names_the_worst(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spillover.analysis import smc

    monkeypatch.setattr(smc, "MAX_STAGES", 1)  # the far report needs more stages than that
    with pytest.raises(EvidenceContradicts, match="the evidence contradicts the scenario") as err:
        spillover.run(KNOWN, runs=600, seed=1, evidence=[_two(tmp_path)], resample=True)
    assert err.value.worst[0] == "far" and set(err.value.worst) == {"far", "fits"}
    assert "'far' (" in str(err.value) and "two.evidence.yaml:" in str(err.value)
    assert "β = " in str(err.value)


def test_the_cli_says_so_in_one_line_and_writes_no_folder(tmp_path: Path, monkeypatch, capsys) -> None:
    from spillover.analysis import smc
    from spillover.cli.main import main

    monkeypatch.setattr(smc, "MAX_STAGES", 1)
    out = tmp_path / "r"
    with pytest.raises(SystemExit) as exit_:
        main(["run", str(KNOWN), "--runs", "600", "--evidence", str(_two(tmp_path)), "--resample",
              "--out", str(out), "--no-report"])
    assert exit_.value.code == 2
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1 and "contradicts the scenario" in err[0] and "'far'" in err[0], err
    assert not out.exists() and not list(tmp_path.glob("r*.partial"))
