"""GDELT 2.0 event exports and the dyad tension series, from the committed excerpt."""

from __future__ import annotations

import hashlib
import zipfile
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from spillover import data
from spillover.data import gdelt, gdelt_blocks
from spillover.data.cameo import LOOKUP_FILES, lookup_file_text

EXPORT = Path(__file__).parent / "data" / "gdelt" / "20191024143000.export.CSV"


def _raw() -> pd.DataFrame:
    """The excerpt read independently (codes as text, leading zeros kept)."""
    frame = pd.read_csv(EXPORT, sep="\t", header=None, dtype=str, keep_default_na=False)
    assert frame.shape[1] == 61
    return frame


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> data.Store:
    db = tmp_path_factory.mktemp("gdelt") / "gdelt.duckdb"
    opened = data.open_store(db)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def imported(store: data.Store) -> data.ImportResult:
    return data.import_file(store, "gdelt", EXPORT)


def test_every_row_imports_with_mapped_actors(
    store: data.Store, imported: data.ImportResult
) -> None:
    raw = _raw()
    assert (imported.rows_imported, imported.rows_rejected) == (len(raw), 0)
    assert imported.generated_at == datetime(2019, 10, 24, 14, 30)
    events = store.con.execute("SELECT * FROM gdelt_events ORDER BY global_event_id").df()
    assert events["global_event_id"].tolist() == sorted(raw[0].astype(int).tolist())
    first = events.set_index("global_event_id").loc[int(raw.iloc[0, 0])]
    assert first["event_code"] == raw.iloc[0, 26]  # "139": text, not a number
    assert pd.Timestamp(first["event_date"]).date() == date(2018, 10, 24)
    assert first["actor2_id"] == "AUS" and pd.isna(first["actor1_id"])
    # the EU appears as CAMEO region EUR: kept with a region id, listed in actor_names
    regions = store.con.execute(
        "SELECT DISTINCT actor_id FROM actor_names WHERE scheme = 'cameo' AND kind = 'region'"
    ).fetchall()
    assert ("X-EUROPE",) in regions
    assert imported.unmapped == []
    codes = set(raw[7]) | set(raw[17])
    mapped = set(events["actor1_id"].dropna()) | set(events["actor2_id"].dropna())
    assert {"USA", "CHN", "RUS", "UKR"} <= mapped
    assert len(mapped) == len(codes - {""})


def _zipped(tmp_path: Path) -> Path:
    """The excerpt in a ``.CSV.zip``, as GDELT publishes it."""
    archive = tmp_path / "20191024143000.export.CSV.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(EXPORT, EXPORT.name)
    return archive


def test_zipped_export_gives_the_same_rows(tmp_path: Path) -> None:
    archive = _zipped(tmp_path)
    with data.open_store(tmp_path / "z.duckdb") as store:
        result = data.import_file(store, "gdelt", archive)
        count = store.con.execute("SELECT count(*) FROM gdelt_events").fetchall()[0][0]
    assert (result.rows_imported, result.rows_rejected, count) == (len(_raw()), 0, len(_raw()))
    assert result.generated_at == datetime(2019, 10, 24, 14, 30)


def _expected_tension(raw: pd.DataFrame, a: str, b: str, day: str) -> tuple[int, float]:
    pair = ((raw[7] == a) & (raw[17] == b)) | ((raw[7] == b) & (raw[17] == a))
    rows = raw[pair & (raw[1] == day)]
    mentions = rows[31].astype(int)
    goldstein = rows[30].astype(float)
    return len(rows), float((goldstein * mentions).sum() / mentions.sum())


def test_dyad_series_is_mention_weighted_goldstein_in_both_directions(
    store: data.Store, imported: data.ImportResult
) -> None:
    raw = _raw()
    with pytest.warns(data.CoverageWarning, match="cover 2019-10-24"):  # the sample's only day
        series = data.dyad_series(store, "usa", "CHN", "2019-10-20", "2019-10-26", freq="day")
    assert list(series.columns) == list(data.dyad.DYAD_COLUMNS)
    assert series["period"].tolist() == [date(2019, 10, d) for d in range(20, 27)]
    day = series.set_index("period").loc[date(2019, 10, 24)]
    events, tension = _expected_tension(raw, "USA", "CHN", "20191024")
    assert day["events"] == events > 1
    assert day["tension"] == pytest.approx(tension)
    assert day["events_a_to_b"] + day["events_b_to_a"] == events
    assert day["events_a_to_b"] > 0 and day["events_b_to_a"] > 0
    quads = day[["verbal_cooperation", "material_cooperation", "verbal_conflict"]].sum()
    assert quads + day["material_conflict"] == events
    quiet = series.set_index("period").loc[date(2019, 10, 21)]
    assert quiet["events"] == 0 and pd.isna(quiet["tension"])
    with pytest.warns(data.CoverageWarning):
        reverse = data.dyad_series(store, "CHN", "USA", "2019-10-20", "2019-10-26")
    assert reverse["tension"].equals(series["tension"])
    assert reverse["events_a_to_b"].tolist() == series["events_b_to_a"].tolist()


