"""Validation of GDELT rows, in SQL: one list of checks, three forms.

* :data:`VALID`, a conjunction for the ``WHERE`` of the import scan;
* :data:`INVALID`, its negation (NULL counts as a failure);
* :data:`REASON`, the first failed check as text, for the few rows that fail.

Rows that DuckDB cannot parse never reach these checks: wrong column count, non-numeric
values, impossible dates, invalid UTF-8, and unknown CAMEO codes (the codes are parsed as
an ENUM of the 311 CAMEO codes). :data:`PARSE_REASON` words those errors.
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["EARLIEST_EVENT", "FIRST_EXPORT", "INVALID", "PARSE_REASON", "REASON", "VALID"]

#: Earliest event date GDELT codes (its 1979 backfile) and the first GDELT 2.0 export.
EARLIEST_EVENT = "1979-01-01"
FIRST_EXPORT = "2015-02-18"


class _Check(NamedTuple):
    condition: str  # true for a valid row
    reason: str  # SQL text explaining a failure


def _quoted(column: str) -> str:
    return f"'''' || coalesce({column}::VARCHAR, '') || ''''"


_CHECKS = (
    _Check("GLOBALEVENTID IS NOT NULL", "'missing GLOBALEVENTID'"),
    _Check("SQLDATE IS NOT NULL", "'missing SQLDATE'"),
    _Check("DATEADDED IS NOT NULL", "'missing DATEADDED'"),
    _Check(
        f"DATEADDED BETWEEN TIMESTAMP '{FIRST_EXPORT}' AND now()::TIMESTAMP + INTERVAL 1 DAY",
        "'DATEADDED ' || strftime(DATEADDED, '%Y%m%d%H%M%S') || "
        f"' out of range ({FIRST_EXPORT} to now)'",
    ),
    _Check(
        f"SQLDATE BETWEEN DATE '{EARLIEST_EVENT}' AND DATEADDED::DATE + 1",
        f"'SQLDATE ' || strftime(SQLDATE, '%Y%m%d') || ' out of range ({EARLIEST_EVENT} to "
        "the day after DATEADDED)'",
    ),
    _Check("EventCode IS NOT NULL", "'missing EventCode'"),
    _Check("EventBaseCode IS NOT NULL", "'missing EventBaseCode'"),
    _Check("EventRootCode IS NOT NULL", "'missing EventRootCode'"),
    _Check(
        "QuadClass BETWEEN 1 AND 4", "'QuadClass ' || " + _quoted("QuadClass") + " || ' not in 1-4'"
    ),
    _Check(
        "GoldsteinScale BETWEEN -10 AND 10",
        "'GoldsteinScale ' || " + _quoted("GoldsteinScale") + " || ' not in -10..10'",
    ),
    _Check(
        "NumMentions >= 0", "'NumMentions ' || " + _quoted("NumMentions") + " || ' is not a count'"
    ),
    _Check(
        "IsRootEvent IN (0, 1)",
        "'IsRootEvent ' || " + _quoted("IsRootEvent") + " || ' is not 0 or 1'",
    ),
)

#: True for a valid row (NULL or false otherwise).
VALID = " AND ".join(f"({c.condition})" for c in _CHECKS)

#: True for a row that fails any check (NULLs count as failures).
INVALID = f"NOT coalesce({VALID}, false)"

#: The first failed check, as text (NULL for a valid row).
REASON = (
    "CASE "
    + " ".join(f"WHEN NOT coalesce({c.condition}, false) THEN {c.reason}" for c in _CHECKS)
    + " END"
)

_BAD_VALUE = "coalesce(regexp_extract(error_message, 'string \"(.*)\" to', 1), '?')"
# DuckDB misnames the column of a failed ENUM cast, so the code column is found by value.
_CODE_LABEL = (
    f"CASE {_BAD_VALUE} WHEN string_split(csv_line, chr(9))[27] THEN 'event code' "
    f"WHEN string_split(csv_line, chr(9))[28] THEN 'event base code' ELSE 'event root code' END"
)

#: Wording of DuckDB's parse errors (columns of its ``store_rejects`` table).
PARSE_REASON = f"""CASE
    WHEN error_type IN ('MISSING COLUMNS', 'TOO MANY COLUMNS') THEN
        CASE WHEN line = $last_line AND $truncated THEN 'truncated last line: ' ELSE '' END
        || 'wrong column count: expected 61 columns, found '
        || len(string_split(csv_line, chr(9)))::VARCHAR
    WHEN error_type = 'CAST' AND error_message LIKE '%to ''ENUM(%'
        THEN 'unknown CAMEO ' || {_CODE_LABEL} || ' ''' || {_BAD_VALUE} || ''''
    WHEN error_type = 'CAST' THEN 'invalid ' || column_name || ' value ''' || {_BAD_VALUE} || ''''
    WHEN error_type LIKE 'INVALID %' THEN 'invalid UTF-8 byte sequence (not UTF-8 encoded)'
    WHEN error_type = 'LINE SIZE OVER MAXIMUM' THEN 'line too long'
    ELSE lower(error_type) || ': ' || error_message
END"""
