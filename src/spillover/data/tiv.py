"""SIPRI TIV tables (imports or exports by country and year) -> ``tiv``.

SIPRI writes ``0 `` (zero and a space) for a volume between 0 and 0.5 million TIV and
leaves the cell empty when no delivery was identified. Both facts are kept: ``tiv`` is
0 and ``below_half`` TRUE for the first; ``tiv`` and ``below_half`` are NULL for the
second. The trailing summary columns (``1950-2024``, ``Percentage`` ...) are derived
from the year columns and are not stored. The ``Total world ...`` row is kept with
``is_total`` TRUE and id ``X-WORLD``.
"""

from __future__ import annotations

import re

import pandas as pd

from spillover.data.countries import MAX_NAME, resolve_names
from spillover.data.errors import ImportRefusedError
from spillover.data.parsed import (
    MalformedRow,
    ParsedFile,
    RejectLog,
    parse_generated_at,
    split_fields,
    split_lines,
)

__all__ = ["parse_tiv"]

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
