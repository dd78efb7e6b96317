"""GDELT 2.0 event exports (61 tab-separated columns, no header) -> ``gdelt_events``.

The file is read once, in blocks of whole lines (:mod:`spillover.data.gdelt_blocks`),
hashing the bytes on the way. Blocks are parsed by pyarrow (only the stored columns are
converted) and checked with vectorised pyarrow and numpy code
(:mod:`spillover.data.gdelt_checks`) on two worker threads. The checked blocks go to
a Parquet file for a large export (:mod:`spillover.data.event_files`), or else into
``gdelt_event_rows`` by one DuckDB ``INSERT`` that reads them as an Arrow stream, inside
the caller's transaction. Memory stays bounded: only a few blocks are in flight at any
time.

Rows that cannot be stored go to ``rejected_rows`` with their physical line number, the
reason and the line's text. An event is identified by its GLOBALEVENTID and SQLDATE
(:mod:`spillover.data.gdelt_keys`): a row repeating an earlier row of the file is
quarantined (the first stays); an event the store already holds, from any earlier
export however packaged, is not stored again and is counted as a duplicate.

Only the columns analysis needs are stored (see ``docs/data.md``); the full row stays in
the source file, identified by ``sources.sha256`` and ``global_event_id``.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from itertools import chain
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spillover.data import event_files
from spillover.data.countries import resolve_names
from spillover.data.event_files import EventFileWriter
from spillover.data.files import Fingerprint, fingerprint, unpacked
from spillover.data.format import Format, LoadJob, Progress, head_lines
from spillover.data.gdelt_blocks import BlockReader, LoadedBlock, keep_rows, line_texts, load_block
from spillover.data.gdelt_columns import GDELT_COLUMNS, STORED
from spillover.data.gdelt_keys import FileKeys, StoredKeys, key_label
from spillover.data.gdelt_tables import TABLES
from spillover.data.import_result import ImportResult
from spillover.data.inserts import actor_notes, record_actors
from spillover.data.rejects import RejectSpool, store_rejects

__all__ = [
    "FORMAT",
    "GDELT_COLUMNS",
    "Coverage",
    "GdeltLoad",
    "Progress",
    "detect",
    "load_export",
    "load_gdelt",
]

_WORKERS = 2  # parsing threads (pyarrow releases the GIL)
_AHEAD = 3  # blocks parsed ahead of the one being stored
_VIEW = "_spillover_gdelt_block"


@dataclass
class Coverage:
    """What the stored events of one export span (a row of ``gdelt_coverage``)."""

    events: int = 0
    first_event_id: int | None = None
    last_event_id: int | None = None
    first_event_date: object = None
    last_event_date: object = None
    first_added: object = None
    last_added: object = None

    def update(self, table: pa.Table) -> None:
        """Widen the span by the rows of a block."""
        if not table.num_rows:
            return
        self.events += table.num_rows
        for name, first, last in (
            ("global_event_id", "first_event_id", "last_event_id"),
            ("event_date", "first_event_date", "last_event_date"),
            ("date_added", "first_added", "last_added"),
        ):
            span = pc.min_max(table.column(name)).as_py()
            low, high = getattr(self, first), getattr(self, last)
            setattr(self, first, span["min"] if low is None else min(low, span["min"]))
            setattr(self, last, span["max"] if high is None else max(high, span["max"]))

    def row(self, source_id: int) -> list[object]:
        """The ``gdelt_coverage`` row of source ``source_id``."""
        return [
            source_id, self.events, self.first_event_id, self.last_event_id,
            self.first_event_date, self.last_event_date, self.first_added, self.last_added,
        ]  # fmt: skip


@dataclass(frozen=True)
class GdeltLoad:
    """Outcome of :func:`load_gdelt`.

    Attributes
    ----------
    inserted : int
        Events written to ``gdelt_events``.
    rejected : int
        Rows written to ``rejected_rows``.
    duplicates : int
        Rows already in the store: events an earlier export stored, and bad rows an
        earlier import quarantined alike (neither is written again).
    duplicate_sources : tuple of int
        The sources holding the events counted in ``duplicates``.
    generated_at : datetime or None
        Publication time from a ``YYYYMMDDHHMMSS.export.CSV`` file name.
    fingerprint : Fingerprint
        sha256 (empty unless asked for), size and lines of the file that was read.
    country_codes : tuple of str
        The distinct actor country codes of the stored events, sorted.
    coverage : Coverage
        What the stored events span.
    """

    inserted: int
    rejected: int
    duplicates: int
    duplicate_sources: tuple[int, ...]
    generated_at: datetime | None
    fingerprint: Fingerprint
    country_codes: tuple[str, ...]
    coverage: Coverage


def load_gdelt(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source_id: int,
    file_name: str,
    *,
    hash_bytes: bool = True,
    events: EventFileWriter | None = None,
    progress: Progress | None = None,
) -> GdeltLoad:
    """Store one GDELT export's events (call inside a transaction).

    The valid rows are inserted into ``gdelt_event_rows``, or written by ``events`` to
    a Parquet file (see :mod:`spillover.data.event_files`); rejected rows go to
    ``rejected_rows`` either way, and the span of the events to ``gdelt_coverage``.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Store connection with an open transaction.
    path : pathlib.Path
        The plain (unzipped) export file.
    source_id : int
        ``sources.source_id`` the rows belong to.
    file_name : str
        Name recorded in ``rejected_rows``.
    hash_bytes : bool, default True
        Compute the sha256 of ``path`` while reading it.
    events : EventFileWriter, optional
        Write the events to this Parquet file instead of inserting them. On return its
        last row group may still be being written: the caller finishes the file
        (:meth:`EventFileWriter.finish`), meanwhile doing its own work.
    progress : callable, optional
        Called as ``progress(bytes read, bytes in the file)`` after each block is read.

    Returns
    -------
    GdeltLoad
    """
    # blocks in flight: _AHEAD + 1 pending, one being read, one spare
    reader = BlockReader(path, hash_bytes=hash_bytes, buffers=_AHEAD + 3)
    read = _reporting(reader, path.stat().st_size, progress)
    with RejectSpool() as spool:
        seen = _Seen(spool, StoredKeys(con))
        try:
            inserted = _store_events(con, source_id, read, seen, events)
        finally:
            seen.stored.close()
        printed = reader.fingerprint(seen.first_line - 1)
        cut = None if printed.ends_with_newline else printed.lines
        rejected = store_rejects(
            con, spool.reader(), source_id=source_id, file_name=file_name, kind="gdelt",
            truncated_line=cut,
        ) if len(spool) else 0  # fmt: skip
        again = len(spool) - rejected  # bad rows an earlier import quarantined alike
    con.execute("INSERT INTO gdelt_coverage VALUES (?, ?, ?, ?, ?, ?, ?, ?)", seen.coverage.row(source_id))
    codes = tuple(sorted(seen.codes))
    return GdeltLoad(
        inserted, rejected, seen.duplicates + again, tuple(sorted(seen.held_by)),
        _generated_at(file_name), printed, codes, seen.coverage,
    )  # fmt: skip


def _store_events(
    con: duckdb.DuckDBPyConnection,
    source_id: int,
    read: Iterator[memoryview],
    seen: _Seen,
    events: EventFileWriter | None,
) -> int:
    """Parse, check and store the blocks; returns the events stored."""
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="gdelt") as pool:
        tables = _tables(read, pool, datetime.now(), seen)
        if events is not None:
            for table in tables:
                events.add(table)
            return events.flush()
        first = next(tables, None)
        if first is None:
            return 0
        stream = pa.RecordBatchReader.from_batches(
            first.schema, (b for t in chain([first], tables) for b in t.to_batches())
        )
        try:
            return _insert(con, source_id, stream)
        except duckdb.Error:
            if seen.failure is not None:  # DuckDB words it as a stream error
                raise seen.failure from None
            raise


def _reporting(
    reader: BlockReader, size: int, progress: Progress | None
) -> Iterator[memoryview]:
    """The reader's blocks, telling ``progress`` how far the reading has got."""
    for data in reader:
        if progress is not None:
            progress(reader.size, size)
        yield data


