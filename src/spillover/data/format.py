"""What a data format is: one :class:`Format` declaration per importable kind of file.

Each format's module (:mod:`spillover.data.sipri`, ``tiv``, ``gdelt``, ``nmc``) ends with
its ``FORMAT``; :data:`spillover.data.formats.FORMATS` lists them. The format check
(:mod:`spillover.data.sniff`), the importer, the store's schema, the identity of records
and ``spillover data import KIND`` all read that list, so a new format is its module, one
line in the registry and its test (see ``docs/data.md``, "Adding a format").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from spillover.data.parsed import split_lines

if TYPE_CHECKING:
    import duckdb
    import pandas as pd

    from spillover.data.event_files import EventFileWriter
    from spillover.data.files import Fingerprint
    from spillover.data.identity import Known
    from spillover.data.import_result import ImportResult
    from spillover.data.parsed import ParsedFile

__all__ = ["Format", "LoadJob", "Progress", "Table", "head_lines"]

#: ``progress(done, total)``: bytes of the file read so far, and in all.
Progress = Callable[[int, int], None]

#: ``detect(head)``: the variant the file's first bytes show (one of the format's
#: ``variants``), or None when the file is not of this format.
Detect = Callable[[bytes], "str | None"]
#: ``parse(text, variant, encoding)``: the decoded file, parsed in memory.
Parse = Callable[[str, str, str], "ParsedFile"]
#: ``identity(con, parsed)``: take the records the store already holds out of ``parsed``.
Identity = Callable[["duckdb.DuckDBPyConnection", "ParsedFile"], "Known"]
#: ``load(job)``: a loader of its own, for files too large to parse in memory.
Load = Callable[["LoadJob"], "tuple[ImportResult, Fingerprint]"]

_KIND = re.compile(r"^[a-z][a-z0-9_]*$")
_HEAD_LINES = 40


@dataclass(frozen=True)
class Table:
    """One table (or view) of the store that a format fills.

    Attributes
    ----------
    name : str
    doc : str
        One line for ``spillover data tables``.
    ddl : str or None
        ``CREATE TABLE IF NOT EXISTS ...``, run each time a store is opened for writing;
        None for a view, which the format's loader creates.
    rows : callable, optional
        For a lookup table: its rows, inserted when the table is empty.
    """

    name: str
    doc: str
    ddl: str | None
    rows: Callable[[], pd.DataFrame] | None = None


@dataclass(frozen=True)
class LoadJob:
    """What a format's own loader gets (see :attr:`Format.load`).

    The loader runs inside the import's transaction, writes the file's rows with
    ``source_id``, its quarantined rows and actor names, and returns the
    :class:`~spillover.data.import_result.ImportResult` with the file's fingerprint
    (``pending.result()``, or hashed by the loader as it reads when ``pending`` is None).
    """

    con: duckdb.DuckDBPyConnection
    path: Path
    variant: str
    source_id: int
    pending: Future[Fingerprint] | None
    pool: ThreadPoolExecutor
    db_path: Path
    written: list[EventFileWriter]
    progress: Progress | None


@dataclass(frozen=True)
class Format:
    """Everything spillover knows about one kind of data file.

    Attributes
    ----------
    kind : str
        The name users type: ``spillover data import KIND``; stored in ``sources.kind``.
    label : str
        What the file is, phrased to follow "not": ``"a SIPRI TIV table"``.
    variants : mapping of str to str
        Each variant :attr:`detect` may return (stored in ``sources.format``) -> what the
        file looks like, phrased to follow "this looks like".
    detect : callable
        ``detect(head: bytes) -> str | None``, from the first 64 KiB of the file (more
        while its first line has not ended; of the ZIP member for an archive).
    tables : tuple of Table
        The tables the format fills, in the order ``spillover data tables`` lists them.
    parse : callable, optional
        ``parse(text, variant, encoding) -> ParsedFile``: the file, decoded, parsed in
        memory; rows that cannot be read go to its ``rejects``.
    identity : callable, optional
        ``identity(con, parsed) -> Known``: what makes two records the same; takes the
        records the store holds out of ``parsed`` (required with ``parse``).
    load : callable, optional
        ``load(job: LoadJob)``: a loader of its own instead of ``parse`` (GDELT: streamed
        blocks, event files); it keeps its own identity of records.
    refusals : mapping of str to str
        Variants :attr:`detect` recognises but that cannot be imported -> why (``"the file
        is truncated: ..."``). Such a file is refused with that reason.
    """

    kind: str
    label: str
    variants: Mapping[str, str]
    detect: Detect
    tables: tuple[Table, ...]
    parse: Parse | None = None
    identity: Identity | None = None
    load: Load | None = None
    refusals: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not _KIND.match(self.kind):
            raise ValueError(f"format kind {self.kind!r} must be lower-case letters, digits, _")
        if (self.parse is None) == (self.load is None):
            raise ValueError(f"format {self.kind!r} needs either parse or load, not both")
        if self.parse is not None and self.identity is None:
            raise ValueError(f"format {self.kind!r} parses files: it needs an identity rule")
        unknown = set(self.refusals) - set(self.variants)
        if unknown:
            raise ValueError(f"format {self.kind!r}: refusals of unknown variants {sorted(unknown)}")
        if not self.tables:
            raise ValueError(f"format {self.kind!r} fills no table")

    def detected(self, head: bytes) -> str | None:
        """The variant :attr:`detect` finds in ``head``; a ValueError for an undeclared one."""
        variant = self.detect(head)
        if variant is not None and variant not in self.variants:
            raise ValueError(f"format {self.kind!r} detected an undeclared variant {variant!r}")
        return variant


@lru_cache(maxsize=4)
def head_lines(head: bytes) -> tuple[str, ...]:
    """The first 40 lines of a file's head, decoded (UTF-8, bad bytes replaced, no BOM).

    What the ``detect`` functions of the formats look at; cached, as every format reads
    the same head.

    >>> head_lines(b"\\xef\\xbb\\xbfa,b\\r\\n1,2\\r\\n")
    ('a,b', '1,2', '')
    """
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    return tuple(split_lines(text)[:_HEAD_LINES])
