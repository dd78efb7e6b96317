"""Checks on the complete real files in ../shared/data (skipped when it is absent).

Every count below was verified independently of spillover (line counts, ``awk``/plain
Python over the raw files) before it was written here.
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pytest

from spillover import data
from spillover.data.cameo import LOOKUP_FILES, lookup_file_text

SHARED = Path(
    os.environ.get("SPILLOVER_SHARED_DATA")
    or Path(__file__).resolve().parents[1].parent / "shared" / "data"
)
pytestmark = pytest.mark.skipif(
    not SHARED.is_dir(), reason=f"real data directory {SHARED} not present"
)

CLASSIC = "sipri/trade-register-classic-2025-03-13.csv"
NEW = "sipri/trade-register-2026-02-12.csv"
# file -> (kind, records with none rejected, generation date from the preamble); imported
# in this order into one store, so that the new export's deals the classic export holds
# already are counted as duplicates (see test_both_sipri_exports_share_their_deals)
FILES = {
    CLASSIC: ("sipri", 29515, datetime(2025, 3, 13, 10, 2, 49)),
    NEW: ("sipri", 25024, datetime(2026, 2, 12, 12, 26, 12)),
    "sipri/tiv-imports-1950-2024.csv": ("tiv", 262, datetime(2024, 10, 13, 12, 33, 29)),
    "sipri/tiv-exports-1950-2024.csv": ("tiv", 137, datetime(2024, 10, 13, 12, 33, 53)),
    "sipri/tiv-imports-1990-2023.csv": ("tiv", 224, datetime(2024, 4, 13, 15, 53, 58)),
    "sipri/tiv-exports-1990-2023.csv": ("tiv", 120, datetime(2024, 4, 13, 15, 54, 15)),
    "gdelt/20191024143000.export.CSV": ("gdelt", 2111, datetime(2019, 10, 24, 14, 30)),
    "cow/NMC-60-abridged.csv": ("nmc", 15951, None),
}  # fmt: skip


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[data.Store, dict[str, data.ImportResult]]:
    opened = data.open_store(tmp_path_factory.mktemp("full") / "full.duckdb")
    results = {
        name: data.import_file(opened, kind, SHARED / name) for name, (kind, _, _) in FILES.items()
    }
    yield opened, results
    opened.close()


def _one(store: data.Store, sql: str, *params: object) -> object:
    return store.con.execute(sql, list(params)).fetchall()[0][0]


@pytest.mark.parametrize("name", list(FILES))
def test_every_record_imports(
    store: tuple[data.Store, dict[str, data.ImportResult]], name: str
) -> None:
    _, results = store
    _kind, records, generated = FILES[name]
    result = results[name]
    assert (result.rows_imported + result.rows_duplicate, result.rows_rejected) == (records, 0)
    assert result.rows_duplicate == (24853 if name == NEW else 0)
    assert result.generated_at == generated
    assert result.unmapped == []  # every SIPRI name, CAMEO code and COW code is recognised


def test_sipri_deals_and_deliveries(store: tuple[data.Store, dict[str, data.ImportResult]]) -> None:
    opened, results = store
    classic = results[CLASSIC].source_id
    new = results[NEW].source_id
    count = "SELECT count(*) FROM {} WHERE source_id = ?"
    # classic: 29,531 lines - 12 preamble/header - 4 continuation lines = 29,515 deals;
    # 60,066 deal-years listed in 'Year(s) of delivery'
    assert _one(opened, count.format("sipri_deals"), classic) == 29515
    assert _one(opened, count.format("sipri_deliveries"), classic) == 60066
    # new: 25,024 rows (one per deal and year) of 12,571 distinct SIPRI ids, of which
    # 12,502 deals (24,853 rows) are the classic export's deals: 69 deals stored
    assert _one(opened, count.format("sipri_deals"), new) == 69
    assert _one(opened, count.format("sipri_deliveries"), new) == 25024 - 24853
    missing_ids = (
        "SELECT count(*) FROM sipri_deals WHERE supplier_id IS NULL OR recipient_id IS NULL"
    )
    assert _one(opened, missing_ids) == 0


def test_the_new_export_alone(tmp_path: Path) -> None:
    with data.open_store(tmp_path / "new.duckdb") as opened:
        result = data.import_file(opened, "sipri", SHARED / NEW)
        assert (result.rows_imported, result.rows_rejected) == (25024, 0)
        assert _one(opened, "SELECT count(*) FROM sipri_deals") == 12571
        assert _one(opened, "SELECT count(DISTINCT sipri_id) FROM sipri_deals") == 12571


def test_both_sipri_exports_share_their_deals(
    store: tuple[data.Store, dict[str, data.ImportResult]],
) -> None:
    opened, results = store
    assert _one(opened, "SELECT count(*) FROM sipri_deals") == 29515 + 69  # 42,086 before
    note = "12502 deals already in the store (source 1), not stored again"
    assert any(n.startswith(note) for n in results[NEW].notes)


def test_tiv_cells_and_the_zero_convention(
    store: tuple[data.Store, dict[str, data.ImportResult]],
) -> None:
    opened, results = store
    expected = {  # rows x years, cells '0 ', empty cells
        "sipri/tiv-imports-1950-2024.csv": (262 * 75, 247, 11600),
        "sipri/tiv-exports-1950-2024.csv": (137 * 75, 86, 7533),
        "sipri/tiv-imports-1990-2023.csv": (224 * 34, 122, 3701),
        "sipri/tiv-exports-1990-2023.csv": (120 * 34, 45, 2519),
    }
    for name, (cells, zeros, empty) in expected.items():
        source = results[name].source_id
        got = opened.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE below_half), "
            "count(*) FILTER (WHERE tiv IS NULL) FROM tiv WHERE source_id = ?",
            [source],
        ).fetchall()[0]
        assert got == (cells, zeros, empty), name


def test_nmc_cinc_recomputation(store: tuple[data.Store, dict[str, data.ImportResult]]) -> None:
    opened, _ = store
    assert _one(opened, "SELECT count(DISTINCT ccode) FROM nmc") == 217
    assert data.cinc_discrepancies(opened).empty
    worst = _one(opened, "SELECT max(cinc_rel_diff) FROM nmc")
    assert 1e-7 < worst < 1.2e-7  # float32 round-off of the published column, 1.13e-7
    assert _one(opened, "SELECT count(*) FROM nmc WHERE cinc_recomputed IS NULL") == 0


def test_gdelt_sample(store: tuple[data.Store, dict[str, data.ImportResult]]) -> None:
    opened, _ = store
    assert _one(opened, "SELECT count(*) FROM gdelt_events") == 2111
    assert _one(opened, "SELECT count(DISTINCT event_code) FROM gdelt_events") == 109


def test_shipped_cameo_lookups_are_verbatim_copies() -> None:
    for name in LOOKUP_FILES:
        assert lookup_file_text(name) == (SHARED / "gdelt" / name).read_text(encoding="utf-8")
