"""GDELT 2.0 event exports (61 tab-separated columns, no header) -> ``gdelt_events``.

DuckDB does the parsing and the validation, in SQL, inside the import transaction:

1. One ``read_csv`` scan, with explicit types for the stored columns, inserts the rows
   that pass every check of :mod:`spillover.data.gdelt_checks` and maps CAMEO actor
   country codes to canonical ids on the way. Rows it cannot parse (wrong column count,
   non-numeric numbers, impossible dates, invalid UTF-8) go to its ``store_rejects``
   table with their line numbers.
2. Only when the line count shows that rows parsed but failed a check (unknown CAMEO
   code, date out of range, ...), one pass over the file finds the lines whose event id
   was neither inserted nor rejected, and DuckDB reads just those lines again to word
   the reasons.

Only the columns analysis needs are stored (see ``docs/data.md``); the full row stays in
the source file, identified by ``sources.sha256`` and ``global_event_id``.
"""

from __future__ import annotations

import re
import tempfile
from array import array
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from spillover.data.gdelt_checks import INVALID, PARSE_REASON, REASON, VALID
from spillover.data.gdelt_columns import GDELT_COLUMNS, parsed, select_list, type_statements

__all__ = ["GDELT_COLUMNS", "GdeltLoad", "load_gdelt"]

_REJECTS = "_gdelt_rejects"
_BLOCK_LINES = 16_384  # lines per block of the line scan
Rejected = list[tuple[int | None, str, str | None]]  # (line, reason, raw text)


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
    """

    inserted: int
    rejected: int
    generated_at: datetime | None


def load_gdelt(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source_id: int,
    file_name: str,
    line_count: Callable[[], tuple[int, bool]],
) -> GdeltLoad:
    """Insert one GDELT export into ``gdelt_events`` (call inside a transaction).

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
    line_count : callable
        Returns ``(physical lines of path, whether it ends with a newline)``; called after
        the scan, so the caller can count (and hash) the file at the same time.

    Returns
    -------
    GdeltLoad
    """
    _drop_rejects(con)
    for statement in type_statements():
        con.execute(statement)
    targets, expressions = select_list()
    inserted = con.execute(
        f"INSERT INTO gdelt_events (source_id, {targets}) "
        f"SELECT {int(source_id)}, {expressions} FROM {parsed(path, rejects_table=_REJECTS)} r "
        f"WHERE {VALID}"
    ).fetchall()[0][0]
    lines, ends_with_newline = line_count()
    rejected = con.execute(
        f"""INSERT INTO rejected_rows
        SELECT {int(source_id)}, $file, line, string_agg(DISTINCT reason, '; '), first(csv_line)
        FROM (SELECT line, csv_line, {PARSE_REASON} AS reason FROM {_REJECTS})
        GROUP BY line""",
        {"file": file_name, "last_line": lines, "truncated": not ends_with_newline},
    ).fetchall()[0][0]
    _drop_rejects(con)
    failed = lines - int(inserted) - int(rejected)  # parsed but invalid (or blank lines)
    if failed > 0:
        rejected += _quarantine_invalid(con, path, source_id, file_name, failed)
    return GdeltLoad(int(inserted), int(rejected), _generated_at(file_name))


def _drop_rejects(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"DROP TABLE IF EXISTS {_REJECTS}")
    con.execute(f"DROP TABLE IF EXISTS {_REJECTS}_scans")


def _quarantine_invalid(
    con: duckdb.DuckDBPyConnection, path: Path, source_id: int, file_name: str, expected: int
) -> int:
    """Quarantine rows that parsed but failed a check: find them, word why, store them.

    The rows are the lines whose event id was neither inserted nor rejected by the parser:
    one pass over the file, block by block, compares every line's id with the inserted ids
    (numpy), and only the candidate lines are read again by DuckDB to word the reasons.
    Should event ids repeat (so the comparison misses rows), a typed scan of the whole
    file finds the invalid ids instead.
    """
    known = np.asarray(
        con.execute(
            "SELECT global_event_id FROM gdelt_events WHERE source_id = $sid",
            {"sid": int(source_id)},
        ).fetchnumpy()["global_event_id"],
        dtype=np.int64,
    )
    known.sort()
    parse_rejected = {
        row[0]
        for row in con.execute(
            "SELECT line FROM rejected_rows WHERE source_id = $sid", {"sid": int(source_id)}
        ).fetchall()
    }
    candidates: list[tuple[int, int]] = []
    first_number, position, blank_lines = 1, 0, 0
    with open(path, "rb") as handle:  # ~1 s per million lines, only when needed
        while block := list(islice(handle, _BLOCK_LINES)):
            line_ids, sizes = _ids_and_sizes(block)
            offsets = position + np.concatenate(([0], np.cumsum(sizes)[:-1]))
            where = np.minimum(np.searchsorted(known, line_ids), max(len(known) - 1, 0))
            missing = known[where] != line_ids if len(known) else np.ones(len(block), bool)
            blank = (sizes <= 2) & (line_ids == -1)
            blank_lines += int(blank.sum())
            missing &= ~blank
            for index in np.flatnonzero(missing):
                if first_number + int(index) not in parse_rejected:
                    candidates.append((first_number + int(index), int(offsets[index])))
            first_number += len(block)
            position += int(sizes.sum())
    rows = _worded(con, path, candidates)
    if len(rows) != expected - blank_lines:
        rows = _worded_by_full_scan(con, path)
    frame = pd.DataFrame(rows, columns=["line", "reason", "raw"])
    con.register("_gdelt_invalid_view", frame)
    try:
        con.execute(
            "INSERT INTO rejected_rows "
            "SELECT $sid, $file, line, reason, raw FROM _gdelt_invalid_view",
            {"sid": int(source_id), "file": file_name},
        )
    finally:
        con.unregister("_gdelt_invalid_view")
    return len(rows)


def _ids_and_sizes(lines: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Event id (-1 when unreadable) and byte length of each line."""
    ids = array("q")
    for line in lines:
        try:
            ids.append(int(line[: line.find(b"\t")]))
        except (ValueError, OverflowError):  # blank or damaged line
            ids.append(-1)
    sizes = np.fromiter(map(len, lines), dtype=np.int64, count=len(lines))
    return np.frombuffer(ids, dtype=np.int64), sizes


