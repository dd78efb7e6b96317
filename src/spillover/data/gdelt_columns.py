"""The GDELT 2.0 export layout and the SQL that reads it into ``gdelt_events`` columns."""

from __future__ import annotations

import re
from pathlib import Path

from spillover.data.cameo import event_codes
from spillover.data.countries import CAMEO_NON_ISO, CAMEO_REGIONS, iso3_codes, resolve_names

__all__ = [
    "CAMEO_CODE_TYPE",
    "GDELT_COLUMNS",
    "PARSED_COLUMNS",
    "STORED",
    "parsed",
    "select_list",
    "type_statements",
]


def _column_names() -> list[str]:
    names = ["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"]
    actor = ["Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code"]
    actor += ["Religion2Code", "Type1Code", "Type2Code", "Type3Code"]
    names += [f"Actor1{a}" for a in actor] + [f"Actor2{a}" for a in actor]
    names += ["IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass"]
    names += ["GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone"]
    geo = ["Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"]
    for prefix in ("Actor1Geo", "Actor2Geo", "ActionGeo"):
        names += [f"{prefix}_{g}" for g in geo]
    return [*names, "DATEADDED", "SOURCEURL"]


#: The 61 columns of a GDELT 2.0 event export, in file order.
GDELT_COLUMNS: tuple[str, ...] = tuple(_column_names())

#: Parse types of the stored non-text columns; every other column is read as VARCHAR.
#: Only the columns that are stored are converted (and so validated) by DuckDB. The
#: CAMEO codes are read as an ENUM of the 311 codes, so an unknown code is a parse error
#: with its line number, like a non-numeric number.
_TYPES = {
    "GLOBALEVENTID": "BIGINT",
    "SQLDATE": "DATE",
    "IsRootEvent": "INTEGER",
    "EventCode": "{cameo}",
    "EventBaseCode": "{cameo}",
    "EventRootCode": "{cameo}",
    "QuadClass": "INTEGER",
    "GoldsteinScale": "DOUBLE",
    "NumMentions": "INTEGER",
    "NumSources": "INTEGER",
    "NumArticles": "INTEGER",
    "AvgTone": "DOUBLE",
    "ActionGeo_Lat": "DOUBLE",
    "ActionGeo_Long": "DOUBLE",
    "DATEADDED": "TIMESTAMP",
}

#: Stored column -> SQL expression over the parsed file (aliased ``r``).
STORED = {
    "global_event_id": "r.GLOBALEVENTID",
    "event_date": "r.SQLDATE",
    "actor1_code": "r.Actor1Code",
    "actor1_name": "r.Actor1Name",
    "actor1_country_code": "r.Actor1CountryCode",
    "actor1_type1_code": "r.Actor1Type1Code",
    "actor1_id": "{actor1_id}",
    "actor2_code": "r.Actor2Code",
    "actor2_name": "r.Actor2Name",
    "actor2_country_code": "r.Actor2CountryCode",
    "actor2_type1_code": "r.Actor2Type1Code",
    "actor2_id": "{actor2_id}",
    "is_root_event": "r.IsRootEvent = 1",
    "event_code": "r.EventCode::VARCHAR",
    "event_base_code": "r.EventBaseCode::VARCHAR",
    "event_root_code": "r.EventRootCode::VARCHAR",
    "quad_class": "r.QuadClass",
    "goldstein_scale": "r.GoldsteinScale",
    "num_mentions": "r.NumMentions",
    "num_sources": "r.NumSources",
    "num_articles": "r.NumArticles",
    "avg_tone": "r.AvgTone",
    "action_geo_country_code": "r.ActionGeo_CountryCode",
    "action_geo_fullname": "r.ActionGeo_FullName",
    "action_geo_lat": "r.ActionGeo_Lat",
    "action_geo_long": "r.ActionGeo_Long",
    "date_added": "r.DATEADDED",
    "source_url": "r.SOURCEURL",
}
#: Source columns the import reads.
PARSED_COLUMNS = tuple(sorted({m for e in STORED.values() for m in re.findall(r"r\.(\w+)", e)}))


#: Connection-local ENUM type of the CAMEO event codes (see :func:`type_statements`).
CAMEO_CODE_TYPE = "_spillover_cameo_code"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def type_statements() -> list[str]:
    """``CREATE TEMP TYPE`` statements :func:`parsed` needs (run them first)."""
    codes = ", ".join(_literal(code) for code in event_codes()["code"])
    return [f"CREATE OR REPLACE TEMP TYPE {CAMEO_CODE_TYPE} AS ENUM ({codes})"]


def _actor_id_expression(column: str) -> str:
    """SQL mapping a CAMEO country code column to canonical ids, without a join.

    A constant ``MAP`` lookup keeps the scan streaming and costs little per row; a join
    against a mapping table lets the optimiser build its hash table over the file (and
    run out of memory), and a ``CASE`` over 250 codes costs three times as much.
    """
    codes = sorted(iso3_codes() | set(CAMEO_NON_ISO) | set(CAMEO_REGIONS))
    resolved = resolve_names(codes, "cameo")
    pairs = ", ".join(
        f"{_literal(code)}: {_literal(actor_id)}"
        for code, actor_id in zip(resolved["name"], resolved["actor_id"], strict=True)
    )
    return f"coalesce(MAP {{{pairs}}}[{column}], 'X-CAMEO-' || {column})"


def select_list() -> tuple[str, str]:
    """``(target columns, source expressions)`` for ``INSERT INTO gdelt_events``."""
    targets = ", ".join(STORED)
    expressions = ", ".join(STORED.values()).format(
        actor1_id=_actor_id_expression("r.Actor1CountryCode"),
        actor2_id=_actor_id_expression("r.Actor2CountryCode"),
    )
    return targets, expressions


#: CSV read buffer: 8 MiB instead of DuckDB's 32 MiB keeps the import well inside its
#: memory limit at the same speed (GDELT lines are under 2 KiB).
_BUFFER_BYTES = 8 * 2**20


def parsed(path: Path, *, rejects_table: str | None) -> str:
    """SQL subquery reading the export with the stored columns typed.

    Parameters
    ----------
    path : pathlib.Path
    rejects_table : str or None
        Collect unparsable rows (with line numbers) in this temp table; None skips them.
    """
    types = {name: _TYPES.get(name, "VARCHAR") for name in GDELT_COLUMNS}
    columns = ", ".join(
        f"'{name}': '{kind.format(cameo=CAMEO_CODE_TYPE)}'" for name, kind in types.items()
    )
    quoted = str(path).replace("'", "''")
    if rejects_table:
        errors = (
            f"store_rejects = true, rejects_table = '{rejects_table}', "
            f"rejects_scan = '{rejects_table}_scans'"
        )
    else:
        errors = "ignore_errors = true"
    source = (
        f"read_csv('{quoted}', delim = '\\t', header = false, quote = '', escape = '', "
        f"auto_detect = false, dateformat = '%Y%m%d', timestampformat = '%Y%m%d%H%M%S', "
        f"buffer_size = {_BUFFER_BYTES}, "
        f"columns = {{{columns}}}, {errors})"
    )
    return f"(SELECT {', '.join(PARSED_COLUMNS)} FROM {source})"
