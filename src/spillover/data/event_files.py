"""GDELT events kept as Parquet files beside the store, behind the ``gdelt_events`` view.

An export of at least :data:`EVENT_FILE_BYTES` (unzipped) is written to its own Parquet
file in the folder ``<database file>.events`` next to the database, and listed in
``gdelt_event_files``; smaller exports (a 15-minute export is about 1 MB) go into the
table ``gdelt_event_rows``, so that a year of them does not become 35,000 small files.
``gdelt_events`` is the view over both; queries never need to know where a row lives.

Why Parquet for large files: writing a million events with pyarrow costs about a third of
the CPU time DuckDB needs to insert and compress them (see ``docs/data.md``), and the
files are smaller.

The file is part of the import's transaction: it is written under a temporary name,
given its final name just before the commit, and deleted if the commit does not happen
(:func:`kept_if_committed`). A crash between the two leaves a file no row lists; the next
writable :func:`~spillover.data.store.open_store` deletes it (:func:`tidy`). The view
names the files by absolute path; when the store has moved, opening it points the view
at the new place (a temporary view on a read-only connection).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from spillover.data.errors import StoreError
from spillover.data.gdelt_tables import GDELT_EVENT_COLUMNS

__all__ = [
    "EVENT_FILE_BYTES",
    "EVENT_SCHEMA",
    "EventFileWriter",
    "create_view",
    "event_file_path",
    "events_dir",
    "kept_if_committed",
    "refresh_view",
    "tidy",
    "view_sql",
]

#: Exports at least this large (bytes, unzipped) are stored as a Parquet file.
EVENT_FILE_BYTES = 64 * 2**20
_ROW_GROUP = 65_536  # rows per Parquet row group (two blocks of work for a DuckDB scan thread)
_WRITE_BUFFER = 2**20  # bytes buffered before a write to the file
_PARTIAL = ".partial"
_VIEW_META = "gdelt_events_dir"  # meta key: the folder the persistent view points at

_ARROW_TYPES = {
    "INTEGER": pa.int32(),
    "BIGINT": pa.int64(),
    "TINYINT": pa.int8(),
    "DATE": pa.date32(),
    "VARCHAR": pa.string(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
    "TIMESTAMP": pa.timestamp("us"),
}

#: The Arrow schema of an event file (the columns of ``gdelt_events``, in order).
EVENT_SCHEMA = pa.schema(
    [pa.field(name, _ARROW_TYPES[kind], not required) for name, kind, required in GDELT_EVENT_COLUMNS]
)

#: Columns dictionary-encoded: all but the event id, which is unique (building a
#: dictionary for it would be wasted work).
_DICTIONARY = [name for name in EVENT_SCHEMA.names if name != "global_event_id"]
#: Columns with min/max statistics in the files (what queries filter on); computing them
#: for the text columns would cost a fifth of the writing time.
_STATISTICS = [
    "source_id", "global_event_id", "event_date", "actor1_id", "actor2_id", "event_code",
    "event_root_code", "quad_class", "date_added",
]  # fmt: skip


def events_dir(db_path: Path) -> Path:
    """The folder of a store's event files: ``<database file>.events`` beside it."""
    return db_path.parent / f"{db_path.name}.events"


def event_file_path(db_path: Path, source_id: int) -> Path:
    """Where the events of source ``source_id`` are written."""
    return events_dir(db_path) / f"source-{int(source_id):06d}.parquet"


