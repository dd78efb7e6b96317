"""SIPRI TIV tables (imports or exports by country and year) -> ``tiv``.

SIPRI writes ``0 `` (zero and a space) for a volume between 0 and 0.5 million TIV and
leaves the cell empty when no delivery was identified. Both facts are kept: ``tiv`` is
0 and ``below_half`` TRUE for the first; ``tiv`` and ``below_half`` are NULL for the
second. The trailing summary columns (``1950-2024``, ``Percentage`` ...) are derived
from the year columns and are not stored. The ``Total world ...`` row is kept with
``is_total`` TRUE and id ``X-WORLD``.

A row is the same record as a stored one when it has the same direction, country name and
value of every year (:func:`tiv_identity`); a table of another generation (other years,
revised values) is stored, with a note naming the sources it overlaps.
"""

from __future__ import annotations

import re

import duckdb
import pandas as pd

from spillover.data.countries import MAX_NAME, resolve_names
from spillover.data.errors import ImportRefusedError
from spillover.data.format import Format, Table, head_lines
from spillover.data.identity import Known, row_text, sources_text
from spillover.data.parsed import (
    MalformedRow,
    ParsedFile,
    RejectLog,
    parse_generated_at,
    split_fields,
    split_lines,
)

__all__ = ["FORMAT", "detect", "parse_tiv", "tiv_identity"]

_HEADER = re.compile(r"^[^,\d][^,]*,(19|20)\d\d,(19|20)\d\d,")
_YEAR = re.compile(r"^(19|20)\d\d$")
_NUMBER = re.compile(r"^\d+(\.\d+)?$")


def parse_tiv(text: str, variant: str, encoding: str) -> ParsedFile:
    """Parse a SIPRI TIV table.

    Parameters
    ----------
    text : str
        The decoded file.
    variant : {"tiv-imports", "tiv-exports"}
    encoding : str

    Returns
    -------
    ParsedFile
        Table ``tiv``: one row per country and year column (empty cells included).
    """
    lines = split_lines(text)
    header_index, header = _header(lines)
    year_columns = [(i, int(h)) for i, h in enumerate(header) if _YEAR.match(h.strip())]
    direction = variant.removeprefix("tiv-")
    rejects = RejectLog()
    rows = _rows(lines, header_index, len(header), year_columns, rejects)
    records = len({row[4] for row in rows})
    frame = pd.DataFrame(rows, columns=["country", "year", "tiv", "below_half", "line"])
    frame = frame.astype({"tiv": "Float64", "below_half": "boolean"})
    actors = resolve_names(frame["country"].unique().tolist(), "sipri")
    ids = dict(zip(actors["name"], actors["actor_id"], strict=True))
    frame["country_id"] = frame["country"].map(ids)
    frame["is_total"] = frame["country_id"] == "X-WORLD"
    frame["direction"] = direction
    years = [y for _, y in year_columns]
    notes = [f"{records} countries x {len(years)} years ({min(years)}-{max(years)}), {direction}"]
    return ParsedFile(
        variant=variant,
        encoding=encoding,
        generated_at=parse_generated_at(lines[:header_index]),
        records=records,
        tables={"tiv": frame},
        rejects=rejects,
        actors=actors.assign(scheme="sipri"),
        notes=notes,
    )


def _header(lines: list[str]) -> tuple[int, list[str]]:
    """The index and fields of the header line (``name,1950,1951,...``)."""
    header_index = next(
        (i for i, line in enumerate(lines[:100]) if re.match(r"^[^,\d][^,]*,(19|20)\d\d,", line)),
        None,
    )
    if header_index is None:
        raise ImportRefusedError("no TIV header line (name,1950,1951,...) found; truncated file?")
    try:
        return header_index, split_fields(lines[header_index])
    except MalformedRow as exc:
        raise ImportRefusedError(f"the TIV header line cannot be read: {exc}") from None


Cell = tuple[str, int, float | None, bool | None, int]  # country, year, tiv, below_half, line


def _rows(
    lines: list[str], header: int, width: int, years: list[tuple[int, int]], rejects: RejectLog
) -> list[Cell]:
    """One row per country line and year; bad lines go to ``rejects``."""
    rows: list[Cell] = []
    seen: dict[str, int] = {}
    for index in range(header + 1, len(lines)):
        raw, line_no = lines[index], index + 1
        if not raw.strip(","):
            continue
        try:
            name, cells = _country_row(raw, width, years, truncated=index >= len(lines) - 2)
            if name in seen:
                raise ValueError(f"country {name!r} appears twice (first on line {seen[name]})")
        except ValueError as exc:  # MalformedRow too
            rejects.add(line_no, str(exc), raw)
            continue
        seen[name] = line_no
        rows.extend((name, year, value, below, line_no) for year, value, below in cells)
    return rows


