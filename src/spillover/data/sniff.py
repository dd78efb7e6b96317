"""Recognise what a file is from its first bytes, to refuse the wrong format early.

Importing a SIPRI TIV table as a GDELT export should not produce thousands of rejected
rows; it should stop with one line saying what the file looks like.
"""

from __future__ import annotations

import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from spillover.data import formats
from spillover.data.errors import FormatMismatchError, ImportRefusedError
from spillover.data.files import looks_binary, zip_member
from spillover.data.format import head_lines
from spillover.data.formats import KINDS

__all__ = ["FORMAT_LABELS", "KINDS", "Detected", "detect", "require_kind"]

#: Human-readable name of each shipped kind (:func:`spillover.data.formats.get` for any).
FORMAT_LABELS = {fmt.kind: fmt.label for fmt in formats.FORMATS}

_HEAD_BYTES = 1 << 16
_LONG_HEAD_BYTES = 1 << 21  # read on to here while the first line has not ended


@dataclass(frozen=True)
class Detected:
    """Result of :func:`detect`.

    Attributes
    ----------
    kind : str or None
        The kind of a registered format (:mod:`spillover.data.formats`), or None when
        the file is none of them, or one its format cannot import (a truncated file).
    variant : str
        Finer format, e.g. ``"sipri-classic"``, ``"sipri-new"``, ``"tiv-imports"``.
    description : str
        What the file looks like, phrased to follow "this looks like".
    """

    kind: str | None
    variant: str
    description: str


def _head(path: Path) -> bytes:
    """The first bytes of the file, or of the ZIP member the import would read.

    64 KiB, or more (up to 2 MiB) until the first line has ended.
    """
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open(zip_member(archive, path.name)) as member:
            return _read_head(member)
    with open(path, "rb") as handle:
        return _read_head(handle)


def _read_head(handle: IO[bytes]) -> bytes:
    head = handle.read(_HEAD_BYTES)
    while b"\n" not in head and len(head) < _LONG_HEAD_BYTES:
        more = handle.read(_HEAD_BYTES)
        if not more:
            break
        head += more
    return head


def _binary_description(head: bytes) -> str | None:
    signatures = {
        b"%PDF": "a PDF document",
        b"\x1f\x8b": "gzip-compressed data (unpack it first)",
        b"PAR1": "a Parquet file",
        b"SQLite format 3": "an SQLite database",
    }
    for magic, description in signatures.items():
        if head.startswith(magic):
            return description
    if head.startswith(b"PK\x03\x04"):
        return "a damaged or truncated ZIP archive"
    if head[8:12] == b"DUCK":
        return "a DuckDB database"
    if looks_binary(head):
        return "UTF-16 text or binary data, not the UTF-8/Latin-1 text the exports use"
    return None


def detect(path: Path) -> Detected:
    """Guess the format of a file from its first 64 KiB.

    Parameters
    ----------
    path : pathlib.Path
        A file, or a ZIP archive (its one ``*.csv`` member is inspected, the one the
        import reads).

    Returns
    -------
    Detected

    Raises
    ------
    ImportRefusedError
        If the file does not exist or cannot be read, or is a ZIP archive without
        exactly one ``*.csv`` file (or one that unpacks too far).
    """
    if not path.is_file():
        raise ImportRefusedError(f"no such file: {path}")
    try:
        head = _head(path)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ImportRefusedError(f"{path.name}: damaged ZIP archive ({exc})") from None
    except OSError as exc:
        raise ImportRefusedError(f"cannot read {path}: {exc}") from None
    if not head.strip():
        return Detected(None, "empty", "an empty file")
    binary = _binary_description(head)
    if binary:
        variant = "zip-damaged" if "ZIP" in binary else "binary"
        return Detected(None, variant, binary)
    lines = head_lines(head)
    first = lines[0]
    if first.lower().lstrip().startswith(("<!doctype html", "<html")):
        return Detected(None, "html", "an HTML page (a failed download?)")
    for fmt in formats.FORMATS:
        found = fmt.detected(head)
        if found is not None:
            kind = None if found in fmt.refusals else fmt.kind
            return Detected(kind, found, fmt.variants[found])
    return _other(lines)


def _other(lines: tuple[str, ...]) -> Detected:
    """What a file of no registered format looks like, from its first lines."""
    first = lines[0]
    if any(line.startswith(("CAMEOEVENTCODE", "CODE\tLABEL")) for line in lines):
        return Detected(None, "cameo", "a CAMEO lookup table (spillover ships these)")
    if any("\t" in line for line in lines):
        return _tab_separated(lines)
    if "," in first:
        columns = first.count(",") + 1
        return Detected(None, "csv", f"a CSV file with {columns} columns starting {first[:40]!r}")
    return Detected(None, "text", f"a text file starting {first[:40]!r}")


def _tab_separated(lines: tuple[str, ...]) -> Detected:
    """Another GDELT file, or a tab-separated file, as its first line says."""
    rows = [line.split("\t") for line in lines if line.strip()]
    fields = rows[0] if rows else [""]
    columns = len(fields)
    known = {
        57: "a GDELT 1.0 event file (57 columns)",
        58: "a GDELT 1.0 event file (58 columns)",
        16: "a GDELT 2.0 mentions file (16 columns)",
        27: "a GDELT Global Knowledge Graph file (27 columns)",
    }
    if columns in known and fields[0].strip():
        return Detected(None, "gdelt-other", known[columns])
    return Detected(None, "tsv", f"a tab-separated file with {columns} columns")


def require_kind(path: Path, kind: str) -> Detected:
    """Check that ``path`` is a file of ``kind``, or refuse it with one readable line.

    Parameters
    ----------
    path : pathlib.Path
    kind : str
        The kind of a registered format (:func:`spillover.data.formats.kinds`).

    Returns
    -------
    Detected
        The detected format (its ``kind`` equals ``kind``).

    Raises
    ------
    FormatMismatchError
        ``this looks like a SIPRI TIV table (exports), not a GDELT 2.0 event export;
        use `spillover data import tiv```.
    ImportRefusedError
        If the file is missing, unreadable, or a known format cut off in its preamble.
    """
    fmt = formats.get(kind)
    detected = detect(path)
    if detected.kind == kind:
        return detected
    if detected.variant == "zip-damaged":
        raise ImportRefusedError(f"{path.name}: damaged or truncated ZIP archive")
    if detected.variant in fmt.refusals:
        raise ImportRefusedError(f"{path.name}: {fmt.refusals[detected.variant]}")
    message = f"{path.name}: this looks like {detected.description}, not {fmt.label}"
    if detected.kind is not None:
        message += f"; use `spillover data import {detected.kind}`"
    raise FormatMismatchError(message)
