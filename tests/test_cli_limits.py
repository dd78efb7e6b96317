"""Out-of-range settings are refused up front, in one line, with nothing left on disk."""

from __future__ import annotations

import pytest

from spillover.ensemble.settings import MAX_RUNS, MAX_SEED, Execution
from tests.conftest import MINI
from tests.test_cli import cli


@pytest.mark.parametrize(("options", "needle"), [
    ({"runs": MAX_RUNS + 1}, "runs must be at most 100,000,000"),
    ({"runs": 10**23}, "runs must be at most 100,000,000"),
    ({"seed": MAX_SEED + 1}, "from 0 to 4,294,967,295"),
    ({"seed": 10**23}, "from 0 to 4,294,967,295"),
])
def test_execution_refuses_runs_and_seeds_beyond_the_limits(options, needle) -> None:
    with pytest.raises(ValueError, match=needle):
        Execution(**options)
    Execution(runs=MAX_RUNS, seed=MAX_SEED)  # the limits themselves are fine


@pytest.mark.parametrize("args", [["--runs", "10000000000"], ["--runs", "99999999999999999999999"],
                                  ["--runs", "10", "--seed", "99999999999999999999999"]])
def test_the_cli_refuses_huge_runs_or_seeds_in_one_line_and_writes_nothing(tmp_path, args) -> None:
    done = cli("run", str(MINI), *args, cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ")
    assert "at most" in lines[0] or "seed" in lines[0]
    assert list(tmp_path.iterdir()) == []
