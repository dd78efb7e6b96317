"""The in-memory result of parsing a small file (SIPRI, TIV, NMC) before it is stored."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

__all__ = ["ParsedFile", "RejectLog", "parse_float", "parse_generated_at", "parse_int"]

_GENERATED = re.compile(
    r"Data generated:\s*(\d{1,2} [A-Za-z]{3} \d{4} \d{1,2}:\d{2}:\d{2} [AP]M)", re.IGNORECASE
)


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
