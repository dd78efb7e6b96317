"""Which events of a GDELT export are repeats: of an earlier line, or of the store.

An event is identified by its GLOBALEVENTID and SQLDATE. Both are packed in one 64-bit
key, ``id * 2**16 + days since 1979-01-01``: the checks keep ids below 2**47 and dates
between 1979-01-01 and the day after DATEADDED, so the key is exact and sorts by id.

* :func:`repeats_within` finds the rows of one block that repeat an earlier row of it;
* :class:`FileKeys` remembers the keys of the blocks read so far (per block, sorted,
  with the id range of the block, so that a block of new ids costs two comparisons);
* :class:`StoredKeys` looks keys up in the store, only for the sources whose id range
  (``gdelt_coverage``) meets the block's, through a second connection that reads what is
  committed while the import's own transaction writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pyarrow as pa

__all__ = [
    "FileKeys",
    "Repeats",
    "StoredKeys",
    "event_keys",
    "key_ids",
    "key_label",
    "repeats_within",
]

_EPOCH_DAYS = int(np.datetime64("1979-01-01", "D").astype(np.int64))
_DATE_BITS = 16


def event_keys(table: pa.Table) -> np.ndarray:
    """The key of every row of a checked block (``global_event_id``, ``event_date``)."""
    ids = np.asarray(table.column("global_event_id").to_numpy(), dtype=np.int64)
    days = np.asarray(table.column("event_date").cast(pa.int32()).to_numpy(), dtype=np.int64)
    return (ids << _DATE_BITS) | (days - _EPOCH_DAYS)


def key_ids(keys: np.ndarray) -> np.ndarray:
    """The GLOBALEVENTIDs of keys."""
    return keys >> _DATE_BITS


def key_label(key: int) -> str:
    """``GLOBALEVENTID 881990837, SQLDATE 20191024``: an event key for a reason text."""
    day = np.datetime64((int(key) & (2**_DATE_BITS - 1)) + _EPOCH_DAYS, "D")
    return f"GLOBALEVENTID {int(key) >> _DATE_BITS}, SQLDATE {str(day).replace('-', '')}"


@dataclass(frozen=True)
class Repeats:
    """Rows repeating an earlier row: ``rows[i]`` repeats ``firsts[i]`` (row indices);
    ``order``: the other rows, in the order of their keys."""

    rows: np.ndarray
    firsts: np.ndarray
    order: np.ndarray


def repeats_within(keys: np.ndarray) -> Repeats:
    """The rows whose key an earlier row of ``keys`` has; the first of each stays."""
    order = np.argsort(keys, kind="stable")  # equal keys keep their order
    ordered = keys[order]
    same = ordered[1:] == ordered[:-1]
    if not same.any():
        empty = np.empty(0, dtype=np.int64)
        return Repeats(empty, empty, order)
    starts = np.concatenate(([True], ~same))
    run_first = np.maximum.accumulate(np.where(starts, np.arange(len(ordered)), 0))
    repeated = np.flatnonzero(~starts)
    return Repeats(order[repeated], order[run_first[repeated]], order[starts])


@dataclass
class FileKeys:
    """The keys of the blocks of a file read so far, with their physical lines."""

    _low: list[int] = field(default_factory=list)
    _high: list[int] = field(default_factory=list)
    _keys: list[np.ndarray] = field(default_factory=list)  # sorted, per block
    _lines: list[np.ndarray] = field(default_factory=list)  # the line of each key

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(indices into keys, line of the earlier event)`` of the keys seen before."""
        rows, lines = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
        if not len(keys) or not self._low:
            return rows[0], lines[0]
        low, high = int(keys.min()), int(keys.max())
        meets = (np.asarray(self._low) <= high) & (np.asarray(self._high) >= low)
        for block in np.flatnonzero(meets):
            seen = self._keys[block]
            at = np.minimum(np.searchsorted(seen, keys), len(seen) - 1)
            hit = np.flatnonzero(seen[at] == keys)
            rows.append(hit)
            lines.append(self._lines[block][at[hit]])
        found, first = np.concatenate(rows), np.concatenate(lines)
        found, index = np.unique(found, return_index=True)  # the earliest block wins
        return found, first[index]

    def add(self, keys: np.ndarray, lines: np.ndarray) -> None:
        """Remember a block's keys (none of them seen before, sorted) and their lines.

        12 bytes per event (the key, and the line in 32 bits while it fits): a file of
        ten million events keeps 120 MB of them.
        """
        if not len(keys):
            return
        self._keys.append(keys)
        self._lines.append(lines.astype(np.uint32) if lines.max() < 2**32 else lines)
        self._low.append(int(keys[0]))
        self._high.append(int(keys[-1]))


class StoredKeys:
    """The events already in the store, looked up by the id ranges of its sources.

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
        The import's connection; lookups run on a cursor of it (committed data only).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        ranges = con.execute(
            "SELECT source_id, first_event_id, last_event_id FROM gdelt_coverage "
            "WHERE events > 0 ORDER BY source_id"
        ).fetchall()
        self._sources = np.asarray([r[0] for r in ranges], dtype=np.int64)
        self._low = np.asarray([r[1] for r in ranges], dtype=np.int64)
        self._high = np.asarray([r[2] for r in ranges], dtype=np.int64)
        self._con = con
        self._cursor: duckdb.DuckDBPyConnection | None = None

    def find(self, keys: np.ndarray) -> tuple[np.ndarray, set[int]]:
        """``(indices into keys of stored events, the sources holding them)``."""
        none = np.empty(0, dtype=np.int64)
        if not len(keys) or not len(self._sources):
            return none, set()
        ids = key_ids(keys)
        low, high = int(ids.min()), int(ids.max())
        meets = self._sources[(self._low <= high) & (self._high >= low)]
        if not len(meets):
            return none, set()
        if self._cursor is None:
            self._cursor = self._con.cursor()
        sources = ", ".join(str(int(s)) for s in meets)
        stored = self._cursor.sql(
            "SELECT global_event_id, event_date, source_id FROM gdelt_events "
            f"WHERE source_id IN ({sources}) AND global_event_id BETWEEN $low AND $high",
            params={"low": low, "high": high},
        ).to_arrow_table()
        if not stored.num_rows:
            return none, set()
        stored_keys = event_keys(stored)
        hit = np.flatnonzero(np.isin(keys, stored_keys))
        held = stored.column("source_id").to_numpy()[np.isin(stored_keys, keys[hit])]
        return hit, {int(s) for s in np.unique(held)}

    def close(self) -> None:
        """Close the lookup cursor, if one was opened."""
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
