"""``spillover data ...`` commands through typer's CliRunner."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from spillover.cli.data import app
from spillover.data.schema import TABLE_DOCS

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def _run(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "cli.duckdb"


def test_import_prints_rows_imported_and_rejected(db: Path) -> None:
    code, out, _ = _run(
        "import", "sipri", DATA / "sipri" / "trade-register-classic-excerpt.csv",
        DATA / "sipri" / "trade-register-new-excerpt.csv", "--db", db,
    )  # fmt: skip
    assert code == 0
    assert (
        "trade-register-classic-excerpt.csv: imported 32 rows, rejected 0 (see rejected_rows)"
        in out
    )
    assert (  # two deals of the new export are in the classic one: stored once
        "trade-register-new-excerpt.csv: imported 75 rows, rejected 0 (see rejected_rows), "
        "3 already in the store (source 1) not stored again" in out
    )
    assert "2 deals already in the store (source 1), not stored again" in out
    code, out, _ = _run(
        "import", "sipri", DATA / "sipri" / "trade-register-new-excerpt.csv", "--db", db
    )
    assert code == 0 and "skipped, already imported as source 2" in out


def test_import_reports_quarantined_rows(db: Path, tmp_path: Path) -> None:
    lines = (DATA / "gdelt" / "20191024143000.export.CSV").read_bytes().split(b"\n")
    lines[0] = lines[0].replace(b"\t139\t", b"\t999\t", 1)
    bad = tmp_path / "20191024143000.export.CSV"
    bad.write_bytes(b"\n".join(lines))
    code, out, _ = _run("import", "gdelt", bad, "--db", db)
    assert code == 0
    assert f"imported {len(lines) - 2} rows, rejected 1 (see rejected_rows)" in out
    code, out, _ = _run("sql", "SELECT line, reason FROM rejected_rows", "--csv", "--db", db)
    assert out.splitlines() == ["line,reason", "1,unknown CAMEO event code '999'"]


def test_wrong_format_is_one_line_and_exit_code_2(db: Path) -> None:
    code, out, err = _run(
        "import", "gdelt", DATA / "cow" / "NMC-60-abridged-excerpt.csv", "--db", db
    )
    assert code == 2
    assert out == ""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "not a GDELT 2.0 event export; use `spillover data import nmc`" in lines[0]
    assert "Traceback" not in err


def test_tables_lists_row_counts(db: Path) -> None:
    _run("import", "nmc", DATA / "cow" / "NMC-60-abridged-excerpt.csv", "--db", db)
    code, out, _ = _run("tables", "--db", db)
    assert code == 0
    rows = {}
    for line in out.splitlines():
        words = line.split()
        if len(words) > 1 and words[0] in TABLE_DOCS:
            rows[words[0]] = words[1]
    assert set(rows) == set(TABLE_DOCS)
    expected = len((DATA / "cow" / "NMC-60-abridged-excerpt.csv").read_text().splitlines()) - 1
    assert rows["nmc"] == str(expected)
    assert rows["cameo_event_codes"] == "311"
    assert rows["sources"] == "1"


def test_sql_is_read_only(db: Path) -> None:
    _run("import", "tiv", DATA / "sipri" / "tiv-exports-1990-2023-excerpt.csv", "--db", db)
    code, out, _ = _run(
        "sql", "SELECT country_id, tiv FROM tiv WHERE country = 'North Korea' AND year = 1991",
        "--csv", "--db", db,
    )  # fmt: skip
    assert code == 0 and out.splitlines() == ["country_id,tiv", "PRK,84.0"]
    code, out, err = _run("sql", "DELETE FROM tiv", "--db", db)
    assert code == 2 and "read-only" in err and len(err.strip().splitlines()) == 1
    code, out, err = _run("sql", "SELECT * FROM nowhere", "--db", db)
    assert code == 2 and "SQL error" in err and "Traceback" not in err
    code, out, _ = _run("sql", "SELECT count(*) AS n FROM tiv", "--csv", "--db", db)
    lines = (DATA / "sipri" / "tiv-exports-1990-2023-excerpt.csv").read_text().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("Exports by,"))
    countries = [line for line in lines[header + 1 :] if line]
    assert out.splitlines()[1] == str(len(countries) * 34)  # 34 years each, nothing deleted


def test_dyad_prints_and_writes_csv(db: Path, tmp_path: Path) -> None:
    _run("import", "gdelt", DATA / "gdelt" / "20191024143000.export.CSV", "--db", db)
    out_csv = tmp_path / "usa-chn.csv"
    code, out, _ = _run(
        "dyad", "USA", "CHN", "--from", "2019-10-20", "--to", "2019-10-26", "--freq", "day",
        "--out", out_csv, "--db", db,
    )  # fmt: skip
    assert code == 0
    assert "USA <-> CHN" in out and "2019-10-24" in out
    frame = pd.read_csv(out_csv)
    assert len(frame) == 7
    assert frame.columns[:4].tolist() == ["period", "events", "mentions", "tension"]
    assert frame.set_index("period").loc["2019-10-24", "events"] > 0
    code, out, _ = _run(
        "dyad", "RUS", "KOR", "--from", "2023-01-01", "--to", "2024-12-31", "--freq", "month",
        "--db", db,
    )  # fmt: skip
    assert code == 0 and "24 periods, 0 with events" in out


def test_dyad_errors_are_one_line(db: Path) -> None:
    _run("import", "gdelt", DATA / "gdelt" / "20191024143000.export.CSV", "--db", db)
    code, _, err = _run(
        "dyad", "RUS", "QQQ", "--from", "2023-01-01", "--to", "2023-02-01", "--db", db
    )
    assert code == 2 and "unknown actor 'QQQ'" in err
    code, _, err = _run(
        "dyad",
        "RUS",
        "KOR",
        "--from",
        "2023-01-01",
        "--to",
        "2023-02-01",
        "--db",
        db,
        "--freq",
        "week",
    )
    assert code == 2 and "Traceback" not in err
    code, _, err = _run("tables", "--db", db.parent / "missing.duckdb")
    assert code == 2 and "no database" in err


def test_unknown_kind_is_one_line(db: Path) -> None:
    code, out, err = _run("import", "sipro", DATA / "sipri" / "trade-register-new-excerpt.csv")
    assert code == 2 and out == ""
    assert err.strip() == "error: unknown kind 'sipro'; choose sipri, tiv, gdelt, nmc"


def test_dyad_does_not_overwrite_a_file(db: Path, tmp_path: Path) -> None:
    _run("import", "gdelt", DATA / "gdelt" / "20191024143000.export.CSV", "--db", db)
    keep = tmp_path / "keep.csv"
    keep.write_text("precious\n")
    code, _, err = _run("dyad", "USA", "CHN", "--from", "2019-10-20", "--to", "2019-10-26", "--out", keep,
                        "--db", db)
    assert code == 2
    said = "does not overwrite files, choose another name"
    assert err.strip() == f"error: {keep} exists; spillover data dyad {said}"
    assert keep.read_text() == "precious\n"