def test_monthly_series_covers_every_month(store: data.Store, imported: data.ImportResult) -> None:
    raw = _raw()
    with pytest.warns(data.CoverageWarning):
        series = data.dyad_series(store, "RUS", "UKR", "2018-01-15", "2019-12-31", freq="month")
    assert len(series) == 24 and series["period"].iloc[0] == date(2018, 1, 1)
    pair = ((raw[7] == "RUS") & (raw[17] == "UKR")) | ((raw[7] == "UKR") & (raw[17] == "RUS"))
    in_range = raw[pair & (raw[1] >= "20180115") & (raw[1] <= "20191231")]
    assert series["events"].sum() == len(in_range) > 0
    mentions = in_range[31].astype(int)
    total = (in_range[30].astype(float) * mentions).sum() / mentions.sum()
    weighted = (series["tension"] * series["mentions"]).sum() / series["mentions"].sum()
    assert weighted == pytest.approx(total)


def test_dyad_input_errors_are_readable(store: data.Store, imported: data.ImportResult) -> None:
    with pytest.raises(data.UnknownActorError, match="ISO3"):
        data.dyad_series(store, "RUS", "ZZZ", "2019-01-01", "2019-12-31")
    with pytest.raises(data.DataError, match="after"):
        data.dyad_series(store, "RUS", "KOR", "2024-12-31", "2023-01-01")
    with pytest.raises(data.DataError, match="date like"):
        data.dyad_series(store, "RUS", "KOR", "2023-13-01", "2024-01-01")
    with pytest.raises(data.DataError, match="freq"):
        data.dyad_series(store, "RUS", "KOR", "2023-01-01", "2024-01-01", freq="week")
    with pytest.raises(data.DataError, match="two different"):
        data.dyad_series(store, "RUS", "rus", "2023-01-01", "2024-01-01")


def test_reference_dyad_with_no_events_is_all_empty(
    store: data.Store, imported: data.ImportResult
) -> None:
    with pytest.warns(data.CoverageWarning) as warned:
        series = data.dyad_series(store, "RUS", "KOR", "2023-01-01", "2024-12-31", freq="month")
    assert len(series) == 24
    assert series["events"].sum() == 0 and series["tension"].isna().all()
    assert str(warned[0].message) == series.attrs["coverage_warning"] == (
        "the store's GDELT exports cover 2019-10-24 (the days they were added); "
        "2023-01-01 to 2024-12-31 of the range asked for lie outside: zeros there mean no "
        "data, not no events"
    )


def test_cameo_lookups_are_shipped_in_the_package() -> None:
    codes = data.event_codes()
    assert len(codes) == 311 and codes["code"].is_unique
    assert codes.set_index("code").loc["190", "goldstein"] == -10.0
    assert codes.set_index("code").loc["010", "description"].startswith("Make statement")
    assert set(data.actor_types()["code"]) >= {"GOV", "MIL", "REB", "IGO"}
    for name in LOOKUP_FILES:
        text = lookup_file_text(name)
        assert text.endswith("\n") and "\t" in text.splitlines()[0]


def test_unknown_actor_country_codes_are_kept_and_listed(tmp_path: Path) -> None:
    lines = EXPORT.read_bytes().split(b"\n")
    fields = lines[0].split(b"\t")
    fields[17] = b"ZZZ"  # Actor2CountryCode no rule knows
    lines[0] = b"\t".join(fields)
    path = tmp_path / "20191024143000.export.CSV"
    path.write_bytes(b"\n".join(lines))
    with data.open_store(tmp_path / "u.duckdb") as store:
        result = data.import_file(store, "gdelt", path)
        ids = store.con.execute(
            "SELECT actor2_id FROM gdelt_events WHERE actor2_country_code = 'ZZZ'"
        ).fetchall()
    assert result.rows_rejected == 0 and result.unmapped == ["ZZZ"]
    assert ids == [("X-CAMEO-ZZZ",)]


def _edited(lines: list[bytes], edits: dict[int, tuple[int, bytes]]) -> list[bytes]:
    out = list(lines)
    for index, (column, value) in edits.items():
        fields = out[index].split(b"\t")
        fields[column] = value
        out[index] = b"\t".join(fields)
    return out


def _import(tmp_path: Path, body: bytes, name: str) -> tuple[data.ImportResult, list[tuple]]:
    path = tmp_path / name / "20191024143000.export.CSV"
    path.parent.mkdir()
    path.write_bytes(body)
    with data.open_store(tmp_path / name / "s.duckdb") as store:
        result = data.import_file(store, "gdelt", path)
        rejected = store.con.execute("SELECT line, reason, raw FROM rejected_rows ORDER BY line").fetchall()
    return result, rejected


