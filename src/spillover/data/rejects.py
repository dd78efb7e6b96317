"""Quarantined rows of one import: collected, spilled to disk when many, stored once.

A file can hold millions of bad rows (one event repeated 2.5 million times is 2.5 million
repeats). :class:`RejectSpool` keeps them in memory up to :data:`SPILL_ROWS` (a few MB), then
writes them in compressed batches to a temporary Arrow file, so that an import's memory
stays bounded whatever the file holds.

:func:`store_rejects` writes them to ``rejected_rows``, leaving out those an earlier
import of the same kind already quarantined (same line, reason and text): importing a
file again in another packaging (zipped, CRLF, re-saved) adds nothing.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

__all__ = ["REJECT_SCHEMA", "SPILL_ROWS", "RejectSpool", "store_rejects"]

#: Rejected rows kept in memory before they are written to the spool file.
SPILL_ROWS = 10_000
#: The columns of a quarantined row as an import collects it.
REJECT_SCHEMA = pa.schema([("line", pa.int64()), ("reason", pa.string()), ("raw", pa.string())])
_VIEW = "_spillover_rejects"

Row = tuple[int | None, str, str | None]  # (line, reason, raw text)


class RejectSpool:
    """The rejected rows of one import, in memory and, past a limit, in a temp file.

    Use as a context manager (the temp file is deleted on exit).
    """

    def __init__(self, spill_rows: int = SPILL_ROWS) -> None:
        self._spill_rows = spill_rows
        self._pending: list[Row] = []
        self._count = 0
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._writer: pa.ipc.RecordBatchStreamWriter | None = None

    def __enter__(self) -> RejectSpool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __len__(self) -> int:
        return self._count

    def add(self, rows: Iterable[Row]) -> None:
        """Add rejected rows."""
        before = len(self._pending)
        self._pending.extend(rows)
        self._count += len(self._pending) - before
        if len(self._pending) >= self._spill_rows:
            self._spill()

    def reader(self) -> pa.RecordBatchReader:
        """Every row added, spilled ones first, as one stream (read it once)."""
        return pa.RecordBatchReader.from_batches(REJECT_SCHEMA, self._batches())

    def close(self) -> None:
        """Delete the spool file, if one was written."""
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        if self._folder is not None:
            self._folder.cleanup()
            self._folder = None

    @property
    def _path(self) -> Path:
        assert self._folder is not None
        return Path(self._folder.name) / "rejected.arrows"

    def _spill(self) -> None:
        if self._writer is None:
            self._folder = tempfile.TemporaryDirectory(prefix="spillover-rejects-")
            options = pa.ipc.IpcWriteOptions(compression="zstd")
            self._writer = pa.ipc.new_stream(str(self._path), REJECT_SCHEMA, options=options)
        self._writer.write_batch(_batch(self._pending))
        self._pending = []

    def _batches(self) -> Iterator[pa.RecordBatch]:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
            with pa.ipc.open_stream(str(self._path)) as spilled:
                yield from spilled
        if self._pending:
            yield _batch(self._pending)


def _batch(rows: list[Row]) -> pa.RecordBatch:
    lines, reasons, texts = zip(*rows, strict=True)
    return pa.record_batch(
        [pa.array(lines, pa.int64()), pa.array(reasons, pa.string()), pa.array(texts, pa.string())],
        schema=REJECT_SCHEMA,
    )


def store_rejects(
    con: duckdb.DuckDBPyConnection,
    rows: pa.RecordBatchReader | pa.Table,
    *,
    source_id: int,
    file_name: str,
    kind: str,
    truncated_line: int | None = None,
) -> int:
    """Write rejected rows to ``rejected_rows`` unless already quarantined.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        Inside the import's transaction.
    rows : pyarrow.RecordBatchReader or pyarrow.Table
        Columns ``line``, ``reason``, ``raw``.
    source_id, file_name : int, str
        Recorded with each row.
    kind : str
        The import kind: a row some earlier source of this kind quarantined with the
        same line, reason and text is not written again.
    truncated_line : int, optional
        The last line of a file cut off inside it: its "wrong column count" reason is
        prefixed with ``truncated last line:``.

    Returns
    -------
    int
        Rows written.
    """
    con.register(_VIEW, rows)
    try:
        return int(
            con.execute(
                f"""INSERT INTO rejected_rows
                WITH r AS (
                    SELECT line, raw, CASE WHEN line = $cut
                        AND starts_with(reason, 'wrong column count')
                        THEN 'truncated last line: ' || reason ELSE reason END AS reason
                    FROM {_VIEW}
                )
                SELECT $sid, $file, r.line, r.reason, r.raw FROM r
                WHERE NOT EXISTS (
                    SELECT 1 FROM rejected_rows q JOIN sources s USING (source_id)
                    WHERE s.kind = $kind AND q.line IS NOT DISTINCT FROM r.line
                      AND q.reason = r.reason AND q.raw IS NOT DISTINCT FROM r.raw
                )""",
                {"cut": truncated_line, "sid": int(source_id), "file": file_name, "kind": kind},
            ).fetchall()[0][0]
        )
    finally:
        con.unregister(_VIEW)
