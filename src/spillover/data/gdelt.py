"""GDELT 2.0 event exports (61 tab-separated columns, no header) -> ``gdelt_events``.

DuckDB does the parsing and the validation, in SQL, inside the import transaction:

1. ``read_csv`` with explicit types for the stored columns; rows it cannot parse (wrong
   column count, non-numeric numbers, impossible dates, invalid UTF-8) are collected by
   ``store_rejects`` with their line numbers.
2. The same scan computes a rejection reason for rows that parse but are wrong (unknown
   CAMEO codes, dates out of range, QuadClass outside 1-4, ...) and inserts only the rows
   without one, mapping CAMEO actor country codes to canonical ids on the way.
3. Only if rows were rejected in step 2 (the line count says so), a second scan collects
   them and a single pass over the file finds their line numbers.

Only the columns analysis needs are stored (see ``docs/data.md``); the full row stays
in the source file, identified by ``sources.sha256`` and ``global_event_id``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd

from spillover.data.cameo import event_codes
from spillover.data.countries import CAMEO_NON_ISO, CAMEO_REGIONS, iso3_codes, resolve_names

__all__ = ["GDELT_COLUMNS", "GdeltLoad", "load_gdelt"]

_TAB = "\t"
_STORED_TYPES = {
    "GLOBALEVENTID": "BIGINT",
    "SQLDATE": "DATE",
    "IsRootEvent": "INTEGER",
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

# Stored column <- source expression (``r`` is the parsed file).
_SELECT = {
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
    "event_code": "r.EventCode",
    "event_base_code": "r.EventBaseCode",
    "event_root_code": "r.EventRootCode",
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
_PARSED_COLUMNS = sorted({m for e in _SELECT.values() for m in re.findall(r"r\.(\w+)", e)})

#: Earliest event date GDELT codes (its 1979 backfile) and first GDELT 2.0 export.
EARLIEST_EVENT = "1979-01-01"
FIRST_EXPORT = "2015-02-18"


def _code_known(column: str) -> str:
    """SQL test that ``column`` is a CAMEO event code (a constant ``IN`` list)."""
    codes = ", ".join(f"'{code}'" for code in event_codes()["code"])
    return f"{column} IN ({codes})"


def _quoted(column: str) -> str:
    """SQL text: the column's value in single quotes (empty when NULL)."""
    return f"'''' || coalesce({column}::VARCHAR, '') || ''''"


#: (condition a valid row meets, SQL text of the reason when it does not).
_CHECKS: tuple[tuple[str, str], ...] = (
    ("GLOBALEVENTID IS NOT NULL", "'missing GLOBALEVENTID'"),
    ("SQLDATE IS NOT NULL", "'missing SQLDATE'"),
    ("DATEADDED IS NOT NULL", "'missing DATEADDED'"),
    (
        f"DATEADDED BETWEEN TIMESTAMP '{FIRST_EXPORT}' AND now()::TIMESTAMP + INTERVAL 1 DAY",
        "'DATEADDED ' || strftime(DATEADDED, '%Y%m%d%H%M%S') || "
        f"' out of range ({FIRST_EXPORT} to now)'",
    ),
    (
        f"SQLDATE BETWEEN DATE '{EARLIEST_EVENT}' AND DATEADDED::DATE + 1",
        f"'SQLDATE ' || strftime(SQLDATE, '%Y%m%d') || ' out of range ({EARLIEST_EVENT} to "
        "the day after DATEADDED)'",
    ),
    (_code_known("EventCode"), "'unknown CAMEO event code ' || " + _quoted("EventCode")),
    (
        _code_known("EventBaseCode"),
        "'unknown CAMEO event base code ' || " + _quoted("EventBaseCode"),
    ),
    (
        _code_known("EventRootCode"),
        "'unknown CAMEO event root code ' || " + _quoted("EventRootCode"),
    ),
    ("QuadClass BETWEEN 1 AND 4", "'QuadClass ' || " + _quoted("QuadClass") + " || ' not in 1-4'"),
    (
        "GoldsteinScale BETWEEN -10 AND 10",
        "'GoldsteinScale ' || " + _quoted("GoldsteinScale") + " || ' not in -10..10'",
    ),
    ("NumMentions >= 0", "'NumMentions ' || " + _quoted("NumMentions") + " || ' is not a count'"),
    (
        "IsRootEvent IN (0, 1)",
        "'IsRootEvent ' || " + _quoted("IsRootEvent") + " || ' is not 0 or 1'",
    ),
)
#: True for rows that pass every check; NULL or false otherwise.
_VALID = " AND ".join(f"({condition})" for condition, _ in _CHECKS)
#: The first failed check of a row, as text.
_REASON = (
    "CASE "
    + " ".join(f"WHEN NOT coalesce({c}, false) THEN {r}" for c, r in _CHECKS)
    + " ELSE NULL END"
)

