"""The sources a drafted scenario cites: one ``sources:`` entry per store file it read.

A SIPRI, COW or GDELT file of the store becomes an entry keyed ``sipri-<file>``,
``cow-<file>``, ``gdelt-<file>``, with its citation, URL, sha256 and ``source_id``. More
than :data:`GDELT_FILES_CITED` GDELT exports are cited as one entry for them all.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

__all__ = ["GDELT_FILES_CITED", "Sources", "slug"]

#: More GDELT files than this are cited as one source (a year of exports is 35,000 files).
GDELT_FILES_CITED = 5


@dataclass
class Sources:
    """The ``sources:`` of a draft, filled as its numbers cite store files."""

    con: duckdb.DuckDBPyConnection
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_of: dict[int, str] = field(default_factory=dict)

    def key(self, source_id: int) -> str:
        """The ``sources:`` key of a store source, adding its entry on first use."""
        if source_id not in self.key_of:
            row = self.con.execute(
                "SELECT * FROM sources WHERE source_id = $id", {"id": source_id}
            ).df().iloc[0]
            prefix = {"nmc": "cow"}.get(row["kind"], row["kind"])
            key = _unique(f"{prefix}-{slug(Path(row['file_name']).stem)}", self.entries)
            self.entries[key] = _entry(row)
            self.key_of[source_id] = key
        return self.key_of[source_id]

    def gdelt_keys(self, used: list[int]) -> dict[int, str]:
        """One source per GDELT file, or one for them all beyond :data:`GDELT_FILES_CITED`."""
        if len(used) <= GDELT_FILES_CITED:
            return {s: self.key(s) for s in used}
        rows = self.con.execute(
            "SELECT * FROM sources WHERE source_id IN (SELECT unnest($ids)) ORDER BY generated_at, source_id",
            {"ids": used},
        ).df()
        names = list(rows["file_name"])
        key = _unique(f"gdelt-{slug(Path(names[0]).stem)}-to-{slug(Path(names[-1]).stem)}", self.entries)
        digest = hashlib.sha256("\n".join(sorted(rows["sha256"])).encode()).hexdigest()
        self.entries[key] = {
            "citation": f"The GDELT Project, GDELT 2.0 event exports: {len(names)} files, "
            f"{names[0]} to {names[-1]}.",
            "url": "https://www.gdeltproject.org",
            "note": f"store sources {_ranges(used)}; sha256 of their sorted sha256 list: {digest}",
        }
        return dict.fromkeys(used, key)


def slug(text: str) -> str:
    """Lower-case letters, digits and dots, runs of anything else as one ``-``.

    >>> slug("20191024143000.export.CSV")
    '20191024143000.export.csv'
    >>> slug("SIPRI trade register (2024)")
    'sipri-trade-register-2024'
    """
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")


def _unique(key: str, taken: dict[str, Any]) -> str:
    out, n = key, 2
    while out in taken:
        out, n = f"{key}-{n}", n + 1
    return out


def _ranges(ids: list[int]) -> str:
    """``1-3, 7`` for ``[1, 2, 3, 7]``."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _entry(row: pd.Series) -> dict[str, Any]:
    """The ``sources:`` entry of one row of the store's ``sources`` table."""
    when = pd.Timestamp(row["generated_at"]) if pd.notna(row["generated_at"]) else None
    note = f"sha256 {row['sha256']}; source {int(row['source_id'])} of the spillover data store"
    if row["kind"] == "sipri":
        fmt = "new export format" if row["format"] == "sipri-new" else "classic export"
        made = f", data generated {when:%d %b %Y}" if when is not None else ""
        citation = (
            f"SIPRI Arms Transfers Database, trade register ({fmt}), file {row['file_name']}{made}. "
            "Source: SIPRI Arms Transfers Database (c) SIPRI."
        )
        return {
            "citation": citation,
            "url": "https://www.sipri.org/databases/armstransfers",
            "note": note,
        }
    if row["kind"] == "gdelt":
        made = f" ({when:%d %b %Y %H:%M} UTC)" if when is not None else ""
        citation = f"The GDELT Project, GDELT 2.0 event export {row['file_name']}{made}."
        return {"citation": citation, "url": "https://www.gdeltproject.org", "note": note}
    citation = (
        f"Correlates of War Project, National Material Capabilities, file {row['file_name']} "
        "(Singer, Bremer and Stuckey 1972)."
    )
    return {"citation": citation, "url": "https://correlatesofwar.org", "note": note}
