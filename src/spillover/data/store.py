"""The embedded DuckDB store: where it lives, how to open it, how to look inside.

The database file defaults to a per-user data directory:
``$SPILLOVER_DB`` if set, else ``$XDG_DATA_HOME/spillover/spillover.duckdb``, else
``~/.local/share/spillover/spillover.duckdb``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from spillover.data import cameo, event_files
from spillover.data.errors import ReadOnlyQueryError, StoreError
from spillover.data.schema import COVERAGE_BACKFILL, DDL, SCHEMA_VERSION, TABLE_DOCS, UPGRADES

__all__ = [
    "IMPORT_MEMORY_LIMIT",
    "Store",
    "StoreLike",
    "default_db_path",
    "open_store",
    "query",
    "tables",
    "transaction",
]

#: DuckDB buffer-pool limit while importing; big GDELT files spill to disk instead of
#: growing memory (peak RSS stays flat with file size, see benchmarks/bench_data_import.py).
IMPORT_MEMORY_LIMIT = "96MB"


@dataclass
class Store:
    """An open connection to a spillover database.

    Attributes
    ----------
    path : pathlib.Path
        The database file.
    con : duckdb.DuckDBPyConnection
        The DuckDB connection; use it for your own SQL.
    read_only : bool
        Whether the connection was opened read-only.
    """

    path: Path
    con: duckdb.DuckDBPyConnection = field(repr=False)
    read_only: bool = False

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


#: Anything the public functions accept as "the store": an open store, a path, or None.
StoreLike = Store | str | os.PathLike[str] | None


def default_db_path(environ: Mapping[str, str] | None = None) -> Path:
    """Where the database lives when no ``--db`` is given.

    Parameters
    ----------
    environ : mapping, optional
        Environment to read (defaults to ``os.environ``).

    Returns
    -------
    pathlib.Path
        ``$SPILLOVER_DB``, else ``$XDG_DATA_HOME/spillover/spillover.duckdb``, else
        ``~/.local/share/spillover/spillover.duckdb``.
    """
    env = os.environ if environ is None else environ
    if env.get("SPILLOVER_DB"):
        return Path(env["SPILLOVER_DB"]).expanduser()
    if env.get("XDG_DATA_HOME"):
        return Path(env["XDG_DATA_HOME"]).expanduser() / "spillover" / "spillover.duckdb"
    return Path("~/.local/share/spillover/spillover.duckdb").expanduser()


def open_store(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    memory_limit: str | None = None,
) -> Store:
    """Open (and, for writing, create and migrate) a spillover database.

    Parameters
    ----------
    path : str or path-like, optional
        Database file; :func:`default_db_path` when omitted.
    read_only : bool, default False
        Open with DuckDB ``read_only=True``. The file must exist.
    memory_limit : str, optional
        DuckDB ``memory_limit`` for this connection (DuckDB's default, 80% of RAM, when
        omitted). Imports lower it to :data:`IMPORT_MEMORY_LIMIT` while they run.

    Returns
    -------
    Store

    Raises
    ------
    StoreError
        If the file cannot be opened (missing for read-only, locked by another process,
        not a DuckDB file).
    """
    db_path = Path(path).expanduser() if path is not None else default_db_path()
    if read_only and not db_path.exists():
        raise StoreError(f"no database at {db_path}; import a file first (spillover data import)")
    if not read_only:
        db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(db_path), read_only=read_only)
    except duckdb.Error as exc:
        raise StoreError(f"cannot open database {db_path}: {_first_line(exc)}") from None
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [memory_limit])
    store = Store(path=db_path, con=con, read_only=read_only)
    try:
        if not read_only:
            _ensure_schema(store)
            event_files.tidy(con, db_path)
        if _kind(con, "gdelt_event_files"):  # not in a read-only store of schema 1
            event_files.refresh_view(con, db_path, read_only=read_only)
        if not read_only:
            _fill_coverage(con)
    except BaseException:
        con.close()
        raise
    return store


def _kind(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """``"BASE TABLE"``, ``"VIEW"`` or None: what ``name`` is in the store's main schema."""
    found = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_catalog = "
        "current_database() AND table_schema = 'main' AND table_name = ?",
        [name],
    ).fetchall()
    return found[0][0] if found else None


def _ensure_schema(store: Store) -> None:
    con = store.con
    with transaction(store):
        if _kind(con, "gdelt_events") == "BASE TABLE":  # schema 1 kept all events here
            con.execute("ALTER TABLE gdelt_events RENAME TO gdelt_event_rows")
        for statement in (*DDL, *UPGRADES):
            con.execute(statement)
        if _kind(con, "gdelt_events") != "VIEW":
            event_files.create_view(con, store.path)
        con.execute(
            "INSERT INTO meta VALUES ('schema_version', ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [SCHEMA_VERSION],
        )
        if con.execute("SELECT count(*) FROM cameo_event_codes").fetchall()[0][0] == 0:
            for table, frame in (
                ("cameo_event_codes", cameo.event_codes()),
                ("cameo_actor_types", cameo.actor_types()),
            ):
                con.register("_spillover_lookup", frame)
                try:
                    con.execute(f"INSERT INTO {table} SELECT * FROM _spillover_lookup")
                finally:
                    con.unregister("_spillover_lookup")