def _country_row(
    raw: str, width: int, years: list[tuple[int, int]], *, truncated: bool
) -> tuple[str, list[tuple[int, float | None, bool | None]]]:
    """The country name and its cells; ValueError (or MalformedRow) says what is wrong."""
    values = split_fields(raw)
    if len(values) != width:
        kind = "truncated row" if truncated else "wrong column count"
        raise ValueError(f"{kind}: expected {width} fields, found {len(values)}")
    name = values[0].strip()
    cells = [(year, *_cell(values[i], year)) for i, year in years]
    if not name:
        raise ValueError("empty country name")
    if len(name) > MAX_NAME:
        raise ValueError(f"country name longer than {MAX_NAME} characters")
    return name, cells


def _cell(value: str, year: int) -> tuple[float | None, bool | None]:
    """``""`` -> (None, None); ``"0 "`` -> (0.0, True); ``"12"`` -> (12.0, False)."""
    if value == "":
        return None, None
    stripped = value.strip()
    if stripped == "0":
        return 0.0, True
    if not _NUMBER.match(stripped):
        raise ValueError(f"non-numeric TIV value {value!r} for {year}")
    return float(stripped), False


# --------------------------------------------------------------------------- identity


def _tiv_rows(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """One string per TIV row (``by`` ends with ``country``): the country, then every
    year with its value, in year order."""
    ordered = frame.sort_values([*by, "year"])
    cells = row_text(ordered, ["year", "tiv", "below_half"])
    rows = cells.groupby([ordered[c] for c in by], sort=False).agg("|".join)
    countries = rows.index.get_level_values("country").astype(str)
    return pd.Series(countries + "\x1e" + rows.to_numpy(), index=rows.index)


def tiv_identity(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> Known:
    """The identity rule of TIV rows: a country is known when a stored table of the same
    direction has it with the same value in every year."""
    frame = parsed.tables["tiv"]
    if frame.empty:
        return Known()
    stored = con.execute(
        "SELECT source_id, country, year, tiv, below_half FROM tiv WHERE direction = ?",
        [frame["direction"].iloc[0]],
    ).df()
    if stored.empty:
        return Known()
    stored = stored.astype({"tiv": "Float64", "below_half": "boolean", "year": frame["year"].dtype})
    mine = _tiv_rows(frame, ["country"])
    theirs = _tiv_rows(stored, ["source_id", "country"]).reset_index(name="row")
    same = theirs[theirs["row"].isin(set(mine))]
    known = mine[mine.isin(set(same["row"]))].index
    parsed.tables["tiv"] = frame[~frame["country"].isin(known)].reset_index(drop=True)
    notes = []
    if len(known):
        notes.append(f"{len(known)} countries already in the store ({sources_text(same['source_id'])})")
    other = theirs[theirs["country"].isin(set(mine.index) - set(known))]
    if not other.empty:
        notes.append(
            f"{other['country'].nunique()} countries are also in {sources_text(other['source_id'])} "
            "with other years or values: sum one source_id at a time"
        )
    return Known(len(known), set(same["source_id"].astype(int)), notes)


# --------------------------------------------------------------------------- the format


def detect(head: bytes) -> str | None:
    """``tiv-imports`` or ``tiv-exports`` by the header line (``Recipient,1950,...`` or
    ``Supplier,1950,...``); ``tiv-truncated`` for a file that ends in the preamble."""
    lines = head_lines(head)
    for line in lines:
        if _HEADER.match(line):
            return "tiv-imports" if line.startswith("Recipient") else "tiv-exports"
    if lines[0].startswith("Volume of transfers of major arms"):
        return "tiv-truncated"
    return None


FORMAT = Format(
    kind="tiv",
    label="a SIPRI TIV table",
    variants={
        "tiv-imports": "a SIPRI TIV table (imports)",
        "tiv-exports": "a SIPRI TIV table (exports)",
        "tiv-truncated": "a SIPRI TIV table cut off before its header line",
    },
    detect=detect,
    tables=(
        Table(
            "tiv",
            "SIPRI TIV tables: country x direction x year",
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
        ),
    ),
    parse=parse_tiv,
    identity=tiv_identity,
    refusals={"tiv-truncated": "the file is truncated: it ends in the preamble, before the header line"},
)
