"""calibrate reads what the data store writes, refuses a fit that fits nothing, keeps intervals in range.

Issue 14, item 5: ``calibrate`` could not read ``spillover data dyad`` output ("expected the
header 'date,value'"); with poll-like values of ~0.70 on ``kor_nuclear_hedging`` least
squares gave intervals outside the inputs' ranges and ABC reported a narrowed posterior
although no run came near the data.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from spillover.analysis.abc import abc, write_posterior
from spillover.analysis.calibration import fit_least_squares
from spillover.analysis.observed import Observation, parse_observations, read_observations
from spillover.analysis.sections import calibration_section
from spillover.cli.data import app as data_app
from spillover.cli.main import app
from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import load_scenario, loads_scenario
from tests.conftest import HERE

GDELT = HERE / "data" / "gdelt" / "20191024143000.export.CSV"
HEDGING = ["w_kor_hedging", "indicators.kor_nuclear_hedging.beta"]
runner = CliRunner()


def _data(*args: str | Path) -> str:
    res = runner.invoke(data_app, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.stdout


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("store") / "gdelt.duckdb"
    _data("import", "gdelt", GDELT, "--db", db)
    return db


@pytest.fixture(scope="module")
def tension_scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A one-indicator scenario over the fixture's GDELT dates (events from 2018-10 to 2019-10)."""
    doc = {
        "name": "tension", "title": "Tension", "start": "2018-10-01", "horizon": 400,
        "actors": {"A": {"name": "A"}}, "munitions": {"m": {"name": "m"}},
        "indicators": {"x": {"name": "x", "observer": "A", "kind": "linear", "initial": 0.5, "tau": 30.0,
                             "beta": {"uniform": [-1, 2], "judgment": True, "name": "beta_x"}}},
        "policies": {"only": {}},
    }
    path = tmp_path_factory.mktemp("sc") / "tension.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def test_reads_the_csv_that_data_dyad_writes(store: Path, tension_scenario: Path, tmp_path: Path) -> None:
    out = tmp_path / "usa-chn.csv"
    _data("dyad", "USA", "CHN", "--from", "2019-10-01", "--to", "2019-10-31", "--out", out, "--db", store)
    sc = load_scenario(str(tension_scenario))
    # the dyad has events on 2019-10-23 (tension 1.0) and 2019-10-24 (0.375); the other 29 days are
    # empty (no events) and hold no observation; tension -10..+10 read as 0.5 - tension / 20
    obs = read_observations(out, "indicator.x", sc, scale=-20, offset=10)
    assert [d.isoformat() for d in obs.on(sc.start)] == ["2019-10-23", "2019-10-24"]
    np.testing.assert_allclose(obs.values, [0.5 - 1.0 / 20, 0.5 - 0.375 / 20])
    events = read_observations(out, "indicator.x", sc, column="events")  # another column, by name
    assert len(events.days) == 31 and events.values.max() == 7


def test_reads_a_data_sql_csv_result(store: Path, tension_scenario: Path, tmp_path: Path) -> None:
    csv = tmp_path / "tone.csv"
    query = ("SELECT event_date AS day, avg(avg_tone) AS tone FROM gdelt_events "
             "WHERE event_date >= DATE '2018-10-01' GROUP BY 1 ORDER BY 1")
    csv.write_text(_data("sql", query, "--csv", "--db", store))
    sc = load_scenario(str(tension_scenario))
    obs = read_observations(csv, "indicator.x", sc)
    assert [d.isoformat() for d in obs.on(sc.start)] == [
        "2018-10-24", "2019-09-24", "2019-10-17", "2019-10-23", "2019-10-24"]
    assert np.all(obs.values < 0)  # GDELT tone of this excerpt
    monthly = tmp_path / "monthly.csv"
    monthly.write_text(_data("sql", "SELECT date_trunc('month', event_date) AS month, avg(avg_tone) AS tone, "
                                    "count(*) AS n FROM gdelt_events WHERE event_date >= DATE '2018-10-01' "
                                    "GROUP BY 1 ORDER BY 1", "--csv", "--db", store))
    with pytest.raises(ScenarioError, match=r"monthly.csv:1:1: cannot tell which column holds the values.*"
                                            r"the other columns are tone, n: name one with --column"):
        read_observations(monthly, "indicator.x", sc)
    assert len(read_observations(monthly, "indicator.x", sc, column="tone").days) == 3
    with pytest.raises(ScenarioError, match=r"no column 'tones' in the header 'month,tone,n' \(did you mean"):
        read_observations(monthly, "indicator.x", sc, column="tones")


