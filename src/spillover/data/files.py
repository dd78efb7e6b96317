"""File-level helpers: fingerprints, text decoding and ZIP members."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from spillover.data.errors import ImportRefusedError

__all__ = ["Fingerprint", "decode_text", "fingerprint", "unpacked"]

_CHUNK = 1 << 22


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
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in data[:4096]:
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


@contextmanager
def unpacked(path: Path, member_suffix: str) -> Iterator[Path]:
    """Yield a plain file for ``path``; a ``.zip`` is extracted to a temp dir first.

    Parameters
    ----------
    path : pathlib.Path
        A plain file, or a ZIP archive holding exactly one member ending in
        ``member_suffix`` (case-insensitive).
    member_suffix : str
        e.g. ``".csv"``.

    Yields
    ------
    pathlib.Path
        The plain file (the temp copy is deleted afterwards).

    Raises
    ------
    ImportRefusedError
        For a corrupt or truncated archive, or one without exactly one matching member.
    """
    if not zipfile.is_zipfile(path):
        if path.suffix.lower() == ".zip":
            raise ImportRefusedError(f"{path.name} is not a readable ZIP archive (truncated?)")
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="spillover-") as tmp:
        try:
            with zipfile.ZipFile(path) as archive:
                members = [
                    m for m in archive.infolist() if m.filename.lower().endswith(member_suffix)
                ]
                if len(members) != 1:
                    names = ", ".join(m.filename for m in archive.infolist()) or "nothing"
                    raise ImportRefusedError(
                        f"{path.name} should hold exactly one *{member_suffix} file; "
                        f"it holds {names}"
                    )
                target = Path(tmp) / Path(members[0].filename).name
                with archive.open(members[0]) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, _CHUNK)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise ImportRefusedError(f"{path.name}: damaged ZIP archive ({exc})") from None
        yield target
