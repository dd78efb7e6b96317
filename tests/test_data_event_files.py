"""Large GDELT exports stored as Parquet files beside the store, behind ``gdelt_events``."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from spillover import data
from spillover.data import event_files, gdelt, gdelt_blocks, importer
from spillover.data.schema import GDELT_EVENT_COLUMNS

EXPORT = Path(__file__).parent / "data" / "gdelt" / "20191024143000.export.CSV"
ROWS = 163  # events in the excerpt


@pytest.fixture
def as_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """Store every export as an event file, whatever its size."""
    monkeypatch.setattr(event_files, "EVENT_FILE_BYTES", 0)


def _damaged(tmp_path: Path) -> Path:
    lines = EXPORT.read_bytes().split(b"\n")[:-1]
    fields = lines[3].split(b"\t")
    fields[31] = b"many"
    lines[3] = b"\t".join(fields)
    lines[10] = lines[10] + b"\textra"
    path = tmp_path / "damaged" / EXPORT.name
    path.parent.mkdir()
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _everything(store: data.Store) -> dict[str, pd.DataFrame]:
    con = store.con
    return {
        "events": con.execute("SELECT * FROM gdelt_events ORDER BY global_event_id").df(),
        "rejected": con.execute("SELECT * FROM rejected_rows ORDER BY line").df(),
        "actors": con.execute("SELECT * FROM actor_names ORDER BY scheme, name").df(),
        "sources": con.execute(
            "SELECT kind, format, sha256, rows_imported, rows_rejected, unmapped_names "
            "FROM sources"
        ).df(),
        "dyad": _dyad(store),
    }


def _dyad(store: data.Store) -> pd.DataFrame:
    with pytest.warns(data.CoverageWarning):  # the exports cover one day of the month
        return data.dyad_series(store, "USA", "CHN", "2019-10-01", "2019-10-31")


def test_an_event_file_holds_exactly_what_the_rows_table_would(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export = _damaged(tmp_path)
    with data.open_store(tmp_path / "rows.duckdb") as store:
        data.import_file(store, "gdelt", export)
        in_rows = _everything(store)
        assert store.con.execute("SELECT count(*) FROM gdelt_event_rows").fetchall() == [
            (ROWS - 2,)
        ]
    monkeypatch.setattr(event_files, "EVENT_FILE_BYTES", 0)
    monkeypatch.setattr(event_files, "_ROW_GROUP", 40)  # several row groups
    with data.open_store(tmp_path / "files.duckdb") as store:
        result = data.import_file(store, "gdelt", export)
        in_files = _everything(store)
        listed = store.con.execute("SELECT * FROM gdelt_event_files").fetchall()
        assert store.con.execute("SELECT count(*) FROM gdelt_event_rows").fetchall() == [(0,)]
    assert (result.rows_imported, result.rows_rejected) == (ROWS - 2, 2)
    for name, frame in in_rows.items():
        pd.testing.assert_frame_equal(frame, in_files[name], obj=name)
    path = event_files.event_file_path(tmp_path / "files.duckdb", result.source_id)
    assert path.parent.name == "files.duckdb.events"
    assert listed == [(result.source_id, path.name, ROWS - 2, path.stat().st_size)]
    parquet = pq.ParquetFile(path)
    assert parquet.metadata.num_rows == ROWS - 2 and parquet.metadata.num_row_groups == 5
    assert parquet.schema_arrow.names == [name for name, _, _ in GDELT_EVENT_COLUMNS]
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # no partial file


def test_the_view_keeps_the_table_types(tmp_path: Path, as_files: None) -> None:
    with data.open_store(tmp_path / "t.duckdb") as store:
        data.import_file(store, "gdelt", EXPORT)
        described = store.con.execute("DESCRIBE gdelt_events").fetchall()
    assert [(row[0], row[1]) for row in described] == [
        (name, kind) for name, kind, _ in GDELT_EVENT_COLUMNS
    ]


def test_small_and_large_exports_mix_in_one_view(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    second = tmp_path / "second" / EXPORT.name
    second.parent.mkdir()
    second.write_bytes(  # other events: other ids (the same id and date is the same event)
        b"".join(b"1" + line for line in EXPORT.read_bytes().splitlines(keepends=True))
    )
    with data.open_store(tmp_path / "m.duckdb") as store:
        data.import_file(store, "gdelt", EXPORT)  # into gdelt_event_rows
        monkeypatch.setattr(event_files, "EVENT_FILE_BYTES", 0)
        data.import_file(store, "gdelt", second)  # into an event file
        again = data.import_file(store, "gdelt", second)
        counts = store.con.execute(
            "SELECT source_id, count(*) FROM gdelt_events GROUP BY ALL ORDER BY 1"
        ).fetchall()
        files = store.con.execute("SELECT count(*) FROM gdelt_event_files").fetchall()
    assert again.already_imported and files == [(1,)]
    assert counts == [(1, ROWS), (2, ROWS)]


def test_an_interrupted_import_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_files: None
) -> None:
    monkeypatch.setattr(gdelt_blocks, "BLOCK_BYTES", 10_000)
    monkeypatch.setattr(event_files, "_ROW_GROUP", 20)  # row groups written before the stop
    loaded: list[memoryview] = []

    def interrupted(block: memoryview, now: datetime) -> object:
        if len(loaded) == 6:
            raise KeyboardInterrupt
        loaded.append(block)
        return gdelt_blocks.load_block(block, now)

    db = tmp_path / "i.duckdb"
    with data.open_store(db) as store:
        monkeypatch.setattr(gdelt, "load_block", interrupted)
        with pytest.raises(KeyboardInterrupt):
            data.import_file(store, "gdelt", EXPORT)
        monkeypatch.setattr(gdelt, "load_block", gdelt_blocks.load_block)
        counts = data.tables(store).set_index("table")["rows"]
        assert counts[["sources", "gdelt_events", "gdelt_event_files", "rejected_rows"]].sum() == 0
        assert list(event_files.events_dir(db).iterdir()) == []
        assert data.import_file(store, "gdelt", EXPORT).rows_imported == ROWS


def test_a_failed_commit_deletes_the_finished_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, as_files: None
) -> None:
    def refused(*args: object) -> None:
        raise duckdb.IOException("disk full")

    monkeypatch.setattr(importer, "_record_source", refused)
    db = tmp_path / "c.duckdb"
    with data.open_store(db) as store:
        with pytest.raises(duckdb.IOException):
            data.import_file(store, "gdelt", EXPORT)
        assert store.con.execute("SELECT count(*) FROM gdelt_events").fetchall() == [(0,)]
    assert list(event_files.events_dir(db).iterdir()) == []


def test_files_left_by_a_crash_are_removed_on_the_next_writable_open(
    tmp_path: Path, as_files: None
) -> None:
    db = tmp_path / "o.duckdb"
    with data.open_store(db) as store:
        kept = event_files.event_file_path(db, data.import_file(store, "gdelt", EXPORT).source_id)
    folder = event_files.events_dir(db)
    stray = [folder / "source-000002.parquet", folder / "source-000003.parquet.partial"]
    for path in stray:
        shutil.copy(kept, path)
    data.open_store(db, read_only=True).close()  # a reader never deletes anything
    assert all(path.exists() for path in stray)
    with data.open_store(db) as store:
        assert store.con.execute("SELECT count(*) FROM gdelt_events").fetchall() == [(ROWS,)]
    assert sorted(folder.iterdir()) == [kept]


def test_a_moved_store_finds_its_files(tmp_path: Path, as_files: None) -> None:
    before = tmp_path / "before" / "s.duckdb"
    before.parent.mkdir()
    with data.open_store(before) as store:
        data.import_file(store, "gdelt", EXPORT)
    after = tmp_path / "after"
    shutil.move(before.parent, after)
    count = "SELECT count(*) FROM gdelt_events"
    assert data.query(count, after / "s.duckdb").iloc[0, 0] == ROWS  # read-only: a temp view
    with data.open_store(after / "s.duckdb") as store:  # writable: the view is rebuilt
        assert store.con.execute(count).fetchall() == [(ROWS,)]
        sql = store.con.execute(
            "SELECT sql FROM duckdb_views() WHERE view_name = 'gdelt_events'"
        ).fetchall()[0][0]
    assert str(after.resolve()) in sql and str(tmp_path / "before") not in sql


def test_a_missing_event_file_is_a_readable_error(tmp_path: Path, as_files: None) -> None:
    db = tmp_path / "x.duckdb"
    with data.open_store(db) as store:
        data.import_file(store, "gdelt", EXPORT)
    shutil.rmtree(event_files.events_dir(db))
    for read_only in (True, False):
        with pytest.raises(data.StoreError, match=r"1 GDELT event file\(s\) .* missing .*source-000001"):
            data.open_store(db, read_only=read_only)


def test_a_schema_1_store_is_migrated(tmp_path: Path) -> None:
    db = tmp_path / "old.duckdb"
    columns = ", ".join(
        f"{name} {kind}{' NOT NULL' if required else ''}"
        for name, kind, required in GDELT_EVENT_COLUMNS
    )
    with duckdb.connect(str(db)) as con:
        con.execute("CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
        con.execute(f"CREATE TABLE gdelt_events ({columns})")
        con.execute(
            "INSERT INTO gdelt_events (source_id, global_event_id, event_date, event_code, "
            "quad_class, goldstein_scale, num_mentions, date_added) "
            "VALUES (1, 7, DATE '2019-10-24', '010', 1, 0.0, 3, TIMESTAMP '2019-10-24 14:30:00')"
        )
    with data.open_store(db, read_only=True) as store:  # a reader sees the old table as it is
        assert store.con.execute("SELECT global_event_id FROM gdelt_events").fetchall() == [(7,)]
    with data.open_store(db) as store:
        con = store.con
        assert con.execute("SELECT global_event_id FROM gdelt_events").fetchall() == [(7,)]
        assert con.execute("SELECT count(*) FROM gdelt_event_rows").fetchall() == [(1,)]
        kinds = con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_name LIKE 'gdelt_event%' ORDER BY 1"
        ).fetchall()
        version = con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchall()
    assert kinds == [
        ("gdelt_event_files", "BASE TABLE"),
        ("gdelt_event_rows", "BASE TABLE"),
        ("gdelt_events", "VIEW"),
    ]
    assert version == [("3",)]


def test_an_export_with_no_valid_row_gives_an_empty_event_file(
    tmp_path: Path, as_files: None
) -> None:
    lines = EXPORT.read_bytes().split(b"\n")[:20]
    unknown = [b"\t".join([*line.split(b"\t")[:26], b"999", *line.split(b"\t")[27:]]) for line in lines]
    export = tmp_path / EXPORT.name
    export.write_bytes(b"\n".join(unknown) + b"\n")
    with data.open_store(tmp_path / "e.duckdb") as store:
        result = data.import_file(store, "gdelt", export)
        files = store.con.execute("SELECT rows FROM gdelt_event_files").fetchall()
    assert (result.rows_imported, result.rows_rejected, files) == (0, 20, [(0,)])
    assert data.query("SELECT count(*) AS n FROM gdelt_events", tmp_path / "e.duckdb").n[0] == 0
