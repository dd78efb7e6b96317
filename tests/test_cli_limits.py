"""Out-of-range settings are refused up front, in one line, with nothing left on disk."""

from __future__ import annotations

import re
from pathlib import Path

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


def test_ctrl_c_names_the_real_folder_left_behind(tmp_path, monkeypatch) -> None:
    from spillover.cli.errors import Interrupted
    from spillover.cli.run import RunOptions, run_and_print
    from spillover.results.folder import RunFolder

    def interrupt(self, first_run, frame):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunFolder, "write_part", interrupt)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Interrupted) as info:
        run_and_print(RunOptions(scenario=str(MINI), runs=20, seed=1, report=False))
    left = list((tmp_path / "runs").iterdir())
    assert len(left) == 1 and left[0].name.endswith(".partial")
    final = left[0].with_name(left[0].name.removesuffix(".partial"))
    assert str(info.value) == (f"the run folder is left as {left[0].relative_to(tmp_path)}; finish it with "
                               f"spillover run --resume {final.relative_to(tmp_path)}")
    again = re.escape(f"left as {left[0]}; finish it with spillover run --resume {final}")
    with pytest.raises(Interrupted, match=again):
        run_and_print(RunOptions(scenario=str(MINI), resume=left[0], report=False))


def test_ctrl_c_before_the_folder_is_made_says_nothing_was_written(tmp_path, monkeypatch) -> None:
    from spillover.cli.errors import Interrupted
    from spillover.cli.run import RunOptions, run_and_print
    from spillover.scenario import load

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(load, "load_scenario", interrupt)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(Interrupted, match="stopped before the run folder was made; nothing was written"):
        run_and_print(RunOptions(scenario=str(MINI), runs=20, seed=1, out=tmp_path / "r"))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["x" * 300, "Россия " * 60, "a/b/../c"])
def test_a_long_or_odd_scenario_name_still_gives_a_run_folder(tmp_path, monkeypatch, name) -> None:
    import spillover
    from spillover.scenario.load import load_scenario

    sc = load_scenario(MINI).model_copy(update={"name": name})
    monkeypatch.chdir(tmp_path)
    res = spillover.run(sc, runs=8, seed=1, out="auto", report=False)
    assert (tmp_path / res.path).parent == tmp_path / "runs" and (tmp_path / res.path).is_dir()
    assert len(res.path.name.encode()) < 255 and "/" not in res.path.name[:-1]


def test_into_an_unfinished_run_folder_is_refused_before_the_analysis(tmp_path, monkeypatch) -> None:
    import spillover
    from spillover.results.folder import RunFolder, partial_of

    def interrupt(self, first_run, frame):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunFolder, "write_part", interrupt)
    with pytest.raises(KeyboardInterrupt):
        spillover.run(MINI, runs=8, seed=1, out=tmp_path / "r")
    partial = partial_of(tmp_path / "r")
    before = sorted(p.name for p in partial.rglob("*"))
    for folder in (partial, tmp_path):
        done = cli("robust", str(MINI), "--runs", "8", "--into", str(folder))
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.strip().splitlines()
        assert line.startswith("error: Invalid value for '--into': "), line
    assert f"is an unfinished run; finish it first with: spillover run --resume {tmp_path / 'r'}" in (
        cli("robust", str(MINI), "--runs", "8", "--into", str(partial)).stderr)
    assert sorted(p.name for p in partial.rglob("*")) == before


@pytest.mark.parametrize(("args", "line"), [
    (["discover", str(MINI), "--where", "peak.treat > 3", "--runs", "100"],
     "error: --where: unknown outcome 'peak.treat' at column 1 of 'peak.treat > 3' (did you mean"),
    (["discover", str(MINI), "--where", "peak.threat > and 3", "--runs", "100"],
     "error: --where: expected a name or number, found 'and' at column 15 of 'peak.threat > and 3'"),
    (["robust", str(MINI), "--outcome", "peak.zz", "--runs", "10"],
     "error: quantity 'peak.zz': unknown outcome 'peak.zz' at column 1 of 'peak.zz'; outcomes under"),
    (["sensitivity", str(MINI), "--outcome", "x > 3", "--n", "64"],
     "error: --outcome: unknown outcome 'x' at column 1 of 'x > 3'"),
])
def test_an_expression_mistake_is_one_line_with_its_column(args, line) -> None:
    done = cli(*args)
    assert done.returncode == 2
    (only,) = done.stderr.strip().splitlines()
    assert only.startswith(line), only


def test_counts_of_one_are_singular(tmp_path) -> None:
    one = tmp_path / "one.yaml"
    text = Path(MINI).read_text()
    one.write_text(text.replace("  open: {levers: {transparency: 1, channel: 1}}\n", "")
                   .replace("  capped: {levers: {cap: 0.5, sanctions: 1}}\n", ""))
    done = cli("validate", str(one))
    assert done.returncode == 0, done.stderr
    assert ", 1 policy, " in " ".join(done.stdout.split())
    run = cli("run", str(MINI), "--runs", "1", "--policy", "status-quo", "--out", str(tmp_path / "r"),
              "--no-report")
    assert run.returncode == 0, run.stderr
    assert "1 run × 1 policy, seed 0" in run.stdout


def test_the_attribution_table_says_percentage_points() -> None:
    import pandas as pd
    from rich.console import Console

    from spillover.cli.analysis_render import render_attribution

    effects = pd.DataFrame({"item": ["a", "b", "c"], "quantity": ["q"] * 3, "quantity_kind": ["claim"] * 3,
                            "mean_diff": [-0.52, 0.004, 0.0], "lo": [-0.6, -0.01, 0.0],
                            "hi": [-0.4, 0.02, 0.0]})
    console = Console(width=200, record=True)
    console.print(render_attribution(effects, "status-quo", 100))
    text = console.export_text()
    assert "-52 pp" in text and "+0.4 pp" in text and "0 pp" in text and "percentage points" in text


def test_outcomes_describe_amounts_fired_in_the_munitions_unit() -> None:
    from spillover import api
    from spillover.scenario.load import loads_scenario

    sc = loads_scenario(Path(MINI).read_text().replace("shell: {name: shell, unit: rounds}",
                                                       "shell: {name: shell, unit: drones}"), "d.yaml")
    rows = api.outcomes(sc).set_index("column")["description"]
    assert rows["fired_total.R.shell"] == "Drones fired over the horizon."
    assert api.outcomes(MINI).set_index("column")["description"]["fired_total.R.shell"] == (
        "Rounds fired over the horizon.")
