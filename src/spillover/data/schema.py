"""The store's schema: its own tables, then those of every registered format.

Each format declares its tables (:attr:`spillover.data.format.Format.tables`); this
module adds the store's own (``sources``, ``rejected_rows``, ``actor_names``, ``meta``)
and reads the registry (:mod:`spillover.data.formats`) each time, so that a format added
to it has its tables created when a store is next opened for writing. ``docs/data.md``
documents the columns for users; :func:`table_docs` feeds ``spillover data tables``.
"""

from __future__ import annotations

from spillover.data import formats
from spillover.data.format import Table
from spillover.data.gdelt_tables import GDELT_EVENT_COLUMNS

__all__ = [
    "COVERAGE_BACKFILL",
    "DDL",
    "GDELT_EVENT_COLUMNS",
    "SCHEMA_VERSION",
    "TABLE_DOCS",
    "UPGRADES",
    "ddl",
    "store_tables",
    "table_docs",
]

SCHEMA_VERSION = "3"

#: The store's own tables, before those of the formats.
_OWN = (
    Table(
        "sources",
        "imported files: sha256, format, date, rows",
        """CREATE TABLE IF NOT EXISTS sources (
            source_id INTEGER PRIMARY KEY,
            kind VARCHAR NOT NULL,
            format VARCHAR NOT NULL,
            file_name VARCHAR NOT NULL,
            file_path VARCHAR NOT NULL,
            sha256 VARCHAR NOT NULL UNIQUE,
            size_bytes BIGINT NOT NULL,
            encoding VARCHAR,
            generated_at TIMESTAMP,
            rows_imported BIGINT NOT NULL,
            rows_rejected BIGINT NOT NULL,
            imported_at TIMESTAMP NOT NULL,
            unmapped_names VARCHAR[],
            notes VARCHAR,
            rows_duplicate BIGINT DEFAULT 0
        )""",
    ),
    Table(
        "rejected_rows",
        "quarantined rows: file, line, reason, text",
        """CREATE TABLE IF NOT EXISTS rejected_rows (
            source_id INTEGER NOT NULL,
            file_name VARCHAR NOT NULL,
            line BIGINT,
            reason VARCHAR NOT NULL,
            raw VARCHAR
        )""",
    ),
    Table(
        "actor_names",
        "source names and codes with their actor ids",
        """CREATE TABLE IF NOT EXISTS actor_names (
            scheme VARCHAR NOT NULL,
            name VARCHAR NOT NULL,
            actor_id VARCHAR NOT NULL,
            kind VARCHAR NOT NULL,
            method VARCHAR NOT NULL,
            location_iso3 VARCHAR,
            PRIMARY KEY (scheme, name)
        )""",
    ),
)
_META = Table(
    "meta",
    "store metadata (schema version)",
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
)


def store_tables() -> tuple[Table, ...]:
    """Every table and view of the store: its own, each registered format's, ``meta``.

    Raises
    ------
    ValueError
        When a format declares a table the store or another format has.
    """
    tables = (*_OWN, *(table for fmt in formats.FORMATS for table in fmt.tables), _META)
    names = [table.name for table in tables]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise ValueError(f"tables declared twice in the store's schema: {', '.join(twice)}")
    return tables


def ddl() -> tuple[str, ...]:
    """The ``CREATE TABLE IF NOT EXISTS`` statements of :func:`store_tables` (views aside)."""
    return tuple(table.ddl for table in store_tables() if table.ddl is not None)


def table_docs() -> dict[str, str]:
    """Table name -> one-line description, in the order ``spillover data tables`` lists them."""
    return {table.name: table.doc for table in store_tables()}


#: :func:`ddl` and :func:`table_docs` of the formats registered when this module loaded.
DDL: tuple[str, ...] = ddl()
TABLE_DOCS: dict[str, str] = table_docs()

#: Changes that bring an older store's tables up to this schema (each can run again).
UPGRADES: tuple[str, ...] = (
    "ALTER TABLE sources ADD COLUMN IF NOT EXISTS rows_duplicate BIGINT DEFAULT 0",
)

#: Fills ``gdelt_coverage`` for the GDELT sources of a store made before it existed.
COVERAGE_BACKFILL = """
INSERT INTO gdelt_coverage
SELECT s.source_id, count(e.source_id), min(e.global_event_id), max(e.global_event_id),
       min(e.event_date), max(e.event_date), min(e.date_added), max(e.date_added)
FROM sources s LEFT JOIN gdelt_events e USING (source_id)
WHERE s.kind = 'gdelt' AND s.source_id NOT IN (SELECT source_id FROM gdelt_coverage)
GROUP BY s.source_id
"""