def test_block_size_and_line_endings_do_not_change_the_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = EXPORT.read_bytes().split(b"\n")[:-1]
    lines = _edited(lines, {3: (31, b"many"), 40: (1, b"20190229"), 90: (59, b"20191024256000")})
    lines[60] = lines[60] + b"\textra"
    lines[120:120] = [b""]  # a blank line is skipped, not rejected
    body = b"\n".join(lines) + b"\n"
    expected = [
        (4, "invalid NumMentions value 'many'"),
        (41, "invalid SQLDATE value '20190229'"),
        (61, "wrong column count: expected 61 columns, found 62"),
        (91, "invalid DATEADDED value '20191024256000'"),
    ]
    result, rejected = _import(tmp_path, body, "default")
    assert [(line, reason) for line, reason, _ in rejected] == expected
    assert (result.rows_imported, result.rows_rejected) == (len(lines) - 5, 4)
    assert rejected[0][2] == lines[3].decode()
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    monkeypatch.setattr("spillover.data.gdelt_blocks.BLOCK_BYTES", 3000)  # ~8 lines a block
    small, small_rejected = _import(tmp_path, body, "small-blocks")
    assert small_rejected == rejected
    assert (small.rows_imported, small.sha256) == (result.rows_imported, result.sha256)
    monkeypatch.setattr("spillover.data.gdelt_blocks.BLOCK_BYTES", 2**20)
    monkeypatch.setattr("spillover.data.gdelt_parse.PARSE_CHUNK", 5000)  # pyarrow's chunks
    chunked, chunked_rejected = _import(tmp_path, body, "parse-chunks")
    assert chunked_rejected == rejected and chunked.rows_imported == result.rows_imported
    crlf, crlf_rejected = _import(tmp_path, body.replace(b"\n", b"\r\n"), "crlf")
    assert crlf_rejected == rejected and crlf.rows_imported == result.rows_imported


def test_text_that_is_not_utf8_in_a_number_column_is_quarantined(tmp_path: Path) -> None:
    lines = EXPORT.read_bytes().split(b"\n")[:-1]
    lines = _edited(lines, {5: (31, b"\xe9"), 6: (53, b"4\xff2")})
    result, rejected = _import(tmp_path, b"\n".join(lines) + b"\n", "bytes")
    assert (result.rows_imported, result.rows_rejected) == (len(lines) - 2, 2)
    assert [(line, reason.split(" (")[0]) for line, reason, _ in rejected] == [
        (6, "invalid UTF-8 byte sequence"),
        (7, "invalid UTF-8 byte sequence"),
    ]


def test_zipped_export_is_fingerprinted_by_the_archive(tmp_path: Path) -> None:
    archive = _zipped(tmp_path)
    with data.open_store(tmp_path / "z.duckdb") as store:
        result = data.import_file(store, "gdelt", archive)
        stored = store.con.execute("SELECT sha256, size_bytes FROM sources").fetchall()
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert result.sha256 == digest and stored == [(digest, archive.stat().st_size)]


def test_an_interruption_while_blocks_stream_in_rolls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("spillover.data.gdelt_blocks.BLOCK_BYTES", 10_000)
    loaded = []

    def interrupted(block: memoryview, now: datetime) -> object:
        if len(loaded) == 4:
            raise KeyboardInterrupt  # Ctrl-C while DuckDB reads the stream of blocks
        loaded.append(block)
        return gdelt_blocks.load_block(block, now)

    monkeypatch.setattr(gdelt, "load_block", interrupted)
    with data.open_store(tmp_path / "i.duckdb") as store:
        with pytest.raises(KeyboardInterrupt):
            data.import_file(store, "gdelt", EXPORT)
        counts = data.tables(store).set_index("table")["rows"]
        assert counts[["sources", "gdelt_events", "rejected_rows", "actor_names"]].sum() == 0
        monkeypatch.undo()
        assert data.import_file(store, "gdelt", EXPORT).rows_imported == len(_raw())


def test_progress_reports_bytes_read_then_the_whole_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("spillover.data.gdelt_blocks.BLOCK_BYTES", 50_000)
    size = EXPORT.stat().st_size
    calls: list[tuple[int, int]] = []
    with data.open_store(tmp_path / "p.duckdb") as store:
        data.import_file(store, "gdelt", EXPORT, progress=lambda done, total: calls.append((done, total)))
        assert len(calls) >= size // 50_000 + 1
        assert [total for _, total in calls] == [size] * len(calls)
        done = [d for d, _ in calls]
        assert done == sorted(done) and done[-1] == size and done[0] <= 50_000
        again: list[tuple[int, int]] = []
        data.import_files(store, "gdelt", [EXPORT], progress=lambda d, t: again.append((d, t)))
    assert again == [(size, size)]  # already imported: done at once
