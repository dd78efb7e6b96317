"""One block of a GDELT export -> its stored columns as text, and the lines left out.

The fast way is pyarrow's CSV parser on the whole block, skipping lines with the wrong
column count through its invalid-row handler. It is used when the block is valid UTF-8,
has no CR except in CRLF line ends and no line longer than :data:`MAX_LINE_BYTES`
(three checks that cost well under a millisecond for a 4 MiB block). Otherwise, or when
pyarrow gives up on the block, the careful way splits the block into physical lines
with numpy, sets aside each line that cannot be a row (too long, a stray CR, the wrong
number of tabs) with its reason, and lets pyarrow parse the others. Either way a bad
line costs only itself, and line numbers stay those of the file.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.csv as csv

from spillover.data.gdelt_columns import GDELT_COLUMNS, KINDS, PARSED_COLUMNS

__all__ = ["MAX_LINE_BYTES", "PARSE_CHUNK", "Skipped", "parse_block"]

#: Bytes pyarrow parses at a time (a chunk stays in the CPU cache).
PARSE_CHUNK = 2**20
#: Longest line read as a row (a GDELT row is a few hundred bytes); longer lines are
#: quarantined, and the block reader keeps only this much of them in memory.
MAX_LINE_BYTES = PARSE_CHUNK
_TABS = len(GDELT_COLUMNS) - 1
_LF, _CR, _TAB = 0x0A, 0x0D, 0x09

Skipped = list[tuple[int, str]]  # (1-based line in the block, reason)


def parse_block(data: memoryview) -> tuple[pa.Table, Skipped]:
    """Read the stored columns of a block of whole lines as text.

    Returns
    -------
    (pyarrow.Table, list of (int, str))
        One table row per line that is not skipped, in order (a blank line is a row of
        NULLs); the skipped lines with their reasons. The columns are strings when the
        block is valid UTF-8 and binary otherwise (each value is then checked, see
        :func:`~spillover.data.gdelt_checks.check_columns`).
    """
    utf8 = _is_utf8(data)
    if utf8 and not _has_bare_cr(data) and not _has_long_line(data):
        try:
            return _parse_fast(data)
        except pa.ArrowException:  # e.g. a line longer than PARSE_CHUNK
            pass
    return _parse_careful(data, pa.string() if utf8 else pa.binary())


def _read(data: pa.Buffer, text_type: pa.DataType, block_size: int, skip: object) -> pa.Table:
    return csv.read_csv(
        data,
        read_options=csv.ReadOptions(
            column_names=list(GDELT_COLUMNS),
            use_threads=False,  # blocks run in parallel; row numbers stay known
            block_size=max(block_size, 1),
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


def _parse_fast(data: memoryview) -> tuple[pa.Table, Skipped]:
    skipped: Skipped = []

    def skip(row: csv.InvalidRow) -> str:
        columns = row.actual_columns
        skipped.append((row.number, f"wrong column count: expected 61 columns, found {columns}"))
        return "skip"

    table = _read(pa.py_buffer(data), pa.string(), min(len(data), PARSE_CHUNK), skip)
    return table, skipped


def _parse_careful(data: memoryview, text_type: pa.DataType) -> tuple[pa.Table, Skipped]:
    """Set aside the lines that cannot be rows, then parse the rest in one piece."""
    raw = np.frombuffer(data, np.uint8)
    starts, stops, ends = _lines(raw)
    reasons = _line_reasons(raw, starts, stops)
    bad = np.flatnonzero(reasons >= 0)
    skipped = [(int(line) + 1, _reason(int(reasons[line]), starts, stops, raw, int(line))) for line in bad]
    kept = _without(raw, starts, ends, bad)

    def refuse(row: csv.InvalidRow) -> str:  # every kept line has 61 columns
        raise AssertionError(f"line {row.number} of a checked block has {row.actual_columns} columns")

    table = _read(pa.py_buffer(kept), text_type, len(kept), refuse)
    return table, skipped


def _lines(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per physical line: first byte, end of its text (before CRLF/LF), end with its LF."""
    size = len(raw)
    ends = np.flatnonzero(raw == _LF) + 1  # one past the LF
    if not len(ends) or ends[-1] != size:
        ends = np.append(ends, size)  # the last line, without a line break
    starts = np.concatenate(([0], ends[:-1]))
    stops = ends - (raw[ends - 1] == _LF)
    crlf = (stops > starts) & (raw[np.maximum(stops - 1, 0)] == _CR)
    return starts, stops - crlf, ends


_TOO_LONG, _STRAY_CR, _COLUMNS = 0, 1, 2


def _line_reasons(raw: np.ndarray, starts: np.ndarray, stops: np.ndarray) -> np.ndarray:
    """Per line: -1 if it can be parsed, else which reason sets it aside."""
    tabs = np.flatnonzero(raw == _TAB)
    crs = np.flatnonzero(raw == _CR)
    n_tabs = np.searchsorted(tabs, stops) - np.searchsorted(tabs, starts)
    n_crs = np.searchsorted(crs, stops) - np.searchsorted(crs, starts)
    length = stops - starts
    reasons = np.full(len(starts), -1)
    reasons[(length > 0) & (n_tabs != _TABS)] = _COLUMNS
    reasons[n_crs > 0] = _STRAY_CR
    reasons[length > MAX_LINE_BYTES] = _TOO_LONG
    return reasons


def _reason(
    kind: int, starts: np.ndarray, stops: np.ndarray, raw: np.ndarray, line: int
) -> str:
    if kind == _TOO_LONG:
        return f"line too long: over {MAX_LINE_BYTES:,} bytes (a GDELT row has a few hundred)"
    if kind == _STRAY_CR:
        return "stray carriage return (CR) inside the line"
    tabs = int(np.count_nonzero(raw[starts[line] : stops[line]] == _TAB))
    return f"wrong column count: expected 61 columns, found {tabs + 1}"


def _without(raw: np.ndarray, starts: np.ndarray, ends: np.ndarray, bad: np.ndarray) -> np.ndarray:
    """The bytes of the block without the ``bad`` lines (line breaks kept)."""
    if not len(bad):
        return raw
    pieces, begin = [], 0
    for line in bad:
        pieces.append(raw[begin : starts[line]])
        begin = ends[line]
    pieces.append(raw[begin:])
    return np.concatenate(pieces)


def _is_utf8(data: memoryview) -> bool:
    """Whether the block is valid UTF-8 (Arrow's vectorised check, on the block at once)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    whole = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        whole.cast(pa.large_string())
    except pa.ArrowInvalid:
        return False
    return True


def _has_long_line(data: memoryview) -> bool:
    """Whether a line of the block is longer than :data:`MAX_LINE_BYTES`.

    Hops from line break to line break in windows of that size (the last break of each
    window is found from its end), so a block costs a few short scans.
    """
    start = 0
    while len(data) - start > MAX_LINE_BYTES:
        last = bytes(data[start : start + MAX_LINE_BYTES + 1]).rfind(b"\n")
        if last < 0:
            return True
        start += last + 1
    return False


def _has_bare_cr(data: memoryview) -> bool:
    """Whether a CR stands anywhere but before an LF (pyarrow would end a row there)."""
    raw = np.frombuffer(data, np.uint8)
    if not (raw == _CR).any():
        return False
    at = np.flatnonzero(raw == _CR) + 1
    return bool(at[-1] >= len(raw) or (raw[at] != _LF).any())
