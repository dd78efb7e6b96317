"""The command line's error paths and a small run, with and without the extras.

Runs twice in ``make test``: in the development venv (every extra installed; the extras
are hidden from the command's process to imitate a core install), and in a fresh venv
holding only the built wheel without extras (``make test-core``, which sets
``SPILLOVER_CORE_ONLY=1``), where ``click``, SALib, FastAPI and Dask are really absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spillover
from tests.conftest import MINI

CORE_ONLY = os.environ.get("SPILLOVER_CORE_ONLY") == "1"
EXTRAS = ("click", "SALib", "fastapi", "uvicorn", "multipart", "dask", "distributed")
"""Modules a core install lacks: the extras, and click (typer >= 0.29 carries its own)."""

_PRELUDE = """
import importlib.abc, sys
class _Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition('.')[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, _Absent())
from spillover.cli.main import main
main()
"""


def spillover_cli(*args: str, cwd: Path | None = None, hide: tuple[str, ...] = EXTRAS,
                  timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run ``spillover ARGS`` in a new process where the modules in ``hide`` cannot be imported."""
    code = _PRELUDE.format(blocked=set(hide))
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("SPILLOVER_TRACEBACK", None)
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=cwd,
                          timeout=timeout, env=env)


def one_line_exit_2(done: subprocess.CompletedProcess[str], *wanted: str) -> str:
    """The single stderr line of a failed command, after checking it and the exit code."""
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 2, (done.returncode, done.stderr)
    assert len(lines) == 1, lines
    assert "Traceback" not in done.stderr and done.stdout == ""
    for w in wanted:
        assert w in lines[0], (w, lines[0])
    return lines[0]


def test_this_is_the_install_it_claims_to_be() -> None:
    if not CORE_ONLY:
        pytest.skip("the development venv: the extras are hidden per process instead")
    absent = [m for m in EXTRAS if importlib.util.find_spec(m) is None]
    assert absent == list(EXTRAS), "a core install must not hold the extras or click"
    assert "site-packages" in spillover.__file__, "the wheel, not the source tree, is under test"


@pytest.mark.parametrize(("args", "wanted"), [
    (["--bogus"], ["error: No such option: --bogus", "'spillover --help'"]),
    (["run", "--bogus"], ["error: No such option: --bogus", "'spillover run --help'"]),
    (["run", "--runs", "0"], ["error: Invalid value for '--runs'"]),
    (["run", "--runs", "many"], ["error: Invalid value for '--runs'"]),
    (["frobnicate"], ["error: No such command 'frobnicate'"]),
    (["validate"], ["error: Missing argument"]),
    (["draft", "--from", "2024-01-01"], ["error: Missing option '--actors'"]),
    (["sensitivity", str(MINI)], ["error: ", "--outcome"]),
])
def test_usage_errors_are_one_line_and_exit_2(args, wanted) -> None:
    one_line_exit_2(spillover_cli(*args), *wanted)


@pytest.mark.parametrize(("args", "wanted"), [
    (["run", str(MINI), "--runs", "5", "--policy", "statusquo"],
     "unknown policy 'statusquo' (did you mean 'status-quo'?)"),
    (["run", "nk-rusia-2023"],
     "error: no built-in scenario 'nk-rusia-2023' (did you mean 'nk-russia-2023'?)"),
    (["run", str(MINI), "--runs", "5", "--design", "halton"], "unknown design 'halton'"),
    (["run", "--resume", "nowhere"], "no interrupted run at nowhere"),
    (["run", str(MINI), "--executor", "slurm"], "unknown executor 'slurm'"),
    (["validate", "missing.yaml"], "error: missing.yaml: no such file"),
    (["scenarios", "show", "nope"], "error: no built-in scenario 'nope'"),
    (["scenarios", "copy", "nk-russia-2023", "taken.yaml"], "taken.yaml exists"),
])
def test_errors_are_one_line_and_exit_2(args, wanted, tmp_path) -> None:
    (tmp_path / "taken.yaml").write_text("mine\n")
    one_line_exit_2(spillover_cli(*args, cwd=tmp_path), wanted)
    assert (tmp_path / "taken.yaml").read_text() == "mine\n"  # nothing lost


@pytest.mark.parametrize(("args", "extra"), [
    (["sensitivity", str(MINI), "--outcome", "peak.threat", "--method", "morris", "--n", "4"], "analysis"),
    (["serve", "--port", "0"], "serve"),
    (["run", str(MINI), "--runs", "5", "--executor", "dask", "--no-report"], "dask"),
])
def test_a_missing_extra_names_the_install_command(args, extra, tmp_path) -> None:
    one_line_exit_2(spillover_cli(*args, cwd=tmp_path), f"pip install 'spillover[{extra}]'")


def test_version() -> None:
    done = spillover_cli("--version")
    assert done.returncode == 0 and done.stdout == f"spillover {spillover.__version__}\n"
    assert done.stderr == ""


def test_no_arguments_prints_the_help() -> None:
    done = spillover_cli()
    assert done.returncode == 0 and done.stdout.startswith("Usage: spillover [OPTIONS] COMMAND")
    assert "--version" in done.stdout and "run" in done.stdout


def test_a_small_run_works_without_the_extras(tmp_path) -> None:
    out = tmp_path / "run"
    done = spillover_cli("run", str(MINI), "--runs", "24", "--seed", "3", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Claims (probability over runs, 90% interval)" in done.stdout and f"results: {out}" in done.stdout
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["runs"] == 24 and (out / "report.html").exists()
    assert m["command"] == f"spillover run {MINI} --runs 24 --seed 3 --out {out}"
