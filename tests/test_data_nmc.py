"""COW NMC: import, -9 as missing, CINC recomputed and checked against COW's column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spillover import data
from spillover.data.nmc import CINC_RTOL, COMPONENTS, disagreeing, recompute_cinc

NMC = Path(__file__).parent / "data" / "cow" / "NMC-60-abridged-excerpt.csv"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[data.Store, data.ImportResult]:
    db = tmp_path_factory.mktemp("nmc") / "nmc.duckdb"
    store = data.open_store(db)
    result = data.import_file(store, "nmc", NMC)
    yield store, result
    store.close()


def test_rows_missing_values_and_ids(imported: tuple[data.Store, data.ImportResult]) -> None:
    store, result = imported
    raw = pd.read_csv(NMC)
    assert (result.rows_imported, result.rows_rejected) == (len(raw), 0)
    table = store.con.execute("SELECT * FROM nmc ORDER BY year, ccode").df()
    assert len(table) == len(raw)
    for component in COMPONENTS:  # -9 becomes NULL, nothing else does
        assert table[component].isna().sum() == (raw[component] == -9).sum()
    ids = table.set_index(["stateabb", "year"])["country_id"]
    assert ids[("RUS", 1946)] == "X-SOVIET-UNION"
    assert ids[("RUS", 2016)] == "RUS"
    assert ids[("BAV", 1816)] == "X-BAVARIA"
    assert ids[("PRK", 2016)] == "PRK" and ids[("ROK", 2016)] == "KOR"


def test_recomputed_cinc_matches_the_published_column(
    imported: tuple[data.Store, data.ImportResult],
) -> None:
    store, result = imported
    table = store.con.execute("SELECT * FROM nmc").df()
    assert table["cinc_rel_diff"].max() < 2e-7  # float32 round-off of the published value
    assert data.cinc_discrepancies(store).empty
    assert any("0 state-years differ" in note for note in result.notes)


def test_recomputation_is_the_mean_of_available_shares() -> None:
    frame = pd.DataFrame(
        {
            "year": [2000, 2000, 2000],
            "milex": [10.0, 30.0, np.nan],
            "milper": [1.0, 1.0, 2.0],
            "irst": [0.0, 0.0, 0.0],  # total 0: no share, not counted
            "pec": [5.0, 5.0, 0.0],
            "tpop": [1.0, 1.0, 2.0],
            "upop": [np.nan, np.nan, np.nan],
        }
    )
    out = recompute_cinc(frame)
    first = np.mean([10 / 40, 1 / 4, 5 / 10, 1 / 4])
    third = np.mean([2 / 4, 0 / 10, 2 / 4])
    assert out["cinc_recomputed"].tolist() == pytest.approx(
        [first, np.mean([30 / 40, 1 / 4, 0.5, 1 / 4]), third]
    )
    assert out["cinc_components"].tolist() == [4, 4, 3]


def test_a_changed_component_is_reported(tmp_path: Path) -> None:
    lines = NMC.read_text().splitlines()
    header = lines[0].split(",")
    milex = header.index("milex")
    for i, line in enumerate(lines):
        fields = line.split(",")
        if fields[0] == "USA" and fields[2] == "1946":
            fields[milex] = str(int(fields[milex]) * 2)  # doubles US 1946 military spending
            lines[i] = ",".join(fields)
    altered = tmp_path / "NMC-altered.csv"
    altered.write_text("\n".join(lines) + "\n")
    with data.open_store(tmp_path / "a.duckdb") as store:
        data.import_file(store, "nmc", altered)
        flagged = data.cinc_discrepancies(store)
    year_1946 = (pd.read_csv(NMC)["year"] == 1946).sum()
    # everyone's milex share in 1946 moved, so every 1946 state with a milex value is flagged
    assert set(flagged["year"]) == {1946}
    assert 0 < len(flagged) <= year_1946
    usa = flagged.set_index("stateabb").loc["USA"]
    assert usa["cinc_rel_diff"] > 100 * CINC_RTOL
    assert (flagged["cinc_rel_diff"] > CINC_RTOL).all()


def test_disagreement_rule_uses_the_documented_tolerance() -> None:
    frame = pd.DataFrame(
        {
            "cinc": [0.1, 0.1, 0.0, np.nan, 0.1],
            "cinc_recomputed": [0.1 * (1 + 0.5e-6), 0.1 * (1 + 2e-6), 0.0, 0.2, np.nan],
        }
    )
    assert disagreeing(frame).tolist() == [False, True, False, True, True]


@settings(max_examples=60, derandomize=True, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(st.none(), st.floats(0.5, 1e6)), min_size=6, max_size=6),
        min_size=2,
        max_size=12,
    )
)
def test_shares_of_complete_components_sum_to_one(rows: list[list[float | None]]) -> None:
    frame = pd.DataFrame(rows, columns=list(COMPONENTS), dtype=float).assign(year=2000)
    out = recompute_cinc(frame)
    # a state's CINC is the mean of its available shares, computed the slow way
    totals = frame[list(COMPONENTS)].sum()
    for i, row in frame[list(COMPONENTS)].iterrows():
        shares = [row[c] / totals[c] for c in COMPONENTS if not np.isnan(row[c])]
        expected = np.mean(shares) if shares else np.nan
        assert out.loc[i, "cinc_recomputed"] == pytest.approx(expected, nan_ok=True)
        assert out.loc[i, "cinc_components"] == len(shares)
    complete = frame[list(COMPONENTS)].notna().all(axis=1)
    if complete.all():  # then the shares of each component sum to 1, and so do the CINCs
        assert out["cinc_recomputed"].sum() == pytest.approx(1.0)