def test_calibrate_fits_a_dyad_series_from_the_command_line(store: Path, tension_scenario: Path,
                                                          tmp_path: Path) -> None:
    out = tmp_path / "dyad.csv"
    _data("dyad", "USA", "CHN", "--from", "2019-10-01", "--to", "2019-10-31", "--out", out, "--db", store)
    res = runner.invoke(app, ["calibrate", str(tension_scenario), "--data", str(out), "--target",
                              "indicator.x", "--scale", "-20", "--offset", "10", "--noise", "1", "--inputs",
                              "beta_x", "--method", "ls"], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "Least squares: 2 points" in res.output and "beta_x" in res.output


def test_measurement_model_and_timestamps() -> None:
    sc = loads_scenario(yaml.safe_dump({
        "name": "t", "title": "t", "start": "2024-01-01", "horizon": 60, "actors": {"A": {"name": "A"}},
        "munitions": {"m": {"name": "m"}}, "policies": {"only": {}},
        "indicators": {"x": {"name": "x", "observer": "A", "kind": "linear", "initial": 0.0, "tau": 5.0,
                             "beta": 0.0}}}))
    obs = parse_observations("day,poll\n2024-01-03 00:00:00,70\n2024-01-05,60\n", "indicator.x", sc,
                             scale=100, noise=2.0)
    assert obs.days.tolist() == [2, 4] and obs.values.tolist() == [0.7, 0.6] and obs.noise == 0.02
    with pytest.raises(ScenarioError, match="'2024-01-03 12:00:00' is not a date"):
        parse_observations("day,poll\n2024-01-03 12:00:00,70\n", "indicator.x", sc)
    with pytest.raises(ValueError, match="non-zero scale"):
        parse_observations("date,value\n2024-01-03,1\n", "indicator.x", sc, scale=0)
    with pytest.raises(ValueError, match="noise must be a positive number"):
        parse_observations("date,value\n2024-01-03,1\n", "indicator.x", sc, noise=-1)


# --------------------------------------------------------------------------- the case


@pytest.fixture(scope="module")
def polls() -> Observation:
    """Poll-like shares of about 0.70 (noise 0.02), monthly from September 2023."""
    sc = load_scenario("nk-russia-2023")
    rng = np.random.default_rng(7)
    dates = [dt.date(2023 + (8 + k) // 12, (8 + k) % 12 + 1, 15) for k in range(20)]
    text = "date,value\n" + "".join(f"{d},{0.70 + rng.normal(0, 0.02):.3f}\n" for d in dates)
    return parse_observations(text, "indicator.kor_nuclear_hedging", sc, "polls.csv")


def test_least_squares_intervals_stay_inside_the_allowed_range(polls: Observation) -> None:
    fit = fit_least_squares(load_scenario("nk-russia-2023"), [polls], HEDGING)
    t = fit.table
    assert t["at_bound"].all()
    assert (t["lo"] >= t["min"]).all() and (t["hi"] <= t["max"]).all() and (t["lo"] <= t["hi"]).all()
    assert not fit.fits and fit.misfit > 10 * fit.limit
    assert fit.warning is not None and fit.warning.startswith("Least squares found no fit")


def test_abc_refuses_a_posterior_when_no_run_fits(polls: Observation, tmp_path: Path) -> None:
    from spillover.analysis.calibration import misfit_limit

    post = abc(load_scenario("nk-russia-2023"), [polls], runs=400, accept=0.05, seed=1, inputs=HEDGING)
    assert post.limit == pytest.approx(misfit_limit(20))
    assert not post.fits and post.best_misfit > 10 * post.limit
    assert post.warning is not None and "Not one of the 400 runs reproduces the data" in post.warning
    with pytest.raises(ValueError, match=r"ABC found no fit.*No posterior written"):
        write_posterior(post, tmp_path / "post.parquet")
    assert not (tmp_path / "post.parquet").exists()
    section = calibration_section(None, post, polls.target)
    assert section["abc"]["fits"] is False and section["warnings"] == [post.warning]
    # told that the data are far noisier than their scatter (±0.5), the same runs fit
    loose = Observation(polls.target, polls.days, polls.values, noise=0.5)
    assert abc(load_scenario("nk-russia-2023"), [loose], runs=400, accept=0.05, seed=1, inputs=HEDGING).fits


def test_abc_says_when_the_closest_runs_fit_but_too_many_were_kept() -> None:
    from tests.test_analysis_calibration import richardson, synthetic

    sc = richardson(("w_xy",))
    obs = synthetic(sc, ["w_xy"], noise=0.02)
    post = abc(sc, [obs], runs=400, accept=0.6, seed=3, inputs=["w_xy"])
    assert not post.fits and post.best_misfit <= post.limit
    assert post.warning is not None and "a smaller --accept" in post.warning
    assert abc(sc, [obs], runs=400, accept=0.05, seed=3, inputs=["w_xy"]).fits


def test_every_problem_of_a_data_file_is_listed_by_calibrate(tmp_path: Path) -> None:
    """validate has no --data: calibrate lists every problem of the data file itself, one a line."""
    from spillover.cli.errors import outcome_of

    bad = tmp_path / "d.csv"
    bad.write_text("date,value\n2023-09-01,abc\n2023-10-01,\nxx,5\n")
    with pytest.raises(ScenarioError) as info:
        read_observations(bad, "indicator.kor_nuclear_hedging", load_scenario("nk-russia-2023"))
    argv = ["calibrate", "nk-russia-2023", "--data", str(bad), "--target", "indicator.x"]
    got = outcome_of(info.value, argv)
    assert got.code == 2 and len(got.lines) == 3, got.lines
    assert all(line.startswith(f"{bad}:") for line in got.lines), got.lines
    assert not any("spillover validate" in line for line in got.lines)


def test_the_hint_names_a_validate_command_that_lists_them() -> None:
    from spillover.cli.errors import outcome_of
    from spillover.scenario.errors import Problem

    exc = ScenarioError([Problem("e.yaml", 3, 5, "one"), Problem("e.yaml", 9, 5, "two")])
    got = outcome_of(exc, ["run", "nk-russia-2023", "--evidence", "e.yaml", "--runs", "10"])
    assert got.lines == ("e.yaml:3:5: one (and 1 more problem: spillover validate nk-russia-2023 "
                         "--evidence e.yaml lists them all)",)


@pytest.mark.parametrize("argv", [
    ["run", "--runs", "30", "nk-russia-2025", "--evidence", "e.evidence.yaml"],
    ["run", "--seed=1", "nk-russia-2025", "--evidence", "e.evidence.yaml"],
    ["scenarios", "audit", "nk-russia-2025", "--evidence", "e.evidence.yaml"],
])
def test_the_hint_finds_the_scenario_wherever_it_stands(argv: list[str]) -> None:
    from spillover.cli.errors import outcome_of
    from spillover.scenario.errors import Problem

    exc = ScenarioError([Problem("e.evidence.yaml", 3, 5, "one"), Problem("e.evidence.yaml", 9, 5, "two")])
    got = outcome_of(exc, argv)
    assert "spillover validate nk-russia-2025 --evidence e.evidence.yaml lists them all" in got.lines[0]
