"""SIPRI trade register, classic and new export, from the committed excerpts."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest

from spillover import data

SIPRI = Path(__file__).parent / "data" / "sipri"
CLASSIC = SIPRI / "trade-register-classic-excerpt.csv"
NEW = SIPRI / "trade-register-new-excerpt.csv"


def _classic_records() -> list[list[str]]:
    """Recount the classic excerpt independently: continuation lines start with ','."""
    lines = CLASSIC.read_bytes().decode("latin-1").split("\n")
    header = next(i for i, line in enumerate(lines) if line.startswith("Recipient,Supplier"))
    records: list[str] = []
    for line in lines[header + 1 :]:
        line = line.rstrip("\r")
        if line.startswith(","):
            records[-1] += line
        elif line:
            records.append(line)
    return [r.split(",") for r in records]


def _new_rows() -> list[list[str]]:
    lines = NEW.read_bytes().decode("ascii").split("\r\n")
    header = next(i for i, line in enumerate(lines) if line.startswith("SIPRI AT Database ID"))
    return [line.rstrip(";").split(",") for line in lines[header + 1 :] if line]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[data.Store]:
    db = tmp_path_factory.mktemp("sipri") / "sipri.duckdb"
    with data.open_store(db) as opened:
        yield opened


@pytest.fixture(scope="module")
def classic(store: data.Store) -> data.ImportResult:
    return data.import_file(store, "sipri", CLASSIC)


@pytest.fixture(scope="module")
def new_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[data.Store]:
    """The new export in a store of its own (with the classic one its shared deals would
    be stored once, see tests/test_data_identity.py)."""
    db = tmp_path_factory.mktemp("sipri-new") / "sipri.duckdb"
    with data.open_store(db) as opened:
        yield opened


@pytest.fixture(scope="module")
def new(new_store: data.Store) -> data.ImportResult:
    return data.import_file(new_store, "sipri", NEW)


def _frame(store: data.Store, sql: str, *params: object) -> pd.DataFrame:
    return store.con.execute(sql, list(params)).df()


def test_classic_counts_match_an_independent_recount(
    store: data.Store, classic: data.ImportResult
) -> None:
    records = _classic_records()
    years = sum(len([y for y in r[10].split(";") if y.strip()]) for r in records)
    assert classic.format == "sipri-classic"
    assert (classic.rows_imported, classic.rows_rejected) == (len(records), 0)
    assert classic.encoding == "latin-1"
    assert classic.generated_at == datetime(2025, 3, 13, 10, 2, 49)
    deals = _frame(
        store, "SELECT count(*) n FROM sipri_deals WHERE source_id = ?", classic.source_id
    )
    deliveries = _frame(
        store, "SELECT count(*) n FROM sipri_deliveries WHERE source_id = ?", classic.source_id
    )
    assert deals["n"].item() == len(records) == 32
    assert deliveries["n"].item() == years


def test_classic_records_split_over_two_lines_are_joined(
    store: data.Store, classic: data.ImportResult
) -> None:
    deal = _frame(
        store,
        "SELECT * FROM sipri_deals WHERE source_id = ? AND recipient = 'Thailand'",
        classic.source_id,
    ).iloc[0]
    assert deal["comments"].endswith("redesign for other engines")  # the CR is gone
    assert "\r" not in deal["comments"]
    assert (deal["tiv_per_unit"], deal["tiv_total_order"], deal["tiv_delivered"]) == (
        0.25,
        3.5,
        3.25,
    )
    years = _frame(
        store,
        "SELECT year, number_delivered, tiv_delivered FROM sipri_deliveries "
        "WHERE source_id = ? AND deal_key = ? ORDER BY year",
        classic.source_id,
        deal["deal_key"],
    )
    assert years["year"].tolist() == [2010, 2012]
    assert years["number_delivered"].isna().all()  # totals only, not per year
    engine = _frame(
        store,
        "SELECT * FROM sipri_deals WHERE source_id = ? AND recipient = 'Cote d''Ivoire'",
        classic.source_id,
    ).iloc[0]  # split without a CR
    assert engine["comments"].endswith("from South Africa")
    assert (engine["number_delivered"], engine["tiv_delivered"], engine["delivery_years"]) == (
        0,
        0.0,
        0,
    )


def test_classic_flags_are_booleans_and_latin1_text_is_decoded(
    store: data.Store, classic: data.ImportResult
) -> None:
    deals = _frame(
        store,
        "SELECT * FROM sipri_deals WHERE source_id = ? AND supplier_id = 'PRK' "
        "AND recipient_id = 'RUS' ORDER BY order_year",
        classic.source_id,
    )
    hwasong, gun = deals.iloc[0], deals.iloc[1]
    assert hwasong["designation"] == "Hwasong-11"
    assert bool(hwasong["order_year_uncertain"]) is True
    assert pd.isna(hwasong["number_ordered"])
    assert bool(hwasong["number_ordered_uncertain"]) is False
    assert (hwasong["number_delivered"], hwasong["tiv_delivered"]) == (100, 250.0)
    assert (hwasong["first_delivery_year"], hwasong["last_delivery_year"]) == (2023, 2024)
    assert gun["designation"] == "M-1978 170mm"
    assert bool(gun["number_ordered_uncertain"]) is True
    single = _frame(
        store,
        "SELECT * FROM sipri_deliveries WHERE source_id = ? AND deal_key = ?",
        classic.source_id,
        gun["deal_key"],
    ).iloc[0]
    # a single delivery year: the deal's totals are that year's numbers
    assert (single["year"], single["number_delivered"], single["tiv_delivered"]) == (2024, 10, 5.0)
    assert bool(single["number_delivered_uncertain"]) is False
    texts = _frame(
        store,
        "SELECT designation, comments FROM sipri_deals WHERE source_id = ?",
        classic.source_id,
    )
    assert "Bü-181 Bestmann" in texts["designation"].tolist()
    assert any("Wärtsilä" in str(c) for c in texts["comments"])


def test_new_format_gives_one_deal_per_id_and_one_delivery_per_row(
    new_store: data.Store, new: data.ImportResult
) -> None:
    store = new_store
    rows = _new_rows()
    assert new.format == "sipri-new"
    assert (new.rows_imported, new.rows_rejected) == (len(rows), 0)
    assert new.generated_at == datetime(2026, 2, 12, 12, 26, 12)
    counts = _frame(
        store,
        "SELECT (SELECT count(*) FROM sipri_deals WHERE source_id = $1) AS deals, "
        "(SELECT count(*) FROM sipri_deliveries WHERE source_id = $1) AS years",
        new.source_id,
    ).iloc[0]
    assert counts["deals"] == len({r[0] for r in rows}) == 17
    assert counts["years"] == len(rows) == 78
    sums = _frame(
        store,
        "SELECT deal_key, number_delivered, tiv_delivered, delivery_years FROM sipri_deals "
        "WHERE source_id = ?",
        new.source_id,
    ).set_index("deal_key")
    for deal_id in {r[0] for r in rows}:
        mine = [r for r in rows if r[0] == deal_id]
        assert sums.loc[deal_id, "number_delivered"] == sum(int(r[8]) for r in mine)
        assert sums.loc[deal_id, "tiv_delivered"] == pytest.approx(sum(float(r[15]) for r in mine))
        assert sums.loc[deal_id, "delivery_years"] == len(mine)


def test_new_format_estimate_flags_keep_unknown_as_null(
    new_store: data.Store, new: data.ImportResult
) -> None:
    store = new_store
    deal = _frame(
        store, "SELECT * FROM sipri_deals WHERE source_id = ? AND sipri_id = 67145", new.source_id
    ).iloc[0]
    assert (deal["supplier_id"], deal["recipient_id"]) == ("PRK", "RUS")
    assert deal["armament_category"] == "Missiles"
    assert (deal["number_delivered"], deal["tiv_delivered"]) == (100, 250.0)
    assert bool(deal["order_year_uncertain"]) is True
    assert bool(deal["local_production"]) is False
    years = _frame(
        store,
        "SELECT year, number_delivered, year_uncertain, tiv_delivered FROM sipri_deliveries "
        "WHERE source_id = ? AND deal_key = '67145' ORDER BY year",
        new.source_id,
    )
    assert years["year"].tolist() == [2023, 2024]
    assert years["number_delivered"].tolist() == [5, 95]
    assert years["tiv_delivered"].tolist() == [12.5, 237.5]
    assert bool(years["year_uncertain"].iloc[0]) is False
    assert pd.isna(years["year_uncertain"].iloc[1])  # empty in the file: unknown, not False


def test_both_formats_agree_on_the_reference_deal(
    store: data.Store, classic: data.ImportResult, new_store: data.Store, new: data.ImportResult
) -> None:
    sql = (
        "SELECT sum(tiv_delivered) AS tiv, sum(number_delivered) AS n FROM sipri_deals "
        "WHERE supplier_id = 'PRK' AND recipient_id = 'RUS'"
    )
    for one in (store, new_store):
        assert _frame(one, sql).iloc[0].tolist() == [255.0, 110]


def test_reimport_is_idempotent_by_sha256(
    store: data.Store, classic: data.ImportResult, tmp_path: Path
) -> None:
    before = data.tables(store).set_index("table")["rows"]
    again = data.import_file(store, "sipri", CLASSIC)
    copy = tmp_path / "renamed.csv"
    shutil.copy(CLASSIC, copy)
    renamed = data.import_file(store, "sipri", copy)
    for result in (again, renamed):
        assert result.already_imported
        assert result.source_id == classic.source_id
        assert result.rows_imported == classic.rows_imported
        assert "already imported" in result.summary()
    pd.testing.assert_series_equal(data.tables(store).set_index("table")["rows"], before)


def test_actor_names_record_the_identity_rules(
    store: data.Store, classic: data.ImportResult
) -> None:
    names = _frame(store, "SELECT * FROM actor_names WHERE scheme = 'sipri'").set_index("name")
    assert names.loc["Soviet Union", "actor_id"] == "X-SOVIET-UNION"
    assert names.loc["NATO**", "kind"] == "organisation"
    assert names.loc["North Korea", ["actor_id", "method"]].tolist() == [
        "PRK",
        "country_converter",
    ]
    assert classic.unmapped == []
    assert any("own X- ids kept" in note for note in classic.notes)
