"""Import files into the store: one transaction per file, idempotent by content.

A file whose sha256 is in ``sources`` is skipped at once. Otherwise it is read by its
format (:mod:`spillover.data.formats`): parsed in memory, or by the format's own loader
(GDELT). The records the store already holds (the same GDELT events, SIPRI deals, TIV or
NMC rows: each format's identity rule, see :mod:`spillover.data.identity`) are left out;
a file that adds nothing at all writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pyarrow as pa

from spillover.data import formats
from spillover.data.event_files import kept_if_committed
from spillover.data.files import Fingerprint, decode_text, fingerprint, unpacked
from spillover.data.format import Format, LoadJob, Progress
from spillover.data.identity import drop_known
from spillover.data.import_result import ImportResult
from spillover.data.inserts import actor_notes, insert_frame, record_actors
from spillover.data.rejects import REJECT_SCHEMA, store_rejects
from spillover.data.sniff import require_kind
from spillover.data.store import Store, StoreLike, import_settings, transaction, using_store

__all__ = ["ImportResult", "import_file", "import_files"]


class _NothingNew(Exception):
    """Raised inside the transaction when a file adds nothing, to roll it back."""

    def __init__(self, result: ImportResult) -> None:
        super().__init__("nothing new")
        self.result = result


def import_files(
    store: StoreLike,
    kind: str,
    paths: Iterable[str | os.PathLike[str]],
    *,
    progress: Progress | None = None,
) -> list[ImportResult]:
    """Import several files of one kind, each in its own transaction.

    Parameters
    ----------
    store : Store, path or None
        Open store, database path, or None for the default database.
    kind : str
        A registered format's kind (:func:`spillover.data.formats.kinds`).
    paths : iterable of path-like
    progress : callable, optional
        Passed to :func:`import_file` for each file.

    Returns
    -------
    list of ImportResult
        One per file, in order. The first file that is refused raises and stops the
        loop; files imported before it stay imported.
    """
    with using_store(store) as opened:
        return [import_file(opened, kind, path, progress=progress) for path in paths]


def import_file(
    store: StoreLike,
    kind: str,
    path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
) -> ImportResult:
    """Import one file, all or nothing.

    The file is first checked to be of ``kind`` (refused with a one-line
    :class:`~spillover.data.errors.FormatMismatchError` otherwise). A file whose sha256
    is already in ``sources`` is not imported again. Everything else happens in one
    transaction: data rows, quarantined rows, actor names and the ``sources`` row are
    all written, or none is.

    Parameters
    ----------
    store : Store, path or None
        Open store, database path, or None for the default database.
    kind : str
        A registered format's kind: ``"sipri"``, ``"tiv"``, ``"gdelt"``, ``"nmc"``.
    path : path-like
        The file; GDELT exports may be ``.CSV.zip``.
    progress : callable, optional
        Called as ``progress(done, total)``: bytes read of the file (of the unzipped
        export for a GDELT ``.zip``) as a GDELT export is read block by block, and
        ``(total, total)`` once the import is committed.

    Returns
    -------
    ImportResult

    Raises
    ------
    FormatMismatchError
        The file is another format; the message names it and the right command.
    ImportRefusedError
        The file is missing, empty, damaged or cut off before its header.
    """
    file_path = Path(path)
    detected = require_kind(file_path, kind)
    fmt = formats.get(kind)
    with using_store(store) as opened, ThreadPoolExecutor(max_workers=1) as pool:
        con = opened.con
        size = file_path.stat().st_size
        same_size = con.execute(
            "SELECT count(*) FROM sources WHERE size_bytes = ?", [size]
        ).fetchall()[0][0]
        if same_size:  # could be a re-import: hash first
            known = fingerprint(file_path)
            previous = _previous_import(con, known, file_path, kind)
            if previous is not None:
                _report_done(progress, size)
                return previous
            done: Future[Fingerprint] = Future()
            done.set_result(known)
            pending: Future[Fingerprint] | None = done
        elif fmt.load is not None:  # a loader of its own hashes the bytes as it reads them
            pending = None
        else:  # no stored file has this size, so hash it while the import runs
            pending = pool.submit(fingerprint, file_path)
        try:
            result = _import_new(opened, fmt, detected.variant, file_path, pending, pool, progress)
        except _NothingNew as signal:  # rolled back: nothing was written
            result = signal.result
            result.already_imported = result.nothing_new = True
            result.source_id = min(result.duplicate_sources, default=0)
    _report_done(progress, size)
    return result


def _import_new(
    store: Store,
    fmt: Format,
    variant: str,
    path: Path,
    pending: Future[Fingerprint] | None,
    pool: ThreadPoolExecutor,
    progress: Progress | None,
) -> ImportResult:
    """Import a file whose sha256 is not in the store, in one transaction."""
    con = store.con
    with kept_if_committed() as written, import_settings(store), transaction(store):
        source_id = con.execute("SELECT coalesce(max(source_id), 0) + 1 FROM sources").fetchall()[0][0]
        if fmt.load is not None:
            job = LoadJob(con, path, variant, source_id, pending, pool, store.path, written, progress)
            result, print_ = fmt.load(job)
        else:
            assert pending is not None
            result = _import_parsed(con, fmt, variant, path, source_id)
            print_ = pending.result()
        result.sha256 = print_.sha256
        result.format = variant
        if result.rows_duplicate and not (result.rows_imported or result.rows_rejected):
            raise _NothingNew(result)
        _record_source(con, result, print_)
    return result


def _report_done(progress: Progress | None, size: int) -> None:
    if progress is not None:
        progress(size, size)


def _previous_import(
    con: duckdb.DuckDBPyConnection, print_: Fingerprint, path: Path, kind: str
) -> ImportResult | None:
    """The earlier import of a file with this sha256, if there was one."""
    previous = con.execute(
        "SELECT source_id, rows_imported, rows_rejected, coalesce(rows_duplicate, 0), "
        "generated_at, format, coalesce(unmapped_names, []) FROM sources WHERE sha256 = ?",
        [print_.sha256],
    ).fetchall()
    if not previous:
        return None
    source_id, imported, rejected, duplicate, generated, variant, unmapped = previous[0]
    return ImportResult(
        path, kind, variant, source_id, print_.sha256, imported, rejected, duplicate,
        already_imported=True, generated_at=generated, unmapped=list(unmapped),
    )  # fmt: skip


def _import_parsed(
    con: duckdb.DuckDBPyConnection, fmt: Format, variant: str, path: Path, source_id: int
) -> ImportResult:
    """Parse the file in memory, leave out what the store holds, write the rest."""
    assert fmt.parse is not None and fmt.identity is not None  # Format checks it
    with unpacked(path) as plain:
        text, encoding = decode_text(plain.read_bytes())
    parsed = fmt.parse(text, variant, encoding)
    known = drop_known(con, fmt.identity, parsed)
    for table, frame in parsed.tables.items():
        insert_frame(con, table, frame.assign(source_id=source_id))
    rejects = pa.Table.from_pandas(parsed.rejects.frame(), REJECT_SCHEMA, preserve_index=False)
    rejected = store_rejects(con, rejects, source_id=source_id, file_name=path.name, kind=fmt.kind)
    record_actors(con, parsed.actors)
    unmapped = sorted(parsed.actors.loc[parsed.actors["kind"] == "unmapped", "name"])
    return ImportResult(
        path, fmt.kind, variant, source_id, "", parsed.records, rejected,
        known.records + len(parsed.rejects) - rejected,
        duplicate_sources=sorted(known.sources), generated_at=parsed.generated_at,
        encoding=encoding, unmapped=unmapped,
        notes=[*parsed.notes, *known.notes, *actor_notes(parsed.actors)],
    )  # fmt: skip


def _record_source(
    con: duckdb.DuckDBPyConnection, result: ImportResult, print_: Fingerprint
) -> None:
    con.execute(
        "INSERT INTO sources (source_id, kind, format, file_name, file_path, sha256, "
        "size_bytes, encoding, generated_at, rows_imported, rows_rejected, imported_at, "
        "unmapped_names, notes, rows_duplicate) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?)",
        [
            result.source_id,
            result.kind,
            result.format,
            result.path.name,
            str(result.path.resolve()),
            print_.sha256,
            print_.size_bytes,
            result.encoding,
            result.generated_at,
            result.rows_imported,
            result.rows_rejected,
            result.unmapped,
            "; ".join(result.notes) or None,
            result.rows_duplicate,
        ],
    )
