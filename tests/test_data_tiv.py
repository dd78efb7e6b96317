"""SIPRI TIV tables: the '0 ' convention (under 0.5) is not an empty cell."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from spillover import data

SIPRI = Path(__file__).parent / "data" / "sipri"
IMPORTS = SIPRI / "tiv-imports-1950-2024-excerpt.csv"
EXPORTS = SIPRI / "tiv-exports-1990-2023-excerpt.csv"


def _cells(path: Path) -> tuple[list[str], list[list[str]]]:
    """Independent reading: header line starts the table, years are 4-digit headers."""
    lines = [line for line in path.read_text().splitlines() if line]
    header_index = next(
        i for i, line in enumerate(lines) if line.count(",") > 1 and line.split(",")[1].isdigit()
    )
    header = lines[header_index].split(",")
    return header, [line.split(",") for line in lines[header_index + 1 :]]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> data.Store:
    db = tmp_path_factory.mktemp("tiv") / "tiv.duckdb"
    opened = data.open_store(db)
    yield opened
    opened.close()


def _tiv(store: data.Store, source_id: int) -> pd.DataFrame:
    return store.con.execute("SELECT * FROM tiv WHERE source_id = ?", [source_id]).df()


@pytest.mark.parametrize(("path", "direction"), [(IMPORTS, "imports"), (EXPORTS, "exports")])
def test_every_cell_is_kept_with_the_zero_and_empty_conventions(
    store: data.Store, path: Path, direction: str
) -> None:
    result = data.import_file(store, "tiv", path)
    header, rows = _cells(path)
    years = [i for i, h in enumerate(header) if len(h) == 4 and h.isdigit()]
    assert result.format == f"tiv-{direction}"
    assert (result.rows_imported, result.rows_rejected) == (len(rows), 0)
    frame = _tiv(store, result.source_id)
    assert len(frame) == len(rows) * len(years)
    assert set(frame["direction"]) == {direction}
    expected_zero = sum(1 for r in rows for i in years if r[i] == "0 ")
    expected_empty = sum(1 for r in rows for i in years if r[i] == "")
    below = frame[frame["below_half"].fillna(False).astype(bool)]
    assert len(below) == expected_zero > 0
    assert (below["tiv"] == 0).all()  # a '0 ' is stored as 0 and flagged, not as NULL
    empty = frame[frame["tiv"].isna()]
    assert len(empty) == expected_empty
    assert empty["below_half"].isna().all()  # empty means no deliveries identified
    numbers = frame[frame["below_half"].eq(False).fillna(False).astype(bool)]
    assert len(numbers) == len(rows) * len(years) - expected_zero - expected_empty
    assert (numbers["tiv"] > 0).all()


def test_values_generation_date_and_ids(store: data.Store) -> None:
    result = data.import_file(store, "tiv", EXPORTS)  # already imported above or now
    frame = _tiv(store, result.source_id).set_index(["country", "year"])
    assert frame.loc[("North Korea", 1991), "tiv"] == 84
    assert frame.loc[("Soviet Union", 1990), "country_id"] == "X-SOVIET-UNION"
    assert frame.loc[("European Union**", 2019), ["tiv", "below_half"]].tolist() == [0.0, True]
    assert pd.isna(frame.loc[("Soviet Union", 1995), "tiv"])
    world = frame.loc["Total world export"]
    assert world["is_total"].all() and (world["country_id"] == "X-WORLD").all()
    assert not frame.drop(index="Total world export", level="country")["is_total"].any()
    sources = store.con.execute(
        "SELECT generated_at FROM sources WHERE source_id = ?", [result.source_id]
    ).fetchall()
    assert sources[0][0] == datetime(2024, 4, 13, 15, 54, 15)