@dataclass
class _Seen:
    """Lines seen, rows rejected and events kept so far, block by block in file order."""

    spool: RejectSpool
    stored: StoredKeys
    first_line: int = 1
    keys: FileKeys = field(default_factory=FileKeys)
    codes: set[str] = field(default_factory=set)
    duplicates: int = 0  # events the store holds already
    held_by: set[int] = field(default_factory=set)  # the sources holding them
    coverage: Coverage = field(default_factory=Coverage)
    failure: BaseException | None = None  # what stopped the blocks (e.g. Ctrl-C)

    def add(self, block: LoadedBlock) -> pa.Table:
        base = self.first_line
        self.spool.add((base + n, why, text) for n, why, text in block.rejected)
        table, earlier = self._new_events(block, base)
        self.spool.add(  # a repeat of a row that repeats an earlier block names the first
            (base + line, _repeat(earlier.get(first, base + first), key), text)
            for line, first, key, text in block.repeats
        )
        self.first_line += block.lines
        self.codes.update(block.country_codes)
        self.coverage.update(table)
        return table

    def _new_events(self, block: LoadedBlock, base: int) -> tuple[pa.Table, dict[int, int]]:
        """The block's events that neither an earlier line nor the store holds, and for
        the rows repeating an earlier block: their line in the block -> the earlier line."""
        keys, lines = block.keys, block.key_lines + base
        drop = np.zeros(len(keys), dtype=bool)
        rows, firsts = self.keys.find(keys)
        earlier: dict[int, int] = {}
        if len(rows):  # repeats of an earlier block: quarantined
            texts = line_texts(block.data, block.key_lines[rows])
            self.spool.add(
                (int(lines[row]), _repeat(int(first), int(keys[row])), text)
                for row, first, text in zip(rows, firsts, texts, strict=True)
            )
            earlier = dict(zip(block.key_lines[rows].tolist(), firsts.tolist(), strict=True))
            drop[rows] = True
        order = block.key_order[~drop[block.key_order]]
        self.keys.add(keys[order], lines[order])
        stored, held = self.stored.find(keys)
        stored = stored[~drop[stored]]
        if len(stored):  # in the store already: counted, not stored again
            self.duplicates += len(stored)
            self.held_by |= held
            drop[stored] = True
        table = keep_rows(block.table, ~drop) if drop.any() else block.table
        return table, earlier


