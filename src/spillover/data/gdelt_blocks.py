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

from spillover.data.files import Fingerprint
from spillover.data.gdelt_checks import check_columns
from spillover.data.gdelt_columns import STORED, actor_ids
from spillover.data.gdelt_keys import event_keys, repeats_within
from spillover.data.gdelt_parse import MAX_LINE_BYTES, parse_block

__all__ = ["BLOCK_BYTES", "BlockReader", "LoadedBlock", "keep_rows", "line_texts", "load_block"]

#: Bytes read per block (the block is cut back to its last line break).
BLOCK_BYTES = 4 * 2**20
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

    A line longer than :data:`~spillover.data.gdelt_parse.MAX_LINE_BYTES` is handed on
    cut to one byte more than that (it is quarantined as too long); the rest of it is
    read, hashed and dropped, so memory stays bounded whatever the file holds.
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
        skipping = False  # inside a line too long to keep: drop its bytes up to its end
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
                if skipping:
                    end, skipping = _skip_to_line_end(buffer, len(tail), end)
                cut = buffer.rfind(b"\n", 0, end) + 1
                tail = bytes(view[cut:end])
                if len(tail) > MAX_LINE_BYTES:
                    tail, skipping = tail[: MAX_LINE_BYTES + 1], True
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


def _skip_to_line_end(buffer: bytearray, start: int, end: int) -> tuple[int, bool]:
    """Drop ``buffer[start:end]`` up to its first line break; ``(new end, still skipping)``."""
    newline = buffer.find(b"\n", start, end)
    if newline < 0:
        return start, True
    kept = end - newline
    buffer[start : start + kept] = buffer[newline:end]
    return start + kept, False


@dataclass(frozen=True)
class LoadedBlock:
    """One block, parsed and checked.

    Attributes
    ----------
    table : pyarrow.Table
        The valid rows (zero-copy slices around the others), in the ``gdelt_events``
        columns without ``source_id``; a row repeating an earlier row of the block (same
        GLOBALEVENTID and SQLDATE) is not among them.
    rejected : list of (int, str, str)
        ``(0-based line in the block, reason, raw text)``.
    lines : int
        Physical lines in the block.
    country_codes : list of str
        The distinct actor country codes of the valid rows.
    keys : numpy.ndarray
        The event key of each row of ``table`` (see :mod:`spillover.data.gdelt_keys`).
    key_lines : numpy.ndarray
        The 0-based line in the block of each row of ``table``.
    key_order : numpy.ndarray
        The rows of ``table`` in the order of their keys.
    repeats : list of (int, int, int, str)
        Rows repeating an earlier row of the block: ``(line, line of the earlier row,
        key, raw text)``, lines 0-based in the block.
    data : memoryview
        The block's bytes (valid until the reader reuses its buffer).
    """

    table: pa.Table
    rejected: Rejected
    lines: int
    country_codes: list[str]
    keys: np.ndarray
    key_lines: np.ndarray
    key_order: np.ndarray
    repeats: list[tuple[int, int, int, str]]
    data: memoryview


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
    raw, skipped = parse_block(data)
    checked = check_columns(raw, now)
    columns = {target: checked.columns[source] for target, source in STORED.items()}
    columns["actor1_id"] = actor_ids(columns["actor1_country_code"])
    columns["actor2_id"] = actor_ids(columns["actor2_country_code"])
    columns["is_root_event"] = pc.equal(columns["is_root_event"], 1)
    table = pa.table(columns)
    lines = raw.num_rows + len(skipped)  # blank lines are rows too (all NULL)
    skipped_lines = np.asarray([number - 1 for number, _ in skipped], dtype=np.int64)
    parsed = np.delete(np.arange(lines), skipped_lines)  # the line of each parsed row
    row_lines = parsed
    if checked.valid is not None:
        valid = checked.valid.to_numpy(zero_copy_only=False)
        table, row_lines = keep_rows(table, valid), parsed[valid]
    keys = event_keys(table)
    table, keys, row_lines, order, repeats = _without_repeats(data, table, keys, row_lines)
    codes = _distinct(table, ("actor1_country_code", "actor2_country_code"))
    rejected = _rejected(data, parsed, skipped, checked.reasons)
    return LoadedBlock(table, rejected, lines, codes, keys, row_lines, order, repeats, data)


def _without_repeats(
    data: memoryview, table: pa.Table, keys: np.ndarray, lines: np.ndarray
) -> tuple[pa.Table, np.ndarray, np.ndarray, np.ndarray, list[tuple[int, int, int, str]]]:
    """Take out the rows repeating an earlier row of the block; list them. Also returns
    the order of the rows kept by key."""
    repeated = repeats_within(keys)
    if not len(repeated.rows):
        return table, keys, lines, repeated.order, []
    texts = line_texts(data, lines[repeated.rows])
    rows = zip(lines[repeated.rows], lines[repeated.firsts], keys[repeated.rows], texts, strict=True)
    repeats = [(int(line), int(first), int(key), text) for line, first, key, text in rows]
    keep = np.ones(len(keys), dtype=bool)
    keep[repeated.rows] = False
    renumbered = (np.cumsum(keep) - 1)[repeated.order]
    return keep_rows(table, keep), keys[keep], lines[keep], renumbered, repeats


def _distinct(table: pa.Table, names: tuple[str, ...]) -> list[str]:
    """The distinct non-NULL values of the ``names`` columns."""
    found: set[str] = set()
    for name in names:
        found.update(pc.unique(table.column(name)).drop_null().to_pylist())
    return sorted(found)


def keep_rows(table: pa.Table, valid: np.ndarray) -> pa.Table:
    """The rows of ``table`` where ``valid``, as slices of it (the rows left out are few)."""
    dropped = np.flatnonzero(~valid)
    if not len(dropped):
        return table
    starts = np.concatenate(([0], dropped + 1))
    ends = np.append(dropped, table.num_rows)
    pieces = [table.slice(a, b - a) for a, b in zip(starts, ends, strict=True) if b > a]
    return pa.concat_tables(pieces) if pieces else table.slice(0, 0)


def _rejected(
    data: memoryview, parsed: np.ndarray, skipped: list[tuple[int, str]], reasons: dict[int, str]
) -> Rejected:
    """Number the rejected rows by physical line and attach their text.

    The skipped lines come numbered; the parsed rows are the other lines, in order
    (``parsed``). A row rejected for being empty is a blank line, which is not an error.
    """
    if not skipped and not reasons:
        return []
    found = [(number - 1, why) for number, why in skipped]
    found += [(int(parsed[row]), why) for row, why in reasons.items()]
    found.sort()
    texts = line_texts(data, np.asarray([line for line, _ in found], dtype=np.int64))
    return [(line, why, text) for (line, why), text in zip(found, texts, strict=True) if text]


def line_texts(data: memoryview, lines: np.ndarray) -> list[str]:
    """The text of some lines of a block (0-based), without their line breaks.

    Kept as ``rejected_rows.raw``: the first 2,000 characters, invalid UTF-8 replaced.
    """
    if not len(lines):
        return []
    ends = _line_ends(data, int(lines.max()))
    starts = np.concatenate(([0], ends[:-1] + 1))
    texts = []
    for line in lines.tolist():
        text = bytes(data[starts[line] : min(ends[line], starts[line] + 4 * _RAW_CHARS)])
        texts.append(text.rstrip(b"\r").decode("utf-8", "replace")[:_RAW_CHARS])
    return texts


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
