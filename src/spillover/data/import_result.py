"""What one import did: :class:`ImportResult` and its one-line summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

__all__ = ["ImportResult"]


@dataclass
class ImportResult:
    """What one import did.

    Every input record (a line, or a SIPRI classic record over two lines) is counted
    once: ``rows_imported + rows_rejected + rows_duplicate`` is the number of records
    the file holds (blank lines are not records).

    Attributes
    ----------
    path : pathlib.Path
    kind : str
        ``sipri``, ``tiv``, ``gdelt`` or ``nmc``.
    format : str
        Detected variant, e.g. ``sipri-classic``.
    source_id : int
        Row of ``sources`` describing the file (for a file that added nothing: the
        earlier source holding its content).
    sha256 : str
    rows_imported : int
        Input records stored.
    rows_rejected : int
        Input records quarantined in ``rejected_rows`` by this import.
    rows_duplicate : int
        Input records the store already held from earlier sources (the same events,
        deals or rows; or bad rows already quarantined alike): not written again.
    already_imported : bool
        True when nothing was written: a file with the same sha256 was imported before,
        or (``nothing_new``) every record of the file is already in the store.
    nothing_new : bool
        True when every record of the file was already in the store, so nothing was
        written (not even a ``sources`` row).
    duplicate_sources : list of int
        The sources holding the records counted in ``rows_duplicate``.
    generated_at : datetime or None
        Generation date from the file's preamble (GDELT: from its file name).
    encoding : str or None
        Text encoding the file was read with.
    unmapped : list of str
        Names or codes no identity rule recognised (they keep ``X-`` ids).
    notes : list of str
        Further lines for the import summary.
    """

    path: Path
    kind: str
    format: str
    source_id: int
    sha256: str
    rows_imported: int
    rows_rejected: int
    rows_duplicate: int = 0
    already_imported: bool = False
    nothing_new: bool = False
    duplicate_sources: list[int] = field(default_factory=list)
    generated_at: datetime | None = None
    encoding: str | None = None
    unmapped: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """The one-line outcome: ``imported N rows, rejected M (see rejected_rows)``.

        Followed by ``, K already in the store (source S) not stored again`` when some
        records were there already; a file that added nothing says ``nothing new: ...``.
        """
        where = "in the store"
        if self.duplicate_sources:
            held = ", ".join(map(str, self.duplicate_sources))
            plural = "s" if len(self.duplicate_sources) > 1 else ""
            where = f"in the store (source{plural} {held})"
        if self.nothing_new:
            return f"nothing new: its {self.rows_duplicate} rows are already {where}"
        line = (
            f"imported {self.rows_imported} rows, rejected {self.rows_rejected} (see rejected_rows)"
        )
        if self.rows_duplicate:
            line += f", {self.rows_duplicate} already {where} not stored again"
        if self.already_imported:
            sha = self.sha256[:12]
            line = f"already imported as source {self.source_id} (sha256 {sha}…): {line}"
        return line
