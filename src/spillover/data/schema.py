"""The store's schema: DDL and one-line descriptions of every table.

``docs/data.md`` documents the columns for users; :data:`TABLE_DOCS` feeds
``spillover data tables``.
"""

from __future__ import annotations

SCHEMA_VERSION = "3"

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

#: Table name -> one-line description (in creation order).
TABLE_DOCS: dict[str, str] = {
    "sources": "imported files: sha256, format, date, rows",
    "rejected_rows": "quarantined rows: file, line, reason, text",
    "actor_names": "source names and codes with their actor ids",
    "sipri_deals": "SIPRI trade register: one row per deal",
    "sipri_deliveries": "SIPRI trade register: one row per deal-year",
    "tiv": "SIPRI TIV tables: country x direction x year",
    "gdelt_events": "GDELT 2.0 events, actors mapped to ids (a view)",
    "gdelt_event_rows": "events of small GDELT exports, in the database",
    "gdelt_event_files": "Parquet files with the events of large exports",
    "gdelt_coverage": "per GDELT export: span of its event ids and dates",
    "cameo_event_codes": "CAMEO event codes and Goldstein scores",
    "cameo_actor_types": "CAMEO actor type codes",
    "nmc": "COW NMC 6.0 with recomputed CINC",
    "meta": "store metadata (schema version)",
}


def _gdelt_rows_ddl() -> str:
    columns = ",\n".join(
        f"        {name} {kind}{' NOT NULL' if not_null else ''}"
        for name, kind, not_null in GDELT_EVENT_COLUMNS
    )
    return f"CREATE TABLE IF NOT EXISTS gdelt_event_rows (\n{columns}\n    )"


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

DDL: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)""",
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
    """CREATE TABLE IF NOT EXISTS rejected_rows (
        source_id INTEGER NOT NULL,
        file_name VARCHAR NOT NULL,
        line BIGINT,
        reason VARCHAR NOT NULL,
        raw VARCHAR
    )""",
    """CREATE TABLE IF NOT EXISTS actor_names (
        scheme VARCHAR NOT NULL,
        name VARCHAR NOT NULL,
        actor_id VARCHAR NOT NULL,
        kind VARCHAR NOT NULL,
        method VARCHAR NOT NULL,
        location_iso3 VARCHAR,
        PRIMARY KEY (scheme, name)
    )""",
    """CREATE TABLE IF NOT EXISTS sipri_deals (
        source_id INTEGER NOT NULL,
        deal_key VARCHAR NOT NULL,
        sipri_id INTEGER,
        line BIGINT NOT NULL,
        supplier VARCHAR NOT NULL,
        supplier_id VARCHAR NOT NULL,
        recipient VARCHAR NOT NULL,
        recipient_id VARCHAR NOT NULL,
        order_year SMALLINT,
        order_year_uncertain BOOLEAN,
        number_ordered INTEGER,
        number_ordered_uncertain BOOLEAN,
        designation VARCHAR,
        description VARCHAR,
        armament_category VARCHAR,
        status VARCHAR,
        comments VARCHAR,
        local_production BOOLEAN,
        tiv_unit_estimate DOUBLE,
        tiv_per_unit DOUBLE,
        tiv_total_order DOUBLE,
        number_delivered INTEGER,
        number_delivered_uncertain BOOLEAN,
        tiv_delivered DOUBLE,
        first_delivery_year SMALLINT,
        last_delivery_year SMALLINT,
        delivery_years INTEGER NOT NULL,
        PRIMARY KEY (source_id, deal_key)
    )""",
    """CREATE TABLE IF NOT EXISTS sipri_deliveries (
        source_id INTEGER NOT NULL,
        deal_key VARCHAR NOT NULL,
        year SMALLINT NOT NULL,
        year_uncertain BOOLEAN,
        number_delivered INTEGER,
        number_delivered_uncertain BOOLEAN,
        tiv_delivered DOUBLE,
        line BIGINT NOT NULL,
        PRIMARY KEY (source_id, deal_key, year)
    )""",
    """CREATE TABLE IF NOT EXISTS tiv (
        source_id INTEGER NOT NULL,
        direction VARCHAR NOT NULL,
        country VARCHAR NOT NULL,
        country_id VARCHAR NOT NULL,
        is_total BOOLEAN NOT NULL,
        year SMALLINT NOT NULL,
        tiv DOUBLE,
        below_half BOOLEAN,
        line BIGINT NOT NULL,
        PRIMARY KEY (source_id, country, year)
    )""",
    _gdelt_rows_ddl(),
    """CREATE TABLE IF NOT EXISTS gdelt_event_files (
        source_id INTEGER PRIMARY KEY,
        file_name VARCHAR NOT NULL,
        rows BIGINT NOT NULL,
        size_bytes BIGINT NOT NULL
    )""",
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
    """CREATE TABLE IF NOT EXISTS cameo_event_codes (
        code VARCHAR PRIMARY KEY,
        description VARCHAR NOT NULL,
        goldstein DOUBLE NOT NULL,
        root_code VARCHAR NOT NULL,
        level INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS cameo_actor_types (code VARCHAR PRIMARY KEY, label VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS nmc (
        source_id INTEGER NOT NULL,
        ccode SMALLINT NOT NULL,
        stateabb VARCHAR NOT NULL,
        country_id VARCHAR NOT NULL,
        year SMALLINT NOT NULL,
        milex DOUBLE,
        milper DOUBLE,
        irst DOUBLE,
        pec DOUBLE,
        tpop DOUBLE,
        upop DOUBLE,
        cinc DOUBLE,
        cinc_recomputed DOUBLE,
        cinc_components TINYINT NOT NULL,
        cinc_rel_diff DOUBLE,
        version INTEGER,
        line BIGINT NOT NULL,
        PRIMARY KEY (source_id, ccode, year)
    )""",
)
