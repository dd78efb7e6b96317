"""A GDELT export read in blocks of whole lines, each parsed and checked on its own.

:class:`BlockReader` reads the file once, in blocks that end at a line break, and hashes
the bytes as it goes. :func:`load_block` parses one block with pyarrow (only the columns
that are stored), converts and checks them (:mod:`spillover.data.gdelt_checks`) and
returns the Arrow table to insert and the rejected rows, numbered by their physical line
in the block. Blocks are independent, so several are parsed at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import count
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as csv

from spillover.data.files import Fingerprint
from spillover.data.gdelt_checks import check_columns
from spillover.data.gdelt_columns import GDELT_COLUMNS, KINDS, PARSED_COLUMNS, STORED, actor_ids

__all__ = ["BLOCK_BYTES", "BlockReader", "LoadedBlock", "load_block"]

#: Bytes read per block (the block is cut back to its last line break).
BLOCK_BYTES = 4 * 2**20
_PARSE_CHUNK = 2**20  # bytes pyarrow parses at a time (a chunk stays in the CPU cache)
_RAW_CHARS = 2000  # characters of a rejected line kept in rejected_rows.raw

Rejected = list[tuple[int, str, str]]  # (0-based line in the block, reason, raw text)


@dataclass
class BlockReader:
    """Iterate over a file in blocks of whole lines, hashing the bytes once.

    Parameters
    ----------
    path : pathlib.Path
    hash_bytes : bool, default True
        Compute the sha256 (False when the caller hashes another file, e.g. the
        ``.zip`` the export came in).
    block_bytes : int, optional
        Bytes per read; :data:`BLOCK_BYTES` by default.
    buffers : int, default 0
        Reuse this many buffers in turn (the caller is done with a block before that
        many more are read); 0 allocates a fresh buffer per block.
    """

    path: Path
    hash_bytes: bool = True
    block_bytes: int = 0  # 0: BLOCK_BYTES
    buffers: int = 0
    size: int = field(default=0, init=False)
    ends_with_newline: bool = field(default=True, init=False)
    _digest: hashlib._Hash = field(default_factory=hashlib.sha256, init=False, repr=False)

    def __iter__(self) -> Iterator[memoryview]:
        tail = b""
        ring: list[bytearray] = []
        with open(self.path, "rb", buffering=0) as handle:
            for turn in count():
                # blocks are handed on without a copy, in buffers reused in turn
                buffer = self._buffer(ring, turn, len(tail) + (self.block_bytes or BLOCK_BYTES))
                buffer[: len(tail)] = tail
                view = memoryview(buffer)
                read = handle.readinto(view[len(tail) :])
                if not read:
                    break
                end = len(tail) + read
                if self.hash_bytes:
                    self._digest.update(view[len(tail) : end])  # releases the GIL
                self.size += read
                self.ends_with_newline = buffer[end - 1] == 0x0A
                cut = buffer.rfind(b"\n", 0, end) + 1
                tail = bytes(view[cut:end])
                if cut:
                    yield view[:cut]
        if tail:
            yield memoryview(tail)

    def _buffer(self, ring: list[bytearray], turn: int, size: int) -> bytearray:
        if not self.buffers:
            return bytearray(size)
        slot = turn % self.buffers
        if slot == len(ring):
            ring.append(bytearray(size))
        elif len(ring[slot]) < size:  # a line longer than a block
            ring[slot] = bytearray(size)
        return ring[slot]

    def fingerprint(self, lines: int) -> Fingerprint:
        """The file's fingerprint once it has been read (``lines`` as counted by blocks)."""
        return Fingerprint(self._digest.hexdigest(), self.size, lines, self.ends_with_newline)


@dataclass(frozen=True)
class LoadedBlock:
    """One block, parsed and checked.

    Attributes
    ----------
    table : pyarrow.Table
        The valid rows (zero-copy slices around the others), in the ``gdelt_events``
        columns without ``source_id``.
    rejected : list of (int, str, str)
        ``(0-based line in the block, reason, raw text)``.
    lines : int
        Physical lines in the block.
    country_codes : list of str
        The distinct actor country codes of the valid rows.
    """

    table: pa.Table
    rejected: Rejected
    lines: int
    country_codes: list[str]


def load_block(data: memoryview, now: datetime) -> LoadedBlock:
    """Parse and check one block of whole lines.

    Parameters
    ----------
    data : memoryview
        Whole lines of the export (the last one may lack its line break at the end of
        the file).
    now : datetime
        Local time of the import (see :func:`~spillover.data.gdelt_checks.check_columns`).

    Returns
    -------
    LoadedBlock
    """
    raw, skipped = _parse(data)
    checked = check_columns(raw, now)
    columns = {target: checked.columns[source] for target, source in STORED.items()}
    columns["actor1_id"] = actor_ids(columns["actor1_country_code"])
    columns["actor2_id"] = actor_ids(columns["actor2_country_code"])
    columns["is_root_event"] = pc.equal(columns["is_root_event"], 1)
    table = pa.table(columns)
    if checked.valid is not None:
        table = _kept(table, checked.valid)
    lines = raw.num_rows + len(skipped)  # blank lines are rows too (all NULL)
    codes = _distinct(table, ("actor1_country_code", "actor2_country_code"))
    if not skipped and not checked.reasons:
        return LoadedBlock(table, [], lines, codes)
    return LoadedBlock(table, _rejected(data, lines, skipped, checked.reasons), lines, codes)


