"""Which records of a parsed file the store already holds: what every identity rule shares.

Imports are idempotent by content, not by bytes: a record the store holds from an
earlier source is not stored again, whatever the file's packaging (zipped, CRLF line
ends, re-saved as UTF-8). What makes two records the same is each format's identity rule
(:attr:`spillover.data.format.Format.identity`):

* **SIPRI deal**: :func:`spillover.data.sipri_deals.match_deals` (the same deal id, or
  the same supplier, recipient, year of order and weapon, from either export format);
* **TIV table row**: the same direction, country name and value of every year
  (:mod:`spillover.data.tiv`);
* **NMC state-year**: the same values in every column (:func:`same_values`);
* **GDELT event**: the same GLOBALEVENTID and SQLDATE (:mod:`spillover.data.gdelt_keys`).

Records of another generation (other years, revised values) are other records: they are
stored, with a note naming the sources they overlap.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from spillover.data.parsed import ParsedFile

__all__ = ["Known", "drop_known", "row_text", "same_values", "sources_text"]


@dataclass
class Known:
    """The records of a parsed file that the store already holds (taken out of it)."""

    records: int = 0
    sources: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


Rule = Callable[[duckdb.DuckDBPyConnection, ParsedFile], Known]


def drop_known(con: duckdb.DuckDBPyConnection, rule: Rule, parsed: ParsedFile) -> Known:
    """Take the records the store holds out of ``parsed`` (tables and record count).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    rule : callable
        The format's identity rule, ``rule(con, parsed) -> Known``; it takes the known
        rows out of ``parsed.tables``.
    parsed : ParsedFile
        Changed in place.

    Returns
    -------
    Known
    """
    known = rule(con, parsed)
    parsed.records -= known.records
    return known


def row_text(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.Series:
    """One string per row of the values of ``columns`` (NULL as empty).

    >>> row_text(pd.DataFrame({"a": [1, None], "b": ["x", "y"]}), ["a", "b"]).tolist()
    ['1.0\\x1fx', '\\x1fy']
    """
    parts = [frame[c].astype("string").fillna("") for c in columns]
    return parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]


def sources_text(ids: object) -> str:
    """``source 3`` or ``sources 1, 4`` for the source ids in ``ids``.

    >>> sources_text([4, 1, 4])
    'sources 1, 4'
    """
    found = sorted({int(i) for i in ids})  # type: ignore[attr-defined]
    return f"source{'s' if len(found) > 1 else ''} {', '.join(map(str, found))}"


def same_values(table: str, content: tuple[str, ...], key: tuple[str, ...], unit: str) -> Rule:
    """An identity rule: a row of ``table`` is known when every column of ``content`` is.

    Parameters
    ----------
    table : str
        The one table the format fills.
    content : tuple of str
        The columns that make up a record (the same values: the same record).
    key : tuple of str
        The columns naming a record (a state-year): a stored row with the same key and
        other values is another generation of the data, noted but not matched.
    unit : str
        What a record is called in the notes, plural (``"state-years"``).

    Returns
    -------
    callable
        ``rule(con, parsed) -> Known``, for :attr:`Format.identity`.
    """

    def rule(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> Known:
        frame = parsed.tables[table]
        if frame.empty:
            return Known()
        stored = con.execute(f"SELECT source_id, {', '.join(content)} FROM {table}").df()
        if stored.empty:
            return Known()
        stored = stored.astype({c: frame[c].dtype for c in content})
        mine, theirs = row_text(frame, content), row_text(stored, content)
        dup = mine.isin(set(theirs)).to_numpy()
        held = stored.loc[theirs.isin(set(mine[dup])).to_numpy(), "source_id"]
        parsed.tables[table] = frame[~dup].reset_index(drop=True)
        notes = []
        if dup.any():
            notes.append(f"{int(dup.sum())} {unit} already in the store ({sources_text(held)})")
        keys = row_text(frame[~dup], key)
        other = stored[row_text(stored, key).isin(set(keys)).to_numpy()]
        if not other.empty:
            notes.append(
                f"{len(other)} {unit} are also in {sources_text(other['source_id'])} with other "
                "values: use one source_id at a time"
            )
        return Known(int(dup.sum()), set(held.astype(int)), notes)

    return rule
