"""Conversion and validation of GDELT rows, vectorised with pyarrow and numpy.

:func:`check_columns` turns the text columns of a parsed block into typed columns and a
reason for every row that cannot be stored:

* a value that does not convert (``invalid NumMentions value 'many'``, an impossible date,
  text that is not UTF-8, a code that is not one of the 311 CAMEO event codes); all such
  errors of a row are listed, joined by ``"; "``;
* else the first check of :data:`CHECKS` the row fails (a missing id or date, a date or
  score out of range, ...).

Only the rows that fail are looked at one by one, to word their reasons.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from spillover.data.gdelt_columns import CODE_LABELS, KINDS, cameo_codes

__all__ = [
    "CHECKS",
    "EARLIEST_EVENT",
    "FIRST_EXPORT",
    "MAX_EVENT_ID",
    "Checked",
    "check_columns",
]

#: Earliest event date GDELT codes (its 1979 backfile) and the first GDELT 2.0 export.
EARLIEST_EVENT = "1979-01-01"
FIRST_EXPORT = "2015-02-18"
#: Largest GLOBALEVENTID accepted (2**47 - 1; GDELT's ids are about 10**9), so that an
#: event's id and date fit in one 64-bit key (see :mod:`spillover.data.gdelt_keys`).
MAX_EVENT_ID = 2**47 - 1

_NUMBER_TYPES = {"int32": pa.int32(), "int64": pa.int64(), "float64": pa.float64()}
_PATTERNS = {
    "int32": r"^[+-]?[0-9]+$",
    "int64": r"^[+-]?[0-9]+$",
    "float64": r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$",
}
_DAY_US = 86_400 * 10**6
_NOT_UTF8 = "invalid UTF-8 byte sequence (not UTF-8 encoded)"

Columns = dict[str, pa.Array]
Raw = Callable[[str], str]  # raw text of one column of the row being worded


@dataclass(frozen=True)
class _Check:
    passes: Callable[[Columns, datetime], pa.Array]  # true for a valid row (NULL fails)
    reason: Callable[[Raw], str]


def _between(column: str, low: float, high: float) -> Callable[[Columns, datetime], pa.Array]:
    return lambda c, _now: pc.and_(pc.greater_equal(c[column], low), pc.less_equal(c[column], high))


def _present(column: str) -> _Check:
    return _Check(lambda c, _now: pc.is_valid(c[column]), lambda _raw: f"missing {column}")


def _added_in_range(c: Columns, now: datetime) -> pa.Array:
    low = pa.scalar(datetime.fromisoformat(FIRST_EXPORT), pa.timestamp("us"))
    high = pa.scalar(now + timedelta(days=1), pa.timestamp("us"))
    return pc.and_(pc.greater_equal(c["DATEADDED"], low), pc.less_equal(c["DATEADDED"], high))


def _date_in_range(c: Columns, _now: datetime) -> pa.Array:
    earliest = pa.scalar(datetime.fromisoformat(EARLIEST_EVENT).date(), pa.date32())
    days = pc.cast(c["SQLDATE"], pa.int32())
    latest = pc.add(pc.divide(pc.cast(c["DATEADDED"], pa.int64()), _DAY_US), 1)
    return pc.and_(pc.greater_equal(c["SQLDATE"], earliest), pc.less_equal(days, latest))


#: The checks a converted row must pass, in the order its reason reports them.
CHECKS: tuple[_Check, ...] = (
    _present("GLOBALEVENTID"),
    _present("SQLDATE"),
    _present("DATEADDED"),
    _Check(
        _between("GLOBALEVENTID", 1, MAX_EVENT_ID),
        lambda raw: f"GLOBALEVENTID {raw('GLOBALEVENTID')} out of range (1 to {MAX_EVENT_ID})",
    ),
    _Check(
        _added_in_range,
        lambda raw: f"DATEADDED {raw('DATEADDED')} out of range ({FIRST_EXPORT} to now)",
    ),
    _Check(
        _date_in_range,
        lambda raw: f"SQLDATE {raw('SQLDATE')} out of range ({EARLIEST_EVENT} to the day after DATEADDED)",
    ),
    _present("EventCode"),
    _present("EventBaseCode"),
    _present("EventRootCode"),
    _Check(_between("QuadClass", 1, 4), lambda raw: f"QuadClass '{raw('QuadClass')}' not in 1-4"),
    _Check(
        _between("GoldsteinScale", -10, 10),
        lambda raw: f"GoldsteinScale '{raw('GoldsteinScale')}' not in -10..10",
    ),
    _Check(
        lambda c, _now: pc.greater_equal(c["NumMentions"], 0),
        lambda raw: f"NumMentions '{raw('NumMentions')}' is not a count",
    ),
    _Check(
        lambda c, _now: pc.is_in(c["IsRootEvent"], value_set=pa.array([0, 1], pa.int32())),
        lambda raw: f"IsRootEvent '{raw('IsRootEvent')}' is not 0 or 1",
    ),
)


@dataclass(frozen=True)
class Checked:
    """Outcome of :func:`check_columns`.

    Attributes
    ----------
    columns : dict of str to pyarrow.Array
        Every parsed column, converted (NULL where a value did not convert).
    valid : pyarrow.BooleanArray or None
        True for the rows to store; None when every row is valid.
    reasons : dict of int to str
        Row index -> why the row is rejected.
    """

    columns: Columns
    valid: pa.Array | None
    reasons: dict[int, str]


def check_columns(raw: pa.Table, now: datetime) -> Checked:
    """Convert and validate the columns of one parsed block.

    Parameters
    ----------
    raw : pyarrow.Table
        The columns of :data:`~spillover.data.gdelt_columns.KINDS` as read: text (string,
        or binary when the block holds text that is not UTF-8), NULL for empty fields.
    now : datetime
        Local time of the import, the upper bound of DATEADDED (plus one day).

    Returns
    -------
    Checked
    """
    columns: Columns = {}
    errors: dict[int, list[str]] = {}
    for name, kind in KINDS.items():
        values, not_utf8 = _utf8(_array(raw.column(name)))
        for index in not_utf8.tolist():
            errors.setdefault(index, []).append(_NOT_UTF8)
        converted, bad = _convert(values, kind)
        columns[name] = converted
        if not len(bad):
            continue
        for index in np.setdiff1d(bad, not_utf8).tolist():
            value = _text(raw.column(name)[index].as_py())
            errors.setdefault(index, []).append(_parse_reason(name, kind, value))
    failed = np.zeros(raw.num_rows, dtype=bool)
    if errors:
        failed[list(errors)] = True
    first_failure = np.full(raw.num_rows, -1)
    for number, check in enumerate(CHECKS):
        passes = pc.fill_null(check.passes(columns, now), False)
        if pc.all(passes).as_py() is not False:
            continue
        fails = ~passes.to_numpy(zero_copy_only=False) & (first_failure < 0)
        first_failure[fails] = number
    reasons = {index: "; ".join(found) for index, found in errors.items()}
    for index in np.flatnonzero((first_failure >= 0) & ~failed).tolist():
        check = CHECKS[first_failure[index]]
        reasons[index] = check.reason(lambda name, i=index: _text(raw.column(name)[i].as_py()))
    if not reasons:
        return Checked(columns, None, {})
    valid = np.ones(raw.num_rows, dtype=bool)
    valid[list(reasons)] = False
    return Checked(columns, pa.array(valid), reasons)


def _array(column: pa.ChunkedArray) -> pa.Array:
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()


def _text(value: str | bytes | None) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value or ""


def _parse_reason(name: str, kind: str, value: str) -> str:
    if kind == "cameo":
        return f"unknown CAMEO {CODE_LABELS[name]} '{value}'"
    return f"invalid {name} value '{value}'"


def _convert(values: pa.Array, kind: str) -> tuple[pa.Array, np.ndarray]:
    """``(converted values, indices of the values that do not convert)``."""
    if kind == "text":
        return values, np.empty(0, dtype=np.int64)
    if kind == "cameo":
        known = pc.or_kleene(pc.is_in(values, value_set=cameo_codes()), pc.is_null(values))
        bad = np.flatnonzero(~known.to_numpy(zero_copy_only=False))
        return values, bad
    if kind in ("date", "timestamp"):
        return _by_distinct_value(values, kind)
    return _numbers(values, kind)


def _by_distinct_value(values: pa.Array, kind: str) -> tuple[pa.Array, np.ndarray]:
    """Convert each distinct date once (a 15-minute export has few of them)."""
    encoded = pc.dictionary_encode(values)
    converted, bad = _datetimes(encoded.dictionary, kind)
    out = pc.take(converted, encoded.indices)
    if not len(bad):
        return out, bad
    indices = encoded.indices.to_numpy(zero_copy_only=False)
    return out, np.flatnonzero(np.isin(indices, bad))


def _utf8(values: pa.Array) -> tuple[pa.Array, np.ndarray]:
    if values.type == pa.string():
        return values, np.empty(0, dtype=np.int64)
    try:
        return pc.cast(values, pa.string()), np.empty(0, dtype=np.int64)
    except pa.ArrowInvalid:
        pass
    bad = []
    for index, value in enumerate(values.to_pylist()):
        try:
            if value is not None:
                value.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(index)
    return pc.cast(_nulled(values, bad), pa.string()), np.asarray(bad, dtype=np.int64)


def _numbers(values: pa.Array, kind: str) -> tuple[pa.Array, np.ndarray]:
    target = _NUMBER_TYPES[kind]
    try:
        return pc.cast(values, target), np.empty(0, dtype=np.int64)
    except pa.ArrowInvalid:
        pass
    looks = pc.fill_null(pc.match_substring_regex(values, _PATTERNS[kind]), True)
    suspects = np.flatnonzero(~looks.to_numpy(zero_copy_only=False)).tolist()
    bad = [i for i in suspects if not _converts(values[i], target)]
    try:
        return pc.cast(_nulled(values, bad), target), np.asarray(bad, dtype=np.int64)
    except pa.ArrowInvalid:  # e.g. a number too large for the type
        bad = [i for i in range(len(values)) if not _converts(values[i], target)]
        return pc.cast(_nulled(values, bad), target), np.asarray(bad, dtype=np.int64)


def _converts(value: pa.Scalar, target: pa.DataType) -> bool:
    try:
        pc.cast(value, target)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _nulled(values: pa.Array, indices: list[int]) -> pa.Array:
    if not indices:
        return values
    mask = np.zeros(len(values), dtype=bool)
    mask[indices] = True
    return pc.if_else(pa.array(mask), pa.scalar(None, values.type), values)


_DIGITS = {"date": 8, "timestamp": 14}


def _datetimes(values: pa.Array, kind: str) -> tuple[pa.Array, np.ndarray]:
    """``YYYYMMDD`` to date32 or ``YYYYMMDDHHMMSS`` to timestamp[us], checked by value."""
    digits = _DIGITS[kind]
    number, bad = _numbers(values, "int64")
    present = pc.is_valid(number).to_numpy(zero_copy_only=False)
    stamp = pc.fill_null(number, 19700101 * 10 ** (digits - 8)).to_numpy()
    shape = pc.fill_null(pc.equal(pc.utf8_length(values), digits), True)
    well_formed = shape.to_numpy(zero_copy_only=False) & (stamp >= 0)
    day = stamp // 10 ** (digits - 8)
    year, month, mday = day // 10000, day // 100 % 100, day % 100
    months = ((year - 1970) * 12 + month - 1).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    ok = (
        well_formed
        & (year >= 1)
        & (year <= 9999)
        & (month >= 1)
        & (month <= 12)
        & (mday >= 1)
        & (mday <= length)
    )
    days = first.astype(np.int64) + mday - 1
    if kind == "date":
        out = pa.array(days.astype(np.int32), pa.date32(), mask=~(ok & present))
    else:
        hour, minute, second = stamp // 10000 % 100, stamp // 100 % 100, stamp % 100
        ok &= (hour < 24) & (minute < 60) & (second < 60)
        micros = (days * 86_400 + hour * 3600 + minute * 60 + second) * 10**6
        out = pa.array(micros, pa.timestamp("us"), mask=~(ok & present))
    invalid = np.flatnonzero(present & ~ok)
    return out, np.union1d(bad, invalid).astype(np.int64)
