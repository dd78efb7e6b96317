"""File-level helpers: fingerprints, text decoding and ZIP members."""

from __future__ import annotations

import hashlib
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from spillover.data.errors import ImportRefusedError

__all__ = [
    "ZIP_MAX_BYTES",
    "ZIP_MAX_RATIO",
    "Fingerprint",
    "decode_text",
    "fingerprint",
    "looks_binary",
    "unpacked",
    "zip_member",
]

_CHUNK = 1 << 22

#: Largest file a ZIP archive may unpack to (bytes).
ZIP_MAX_BYTES = 8 * 2**30
#: Largest ratio of unpacked to packed size accepted. The real exports pack 3 to 7
#: times (a GDELT export about 6); a ZIP bomb packs hundreds of times or more.
ZIP_MAX_RATIO = 100
#: The one kind of member an archive is read for (every export is a CSV file).
MEMBER_SUFFIX = ".csv"


@dataclass(frozen=True)
class Fingerprint:
    """What we know about a file's bytes after one read.

    Attributes
    ----------
    sha256 : str
        Hex digest of the whole file, the idempotency key of an import.
    size_bytes : int
    lines : int
        Physical lines (``\\n``-terminated, plus a final unterminated one).
    ends_with_newline : bool
    """

    sha256: str
    size_bytes: int
    lines: int
    ends_with_newline: bool


def fingerprint(path: Path) -> Fingerprint:
    """Hash a file and count its lines in one streaming pass.

    Parameters
    ----------
    path : pathlib.Path

    Returns
    -------
    Fingerprint
    """
    digest = hashlib.sha256()
    size = 0
    newlines = 0
    last = b""
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
            newlines += chunk.count(b"\n")
            size += len(chunk)
            last = chunk[-1:]
    ends = last == b"\n"
    lines = newlines + (1 if size and not ends else 0)
    return Fingerprint(digest.hexdigest(), size, lines, ends or size == 0)


def decode_text(data: bytes, preferred: str = "utf-8") -> tuple[str, str]:
    """Decode bytes as UTF-8 if they are valid UTF-8, else as Latin-1.

    SIPRI's classic export is Latin-1; a file re-saved by a spreadsheet is usually UTF-8.
    Both decode correctly here, and the encoding used is reported.

    Parameters
    ----------
    data : bytes
    preferred : str, default "utf-8"
        Encoding to try first.

    Returns
    -------
    (str, str)
        The text and the name of the encoding that was used.

    Raises
    ------
    ImportRefusedError
        For UTF-16/32 text (NUL bytes), which none of the formats uses.
    """
    if looks_binary(data):
        raise ImportRefusedError(
            "the file is UTF-16/UTF-32 or binary, not the UTF-8 or Latin-1 text the "
            "export formats use; re-save it as UTF-8 CSV"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding in (preferred, "utf-8", "latin-1"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes any byte string")  # pragma: no cover


def zip_member(archive: zipfile.ZipFile, name: str) -> zipfile.ZipInfo:
    """The member of ``archive`` an import reads: its one ``*.csv`` file.

    The format check (:func:`spillover.data.sniff.detect`) and the import read the same
    member, chosen here. Folders and macOS ``__MACOSX/`` entries are ignored.

    Raises
    ------
    ImportRefusedError
        Unless the archive holds exactly one ``*.csv`` file, or when that file would
        unpack to more than :data:`ZIP_MAX_BYTES` or :data:`ZIP_MAX_RATIO` times its
        packed size.
    """
    files = [
        m for m in archive.infolist() if not m.is_dir() and not m.filename.startswith("__MACOSX/")
    ]
    members = [m for m in files if m.filename.lower().endswith(MEMBER_SUFFIX)]
    if len(members) != 1:
        names = ", ".join(m.filename for m in files) or "nothing"
        raise ImportRefusedError(
            f"{name} should hold exactly one *{MEMBER_SUFFIX} file; it holds {names}"
        )
    _check_unpacked_size(name, members[0], members[0].file_size)
    return members[0]


def _check_unpacked_size(name: str, member: zipfile.ZipInfo, size: int) -> None:
    """Refuse a member that unpacks (or claims to unpack) too far."""
    ratio = size / max(member.compress_size, 1)
    if size > ZIP_MAX_BYTES or ratio > ZIP_MAX_RATIO:
        raise ImportRefusedError(
            f"{name}: refused: {member.filename} unpacks to {size / 1e6:,.1f} MB, "
            f"{ratio:,.0f} times its packed size (at most {ZIP_MAX_RATIO} times and "
            f"{ZIP_MAX_BYTES / 2**30:.0f} GiB are accepted: the exports pack 3 to 7 times); "
            "if you trust the archive, unzip it and import the CSV file"
        )


def looks_binary(head: bytes) -> bool:
    """Whether bytes are UTF-16/32 or binary: a UTF-16 byte-order mark, or NUL bytes in
    at least 1% of the first 4 KiB (a stray NUL in a text file is a bad row, no more)."""
    start = head[:4096]
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or 100 * start.count(b"\x00") >= max(
        len(start), 1
    )


@contextmanager
def unpacked(path: Path) -> Iterator[Path]:
    """Yield a plain file for ``path``; a ``.zip`` is extracted to a temp dir first.

    Parameters
    ----------
    path : pathlib.Path
        A plain file, or a ZIP archive holding exactly one ``*.csv`` file (see
        :func:`zip_member`).

    Yields
    ------
    pathlib.Path
        The plain file (the temp copy is deleted afterwards).

    Raises
    ------
    ImportRefusedError
        For a corrupt or truncated archive, one without exactly one ``*.csv`` file, or
        one that unpacks too far (checked before and while unpacking, so an archive whose
        header understates the size is stopped too).
    """
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise ImportRefusedError(f"{path.name} is not a readable ZIP archive (truncated?)")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="spillover-") as tmp:
        try:
            with zipfile.ZipFile(path) as archive:
                member = zip_member(archive, path.name)
                target = Path(tmp) / Path(member.filename).name
                with archive.open(member) as src, open(target, "wb") as dst:
                    _copy_capped(src, dst, path.name, member)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise ImportRefusedError(f"{path.name}: damaged ZIP archive ({exc})") from None
        yield target


def _copy_capped(
    src: IO[bytes], dst: IO[bytes], name: str, member: zipfile.ZipInfo
) -> None:
    """Copy ``src`` to ``dst``, stopping as soon as the member unpacks too far."""
    written = 0
    while chunk := src.read(_CHUNK):
        written += len(chunk)
        _check_unpacked_size(name, member, written)
        dst.write(chunk)