_PARSE_REASON = """CASE
    WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN
        CASE WHEN line = $last_line AND $truncated THEN 'truncated last line: ' ELSE '' END
        || 'wrong column count: expected 61 columns, found '
        || len(string_split(csv_line, chr(9)))::VARCHAR
    WHEN error_type = 'CAST' THEN 'invalid ' || column_name || ' value '''
        || coalesce(regexp_extract(error_message, 'string "(.*)" to', 1), '?') || ''''
    WHEN error_type LIKE 'INVALID %' THEN 'invalid UTF-8 byte sequence (not UTF-8 encoded)'
    WHEN error_type = 'LINE SIZE OVER MAXIMUM' THEN 'line too long'
    ELSE lower(error_type) || ': ' || error_message
END"""


@dataclass(frozen=True)
class GdeltLoad:
    """Outcome of :func:`load_gdelt`.

    Attributes
    ----------
    inserted : int
        Events written to ``gdelt_events``.
    rejected : int
        Rows written to ``rejected_rows``.
    unmapped_codes : list of str
        CAMEO actor country codes no rule maps (their events keep ``X-CAMEO-<code>``).
    generated_at : datetime or None
        Publication time from a ``YYYYMMDDHHMMSS.export.CSV`` file name.
    """

    inserted: int
    rejected: int
    unmapped_codes: list[str]
    generated_at: datetime | None


