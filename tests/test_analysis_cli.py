"""The analysis commands: findings printed as tables; bad input is one line and exit 2."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from spillover.cli.main import app
from tests.conftest import HERE, MINI
from tests.test_cli import cli

runner = CliRunner()


def invoke(*args: str) -> str:
    res = runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    return res.output


def test_explain_prints_orders_chains_and_attribution() -> None:
    out = invoke("explain", str(MINI), "--runs", "20", "--seed", "1")
    assert "Orders of effect" in out and "Strongest causal chains" in out and "Attribution" in out
    assert "s_r_shells → threat → pressure" in out
    assert "confirmed" in out and "pressure ← threat" in out
    graph_only = invoke("explain", str(MINI), "--runs", "0")
    assert "Attribution" not in graph_only and "verdict" not in graph_only


def test_sensitivity_prints_the_ranking_and_basis() -> None:
    out = invoke("sensitivity", str(MINI), "--outcome", "helps", "--method", "morris", "--n", "8")
    assert "Sensitivity of fired(o_helps) under status-quo: morris" in out
    assert "judgment" in out and "runs in" in out


def test_discover_prints_the_box_and_the_tree() -> None:
    out = invoke("discover", str(MINI), "--where", "days_of_fire.s_r_shells > 60", "--runs", "200")
    assert "PRIM peeling trajectory" in out and "◀ chosen" in out
    assert "PRIM box" in out and "Classification tree" in out and "fullness" in out


def test_calibrate_and_write_the_posterior(tmp_path) -> None:
    csv = tmp_path / "stock.csv"
    csv.write_text("date,value\n2024-01-11,20500\n2024-02-10,21800\n2024-03-11,20000\n2024-04-10,17000\n")
    post = tmp_path / "post.parquet"
    out = invoke("calibrate", str(MINI), "--data", str(csv), "--target", "stock.R.shell", "--inputs",
                 "fullness", "--runs", "200", "--accept", "0.1", "--posterior", str(post), "--noise", "3000")
    assert "Least squares: 4 points" in out and "ABC rejection: 20 of 200 runs kept" in out
    assert "no fit" not in out.lower()
    assert post.exists()


def test_calibrate_says_first_when_nothing_fits_and_writes_no_posterior(tmp_path) -> None:
    csv = tmp_path / "stock.csv"  # far above anything the mini scenario's stock reaches
    csv.write_text("date,value\n2024-01-11,30000\n2024-02-10,30050\n2024-03-11,29950\n2024-04-10,30000\n")
    args = ["calibrate", str(MINI), "--data", str(csv), "--target", "stock.R.shell", "--inputs", "fullness",
            "--runs", "200", "--accept", "0.1"]
    out = invoke(*args)
    lines = [line for line in out.splitlines()  # (a cold engine first says it compiles)
             if line.strip() and not line.startswith("compiling the engine")]
    assert lines[0].startswith("Least squares found no fit: the fitted run misses the 4 observed points by")
    first_abc = next(i for i, line in enumerate(lines) if line.startswith("ABC found no fit"))
    assert first_abc < next(i for i, line in enumerate(lines) if line.lstrip().startswith("Least squares:"))
    assert "Not one of the 200 runs reproduces the data" in out
    assert "ABC rejection, NO FIT (the closest runs, not a posterior)" in out and "narrowed" in out
    post = tmp_path / "post.parquet"
    done = cli(*args, "--posterior", str(post))
    assert done.returncode == 2 and not post.exists()
    got = done.stderr.strip().splitlines()
    assert len(got) == 1 and got[0].startswith("error: ABC found no fit") and got[0].endswith(
        f"No posterior written to {post}.")


def test_robust_prints_the_regret_table_and_adds_it_to_a_report(tmp_path) -> None:
    import spillover

    folder = tmp_path / "run"
    spillover.run(str(MINI), runs=20, seed=1, out=folder)
    out = invoke("robust", str(MINI), "--from", str(folder), "--into", str(folder))
    assert "Regret per outcome" in out and "Minimax-regret choice" in out and "★" in out
    assert 'id="robustness"' in (folder / "report.html").read_text(encoding="utf-8")
    out = invoke("robust", str(MINI), "--runs", "15", "--outcome", "days_of_fire.s_r_shells",
                 "--higher-is-better", "days_of_fire.s_r_shells")
    assert "days_of_fire.s_r_shells ↑" in out


@pytest.mark.parametrize(("args", "lines"), [
    (["discover", str(MINI), "--where", "fired(o_helps) and and peak.threat > 0.5"],
     ["error: --where: expected a name or number, found 'and' at column 20 of "
      "'fired(o_helps) and and peak.threat > 0.5'"]),
    (["sensitivity", str(MINI), "--outcome", "peak.thret"],
     ["error: --outcome: unknown outcome 'peak.thret' at column 1 of 'peak.thret' "
      "(did you mean 'peak.threat'"]),
    (["sensitivity", str(MINI), "--outcome", "peak.threat", "--n", "16"],
     ["error: sobol needs --n of at least 64 base samples, got 16"]),
    (["calibrate", str(MINI), "--data", str(HERE / "scenarios" / "mini.yaml"), "--target", "indicator.threat",
      "--inputs", "fullness"], ["mini.yaml:1:1: expected a header naming a date column (date, period, day, "
                                "month or week) and a value column"]),
])
def test_bad_input_is_reported_with_exit_2(args, lines) -> None:
    done = cli(*args)
    assert done.returncode == 2, done.stdout
    got = done.stderr.rstrip("\n").splitlines()
    assert len(got) == len(lines) and "Traceback" not in done.stderr
    for g, want in zip(got, lines, strict=True):
        assert g.startswith(want) or want in g, (g, want)


def test_discover_says_the_box_shown_is_the_chosen_step_pruned(mini) -> None:
    from spillover.analysis.discovery import discover

    where = "days_of_fire.s_r_shells > 60"
    d = discover(mini, where, runs=400, seed=0)
    p = d.prim
    assert p.pruned > 0  # the case in question: the box shown is not the chosen step's
    out = " ".join(invoke("discover", str(MINI), "--where", where, "--runs", "400").split())
    assert f"{p.chosen} ◀ chosen" in out
    assert (f"PRIM box, step {p.chosen} pruned to the {len(p.box)} of its {p.peeled} limits the data support "
            f"(quasi-p ≤ 0.05): coverage {100 * p.coverage:.0f}%, density {100 * p.density:.0f}%") in out
    assert out.count(f"of its {p.peeled} limits") == 1  # said once, in the box's title


def test_sensitivity_warnings_count_the_inputs_listed() -> None:
    out = " ".join(invoke("sensitivity", str(MINI), "--outcome", "peak.threat", "--method", "morris",
                          "--n", "10", "--top", "3").split())
    assert "Some of the top 3 inputs cannot be ranked" in out
    assert "top 8" not in out and "top 10" not in out


def test_explain_into_names_the_report_once(tmp_path) -> None:
    import spillover

    folder = tmp_path / "run"
    spillover.run(str(MINI), runs=20, seed=1, out=folder)
    out = invoke("explain", str(MINI), "--runs", "20", "--into", str(folder))
    assert [line for line in out.splitlines() if line.startswith("report:")] == [
        f"report: {folder / 'report.html'}"]
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert 'id="orders"' in html and 'id="attribution"' in html
