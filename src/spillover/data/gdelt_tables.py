"""The GDELT tables of the store: the stored event columns, and each table's DDL.

The events of small exports are rows of ``gdelt_event_rows``; those of large ones are
Parquet files listed in ``gdelt_event_files`` (see :mod:`spillover.data.event_files`);
``gdelt_events`` is the view over both. ``gdelt_coverage`` holds, per export, the span
of its event ids and dates. The CAMEO lookup tables are filled when a store is created.
"""

from __future__ import annotations

from spillover.data import cameo
from spillover.data.format import Table

__all__ = ["GDELT_EVENT_COLUMNS", "TABLES"]

#: The columns of ``gdelt_events``: (name, DuckDB type, NOT NULL), in order. The events
#: of small exports are rows of ``gdelt_event_rows``; those of large ones are Parquet
#: files listed in ``gdelt_event_files`` (see :mod:`spillover.data.event_files`);
#: ``gdelt_events`` is the view over both.
GDELT_EVENT_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("source_id", "INTEGER", True),
    ("global_event_id", "BIGINT", True),
    ("event_date", "DATE", True),
    ("actor1_code", "VARCHAR", False),
    ("actor1_name", "VARCHAR", False),
    ("actor1_country_code", "VARCHAR", False),
    ("actor1_type1_code", "VARCHAR", False),
    ("actor1_id", "VARCHAR", False),
    ("actor2_code", "VARCHAR", False),
    ("actor2_name", "VARCHAR", False),
    ("actor2_country_code", "VARCHAR", False),
    ("actor2_type1_code", "VARCHAR", False),
    ("actor2_id", "VARCHAR", False),
    ("is_root_event", "BOOLEAN", False),
    ("event_code", "VARCHAR", True),
    ("event_base_code", "VARCHAR", False),
    ("event_root_code", "VARCHAR", False),
    ("quad_class", "TINYINT", True),
    ("goldstein_scale", "DOUBLE", True),
    ("num_mentions", "INTEGER", True),
    ("num_sources", "INTEGER", False),
    ("num_articles", "INTEGER", False),
    ("avg_tone", "DOUBLE", False),
    ("action_geo_country_code", "VARCHAR", False),
    ("action_geo_fullname", "VARCHAR", False),
    ("action_geo_lat", "DOUBLE", False),
    ("action_geo_long", "DOUBLE", False),
    ("date_added", "TIMESTAMP", True),
    ("source_url", "VARCHAR", False),
)


def _rows_ddl() -> str:
    columns = ",\n".join(
        f"        {name} {kind}{' NOT NULL' if not_null else ''}"
        for name, kind, not_null in GDELT_EVENT_COLUMNS
    )
    return f"CREATE TABLE IF NOT EXISTS gdelt_event_rows (\n{columns}\n    )"


#: The tables of GDELT exports, in the order ``spillover data tables`` lists them.
TABLES = (
    Table("gdelt_events", "GDELT 2.0 events, actors mapped to ids (a view)", None),
    Table("gdelt_event_rows", "events of small GDELT exports, in the database", _rows_ddl()),
    Table(
        "gdelt_event_files",
        "Parquet files with the events of large exports",
        """CREATE TABLE IF NOT EXISTS gdelt_event_files (
            source_id INTEGER PRIMARY KEY,
            file_name VARCHAR NOT NULL,
            rows BIGINT NOT NULL,
            size_bytes BIGINT NOT NULL
        )""",
    ),
    Table(
        "gdelt_coverage",
        "per GDELT export: span of its event ids and dates",
        """CREATE TABLE IF NOT EXISTS gdelt_coverage (
            source_id INTEGER PRIMARY KEY,
            events BIGINT NOT NULL,
            first_event_id BIGINT,
            last_event_id BIGINT,
            first_event_date DATE,
            last_event_date DATE,
            first_added TIMESTAMP,
            last_added TIMESTAMP
        )""",
    ),
    Table(
        "cameo_event_codes",
        "CAMEO event codes and Goldstein scores",
        """CREATE TABLE IF NOT EXISTS cameo_event_codes (
            code VARCHAR PRIMARY KEY,
            description VARCHAR NOT NULL,
            goldstein DOUBLE NOT NULL,
            root_code VARCHAR NOT NULL,
            level INTEGER NOT NULL
        )""",
        rows=cameo.event_codes,
    ),
    Table(
        "cameo_actor_types",
        "CAMEO actor type codes",
        """CREATE TABLE IF NOT EXISTS cameo_actor_types (code VARCHAR PRIMARY KEY, label VARCHAR)""",
        rows=cameo.actor_types,
    ),
)