def _literals(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _actor_id_expression(column: str) -> str:
    """SQL mapping a CAMEO country code column to canonical ids, without a join.

    A constant ``IN`` list is a hash lookup per row; a join against a mapping table
    would let the optimiser build a hash table over the file instead.
    """
    codes = sorted(iso3_codes() | set(CAMEO_NON_ISO) | set(CAMEO_REGIONS))
    resolved = resolve_names(codes, "cameo")
    same = resolved.loc[resolved["name"] == resolved["actor_id"], "name"].tolist()
    other = resolved.loc[resolved["name"] != resolved["actor_id"]]
    cases = [f"WHEN {column} IN ({_literals(same)}) THEN {column}"]
    cases += [
        f"WHEN {column} = '{code}' THEN '{actor_id}'"
        for code, actor_id in zip(other["name"], other["actor_id"], strict=True)
    ]
    cases.append(f"WHEN {column} IS NOT NULL THEN 'X-CAMEO-' || {column}")
    return "CASE " + " ".join(cases) + " END"


def _select_list() -> tuple[str, str]:
    targets = ", ".join(_SELECT)
    expressions = ", ".join(_SELECT.values()).format(
        actor1_id=_actor_id_expression("r.Actor1CountryCode"),
        actor2_id=_actor_id_expression("r.Actor2CountryCode"),
    )
    return targets, expressions


def _read_csv(path: Path, *, rejects: bool) -> str:
    columns = ", ".join(
        f"'{name}': '{_STORED_TYPES.get(name, 'VARCHAR')}'" for name in GDELT_COLUMNS
    )
    quoted = str(path).replace("'", "''")
    options = (
        "store_rejects = true, rejects_table = '_gdelt_reject_errors', "
        "rejects_scan = '_gdelt_reject_scans'"
        if rejects
        else "ignore_errors = true"
    )
    return (
        f"read_csv('{quoted}', delim = '\\t', header = false, quote = '', escape = '', "
        f"auto_detect = false, dateformat = '%Y%m%d', timestampformat = '%Y%m%d%H%M%S', "
        f"columns = {{{columns}}}, {options})"
    )


def _parsed(path: Path, *, rejects: bool) -> str:
    columns = ", ".join(_PARSED_COLUMNS)
    return f"(SELECT {columns} FROM {_read_csv(path, rejects=rejects)})"


def load_gdelt(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    source_id: int,
    file_name: str,
    lines: int,
    ends_with_newline: bool,
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
    lines : int
        Physical line count of ``path``.
    ends_with_newline : bool
        Whether the file ends with a newline (else its last line may be truncated).

    Returns
    -------
    GdeltLoad
    """
    con.execute("DROP TABLE IF EXISTS _gdelt_reject_errors")
    con.execute("DROP TABLE IF EXISTS _gdelt_reject_scans")
    targets, expressions = _select_list()
    inserted = con.execute(
        f"""INSERT INTO gdelt_events (source_id, {targets})
        SELECT {int(source_id)}, {expressions}
        FROM {_parsed(path, rejects=True)} r
        WHERE {_VALID}"""
    ).fetchall()[0][0]
    parse_rejected = con.execute(
        f"""INSERT INTO rejected_rows
        SELECT {int(source_id)}, $file, line, string_agg(DISTINCT reason, '; '), first(csv_line)
        FROM (SELECT line, csv_line, {_PARSE_REASON} AS reason FROM _gdelt_reject_errors)
        GROUP BY line""",
        {"file": file_name, "last_line": lines, "truncated": not ends_with_newline},
    ).fetchall()[0][0]
    con.execute("DROP TABLE IF EXISTS _gdelt_reject_errors")
    con.execute("DROP TABLE IF EXISTS _gdelt_reject_scans")
    rejected = int(parse_rejected)
    if lines - int(inserted) - rejected > 0:
        rejected += _reject_invalid_rows(con, path, source_id, file_name)
    unmapped = [
        row[0]
        for row in con.execute(
            """SELECT DISTINCT code FROM (
                SELECT actor1_country_code AS code, actor1_id AS id FROM gdelt_events
                WHERE source_id = $sid
                UNION ALL
                SELECT actor2_country_code, actor2_id FROM gdelt_events WHERE source_id = $sid
            ) WHERE id LIKE 'X-CAMEO-%' ORDER BY code""",
            {"sid": int(source_id)},
        ).fetchall()
    ]
    return GdeltLoad(int(inserted), rejected, unmapped, _generated_at(file_name))


def _reject_invalid_rows(
    con: duckdb.DuckDBPyConnection, path: Path, source_id: int, file_name: str
) -> int:
    """Second scan: rows that parsed but failed validation, with their line numbers."""
    bad = con.execute(
        f"SELECT GLOBALEVENTID, {_REASON} FROM {_parsed(path, rejects=False)} r "
        f"WHERE NOT coalesce({_VALID}, false)"
    ).fetchall()
    if not bad:
        return 0
    wanted: dict[bytes, list[str]] = {}
    unnumbered: list[str] = []
    for event_id, reason in bad:
        if event_id is None:
            unnumbered.append(reason)
        else:
            wanted.setdefault(str(event_id).encode(), []).append(reason)
    rows: list[tuple[int | None, str, str | None]] = []
    with open(path, "rb") as handle:
        for number, line in enumerate(handle, start=1):
            key = line[: line.find(b"\t")]
            reasons = wanted.get(key)
            if reasons:
                text = line.rstrip(b"\r\n").decode("utf-8", errors="replace")
                rows.append((number, reasons.pop(0), text[:2000]))
    rows.extend((None, reason, None) for reason in unnumbered)
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


def _generated_at(file_name: str) -> datetime | None:
    match = re.match(r"^(\d{14})\.export\.csv", file_name, re.IGNORECASE)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1), "%Y%m%d%H%M%S")
    except ValueError:
        return None
