"""The DuckDB store: location, schema, tables(), the read-only query path."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from spillover import data
from spillover.data.schema import TABLE_DOCS
from spillover.data.store import default_db_path

DATA = Path(__file__).parent / "data"


def test_default_path_prefers_spillover_db_then_xdg_then_home(tmp_path: Path) -> None:
    explicit = tmp_path / "mine.duckdb"
    assert default_db_path({"SPILLOVER_DB": str(explicit), "XDG_DATA_HOME": "/x"}) == explicit
    xdg = default_db_path({"XDG_DATA_HOME": str(tmp_path)})
    assert xdg == tmp_path / "spillover" / "spillover.duckdb"
    home = default_db_path({})
    assert home == Path("~/.local/share/spillover/spillover.duckdb").expanduser()
    assert default_db_path({"SPILLOVER_DB": ""}) == home


def test_open_store_uses_environment_when_no_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SPILLOVER_DB", str(tmp_path / "env" / "db.duckdb"))
    with data.open_store() as store:
        assert store.path == tmp_path / "env" / "db.duckdb"
    assert (tmp_path / "env" / "db.duckdb").exists()


def test_new_store_has_every_documented_table_and_the_cameo_lookups(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with data.open_store(db):
        pass
    frame = data.tables(db)
    assert list(frame["table"]) == list(TABLE_DOCS)
    counts = dict(zip(frame["table"], frame["rows"], strict=True))
    assert counts["cameo_event_codes"] == 311
    assert counts["cameo_actor_types"] == 39  # 40 lines in CAMEO.type.txt, UIS listed twice
    assert counts["sources"] == counts["gdelt_events"] == 0
    with data.open_store(db):  # reopening neither fails nor duplicates the lookups
        pass
    assert data.tables(db).set_index("table").loc["cameo_event_codes", "rows"] == 311


def test_query_is_read_only_and_refuses_writes_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "q.duckdb"
    with data.open_store(db) as store:
        data.import_file(store, "nmc", DATA / "cow" / "NMC-60-abridged-excerpt.csv")
    lines = (DATA / "cow" / "NMC-60-abridged-excerpt.csv").read_text().splitlines()[1:]
    in_2016 = sum(1 for line in lines if line.split(",")[2] == "2016")
    frame = data.query("SELECT count(*) AS n FROM nmc WHERE year = 2016", db)
    assert frame["n"].tolist() == [in_2016]
    writes = [
        "DELETE FROM nmc",
        "INSERT INTO meta VALUES ('x', 'y')",
        "CREATE TABLE t (a INTEGER)",
        "DROP TABLE nmc",
        f"COPY nmc TO '{tmp_path / 'out.csv'}'",
        f"ATTACH '{tmp_path / 'other.duckdb'}' AS other",
        "SET threads = 1",
        "SELECT 1; UPDATE nmc SET year = 0",
    ]
    for sql in writes:
        with pytest.raises(data.ReadOnlyQueryError) as info:
            data.query(sql, db)
        assert "\n" not in str(info.value)
        assert "read-only" in str(info.value)
    assert not (tmp_path / "out.csv").exists()
    assert not (tmp_path / "other.duckdb").exists()
    assert data.query("SELECT count(*) AS n FROM nmc", db)["n"].tolist() == [len(lines)]


def test_query_errors_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "e.duckdb"
    with data.open_store(db):
        pass
    with pytest.raises(data.StoreError) as info:
        data.query("SELECT * FROM no_such_table", db)
    assert str(info.value).startswith("SQL error:")
    assert "\n" not in str(info.value)
    with pytest.raises(data.StoreError, match="no database"):
        data.query("SELECT 1", tmp_path / "missing.duckdb")


def test_read_only_connection_really_is_read_only(tmp_path: Path) -> None:
    db = tmp_path / "r.duckdb"
    with data.open_store(db):
        pass
    with data.open_store(db, read_only=True) as store, pytest.raises(duckdb.Error):
        store.con.execute("CREATE TABLE t (a INTEGER)")


def test_not_a_database_is_a_readable_error(tmp_path: Path) -> None:
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("this is not a database\n" * 100)
    with pytest.raises(data.StoreError, match="cannot open database"):
        data.open_store(bogus)