def _worded(
    con: duckdb.DuckDBPyConnection, path: Path, candidates: list[tuple[int, int]]
) -> Rejected:
    """Check the candidate lines ``(line number, byte offset)`` again; keep the invalid ones."""
    if not candidates:
        return []
    texts: list[bytes] = []
    with open(path, "rb") as handle:
        for _number, offset in candidates:
            handle.seek(offset)
            texts.append(handle.readline().rstrip(b"\r\n"))
    with tempfile.TemporaryDirectory(prefix="spillover-gdelt-") as tmp:
        subset = Path(tmp) / "candidates.tsv"
        subset.write_bytes(b"\n".join(texts) + b"\n")
        order = con.execute("SELECT current_setting('preserve_insertion_order')").fetchall()
        con.execute("SET preserve_insertion_order = true")  # results in line order
        try:
            reasons = con.execute(
                f"SELECT {REASON} FROM {parsed(subset, rejects_table=None)} r"
            ).fetchall()
        finally:
            con.execute("SET preserve_insertion_order = ?", [order[0][0]])
    if len(reasons) != len(candidates):  # pragma: no cover - the lines parsed before
        raise RuntimeError("GDELT candidate lines no longer parse")
    return [
        (number, reason, text.decode("utf-8", "replace")[:2000])
        for (number, _offset), text, (reason,) in zip(candidates, texts, reasons, strict=True)
        if reason is not None
    ]


def _worded_by_full_scan(con: duckdb.DuckDBPyConnection, path: Path) -> Rejected:
    """Fallback when event ids repeat: a typed scan of the whole file for invalid ids."""
    bad = con.execute(
        f"SELECT DISTINCT GLOBALEVENTID FROM {parsed(path, rejects_table=None)} r WHERE {INVALID}"
    ).fetchall()
    keys = {b"" if event_id is None else str(event_id).encode() for (event_id,) in bad}
    candidates: list[tuple[int, int]] = []
    position = 0
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line not in (b"\n", b"\r\n") and line[: line.find(b"\t")] in keys:
                candidates.append((number, position))
            position += len(line)
    return _worded(con, path, candidates)


def _generated_at(file_name: str) -> datetime | None:
    match = re.match(r"^(\d{14})\.export\.csv", file_name, re.IGNORECASE)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None
