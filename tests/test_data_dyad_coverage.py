"""`data dyad` over dates the store does not cover says which dates it covers.

Issue "The first hour", item 7: a dyad series over a range without GDELT exports came
back as all zeros, with no hint of the range the store covers.
"""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from spillover import data
from spillover.cli.data import app
from tests.excerpts import DATA, GDELT


def _later(path: Path) -> Path:
    """Six other events (other ids), added on 2019-11-01 and 2019-11-02."""
    out = []
    for number, line in enumerate(GDELT.read_bytes().splitlines(keepends=True)[:6]):
        fields = line.split(b"\t")
        fields[0] = b"9" + fields[0]
        fields[59] = b"20191101230000" if number < 5 else b"20191102010000"  # DATEADDED
        out.append(b"\t".join(fields))
    path.write_bytes(b"".join(out))
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "coverage.duckdb"
    with data.open_store(path) as store:
        data.import_file(store, "gdelt", GDELT)  # events added on 2019-10-24
        data.import_file(store, "gdelt", _later(tmp_path / "20191101230000.export.CSV"))
    return path


def test_covered_days_are_the_days_exports_were_added(db: Path) -> None:
    with data.open_store(db, read_only=True) as store:
        assert data.covered_days(store.con) == [
            (date(2019, 10, 24), date(2019, 10, 24)),
            (date(2019, 11, 1), date(2019, 11, 2)),
        ]


def test_a_range_inside_the_coverage_has_no_warning(db: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        series = data.dyad_series(db, "USA", "CHN", "2019-11-01", "2019-11-02")
    assert series.attrs["coverage_warning"] is None


def test_a_range_partly_outside_names_the_days_covered(db: Path) -> None:
    with pytest.warns(data.CoverageWarning) as warned:
        series = data.dyad_series(db, "USA", "CHN", "2019-10-20", "2019-11-05")
    message = str(warned[0].message)
    assert message == series.attrs["coverage_warning"] == (
        "the store's GDELT exports cover 2019-10-24 and 2019-11-01 to 2019-11-02 (the days they "
        "were added); 2019-10-20 to 2019-10-23, 2019-10-25 to 2019-10-31 and 2019-11-03 to "
        "2019-11-05 of the range asked for lie outside: zeros there mean no data, not no events"
    )
    assert series["events"].sum() > 0  # the series itself is unchanged


def test_an_empty_store_says_it_holds_no_events(tmp_path: Path) -> None:
    with data.open_store(tmp_path / "empty.duckdb") as store:
        data.import_file(store, "nmc", DATA / "cow" / "NMC-60-abridged-excerpt.csv")
    with pytest.warns(data.CoverageWarning, match="holds no GDELT events"):
        series = data.dyad_series(tmp_path / "empty.duckdb", "RUS", "KOR", "2023-01-01", "2023-12-31")
    assert series["events"].sum() == 0


def test_a_read_only_store_without_the_coverage_table_still_warns(db: Path) -> None:
    with duckdb.connect(str(db)) as con:
        con.execute("DROP TABLE gdelt_coverage")  # as in a store of schema 2
    with (
        data.open_store(db, read_only=True) as store,
        pytest.warns(data.CoverageWarning, match="cover 2019-10-24 and 2019-11-01 to 2019-11-02"),
    ):
        data.dyad_series(store, "RUS", "UKR", "2019-10-01", "2019-11-30", freq="month")


def test_the_cli_warns_on_stderr_and_still_prints_the_series(db: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["dyad", "RUS", "KOR", "--from", "2023-01-01", "--to", "2024-12-31", "--freq", "month",
         "--db", str(db)],
    )  # fmt: skip
    assert result.exit_code == 0
    assert "24 periods, 0 with events" in result.stdout
    assert result.stderr.startswith(
        "warning: the store's GDELT exports cover 2019-10-24 and 2019-11-01 to 2019-11-02"
    )
    assert "2023-01-01 to 2024-12-31 of the range asked for lie outside" in result.stderr
    inside = CliRunner().invoke(
        app, ["dyad", "USA", "CHN", "--from", "2019-10-24", "--to", "2019-10-24", "--db", str(db)]
    )
    assert inside.exit_code == 0 and inside.stderr == ""
