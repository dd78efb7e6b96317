"""Bad input is quarantined or refused with a reason, and never corrupts the store."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pandas as pd
import pytest

from spillover import data
from spillover.data import importer
from tests.excerpts import CLASSIC, GDELT, NEW, NMC
from tests.excerpts import TIV_EXPORTS as TIV


def _counts(store: data.Store) -> pd.Series:
    return data.tables(store).set_index("table")["rows"]


def _rejected(store: data.Store) -> pd.DataFrame:
    return store.con.execute("SELECT * FROM rejected_rows ORDER BY line").df()


@pytest.fixture
def store(tmp_path: Path) -> data.Store:
    opened = data.open_store(tmp_path / "bad.duckdb")
    yield opened
    opened.close()


def _gdelt_with(tmp_path: Path, edits: dict[int, bytes | None], tail: bytes = b"") -> Path:
    """Copy of the GDELT excerpt with some lines (0-based) replaced or removed."""
    lines = GDELT.read_bytes().split(b"\n")[:-1]
    out = [edits.get(i, line) for i, line in enumerate(lines)]
    path = tmp_path / "20191024143000.export.CSV"
    path.write_bytes(b"\n".join(line for line in out if line is not None) + b"\n" + tail)
    return path


def _field(line: bytes, index: int, value: bytes) -> bytes:
    fields = line.split(b"\t")
    fields[index] = value
    return b"\t".join(fields)


def test_gdelt_bad_rows_are_quarantined_with_line_and_reason(
    store: data.Store, tmp_path: Path
) -> None:
    lines = GDELT.read_bytes().split(b"\n")[:-1]
    edits = {
        3: b"\t".join(lines[3].split(b"\t")[:60]),  # 60 columns
        5: lines[5] + b"\textra",  # 62 columns
        7: _field(lines[7], 31, b"many"),  # NumMentions not a number
        9: _field(lines[9], 6, "Zürich".encode("latin-1")),  # Actor1Name not UTF-8
        11: _field(lines[11], 26, b"999"),  # unknown CAMEO event code
        13: _field(lines[13], 1, b"19500101"),  # before GDELT's first event date
        15: _field(lines[15], 1, b"20250101"),  # after the export was written
        17: _field(lines[17], 1, b"20191399"),  # not a date
        19: _field(lines[19], 29, b"7"),  # QuadClass outside 1-4
        21: _field(lines[21], 59, b"20100101000000"),  # DATEADDED before GDELT 2.0
        23: _field(lines[23], 30, b"-11.5"),  # Goldstein outside -10..10
        25: _field(lines[25], 27, b"888"),  # unknown CAMEO event base code
    }
    path = _gdelt_with(tmp_path, edits)
    result = data.import_file(store, "gdelt", path)
    assert (result.rows_imported, result.rows_rejected) == (len(lines) - len(edits), len(edits))
    rejected = _rejected(store)
    reasons = dict(zip(rejected["line"], rejected["reason"], strict=True))
    assert sorted(reasons) == [i + 1 for i in sorted(edits)]
    assert reasons[4] == "wrong column count: expected 61 columns, found 60"
    assert reasons[6] == "wrong column count: expected 61 columns, found 62"
    assert reasons[8] == "invalid NumMentions value 'many'"
    assert reasons[10].startswith("invalid UTF-8")
    assert reasons[12] == "unknown CAMEO event code '999'"
    assert reasons[14].startswith("SQLDATE 19500101 out of range")
    assert reasons[16].startswith("SQLDATE 20250101 out of range")
    assert reasons[18] == "invalid SQLDATE value '20191399'"
    assert reasons[20] == "QuadClass '7' not in 1-4"
    assert reasons[22].startswith("DATEADDED 20100101000000 out of range")
    assert reasons[24] == "GoldsteinScale '-11.5' not in -10..10"
    assert reasons[26] == "unknown CAMEO event base code '888'"
    assert (rejected["file_name"] == path.name).all()
    raw_12 = rejected.set_index("line").loc[12, "raw"]
    assert raw_12.split("\t")[26] == "999"  # the quarantined text is the input line
    events = store.con.execute("SELECT count(*) FROM gdelt_events").fetchall()[0][0]
    assert events == result.rows_imported


def test_truncated_gdelt_file_keeps_the_complete_lines(store: data.Store, tmp_path: Path) -> None:
    text = GDELT.read_bytes()
    cut = tmp_path / "20191024143000.export.CSV"
    cut.write_bytes(text[: len(text) - 200])  # ends inside the last line
    total = text.count(b"\n")
    result = data.import_file(store, "gdelt", cut)
    assert (result.rows_imported, result.rows_rejected) == (total - 1, 1)
    rejected = _rejected(store).iloc[0]
    assert rejected["line"] == total
    assert rejected["reason"].startswith("truncated last line: wrong column count")


def test_truncated_and_foreign_zip_archives_are_refused(store: data.Store, tmp_path: Path) -> None:
    archive = tmp_path / "20191024143000.export.CSV.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(GDELT, GDELT.name)
    damaged = tmp_path / "damaged.export.CSV.zip"
    damaged.write_bytes(archive.read_bytes()[:-100])
    before = _counts(store)
    with pytest.raises(data.ImportRefusedError, match="damaged or truncated ZIP archive"):
        data.import_file(store, "gdelt", damaged)
    corrupt = bytearray(archive.read_bytes())
    corrupt[200:400] = bytes(200)  # inside the compressed member
    scrambled = tmp_path / "scrambled.export.CSV.zip"
    scrambled.write_bytes(bytes(corrupt))
    with pytest.raises(data.ImportRefusedError, match="damaged ZIP archive"):
        data.import_file(store, "gdelt", scrambled)
    two = tmp_path / "two.export.CSV.zip"
    with zipfile.ZipFile(two, "w") as zipped:
        zipped.write(GDELT, "a.export.CSV")
        zipped.write(GDELT, "b.export.CSV")
    with pytest.raises(data.ImportRefusedError, match="exactly one"):
        data.import_file(store, "gdelt", two)
    pd.testing.assert_series_equal(_counts(store), before)


def test_truncated_sipri_file_quarantines_the_cut_record(store: data.Store, tmp_path: Path) -> None:
    raw = CLASSIC.read_bytes()
    cut = tmp_path / "classic-cut.csv"
    cut.write_bytes(raw[: raw.rstrip(b"\n").rfind(b",") - 5])  # inside the last record
    total_lines = raw.rstrip(b"\n").count(b"\n") + 1
    result = data.import_file(store, "sipri", cut)
    assert result.rows_rejected == 1
    rejected = _rejected(store).iloc[0]
    assert rejected["line"] == total_lines
    assert rejected["reason"].startswith("truncated record: expected 16 fields")
    preamble_only = tmp_path / "classic-preamble.csv"
    preamble_only.write_bytes(b"\n".join(raw.split(b"\n")[:6]) + b"\n")
    before = _counts(store)
    with pytest.raises(data.ImportRefusedError, match="truncated"):
        data.import_file(store, "sipri", preamble_only)
    pd.testing.assert_series_equal(_counts(store), before)


def test_sipri_bad_fields_are_quarantined(store: data.Store, tmp_path: Path) -> None:
    lines = CLASSIC.read_bytes().split(b"\n")
    header = next(i for i, line in enumerate(lines) if line.startswith(b"Recipient,Supplier"))
    first, second, third = header + 1, header + 2, header + 3
    fields = lines[first].split(b",")
    fields[13] = b"n/a"  # TIV per unit
    lines[first] = b",".join(fields)
    fields = lines[second].split(b",")
    fields[2] = b"2099"  # order year after the file was generated
    lines[second] = b",".join(fields)
    lines[third] = lines[third] + b",surplus,fields,here"
    path = tmp_path / "classic-bad.csv"
    path.write_bytes(b"\n".join(lines))
    result = data.import_file(store, "sipri", path)
    assert result.rows_rejected == 3
    reasons = dict(zip(_rejected(store)["line"], _rejected(store)["reason"], strict=True))
    assert reasons[first + 1] == "non-numeric SIPRI TIV per unit 'n/a'"
    assert reasons[second + 1] == "Year of order 2099 out of range 1900-2026"
    assert reasons[third + 1] == "wrong column count: expected 16, found 19"


def test_new_format_wrong_column_count_and_flags(store: data.Store, tmp_path: Path) -> None:
    lines = NEW.read_bytes().split(b"\r\n")
    header = next(i for i, line in enumerate(lines) if line.startswith(b"SIPRI AT Database ID"))
    row = header + 1
    lines[row] = lines[row].replace(b",No;", b",Maybe;", 1)  # Local production flag
    lines[row + 1] = lines[row + 1].rstrip(b";") + b",extra;"
    path = tmp_path / "new-bad.csv"
    path.write_bytes(b"\r\n".join(lines))
    result = data.import_file(store, "sipri", path)
    reasons = dict(zip(_rejected(store)["line"], _rejected(store)["reason"], strict=True))
    assert result.rows_rejected == 2
    assert reasons[row + 1] == "Local production must be Yes, No or empty, got 'Maybe'"
    assert reasons[row + 2] == "wrong column count: expected 17 fields, found 18"


def test_sipri_encodings(store: data.Store, tmp_path: Path) -> None:
    resaved = tmp_path / "classic-utf8.csv"
    resaved.write_bytes(CLASSIC.read_bytes().decode("latin-1").encode("utf-8"))
    result = data.import_file(store, "sipri", resaved)
    assert (result.encoding, result.rows_rejected) == ("utf-8", 0)
    names = store.con.execute("SELECT designation FROM sipri_deals").df()["designation"]
    assert "Bü-181 Bestmann" in names.tolist()
    utf16 = tmp_path / "classic-utf16.csv"
    utf16.write_bytes(CLASSIC.read_bytes().decode("latin-1").encode("utf-16"))
    before = _counts(store)
    with pytest.raises(data.FormatMismatchError, match="UTF-16"):
        data.import_file(store, "sipri", utf16)
    pd.testing.assert_series_equal(_counts(store), before)


def test_tiv_and_nmc_bad_rows(store: data.Store, tmp_path: Path) -> None:
    tiv_lines = TIV.read_text().split("\n")
    north_korea = next(i for i, line in enumerate(tiv_lines) if line.startswith("North Korea"))
    tiv_lines[north_korea] = tiv_lines[north_korea].replace(",84,", ",lots,", 1)
    bad_tiv = tmp_path / "tiv-bad.csv"
    bad_tiv.write_text("\n".join(tiv_lines).rstrip("\n") + "\nBelarus,,1\n")
    tiv = data.import_file(store, "tiv", bad_tiv)
    nmc_lines = NMC.read_text().splitlines()
    nmc_lines[1] = nmc_lines[1].replace(",1816,", ",1700,", 1)
    fields = nmc_lines[2].split(",")
    fields[1] = "x"
    nmc_lines[2] = ",".join(fields)
    nmc_lines.append(nmc_lines[3])  # the same state-year twice
    nmc_lines.append("USA,2,19")  # cut off
    bad_nmc = tmp_path / "nmc-bad.csv"
    bad_nmc.write_text("\n".join(nmc_lines))
    nmc = data.import_file(store, "nmc", bad_nmc)
    assert tiv.rows_rejected == 2 and nmc.rows_rejected == 4
    reasons = _rejected(store).groupby("source_id")["reason"].apply(list)
    assert sorted(reasons[tiv.source_id]) == [
        "non-numeric TIV value 'lots' for 1991",
        "truncated row: expected 39 fields, found 3",
    ]
    assert sorted(reasons[nmc.source_id]) == sorted(
        [
            "year 1700 out of range 1816-2100",
            "non-numeric ccode 'x'",
            f"ccode {nmc_lines[3].split(',')[1]} year {nmc_lines[3].split(',')[2]} repeats line 4",
            "truncated row: expected 11 fields, found 3",
        ]
    )


@pytest.mark.parametrize(
    ("path", "kind", "message"),
    [
        (
            TIV,
            "gdelt",
            "this looks like a SIPRI TIV table (exports), not a GDELT 2.0 event export; "
            "use `spillover data import tiv`",
        ),
        (
            GDELT,
            "sipri",
            "this looks like a GDELT 2.0 event export, not a SIPRI trade register export; "
            "use `spillover data import gdelt`",
        ),
        (
            NMC,
            "tiv",
            "this looks like a COW National Material Capabilities (NMC) file, not a SIPRI TIV "
            "table; use `spillover data import nmc`",
        ),
        (
            CLASSIC,
            "nmc",
            "this looks like a SIPRI trade register export (classic), not a COW National "
            "Material Capabilities (NMC) file; use `spillover data import sipri`",
        ),
    ],
)
def test_wrong_format_is_refused_with_what_it_looks_like(
    store: data.Store, path: Path, kind: str, message: str
) -> None:
    before = _counts(store)
    with pytest.raises(data.FormatMismatchError) as info:
        data.import_file(store, kind, path)
    assert str(info.value) == f"{path.name}: {message}"
    pd.testing.assert_series_equal(_counts(store), before)


def test_files_that_are_no_known_format(store: data.Store, tmp_path: Path) -> None:
    cases = {
        "empty.csv": (b"", "an empty file"),
        "page.csv": (b"<!DOCTYPE html><html><body>404</body></html>", "an HTML page"),
        "CAMEO.eventcodes.txt": (b"CAMEOEVENTCODE\tEVENTDESCRIPTION\n01\tX\n", "CAMEO lookup"),
        "other.tsv": (b"a\tb\tc\n1\t2\t3\n", "a tab-separated file with 3 columns"),
        "mentions.CSV": (b"\t".join([b"1"] * 16) + b"\n", "GDELT 2.0 mentions file"),
    }
    before = _counts(store)
    for name, (content, expected) in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        with pytest.raises(data.FormatMismatchError) as info:
            data.import_file(store, "gdelt", path)
        assert expected in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(data.ImportRefusedError, match="no such file"):
        data.import_file(store, "gdelt", tmp_path / "missing.CSV")
    pd.testing.assert_series_equal(_counts(store), before)


@pytest.mark.parametrize(
    ("kind", "path"), [("gdelt", GDELT), ("sipri", CLASSIC), ("tiv", TIV), ("nmc", NMC)]
)
def test_an_interrupted_import_leaves_the_store_as_it_was(
    store: data.Store, monkeypatch: pytest.MonkeyPatch, kind: str, path: Path
) -> None:
    data.import_file(store, "sipri", NEW)  # something already in the store
    before = _counts(store)
    sources = store.con.execute("SELECT * FROM sources").df()

    def fail(*args: object) -> None:
        raise KeyboardInterrupt  # the user presses Ctrl-C after the rows are written

    monkeypatch.setattr(importer, "_record_source", fail)
    with pytest.raises(KeyboardInterrupt):
        data.import_file(store, kind, path)
    pd.testing.assert_series_equal(_counts(store), before)
    pd.testing.assert_frame_equal(store.con.execute("SELECT * FROM sources").df(), sources)
    monkeypatch.undo()
    result = data.import_file(store, kind, path)  # and the file still imports cleanly
    assert not result.already_imported and result.rows_imported > 0


def test_a_failure_inside_the_gdelt_load_rolls_back(
    store: data.Store, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    lines = GDELT.read_bytes().split(b"\n")[:-1]
    path = _gdelt_with(tmp_path, {2: _field(lines[2], 1, b"20991231")})  # needs the 2nd pass
    before = _counts(store)

    def fail(*args: object, **kwargs: object) -> int:
        raise RuntimeError("disk full")

    monkeypatch.setattr("spillover.data.gdelt.store_rejects", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        data.import_file(store, "gdelt", path)
    pd.testing.assert_series_equal(_counts(store), before)


def test_an_invalid_row_sharing_an_event_id_with_a_valid_one(
    store: data.Store, tmp_path: Path
) -> None:
    lines = GDELT.read_bytes().split(b"\n")[:-1]
    copy = _field(lines[4], 26, b"999")  # same GLOBALEVENTID as line 5, unknown code
    path = tmp_path / "20191024143000.export.CSV"
    path.write_bytes(b"\n".join([*lines[:10], copy, *lines[10:]]) + b"\n")
    result = data.import_file(store, "gdelt", path)
    assert (result.rows_imported, result.rows_rejected) == (len(lines), 1)
    rejected = _rejected(store).iloc[0]
    assert (rejected["line"], rejected["reason"]) == (11, "unknown CAMEO event code '999'")


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(
    store: data.Store, tmp_path: Path
) -> None:
    lines = GDELT.read_bytes().split(b"\n")[:-1]
    body = [*lines[:3], b"", _field(lines[3], 1, b"20991231"), b"", lines[4][:50], *lines[5:]]
    path = tmp_path / "20191024143000.export.CSV"
    path.write_bytes(b"\n".join(body) + b"\n")
    result = data.import_file(store, "gdelt", path)
    assert (result.rows_imported, result.rows_rejected) == (len(lines) - 2, 2)
    reasons = dict(zip(_rejected(store)["line"], _rejected(store)["reason"], strict=True))
    assert reasons[5].startswith("SQLDATE 20991231 out of range")  # physical line 5
    assert reasons[7].startswith("wrong column count")  # physical line 7
