"""Recognise what a file is from its first bytes, to refuse the wrong format early.

Importing a SIPRI TIV table as a GDELT export should not produce thousands of rejected
rows; it should stop with one line saying what the file looks like.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from spillover.data.errors import FormatMismatchError, ImportRefusedError
from spillover.data.files import looks_binary, zip_member
from spillover.data.parsed import split_lines

__all__ = ["FORMAT_LABELS", "KINDS", "Detected", "detect", "require_kind"]

#: The importable kinds, as used by ``spillover data import KIND``.
KINDS = ("sipri", "tiv", "gdelt", "nmc")

#: Human-readable name of each kind.
FORMAT_LABELS = {
    "sipri": "a SIPRI trade register export",
    "tiv": "a SIPRI TIV table",
    "gdelt": "a GDELT 2.0 event export",
    "nmc": "a COW National Material Capabilities (NMC) file",
}

_HEAD_BYTES = 1 << 16
_LONG_HEAD_BYTES = 1 << 21  # read on to here while the first line has not ended
_TIV_HEADER = re.compile(r"^[^,\d][^,]*,(19|20)\d\d,(19|20)\d\d,")


@dataclass(frozen=True)
class Detected:
    """Result of :func:`detect`.

    Attributes
    ----------
    kind : str or None
        One of :data:`KINDS`, or None when the file is none of them.
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
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = split_lines(text)[:40]
    first = lines[0]
    if first.lower().lstrip().startswith(("<!doctype html", "<html")):
        return Detected(None, "html", "an HTML page (a failed download?)")
    for line in lines:
        if line.startswith("Recipient,Supplier,Year of order"):
            return Detected("sipri", "sipri-classic", FORMAT_LABELS["sipri"] + " (classic)")
        if line.startswith("SIPRI AT Database ID,"):
            return Detected("sipri", "sipri-new", FORMAT_LABELS["sipri"] + " (new format)")
        if line.startswith("stateabb,ccode,year,"):
            return Detected("nmc", "cow-nmc", FORMAT_LABELS["nmc"])
        if line.startswith(("CAMEOEVENTCODE", "CODE\tLABEL")):
            return Detected(None, "cameo", "a CAMEO lookup table (spillover ships these)")
        if _TIV_HEADER.match(line):
            direction = "imports" if line.startswith("Recipient") else "exports"
            return Detected("tiv", f"tiv-{direction}", f"{FORMAT_LABELS['tiv']} ({direction})")
    if any("\t" in line for line in lines):
        found = _tab_separated(lines)
        if found.kind == "gdelt" and b"\n" not in head:
            return Detected(None, "gdelt-cr", f"{found.description} with CR-only line ends")
        return found
    if first.startswith("Transfers of major conventional arms"):
        return Detected(None, "sipri-truncated", "a SIPRI export cut off before its header line")
    if first.startswith("Volume of transfers of major arms"):
        return Detected(None, "tiv-truncated", "a SIPRI TIV table cut off before its header line")
    if "," in first:
        columns = first.count(",") + 1
        return Detected(None, "csv", f"a CSV file with {columns} columns starting {first[:40]!r}")
    return Detected(None, "text", f"a text file starting {first[:40]!r}")


def _tab_separated(lines: list[str]) -> Detected:
    """A GDELT 2.0 export when most lines have its 61 columns and a numeric event id
    (a few damaged lines do not make it another format); else what the first line says."""
    rows = [line.split("\t") for line in lines if line.strip()]
    events = sum(1 for fields in rows if len(fields) == 61 and fields[0].isdigit())
    if rows and 2 * events >= len(rows):
        return Detected("gdelt", "gdelt-export", FORMAT_LABELS["gdelt"])
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
        One of :data:`KINDS`.

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
    if kind not in KINDS:
        raise FormatMismatchError(f"unknown import kind {kind!r}; choose one of {', '.join(KINDS)}")
    detected = detect(path)
    if detected.kind == kind:
        return detected
    if detected.variant == "zip-damaged":
        raise ImportRefusedError(f"{path.name}: damaged or truncated ZIP archive")
    if detected.variant == f"{kind}-cr":
        raise ImportRefusedError(
            f"{path.name}: its lines end with a CR alone (old Mac line ends); GDELT exports "
            "end lines with LF: convert it first, e.g. tr '\\r' '\\n' < in.CSV > out.CSV"
        )
    if detected.variant == f"{kind}-truncated":
        raise ImportRefusedError(
            f"{path.name}: the file is truncated: it ends in the preamble, before the header line"
        )
    message = f"{path.name}: this looks like {detected.description}, not {FORMAT_LABELS[kind]}"
    if detected.kind is not None:
        message += f"; use `spillover data import {detected.kind}`"
    raise FormatMismatchError(message)
