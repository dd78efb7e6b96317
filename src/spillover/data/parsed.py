"""The in-memory result of parsing a small file (SIPRI, TIV, NMC) before it is stored.

Also the line and field splitting the three text importers share: it never raises
anything but :class:`MalformedRow`, whose message is the reason a row is quarantined.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

__all__ = [
    "MalformedRow",
    "ParsedFile",
    "RejectLog",
    "parse_float",
    "parse_generated_at",
    "parse_int",
    "split_fields",
    "split_lines",
]

_GENERATED = re.compile(
    r"Data generated:\s*(\d{1,2} [A-Za-z]{3} \d{4} \d{1,2}:\d{2}:\d{2} [AP]M)", re.IGNORECASE
)


class MalformedRow(ValueError):
    """A row that cannot be split into fields; the message is the reject reason."""


def split_lines(text: str) -> list[str]:
    """The physical lines of a text file, without their line ends.

    Lines end with LF or CRLF. A file without any LF but with CRs (old Mac line ends)
    is split at its CRs, so that it is read rather than taken for one long line. A CR
    left inside a line is kept; :func:`split_fields` refuses it.
    """
    if "\n" not in text and "\r" in text:
        return text.split("\r")
    return [line.rstrip("\r") for line in text.split("\n")]


def split_fields(line: str) -> list[str]:
    """Split one CSV line into fields.

    The exports do not quote; a line with a ``"`` is read with CSV quoting (a quote
    inside a field is literal, as in ``5" gun``), and refused when its quoting is broken
    (an unclosed quote), instead of letting the quote swallow the rest of the file.

    Raises
    ------
    MalformedRow
        For a CR or a NUL byte inside the line, or broken quoting.
    """
    if "\r" in line:
        raise MalformedRow("stray carriage return (CR) inside the line")
    if "\x00" in line:
        raise MalformedRow("a NUL byte inside the line (binary data, not text)")
    if '"' not in line:
        return line.split(",")
    try:
        rows = list(csv.reader([line], strict=True))
    except csv.Error as exc:
        what = "an unclosed quote" if "unexpected end of data" in str(exc) else str(exc)
        raise MalformedRow(f"malformed CSV quoting: {what}") from None
    return rows[0] if rows else [""]


class RejectLog:
    """Collects rejected input rows as (line, reason, raw)."""

    def __init__(self) -> None:
        self.rows: list[tuple[int | None, str, str | None]] = []

    def add(self, line: int | None, reason: str, raw: str | None) -> None:
        """Record one rejected row; ``raw`` is cut to 2,000 characters."""
        self.rows.append((line, reason, raw[:2000] if raw is not None else None))

    def __len__(self) -> int:
        return len(self.rows)

    def frame(self) -> pd.DataFrame:
        """The rejects as a DataFrame with columns ``line``, ``reason``, ``raw``."""
        return pd.DataFrame(self.rows, columns=["line", "reason", "raw"]).astype(
            {"line": "Int64", "reason": object, "raw": object}
        )


@dataclass
class ParsedFile:
    """Everything an importer extracted from one file, ready to be written.

    Attributes
    ----------
    variant : str
        Format detail recorded in ``sources.format`` (``sipri-classic`` ...).
    encoding : str
    generated_at : datetime or None
        Generation date read from the file's preamble.
    records : int
        Input records accepted (``sources.rows_imported``).
    tables : dict of str to DataFrame
        Rows per target table, without ``source_id``.
    rejects : RejectLog
    actors : DataFrame
        :func:`spillover.data.countries.resolve_names` output plus a ``scheme`` column,
        for the names that occur in the file.
    notes : list of str
        Lines for the import summary.
    """

    variant: str
    encoding: str
    generated_at: datetime | None
    records: int
    tables: dict[str, pd.DataFrame]
    rejects: RejectLog
    actors: pd.DataFrame
    notes: list[str] = field(default_factory=list)


def parse_generated_at(preamble: list[str]) -> datetime | None:
    """Read ``Data generated: 13 Mar 2025 10:02:49 AM`` from SIPRI preamble lines.

    Parameters
    ----------
    preamble : list of str

    Returns
    -------
    datetime or None
    """
    for line in preamble:
        match = _GENERATED.search(line)
        if match:
            return datetime.strptime(match.group(1), "%d %b %Y %I:%M:%S %p")
    return None


def parse_int(value: str) -> int | None:
    """``""`` -> None, ``"12"`` -> 12; raises ValueError for anything else."""
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"-?\d+", value):
        raise ValueError(value)
    return int(value)


def parse_float(value: str) -> float | None:
    """``""`` -> None, ``"0.25"`` -> 0.25; raises ValueError for anything non-numeric."""
    value = value.strip()
    if not value:
        return None
    if not re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", value):
        raise ValueError(value)
    return float(value)
