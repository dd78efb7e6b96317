"""The command line: one readable line and exit 2 on errors; run folders; scenarios."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spillover.results.folder import partial_of
from tests.conftest import MINI

CLI = [sys.executable, "-c", "from spillover.cli.main import main; main()"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_run_writes_a_complete_folder_and_prints_the_claims(tmp_path) -> None:
    out = tmp_path / "run"
    done = cli("run", str(MINI), "--runs", "40", "--seed", "3", "--out", str(out), "--chunk-size", "16")
    assert done.returncode == 0, done.stderr
    assert "Claims (probability over runs, 90% interval)" in done.stdout
    assert "lasting" in done.stdout and f"results: {out}" in done.stdout
    for name in ("manifest.json", "experiments.parquet", "outcomes.parquet", "series.parquet",
                 "claims.json", "report.html", "comparison.parquet"):
        assert (out / name).exists(), name
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 3 and m["runs"] == 40 and len(m["scenario_sha256"]) == 64
    assert m["status"] == "complete" and "numpy" in m["versions"] and m["command"].startswith("spillover")
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert len(outcomes) == 40 * 3 and {"run", "policy", "days_of_fire.s_r_shells"} <= set(outcomes)
    claims = json.loads((out / "claims.json").read_text())
    assert {c["claim"] for c in claims} == {"lasting", "helps"}


@pytest.mark.parametrize(("args", "message"), [
    (["run", str(MINI), "--runs", "5", "--policy", "statusquo"],
     "unknown policy 'statusquo' (did you mean 'status-quo'?)"),
    (["run", "nk-russia-2024"], "no built-in scenario 'nk-russia-2024' (did you mean 'nk-russia-2023'?)"),
    (["run", str(MINI), "--design", "halton"], "unknown design 'halton'"),
    (["run", "--resume", "nowhere"], "no interrupted run at nowhere"),
    (["validate", "missing.yaml"], "missing.yaml:1:1: no such file"),
    (["scenarios", "show", "nope"], "no built-in scenario 'nope'"),
])
def test_errors_are_one_line_and_exit_2(args, message, tmp_path) -> None:
    done = cli(*args, cwd=tmp_path)
    assert done.returncode == 2, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines
    assert "Traceback" not in done.stderr


def test_validate_lists_every_problem_with_its_location(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.read_text().replace("supplier: S\n", "supplier: SS\n")
                   .replace("- start: o_r_aid", "- start: o_r_aide"))
    done = cli("validate", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert any("unknown actor 'SS' (did you mean 'S'?)" in x for x in lines)
    assert any("unknown transfer 'o_r_aide' (did you mean 'o_r_aid'?)" in x for x in lines)
    assert all(x.startswith(f"{bad}:") for x in lines)


def test_validate_strict_builtin() -> None:
    done = cli("validate", "nk-russia-2023", "--strict")
    assert done.returncode == 0, done.stderr
    assert "valid (strict): 7 actors, 6 transfers, 10 indicators, 2 events, 4 policies, 6 claims" in (
        " ".join(done.stdout.split()))


def test_scenarios_list_show_copy(tmp_path) -> None:
    assert "nk-russia-2023" in cli("scenarios", "list").stdout
    assert "prk_rus_shells" in cli("scenarios", "show", "nk-russia-2023").stdout
    done = cli("scenarios", "copy", "nk-russia-2023", str(tmp_path))
    assert done.returncode == 0 and (tmp_path / "nk-russia-2023.yaml").exists()
    again = cli("scenarios", "copy", "nk-russia-2023", str(tmp_path))
    assert again.returncode == 2 and "exists" in again.stderr


def test_ctrl_c_leaves_no_complete_looking_folder(tmp_path, monkeypatch) -> None:
    import spillover
    from spillover.results.folder import RunFolder

    def interrupt(self, first_run, frame):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunFolder, "write_part", interrupt)
    with pytest.raises(KeyboardInterrupt):
        spillover.run(MINI, runs=20, seed=1, out=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    assert json.loads((partial_of(tmp_path / "r") / "manifest.json").read_text())["status"] == "running"
