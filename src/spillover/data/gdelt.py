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
reason and the line's text.

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
import pyarrow as pa

from spillover.data.event_files import EventFileWriter
from spillover.data.files import Fingerprint
from spillover.data.gdelt_blocks import BlockReader, LoadedBlock, load_block
from spillover.data.gdelt_columns import GDELT_COLUMNS, STORED

__all__ = ["GDELT_COLUMNS", "GdeltLoad", "load_gdelt"]

_WORKERS = 2  # parsing threads (pyarrow releases the GIL)
_AHEAD = 3  # blocks parsed ahead of the one being stored
_VIEW = "_spillover_gdelt_block"
_TRUNCATED = "truncated last line: "
Rejected = list[tuple[int, str, str]]  # (line, reason, raw text)
Progress = Callable[[int, int], None]  # (bytes read, bytes in the file)


@dataclass(frozen=True)
class GdeltLoad:
    """Outcome of :func:`load_gdelt`.

    Attributes
    ----------
    inserted : int
        Events written to ``gdelt_events``.
    rejected : int
        Rows written to ``rejected_rows``.
    generated_at : datetime or None
        Publication time from a ``YYYYMMDDHHMMSS.export.CSV`` file name.
    fingerprint : Fingerprint
        sha256 (empty unless asked for), size and lines of the file that was read.
    country_codes : tuple of str
        The distinct actor country codes of the stored events, sorted.
    """

    inserted: int
    rejected: int
    generated_at: datetime | None
    fingerprint: Fingerprint
    country_codes: tuple[str, ...]


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
    ``rejected_rows`` either way.

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
    seen = _Seen()
    read = _reporting(reader, path.stat().st_size, progress)
    with ThreadPoolExecutor(max_workers=_WORKERS, thread_name_prefix="gdelt") as pool:
        tables = _tables(read, pool, datetime.now(), seen)
        if events is not None:
            for table in tables:
                events.add(table)
            inserted = events.flush()
        elif (first := next(tables, None)) is None:
            inserted = 0
        else:
            stream = pa.RecordBatchReader.from_batches(
                first.schema, (b for t in chain([first], tables) for b in t.to_batches())
            )
            try:
                inserted = _insert(con, source_id, stream)
            except duckdb.Error:
                if seen.failure is not None:  # DuckDB words it as a stream error
                    raise seen.failure from None
                raise
    printed = reader.fingerprint(seen.first_line - 1)
    rejected = seen.rejected
    if not printed.ends_with_newline:
        rejected = [_truncated(row, printed.lines) for row in rejected]
    if rejected:
        _quarantine_invalid(con, rejected, source_id, file_name)
    codes = tuple(sorted(seen.codes))
    return GdeltLoad(inserted, len(rejected), _generated_at(file_name), printed, codes)


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
    """Lines seen and rows rejected so far, block by block in file order."""

    first_line: int = 1
    rejected: Rejected = field(default_factory=list)
    codes: set[str] = field(default_factory=set)
    failure: BaseException | None = None  # what stopped the blocks (e.g. Ctrl-C)

    def add(self, block: LoadedBlock) -> pa.Table:
        self.rejected += [(self.first_line + n, why, text) for n, why, text in block.rejected]
        self.first_line += block.lines
        self.codes.update(block.country_codes)
        return block.table


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


def _truncated(row: tuple[int, str, str], last_line: int) -> tuple[int, str, str]:
    line, reason, text = row
    if line == last_line and reason.startswith("wrong column count"):
        return line, _TRUNCATED + reason, text
    return row


def _quarantine_invalid(
    con: duckdb.DuckDBPyConnection, rows: Rejected, source_id: int, file_name: str
) -> None:
    """Write the rejected rows, with file name and line number, to ``rejected_rows``."""
    lines, reasons, texts = zip(*rows, strict=True)
    frame = pa.table(
        {
            "line": pa.array(lines, pa.int64()),
            "reason": pa.array(reasons, pa.string()),
            "raw": pa.array(texts, pa.string()),
        }
    )
    con.register("_gdelt_rejected_view", frame)
    try:
        con.execute(
            "INSERT INTO rejected_rows SELECT $sid, $file, line, reason, raw FROM _gdelt_rejected_view",
            {"sid": int(source_id), "file": file_name},
        )
    finally:
        con.unregister("_gdelt_rejected_view")


def _generated_at(file_name: str) -> datetime | None:
    match = re.match(r"^(\d{14})\.export\.csv", file_name, re.IGNORECASE)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None
