"""The store's schema: DDL and one-line descriptions of every table.

``docs/data.md`` documents the columns for users; :data:`TABLE_DOCS` feeds
``spillover data tables``.
"""

from __future__ import annotations

SCHEMA_VERSION = "1"

#: Table name -> one-line description (in creation order).
TABLE_DOCS: dict[str, str] = {
    "sources": "imported files: sha256, format, date, rows",
    "rejected_rows": "quarantined rows: file, line, reason, text",
    "actor_names": "source names and codes with their actor ids",
    "sipri_deals": "SIPRI trade register: one row per deal",
    "sipri_deliveries": "SIPRI trade register: one row per deal-year",
    "tiv": "SIPRI TIV tables: country x direction x year",
    "gdelt_events": "GDELT 2.0 events, actors mapped to ids",
    "cameo_event_codes": "CAMEO event codes and Goldstein scores",
    "cameo_actor_types": "CAMEO actor type codes",
    "nmc": "COW NMC 6.0 with recomputed CINC",
    "meta": "store metadata (schema version)",
}

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
        notes VARCHAR
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
    """CREATE TABLE IF NOT EXISTS gdelt_events (
        source_id INTEGER NOT NULL,
        global_event_id BIGINT NOT NULL,
        event_date DATE NOT NULL,
        actor1_code VARCHAR,
        actor1_name VARCHAR,
        actor1_country_code VARCHAR,
        actor1_type1_code VARCHAR,
        actor1_id VARCHAR,
        actor2_code VARCHAR,
        actor2_name VARCHAR,
        actor2_country_code VARCHAR,
        actor2_type1_code VARCHAR,
        actor2_id VARCHAR,
        is_root_event BOOLEAN,
        event_code VARCHAR NOT NULL,
        event_base_code VARCHAR,
        event_root_code VARCHAR,
        quad_class TINYINT NOT NULL,
        goldstein_scale DOUBLE NOT NULL,
        num_mentions INTEGER NOT NULL,
        num_sources INTEGER,
        num_articles INTEGER,
        avg_tone DOUBLE,
        action_geo_country_code VARCHAR,
        action_geo_fullname VARCHAR,
        action_geo_lat DOUBLE,
        action_geo_long DOUBLE,
        date_added TIMESTAMP NOT NULL,
        source_url VARCHAR
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