@dataclass
class EventFileWriter:
    """Write checked event blocks to one Parquet file, in row groups of 65,536 rows.

    Row groups are encoded and written on a thread of their own, one at a time, while
    the caller goes on parsing. The file is written as ``<path>.partial`` and renamed
    to ``path`` by :meth:`finish`, once it is on disk (``fsync``).

    Parameters
    ----------
    path : pathlib.Path
        The final file name.
    source_id : int
        Written into the ``source_id`` column.
    """

    path: Path
    source_id: int
    rows: int = field(default=0, init=False)
    _pending: list[pa.Table] = field(default_factory=list, init=False, repr=False)
    _pending_rows: int = field(default=0, init=False, repr=False)
    _writer: pq.ParquetWriter | None = field(default=None, init=False, repr=False)
    _sink: pa.NativeFile | None = field(default=None, init=False, repr=False)
    _thread: ThreadPoolExecutor | None = field(default=None, init=False, repr=False)
    _writing: Future[None] | None = field(default=None, init=False, repr=False)

    @property
    def partial(self) -> Path:
        return self.path.with_name(self.path.name + _PARTIAL)

    def add(self, table: pa.Table) -> None:
        """Add a block: the ``gdelt_events`` columns without ``source_id``."""
        if not table.num_rows:
            return
        self._pending.append(table)
        self._pending_rows += table.num_rows
        if self._pending_rows >= _ROW_GROUP:
            self._flush()

    def flush(self) -> int:
        """Start writing what is left (without waiting for it); returns all rows added."""
        self._flush()
        return self.rows

    def finish(self) -> int:
        """Write what is left, close the file and give it its final name; returns rows."""
        self._flush()
        self._wait()
        if self._writer is None:  # no valid rows: an empty file keeps the view simple
            self._open()
        self._close()
        with open(self.partial, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(self.partial, self.path)
        _sync_dir(self.path.parent)
        return self.rows

    def discard(self) -> None:
        """Stop writing and delete whatever was written."""
        with suppress(Exception):  # what went wrong in the writing no longer matters
            self._wait()
        with suppress(OSError):
            self._close()
        for path in (self.partial, self.path):
            path.unlink(missing_ok=True)

    def _open(self) -> pq.ParquetWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # buffered: the writer's many small writes become a few large ones
        self._sink = pa.output_stream(self.partial, buffer_size=_WRITE_BUFFER)
        self._writer = pq.ParquetWriter(
            self._sink,
            EVENT_SCHEMA,
            compression="zstd",
            use_dictionary=_DICTIONARY,
            write_statistics=_STATISTICS,
        )
        return self._writer

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._sink is not None:
            self._sink.close()
            self._sink = None
        if self._thread is not None:
            self._thread.shutdown()
            self._thread = None

    def _wait(self) -> None:
        if self._writing is not None:
            writing, self._writing = self._writing, None
            writing.result()

    def _flush(self) -> None:
        if not self._pending:
            return
        block = pa.concat_tables(self._pending)
        self._pending, self._pending_rows = [], 0
        ids = pa.nulls(block.num_rows, pa.int32()).fill_null(self.source_id)
        block = block.add_column(0, "source_id", ids).select(EVENT_SCHEMA.names)
        block = block.cast(EVENT_SCHEMA)
        self._wait()  # one row group in the writing at a time bounds the memory
        if self._thread is None:
            self._thread = ThreadPoolExecutor(1, thread_name_prefix="gdelt-parquet")
        self._writing = self._thread.submit(self._write, block)
        self.rows += block.num_rows

    def _write(self, block: pa.Table) -> None:
        writer = self._writer or self._open()
        writer.write_table(block, row_group_size=_ROW_GROUP)


def _sync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (where the platform allows it)."""
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def kept_if_committed() -> Iterator[list[EventFileWriter]]:
    """Delete the event files written in the block unless it ends without an exception.

    Wrap the import's transaction (commit included) in it and append every writer.
    """
    written: list[EventFileWriter] = []
    try:
        yield written
    except BaseException:
        for writer in written:
            writer.discard()
        raise


def _listed(con: duckdb.DuckDBPyConnection) -> list[str]:
    found = con.execute("SELECT file_name FROM gdelt_event_files ORDER BY source_id")
    return [row[0] for row in found.fetchall()]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def view_sql(files: list[Path], *, temporary: bool = False) -> str:
    """``CREATE OR REPLACE [TEMP] VIEW gdelt_events``: the rows table and ``files``."""
    names = ", ".join(name for name, _, _ in GDELT_EVENT_COLUMNS)
    kind = "TEMP VIEW" if temporary else "VIEW"
    sql = f"CREATE OR REPLACE {kind} gdelt_events AS SELECT {names} FROM gdelt_event_rows"
    if files:
        paths = ", ".join(_literal(str(path)) for path in files)
        sql += f" UNION ALL SELECT {names} FROM read_parquet([{paths}])"
    return sql


def create_view(con: duckdb.DuckDBPyConnection, db_path: Path) -> None:
    """(Re)create the persistent ``gdelt_events`` view (inside the caller's transaction)."""
    folder = events_dir(db_path.resolve())
    con.execute(view_sql([folder / name for name in _listed(con)]))
    con.execute(
        "INSERT INTO meta VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [_VIEW_META, str(folder)],
    )


def refresh_view(con: duckdb.DuckDBPyConnection, db_path: Path, *, read_only: bool) -> None:
    """Point ``gdelt_events`` at the event files where the store is now.

    Raises :class:`~spillover.data.errors.StoreError` when a listed file is missing.
    """
    folder = events_dir(db_path.resolve())
    names = _listed(con)
    missing = [name for name in names if not (folder / name).is_file()]
    if missing:
        raise StoreError(
            f"{len(missing)} GDELT event file(s) of {db_path} are missing from {folder} "
            f"(first: {missing[0]}); the folder must stay beside the database: restore it, "
            "or move the database back next to it"
        )
    stored = con.execute("SELECT value FROM meta WHERE key = ?", [_VIEW_META]).fetchall()
    if not names or (stored and stored[0][0] == str(folder)):
        return
    if read_only:
        con.execute(view_sql([folder / name for name in names], temporary=True))
    else:
        con.execute("BEGIN TRANSACTION")
        create_view(con, db_path)
        con.execute("COMMIT")


def tidy(con: duckdb.DuckDBPyConnection, db_path: Path) -> list[Path]:
    """Delete event files that no row lists (left by a crash mid-import); returns them."""
    folder = events_dir(db_path.resolve())
    if not folder.is_dir():
        return []
    listed = set(_listed(con))
    removed = []
    for path in folder.iterdir():
        if path.name.startswith("source-") and path.name not in listed:
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
