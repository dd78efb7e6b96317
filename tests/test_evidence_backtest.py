"""The backtest command's wiring: targets, weights per origin and the baselines, by hand."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spillover
import spillover.api as api
from spillover.analysis.scores import crps_ensemble
from spillover.cli.main import main

KNOWN = Path(__file__).parent / "evidence" / "known.yaml"
BODY = """observations:
  early:
    date: 2024-01-20
    source: count
    grade: A1
    measures: shipped(b_a)
    value: 700
    error: {normal: 30}
  late:
    date: 2024-03-10
    source: count
    grade: A1
    measures: shipped(b_a)
    value: 2300
    error: {normal: 50}
"""


@pytest.fixture()
def evidence(tmp_path: Path) -> Path:
    path = tmp_path / "two.evidence.yaml"
    path.write_text(BODY)
    return path


def test_each_origin_forecasts_the_later_observations_by_hand(evidence: Path, tmp_path: Path) -> None:
    res = api.backtest(KNOWN, [evidence], ["2024-01-31"], runs=800, seed=2, out=tmp_path / "bt")
    table = res["table"].set_index("method")
    assert set(res["table"]["observation"]) == {"late"}  # 'early' lies before the origin
    run = spillover.run(KNOWN, runs=800, seed=2, evidence=[evidence], as_of="2024-01-31")
    w = run.extra["evidence"].weights
    rate = run.experiments.set_index("run").loc[w["run"], "rate"].to_numpy()
    late = 70 * rate  # shipped by day 69 (2024-03-10)
    ours = crps_ensemble(late[:, None], 2300.0, w["weight"].to_numpy())[0]
    assert table.loc["spillover", "crps"] == pytest.approx(ours, rel=1e-9)
    flat = crps_ensemble(late[:, None], 2300.0)[0]
    assert table.loc["climatology", "crps"] == pytest.approx(flat, rel=1e-9)
    assert table.loc["spillover", "crps"] < table.loc["climatology", "crps"]
    # persistence: 700 by the end of day 19 (20 days), a rate of 35 a day, carried 50 days to day 69
    assert table.loc["persistence", "forecast"] == pytest.approx(700 + 35 * 50)
    saved = pd.read_parquet(tmp_path / "bt" / "backtest.parquet")
    assert len(saved) == 3 and res["manifest"]["origins"] == ["2024-01-31"]


def test_the_command_prints_a_scorecard(evidence: Path, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    main(["backtest", str(KNOWN), "--evidence", str(evidence), "--origins", "2024-01-31,2024-01-01",
          "--runs", "200", "--out", str(tmp_path / "b")])
    printed = capsys.readouterr().out
    assert "Backtest" in printed and "persistence" in printed and "climatology" in printed
    card = pd.read_parquet(tmp_path / "b" / "scorecard.parquet")
    assert list(card["origin"].unique()) == ["2024-01-01", "2024-01-31"]
    assert np.isfinite(card["crps"]).all()
    page = (tmp_path / "b" / "backtest.html").read_text()
    assert "mean CRPS of the later observations by origin" in page and "Plotly.newPlot" in page


@pytest.mark.parametrize(("origins", "message"), [
    (["2000-01-01"], "lies outside the run"),
    (["2999-01-01"], "lies outside the run"),
])
def test_origins_outside_the_run_are_refused(origins: list[str], message: str) -> None:
    from spillover.analysis.backtest import checked_origins

    with pytest.raises(ValueError, match=message):
        checked_origins(dt.date(2024, 1, 1), 100, origins)


def test_an_origin_given_twice_is_refused_and_the_rest_are_sorted() -> None:
    from spillover.analysis.backtest import checked_origins

    with pytest.raises(ValueError, match="given twice"):
        checked_origins(dt.date(2024, 1, 1), 100, ["2024-02-01", "2024-02-01"])
    assert checked_origins(dt.date(2024, 1, 1), 100, ["2024-03-01", "2024-02-01"]) == [
        dt.date(2024, 2, 1), dt.date(2024, 3, 1)]


def test_skill_against_climatology_and_a_readable_page(evidence: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    """Each origin has a CRPS skill (1 − CRPS / climatology's); a negative one is said plainly;
    the page uses the report's styles, wraps its wide tables and starts the CRPS axis at 0."""
    bad = tmp_path / "misleading.evidence.yaml"  # the early report says far less than the runs ship
    bad.write_text(BODY.replace("value: 700", "value: 300"))
    main(["backtest", str(KNOWN), "--evidence", str(bad), "--origins", "2024-01-31",
          "--runs", "300", "--out", str(tmp_path / "b")])
    printed = " ".join(capsys.readouterr().out.split())
    card = pd.read_parquet(tmp_path / "b" / "scorecard.parquet").set_index("method")
    skill = 1 - card.loc["spillover", "crps"] / card.loc["climatology", "crps"]
    assert card.loc["spillover", "skill"] == pytest.approx(skill)
    assert np.isnan(card.loc["climatology", "skill"])
    assert skill < 0 and "spillover forecasts worse than climatology" in printed
    page = (tmp_path / "b" / "backtest.html").read_text()
    assert "--accent" in page and "class='table-wrap'" in page and "viewport" in page
    assert '"rangemode":"tozero"' in page and "worse than climatology" in page


def test_a_target_every_run_gives_the_same_value_is_shown_not_scored(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A report the scenario reproduces by construction (no spread) would score perfect or zero
    coverage by construction: it is named, and left out of the scorecard."""
    fixed = tmp_path / "fixed.evidence.yaml"
    fixed.write_text(BODY + "  set:\n    date: 2024-03-01\n    source: count\n    grade: A1\n"
                     "    measures: 0 * shipped(b_a) + 5\n    value: 5\n    error: {normal: 1}\n")
    res = api.backtest(KNOWN, [fixed], ["2024-01-31"], runs=200, seed=2)
    table = res["table"]
    assert table.loc[table["observation"] == "set", "fixed"].all()
    assert not table.loc[table["observation"] == "late", "fixed"].any()
    assert res["scorecard"]["targets"].tolist() == [1, 1, 1]  # 'late' alone, for each method
    main(["backtest", str(KNOWN), "--evidence", str(fixed), "--origins", "2024-01-31", "--runs", "200",
          "--out", str(tmp_path / "b")])
    assert "Not scored: set" in capsys.readouterr().out
    assert "Not scored: set" in (tmp_path / "b" / "backtest.html").read_text()


def test_origins_after_every_report_are_refused_before_anything_runs(
        evidence: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["backtest", str(KNOWN), "--evidence", str(evidence), "--origins", "2024-03-20", "--runs", "50"])
    err = capsys.readouterr().err
    assert done.value.code == 2 and "nothing to score" in err and "2024-03-10" in err, err