def _distinct(table: pa.Table, names: tuple[str, ...]) -> list[str]:
    """The distinct non-NULL values of the ``names`` columns."""
    found: set[str] = set()
    for name in names:
        found.update(pc.unique(table.column(name)).drop_null().to_pylist())
    return sorted(found)


def _kept(table: pa.Table, valid: pa.Array) -> pa.Table:
    """The rows where ``valid``, as slices of ``table`` (the rejected rows are few)."""
    dropped = np.flatnonzero(~valid.to_numpy(zero_copy_only=False))
    starts = np.concatenate(([0], dropped + 1))
    ends = np.append(dropped, table.num_rows)
    pieces = [table.slice(a, b - a) for a, b in zip(starts, ends, strict=True) if b > a]
    return pa.concat_tables(pieces) if pieces else table.slice(0, 0)


def _parse(data: memoryview) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Read the stored columns as text; ``skipped`` holds ``(line number, reason)``.

    Line numbers count the lines of the block from 1; a blank line is a row of NULLs.
    A block that is valid UTF-8 as a whole (checked once, not value by value) is read as
    strings; otherwise as binary, and each value is checked (see
    :func:`~spillover.data.gdelt_checks.check_columns`).
    """
    text_type = pa.string() if _is_utf8(data) else pa.binary()
    skipped: list[tuple[int, str]] = []

    def skip(row: csv.InvalidRow) -> str:
        columns = row.actual_columns
        skipped.append((row.number, f"wrong column count: expected 61 columns, found {columns}"))
        return "skip"

    table = csv.read_csv(
        pa.py_buffer(data),
        read_options=csv.ReadOptions(
            column_names=list(GDELT_COLUMNS),
            use_threads=False,  # blocks run in parallel; row numbers stay known
            block_size=min(max(len(data), 1), _PARSE_CHUNK),
        ),
        parse_options=csv.ParseOptions(
            delimiter="\t",
            quote_char=False,
            ignore_empty_lines=False,  # row numbers are physical lines
            invalid_row_handler=skip,
        ),
        convert_options=csv.ConvertOptions(
            include_columns=list(PARSED_COLUMNS),
            column_types=dict.fromkeys(KINDS, text_type),
            null_values=[""],
            strings_can_be_null=True,
            check_utf8=False,  # checked for the whole block by _is_utf8
        ),
    )
    return table, skipped


def _is_utf8(data: memoryview) -> bool:
    """Whether the block is valid UTF-8 (Arrow's vectorised check, on the block at once)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _rejected(
    data: memoryview, lines: int, skipped: list[tuple[int, str]], reasons: dict[int, str]
) -> Rejected:
    """Number the rejected rows by physical line and attach their text.

    pyarrow numbers the skipped lines; the parsed rows are the other lines, in order.
    A row rejected for being empty is a blank line, which is not an error.
    """
    skipped_lines = np.asarray([number - 1 for number, _ in skipped], dtype=np.int64)
    parsed = np.delete(np.arange(lines), skipped_lines)
    found = [(int(line), why) for line, (_, why) in zip(skipped_lines, skipped, strict=True)]
    found += [(int(parsed[row]), why) for row, why in reasons.items()]
    ends = _line_ends(data, max(line for line, _ in found))
    starts = np.concatenate(([0], ends[:-1] + 1))
    out: Rejected = []
    for line, reason in sorted(found):
        text = bytes(data[starts[line] : ends[line]]).rstrip(b"\r")
        if text:
            out.append((line, reason, text.decode("utf-8", "replace")[:_RAW_CHARS]))
    return out


_SCAN_BYTES = 256 * 2**10


def _line_ends(data: memoryview, last: int) -> np.ndarray:
    """Byte offsets of the line breaks ending lines ``0..last`` (0-based) of the block."""
    scanned = np.frombuffer(data, np.uint8)
    parts, found, start = [], 0, 0
    while found <= last and start < len(scanned):  # scan only as far as needed
        part = np.flatnonzero(scanned[start : start + _SCAN_BYTES] == 0x0A) + start
        parts.append(part)
        found += len(part)
        start += _SCAN_BYTES
    ends = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
    if len(ends) <= last:  # the file's last line, without a line break
        ends = np.append(ends, len(data))
    return ends
