"""Import files into the store: one transaction per file, idempotent by content.

A file whose sha256 is in ``sources`` is skipped at once. Otherwise it is read, and the
records the store already holds (the same GDELT events, SIPRI deals, TIV or NMC rows,
see :mod:`spillover.data.identity` and :mod:`spillover.data.gdelt_keys`) are left out;
a file that adds nothing at all writes nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from spillover.data import event_files
from spillover.data.countries import resolve_names
from spillover.data.event_files import EventFileWriter, kept_if_committed
from spillover.data.files import Fingerprint, decode_text, fingerprint, unpacked
from spillover.data.gdelt import Progress, load_gdelt
from spillover.data.identity import drop_known
from spillover.data.import_result import ImportResult
from spillover.data.nmc import parse_nmc
from spillover.data.parsed import ParsedFile
from spillover.data.rejects import REJECT_SCHEMA, store_rejects
from spillover.data.sipri import parse_sipri
from spillover.data.sniff import KINDS, require_kind
from spillover.data.store import Store, StoreLike, import_settings, transaction, using_store
from spillover.data.tiv import parse_tiv

__all__ = ["ImportResult", "import_file", "import_files"]

_PARSERS: dict[str, Callable[[str, str, str], ParsedFile]] = {
    "sipri": parse_sipri,
    "tiv": parse_tiv,
    "nmc": parse_nmc,
}


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
    kind : {"sipri", "tiv", "gdelt", "nmc"}
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
    kind : {"sipri", "tiv", "gdelt", "nmc"}
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
        elif kind == "gdelt":  # the GDELT loader hashes the bytes as it reads them
            pending = None
        else:  # no stored file has this size, so hash it while the import runs
            pending = pool.submit(fingerprint, file_path)
        try:
            result = _import_new(opened, kind, detected.variant, file_path, pending, pool, progress)
        except _NothingNew as signal:  # rolled back: nothing was written
            result = signal.result
            result.already_imported = result.nothing_new = True
            result.source_id = min(result.duplicate_sources, default=0)
    _report_done(progress, size)
    return result


def _import_new(
    store: Store,
    kind: str,
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
        if kind == "gdelt":
            result, print_ = _import_gdelt(
                con, path, source_id, pending, pool, store.path, written, progress
            )
        else:
            assert pending is not None
            result = _import_parsed(con, kind, variant, path, source_id)
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
    con: duckdb.DuckDBPyConnection, kind: str, variant: str, path: Path, source_id: int
) -> ImportResult:
    with unpacked(path) as plain:
        text, encoding = decode_text(plain.read_bytes())
    parsed = _PARSERS[kind](text, variant, encoding)
    known = drop_known(con, kind, parsed)
    for table, frame in parsed.tables.items():
        _insert_frame(con, table, frame.assign(source_id=source_id))
    rejects = pa.Table.from_pandas(parsed.rejects.frame(), REJECT_SCHEMA, preserve_index=False)
    rejected = store_rejects(con, rejects, source_id=source_id, file_name=path.name, kind=kind)
    _record_actors(con, parsed.actors)
    unmapped = sorted(parsed.actors.loc[parsed.actors["kind"] == "unmapped", "name"])
    return ImportResult(
        path, kind, variant, source_id, "", parsed.records, rejected,
        known.records + len(parsed.rejects) - rejected,
        duplicate_sources=sorted(known.sources), generated_at=parsed.generated_at,
        encoding=encoding, unmapped=unmapped,
        notes=[*parsed.notes, *known.notes, *_identity_notes(parsed.actors)],
    )  # fmt: skip


def _import_gdelt(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source_id: int,
    pending: Future[Fingerprint] | None,
    pool: ThreadPoolExecutor,
    db_path: Path,
    written: list[EventFileWriter],
    progress: Progress | None,
) -> tuple[ImportResult, Fingerprint]:
    """Load the export; a large one becomes an event file, appended to ``written``."""
    with unpacked(path) as plain:
        if pending is None and plain != path:  # a .zip: its own bytes are the fingerprint
            pending = pool.submit(fingerprint, path)
        events = None
        if plain.stat().st_size >= event_files.EVENT_FILE_BYTES:
            events = EventFileWriter(event_files.event_file_path(db_path, source_id), source_id)
            written.append(events)
        load = load_gdelt(
            con, plain, source_id, path.name,
            hash_bytes=pending is None, events=events, progress=progress,
        )  # fmt: skip
    # while the last row group of an event file is written: the actor names
    actors = resolve_names(list(load.country_codes), "cameo").assign(scheme="cameo")
    _record_actors(con, actors)
    if events is not None:
        events.finish()
        con.execute(
            "INSERT INTO gdelt_event_files VALUES (?, ?, ?, ?)",
            [source_id, events.path.name, events.rows, events.path.stat().st_size],
        )
        event_files.create_view(con, db_path)
    unmapped = sorted(actors.loc[actors["kind"] == "unmapped", "name"])  # kept as X-CAMEO-...
    result = ImportResult(
        path, "gdelt", "gdelt-export", source_id, "", load.inserted, load.rejected,
        load.duplicates, duplicate_sources=list(load.duplicate_sources),
        generated_at=load.generated_at, encoding="utf-8", unmapped=unmapped,
        notes=_identity_notes(actors),
    )  # fmt: skip
    return result, load.fingerprint if pending is None else pending.result()


def _identity_notes(actors: pd.DataFrame) -> list[str]:
    """Summary of actors that kept ``X-`` ids, by kind."""
    kept = actors[actors["actor_id"].str.startswith("X-") & (actors["kind"] != "unmapped")]
    if kept.empty:
        return []
    counts = kept.groupby("kind").size().sort_index()
    parts = ", ".join(f"{n} {kind.replace('_', '-')}" for kind, n in counts.items())
    return [f"own X- ids kept for {parts}"]


def _record_actors(con: duckdb.DuckDBPyConnection, actors: pd.DataFrame) -> None:
    if actors.empty:
        return
    columns = ["scheme", "name", "actor_id", "kind", "method", "location_iso3"]
    frame = actors[columns].astype(object).where(actors[columns].notna(), None)
    _insert_frame(con, "actor_names", frame, on_conflict="DO NOTHING")


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


def _insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, on_conflict: str = ""
) -> None:
    """Insert a DataFrame into ``table`` matching columns by name."""
    if frame.empty:
        return
    view = f"_spillover_insert_{table}"
    con.register(view, frame)
    try:
        conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}{conflict}")
    finally:
        con.unregister(view)


assert set(_PARSERS) | {"gdelt"} == set(KINDS)