def _fill_coverage(con: duckdb.DuckDBPyConnection) -> None:
    """Fill ``gdelt_coverage`` for GDELT sources imported before it existed (schema 2)."""
    missing = con.execute(
        "SELECT count(*) FROM sources WHERE kind = 'gdelt' "
        "AND source_id NOT IN (SELECT source_id FROM gdelt_coverage)"
    ).fetchall()[0][0]
    if not missing:
        return
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(COVERAGE_BACKFILL)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def transaction(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """Run a block inside ``BEGIN``/``COMMIT``; any exception rolls everything back.

    Parameters
    ----------
    store : Store

    Yields
    ------
    duckdb.DuckDBPyConnection
        The store's connection, inside the transaction.
    """
    store.con.execute("BEGIN TRANSACTION")
    try:
        yield store.con
    except BaseException:
        store.con.execute("ROLLBACK")
        raise
    store.con.execute("COMMIT")


@contextmanager
def import_settings(store: Store) -> Iterator[None]:
    """Bounded memory and no insertion-order bookkeeping while a block imports data."""
    con = store.con
    saved = con.execute(
        "SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order')"
    ).fetchall()[0]
    con.execute("SET memory_limit = ?", [IMPORT_MEMORY_LIMIT])
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        try:
            _restore(con, saved)
        except duckdb.TransactionException:  # a failed transaction left open by the block
            con.execute("ROLLBACK")
            _restore(con, saved)


def _restore(con: duckdb.DuckDBPyConnection, saved: tuple[str, bool]) -> None:
    con.execute("SET memory_limit = ?", [saved[0]])
    con.execute("SET preserve_insertion_order = ?", [saved[1]])


@contextmanager
def using_store(store: StoreLike, *, read_only: bool = False) -> Iterator[Store]:
    """Yield an open store: the one given, or one opened (and closed) for the block."""
    if isinstance(store, Store):
        yield store
        return
    opened = open_store(store, read_only=read_only)
    try:
        yield opened
    finally:
        opened.close()


def tables(store: StoreLike = None) -> pd.DataFrame:
    """The store's tables with their row counts.

    Parameters
    ----------
    store : Store, path or None
        An open store, a database path, or None for :func:`default_db_path`.

    Returns
    -------
    pandas.DataFrame
        Columns ``table``, ``rows``, ``description``; one row per table of the schema.
    """
    with using_store(store, read_only=not isinstance(store, Store)) as opened:
        rows = []
        for name, description in TABLE_DOCS.items():
            count = opened.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0]
            rows.append((name, int(count), description))
    return pd.DataFrame(rows, columns=["table", "rows", "description"])


_ALLOWED_STATEMENTS = {"SELECT", "EXPLAIN"}


def query(sql: str, store: StoreLike = None) -> pd.DataFrame:
    """Run the user's own SQL on a read-only connection.

    Only ``SELECT`` (including ``WITH``, ``SHOW``, ``DESCRIBE``, ``SUMMARIZE``) and
    ``EXPLAIN`` statements are accepted; anything that writes (``INSERT``, ``CREATE``,
    ``COPY ... TO``, ``ATTACH``, ``SET`` ...) is refused before it runs, and the
    connection is DuckDB ``read_only=True`` in any case.

    Parameters
    ----------
    sql : str
        One or more statements; the result of the last one is returned.
    store : path or None
        Database path, or None for :func:`default_db_path`. An already open writable
        :class:`Store` is not accepted, because the read-only guarantee would not hold.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    ReadOnlyQueryError
        For a statement that would write.
    StoreError
        For SQL errors (one line: DuckDB's message).
    """
    if isinstance(store, Store) and not store.read_only:
        raise StoreError("query() needs a database path or a read-only store")
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise StoreError(f"SQL error: {_first_line(exc)}") from None
    if not statements:
        raise StoreError("no SQL statement given")
    for statement in statements:
        kind = statement.type.name
        if kind not in _ALLOWED_STATEMENTS:
            raise ReadOnlyQueryError(
                f"the database is opened read-only: {kind} statements are not allowed "
                "(only SELECT queries); use `spillover data import` to change the store"
            )
    with using_store(store, read_only=True) as opened:
        try:
            result = None
            for statement in statements:
                result = opened.con.execute(statement.query)
            assert result is not None
            return result.df()
        except duckdb.Error as exc:
            raise StoreError(f"SQL error: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    """First non-empty line of an exception message."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__
