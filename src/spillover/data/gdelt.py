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
from collections.abc import Callable, Iterator
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

from spillover.data.event_files import EventFileWriter
from spillover.data.files import Fingerprint
from spillover.data.gdelt_blocks import BlockReader, LoadedBlock, keep_rows, line_texts, load_block
from spillover.data.gdelt_columns import GDELT_COLUMNS, STORED
from spillover.data.gdelt_keys import FileKeys, StoredKeys, key_label
from spillover.data.rejects import RejectSpool, store_rejects

__all__ = ["GDELT_COLUMNS", "Coverage", "GdeltLoad", "load_gdelt"]

_WORKERS = 2  # parsing threads (pyarrow releases the GIL)
_AHEAD = 3  # blocks parsed ahead of the one being stored
_VIEW = "_spillover_gdelt_block"
Progress = Callable[[int, int], None]  # (bytes read, bytes in the file)


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