def _repeat(first: int, key: int) -> str:
    return f"repeats the event on line {first} ({key_label(key)})"


def _tables(
    blocks: Iterator[memoryview], pool: ThreadPoolExecutor, now: datetime, seen: _Seen
) -> Iterator[pa.Table]:
    """Checked blocks in file order, a few parsed ahead on the pool's threads."""
    pending: deque[Future[LoadedBlock]] = deque()
    try:
        for data in blocks:
            pending.append(pool.submit(load_block, data, now))
            if len(pending) > _AHEAD:
                yield seen.add(pending.popleft().result())
        while pending:
            yield seen.add(pending.popleft().result())
    except BaseException as exc:
        seen.failure = exc
        raise
    finally:
        for future in pending:
            future.cancel()


def _insert(con: duckdb.DuckDBPyConnection, source_id: int, stream: pa.RecordBatchReader) -> int:
    """Insert the rows of the stream in one statement; returns how many."""
    targets = ", ".join(STORED)
    con.register(_VIEW, stream)  # kept until the commit, but a drained stream holds no data
    try:
        return int(
            con.execute(
                f"INSERT INTO gdelt_event_rows (source_id, {targets}) "
                f"SELECT {int(source_id)}, {targets} FROM {_VIEW}"
            ).fetchall()[0][0]
        )
    finally:
        with suppress(duckdb.TransactionException):  # the rollback drops the view as well
            con.unregister(_VIEW)


def _generated_at(file_name: str) -> datetime | None:
    match = re.match(r"^(\d{14})\.export\.csv", file_name, re.IGNORECASE)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def load_export(job: LoadJob) -> tuple[ImportResult, Fingerprint]:
    """Import one export (GDELT's :attr:`~spillover.data.format.Format.load`).

    A large export becomes an event file, appended to ``job.written``; a ``.zip`` is
    hashed on its own bytes, a plain export as it is read (when ``job.pending`` is None).
    """
    con, path, pending = job.con, job.path, job.pending
    with unpacked(path) as plain:
        if pending is None and plain != path:  # a .zip: its own bytes are the fingerprint
            pending = job.pool.submit(fingerprint, path)
        events = None
        if plain.stat().st_size >= event_files.EVENT_FILE_BYTES:
            events = EventFileWriter(event_files.event_file_path(job.db_path, job.source_id), job.source_id)
            job.written.append(events)
        load = load_gdelt(
            con, plain, job.source_id, path.name,
            hash_bytes=pending is None, events=events, progress=job.progress,
        )  # fmt: skip
    # while the last row group of an event file is written: the actor names
    actors = resolve_names(list(load.country_codes), "cameo").assign(scheme="cameo")
    record_actors(con, actors)
    if events is not None:
        events.finish()
        con.execute(
            "INSERT INTO gdelt_event_files VALUES (?, ?, ?, ?)",
            [job.source_id, events.path.name, events.rows, events.path.stat().st_size],
        )
        event_files.create_view(con, job.db_path)
    unmapped = sorted(actors.loc[actors["kind"] == "unmapped", "name"])  # kept as X-CAMEO-...
    result = ImportResult(
        path, "gdelt", job.variant, job.source_id, "", load.inserted, load.rejected,
        load.duplicates, duplicate_sources=list(load.duplicate_sources),
        generated_at=load.generated_at, encoding="utf-8", unmapped=unmapped,
        notes=actor_notes(actors),
    )  # fmt: skip
    return result, load.fingerprint if pending is None else pending.result()


def detect(head: bytes) -> str | None:
    """``gdelt-export`` when most lines have the 61 columns and a numeric event id (a few
    damaged lines do not make it another format); ``gdelt-cr`` when its lines end with a
    CR alone."""
    rows = [line.split("\t") for line in head_lines(head) if line.strip()]
    events = sum(1 for fields in rows if len(fields) == len(GDELT_COLUMNS) and fields[0].isdigit())
    if not rows or 2 * events < len(rows):
        return None
    return "gdelt-export" if b"\n" in head else "gdelt-cr"


FORMAT = Format(
    kind="gdelt",
    label="a GDELT 2.0 event export",
    variants={
        "gdelt-export": "a GDELT 2.0 event export",
        "gdelt-cr": "a GDELT 2.0 event export with CR-only line ends",
    },
    detect=detect,
    tables=TABLES,
    load=load_export,
    refusals={
        "gdelt-cr": "its lines end with a CR alone (old Mac line ends); GDELT exports end lines "
        "with LF: convert it first, e.g. tr '\\r' '\\n' < in.CSV > out.CSV"
    },
)
