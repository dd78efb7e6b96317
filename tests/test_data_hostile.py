"""Hostile input: every malformed row is quarantined with its line and reason, the rest
imports; only a file that is not the claimed format is refused whole.

One test per case of the issue "Importers crash instead of quarantining one row", each
checked to fail before the fix, plus the ZIP limits.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from spillover import data
from spillover.data import files
from tests.excerpts import CLASSIC, GDELT, NEW, NMC
from tests.excerpts import TIV_EXPORTS as TIV


@pytest.fixture
def store(tmp_path: Path) -> data.Store:
    opened = data.open_store(tmp_path / "hostile.duckdb")
    yield opened
    opened.close()


def _counts(store: data.Store) -> pd.Series:
    return data.tables(store).set_index("table")["rows"]


def _rejected(store: data.Store) -> list[tuple[int, str]]:
    return store.con.execute("SELECT line, reason FROM rejected_rows ORDER BY line").fetchall()


def _gdelt_lines() -> list[bytes]:
    return GDELT.read_bytes().split(b"\n")[:-1]


def _write(path: Path, lines: list[bytes], end: bytes = b"\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(end.join(lines) + end)
    return path


def test_gdelt_row_with_bad_bytes_and_a_missing_tab_is_quarantined(
    store: data.Store, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    lines = _gdelt_lines()
    fields = lines[5].split(b"\t")
    fields[6] = "Zürich".encode("latin-1")  # not UTF-8
    lines[5] = b"\t".join(fields[:30] + fields[31:])  # and one tab short
    result = data.import_file(store, "gdelt", _write(tmp_path / GDELT.name, lines))
    assert (result.rows_imported, result.rows_rejected) == (len(lines) - 1, 1)
    assert _rejected(store) == [(6, "wrong column count: expected 61 columns, found 60")]
    raw = store.con.execute("SELECT raw FROM rejected_rows").fetchall()[0][0]
    assert raw.split("\t")[6] == "Z\ufffdrich"  # the text kept, the bad byte replaced
    assert capfd.readouterr().err == ""  # no "Exception ignored ... UnicodeDecodeError"


def test_nmc_row_with_a_stray_quote_and_a_bare_cr_is_quarantined(
    store: data.Store, tmp_path: Path
) -> None:
    lines = NMC.read_bytes().split(b"\r\n")
    lines[3] = b'U"SA' + lines[3][3:20] + b"\r" + lines[3][20:]
    result = data.import_file(store, "nmc", _write(tmp_path / "nmc.csv", lines[:-1], b"\r\n"))
    assert (result.rows_imported, result.rows_rejected) == (len(lines) - 3, 1)
    assert _rejected(store) == [(4, "stray carriage return (CR) inside the line")]


@pytest.mark.parametrize("copies", [1, 60])  # 60 copies: the joined text passes 131,072
def test_sipri_classic_row_with_a_stray_opening_quote_is_quarantined(
    store: data.Store, tmp_path: Path, copies: int
) -> None:
    lines = CLASSIC.read_bytes().split(b"\n")
    header = next(i for i, line in enumerate(lines) if line.startswith(b"Recipient,Supplier"))
    body = [line for line in lines[header + 1 :] if line] * copies
    body[2] = b'"' + body[2]  # a quote that never closes
    path = _write(tmp_path / "classic.csv", [*lines[: header + 1], *body])
    records = sum(1 for line in body if not line.startswith(b","))  # continuation lines
    result = data.import_file(store, "sipri", path)
    assert (result.rows_imported, result.rows_rejected) == (records - 1, 1)
    assert _rejected(store) == [(header + 4, "malformed CSV quoting: an unclosed quote")]


def test_gdelt_line_over_4_mib_is_quarantined(store: data.Store, tmp_path: Path) -> None:
    lines = _gdelt_lines()
    fields = lines[7].split(b"\t")
    fields[60] = b"https://example.org/" + b"a" * (4 * 2**20 + 100)  # SOURCEURL
    lines[7] = b"\t".join(fields)
    result = data.import_file(store, "gdelt", _write(tmp_path / GDELT.name, lines))
    assert (result.rows_imported, result.rows_rejected) == (len(lines) - 1, 1)
    ((line, reason),) = _rejected(store)
    assert line == 8 and reason.startswith("line too long: over 1,048,576 bytes")
    raw = store.con.execute("SELECT raw FROM rejected_rows").fetchall()[0][0]
    assert raw.startswith(lines[7][:100].decode()) and len(raw) == 2000


@pytest.mark.parametrize(
    ("kind", "path", "end"), [("tiv", TIV, b"\n"), ("nmc", NMC, b"\r\n"), ("sipri", NEW, b"\r\n")]
)
def test_cr_only_line_ends_are_read(
    store: data.Store, tmp_path: Path, kind: str, path: Path, end: bytes
) -> None:
    expected = data.import_file(store, kind, path)
    cr_only = tmp_path / f"cr-{path.name}"
    cr_only.write_bytes(path.read_bytes().replace(end, b"\r"))
    with data.open_store(tmp_path / "other.duckdb") as other:
        result = data.import_file(other, kind, cr_only)
        assert (result.rows_imported, result.rows_rejected) == (expected.rows_imported, 0)
        assert result.rows_imported > 0
    again = data.import_file(store, kind, cr_only)  # the same records, in the first store
    assert again.nothing_new and again.rows_duplicate == expected.rows_imported


def test_gdelt_with_cr_only_line_ends_is_refused(store: data.Store, tmp_path: Path) -> None:
    path = tmp_path / GDELT.name
    path.write_bytes(GDELT.read_bytes().replace(b"\n", b"\r"))
    with pytest.raises(data.ImportRefusedError, match="CR alone"):
        data.import_file(store, "gdelt", path)


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return path


def test_zip_whose_first_member_is_not_the_export(store: data.Store, tmp_path: Path) -> None:
    before = _counts(store)
    tricky = _zip(
        tmp_path / "tricky.zip",
        {"readme.txt": GDELT.read_bytes(), "export.CSV": TIV.read_bytes()},
    )
    with pytest.raises(data.FormatMismatchError, match="looks like a SIPRI TIV table"):
        data.import_file(store, "gdelt", tricky)  # the member the import would read
    pd.testing.assert_series_equal(_counts(store), before)
    fine = _zip(
        tmp_path / "20191024143000.export.CSV.zip",
        {"README.txt": b"notes\n", "folder/": b"", GDELT.name: GDELT.read_bytes()},
    )
    result = data.import_file(store, "gdelt", fine)
    assert (result.rows_imported, result.rows_rejected) == (len(_gdelt_lines()), 0)


def test_zip_bomb_is_refused_before_it_unpacks(
    store: data.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = _gdelt_lines()[0] + b"\n"
    bomb = tmp_path / "20191024143000.export.CSV.zip"
    with (
        zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open(GDELT.name, "w") as member,
    ):
        for _ in range(50):
            member.write(line * 1000)  # 20 MB of one event, packed about 230 times
    unpacked: list[Path] = []
    monkeypatch.setattr(files, "_copy_capped", lambda *a: unpacked.append(a[0]), raising=False)
    before = _counts(store)
    with pytest.raises(data.ImportRefusedError) as info:
        data.import_file(store, "gdelt", bomb)
    message = str(info.value)
    assert "times its packed size (at most 100 times" in message and "\n" not in message
    assert "unzip it and import the CSV file" in message
    assert unpacked == []  # refused from the archive's directory, nothing unpacked
    pd.testing.assert_series_equal(_counts(store), before)


def test_zip_that_unpacks_further_than_it_says_is_stopped_while_unpacking(
    store: data.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = _zip(tmp_path / "20191024143000.export.CSV.zip", {GDELT.name: GDELT.read_bytes()})
    real = files._check_unpacked_size
    seen: list[int] = []

    def more_than_declared(name: str, member: zipfile.ZipInfo, size: int) -> None:
        if size != member.file_size:  # while unpacking: as if each byte were a thousand
            seen.append(size)
            size *= 1000
        real(name, member, size)

    monkeypatch.setattr(files, "_check_unpacked_size", more_than_declared)
    monkeypatch.setattr(files, "_CHUNK", 4096)
    with pytest.raises(data.ImportRefusedError, match=r"unpacks to 4\.1 MB"):
        data.import_file(store, "gdelt", archive)
    assert seen == [4096]  # stopped at the first chunk past the limit
    assert store.con.execute("SELECT count(*) FROM sources").fetchall() == [(0,)]


@pytest.mark.parametrize(("kind", "path"), [("sipri", CLASSIC), ("tiv", TIV), ("nmc", NMC)])
def test_zipped_text_exports_import_like_the_plain_file(
    store: data.Store, tmp_path: Path, kind: str, path: Path
) -> None:
    archive = _zip(tmp_path / f"{path.name}.zip", {path.name: path.read_bytes()})
    zipped = data.import_file(store, kind, archive)
    with data.open_store(tmp_path / "plain.duckdb") as other:
        plain = data.import_file(other, kind, path)
    assert (zipped.rows_imported, zipped.rows_rejected) == (plain.rows_imported, 0)
    assert zipped.encoding == plain.encoding


@pytest.mark.parametrize(
    ("kind", "path", "header", "column"),
    [
        ("sipri", CLASSIC, b"Recipient,Supplier", 1),
        ("sipri", NEW, b"SIPRI AT Database ID", 2),
        ("tiv", TIV, b"Exports by,", 0),
    ],
)
def test_a_name_of_a_hundred_thousand_characters_is_quarantined(
    store: data.Store, tmp_path: Path, kind: str, path: Path, header: bytes, column: int
) -> None:
    """Found by the fuzz test: country_converter took minutes over such a name."""
    lines = path.read_bytes().split(b"\n")
    row = next(i for i, line in enumerate(lines) if line.startswith(header)) + 1
    fields = lines[row].split(b",")
    fields[column] = b"x" * 100_000
    lines[row] = b",".join(fields)
    result = data.import_file(store, kind, _write(tmp_path / path.name, lines[:-1]))
    assert result.rows_rejected == 1
    ((line, reason),) = _rejected(store)
    assert line == row + 1 and "longer than 200 characters" in reason
