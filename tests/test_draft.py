"""``spillover draft``: a scenario skeleton from the committed SIPRI, GDELT and COW excerpts.

Known answers below come from the excerpts themselves (tests/data/ATTRIBUTION.md): the new
SIPRI export records deal 67145, 100 Hwasong-11 from North Korea to Russia, 5 delivered in
2023 and 95 in 2024; deal 68227, 10 M-1978 170mm guns in 2024. They are recomputed here from
the raw tables, independently of the drafting code.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

import spillover
from spillover import data
from spillover.cli.main import app
from spillover.data.draft import PLACEHOLDER, build_draft, draft_scenario, sipri_category, write_draft

DATA = Path(__file__).parent / "data"
SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
FILES = [
    ("sipri", DATA / "sipri" / "trade-register-new-excerpt.csv"),
    ("sipri", DATA / "sipri" / "trade-register-classic-excerpt.csv"),
    ("gdelt", DATA / "gdelt" / "20191024143000.export.CSV"),
    ("nmc", DATA / "cow" / "NMC-60-abridged-excerpt.csv"),
]
ACTORS = ["PRK", "RUS", "UKR", "KOR", "JPN", "CHN", "USA"]


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("draft") / "excerpts.duckdb"
    with data.open_store(path) as store:
        for kind, file in FILES:
            data.import_file(store, kind, file)
    return path


@pytest.fixture(scope="module")
def store(db: Path) -> Iterator[data.Store]:
    with data.open_store(db, read_only=True) as opened:
        yield opened


@pytest.fixture(scope="module")
def nk(store: data.Store) -> dict[str, Any]:
    """The issue's example, drafted and parsed back as plain data."""
    return yaml.safe_load(draft_scenario(store, ACTORS, "2023-01-01"))


def _quantities(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        if "value" in node and ("source" in node or "judgment" in node):
            yield node
        for value in node.values():
            yield from _quantities(value)
    elif isinstance(node, list):
        for value in node:
            yield from _quantities(value)


def _goldstein(store: data.Store, a: str, b: str) -> tuple[float, int]:
    """Mention-weighted Goldstein mean and event count of a dyad, straight from the events."""
    g, n = store.con.execute(
        """SELECT sum(goldstein_scale * num_mentions) / sum(num_mentions), count(*) FROM gdelt_events
           WHERE (actor1_id = $a AND actor2_id = $b) OR (actor1_id = $b AND actor2_id = $a)""",
        {"a": a, "b": b},
    ).fetchone()
    return float(g), int(n)


def test_draft_is_strictly_valid_and_runs(store: data.Store) -> None:
    text = draft_scenario(store, ACTORS, "2023-01-01")
    sc = spillover.loads_scenario(text, strict=True)
    assert list(sc.actors) == ACTORS
    assert set(sc.transfers) == {"prk_rus_missiles", "prk_rus_artillery"}
    assert (sc.start.isoformat(), sc.horizon) == ("2023-01-01", 730)
    result = spillover.run(sc, runs=20, seed=3, report=False)
    delivered = result.outcomes["delivered.prk_rus_missiles"]
    # 2023: 5 over 365 days; 2024: 95 over 366 days, of which the horizon (730 days) covers 365
    assert delivered.to_numpy() == pytest.approx(5 + 95 * 365 / 366, rel=1e-5)
    assert result.outcomes["delivered.prk_rus_artillery"].to_numpy() == pytest.approx(
        10 * 365 / 366, rel=1e-5
    )
    assert result.claims["probability"].tolist() == [1.0]


def test_transfers_cite_their_sipri_records(store: data.Store, nk: dict[str, Any]) -> None:
    steps = nk["transfers"]["prk_rus_missiles"]["rate"]["piecewise"]
    assert [(str(s["from"]), s["rate"]["value"]) for s in steps] == [
        ("2023-01-01", pytest.approx(5 / 365, rel=1e-5)),
        ("2024-01-01", pytest.approx(95 / 366, rel=1e-5)),
    ]
    for step in steps:
        source = nk["sources"][step["rate"]["source"]]
        assert source["citation"].startswith("SIPRI Arms Transfers Database, trade register")
        assert "trade-register-new-excerpt.csv" in source["citation"]
        assert "deal 67145" in step["rate"]["note"] and "Hwasong-11" in step["rate"]["note"]
    sha = store.con.execute(
        "SELECT sha256 FROM sources WHERE file_name LIKE 'trade-register-new%'"
    ).fetchone()[0]
    assert sha in source["note"]
    reference = nk["signals"]["prk_rus_missiles"]["reference"]
    assert (
        reference["value"] == pytest.approx(100 / 731, rel=1e-5)
        and reference["source"] == step["rate"]["source"]
    )
    assert nk["munitions"]["missiles"] == {"name": "Missiles (SIPRI armament category)", "unit": "items"}
    assert nk["transfers"]["prk_rus_artillery"]["munition"] == "artillery"


def test_indicators_cite_gdelt_and_rest_at_the_baseline(store: data.Store, nk: dict[str, Any]) -> None:
    indicators = nk["indicators"]
    assert set(indicators) == {
        "hostility_PRK_USA",
        "hostility_RUS_UKR",
        "hostility_RUS_USA",
        "hostility_CHN_USA",
    }
    for iid, spec in indicators.items():
        a, b = iid.split("_")[1:]
        g, events = _goldstein(store, a, b)
        h = (10 - g) / 20
        beta = spec["beta"]
        assert beta["value"] == pytest.approx(math.log(h / (1 - h)), abs=1e-4)
        assert spec["kind"] == "logistic" and spec["observer"] == a
        assert nk["sources"][beta["source"]]["citation"].startswith("The GDELT Project")
        assert "20191024143000.export.CSV" in nk["sources"][beta["source"]]["citation"]
        assert f"{events} events" in beta["note"] and "2018-10-25..2019-10-24" in beta["note"]
        assert spec["tau"]["judgment"] is True and spec["tau"]["note"].startswith(PLACEHOLDER)


def test_actor_descriptions_carry_cinc(store: data.Store, nk: dict[str, Any]) -> None:
    for actor in ACTORS:
        cinc = store.con.execute(
            "SELECT cinc FROM nmc WHERE country_id = ? AND year = 2016", [actor]
        ).fetchone()[0]
        text = nk["actors"][actor]["description"]
        assert f"CINC {cinc:.4g} in 2016" in text and "the COW data end in 2016" in text
    assert nk["actors"]["PRK"]["name"] == "North Korea"
    assert any(s["citation"].startswith("Correlates of War") for s in nk["sources"].values())


def test_every_number_is_sourced_or_a_marked_placeholder(nk: dict[str, Any]) -> None:
    quantities = list(_quantities(nk))
    assert quantities
    for q in quantities:
        if q.get("judgment"):
            assert q["note"].startswith(PLACEHOLDER), q
        else:
            assert q["source"] in nk["sources"], q
    transfer = nk["transfers"]["prk_rus_missiles"]
    assert transfer["delay"]["judgment"] and transfer["covertness"]["judgment"]
    assert nk["stocks"]["PRK"]["missiles"]["value"] == 100  # covers what the schedule ships
    assert nk["claims"]["example"]["text"].startswith("EXAMPLE")
    assert nk["claims"]["example"]["expr"] == "delivered[prk_rus_missiles] >= 50"


def test_draft_is_deterministic(store: data.Store) -> None:
    assert draft_scenario(store, ACTORS, "2023-01-01") == draft_scenario(store, ACTORS, "2023-01-01")


def test_no_deliveries_in_the_window_carries_the_latest_year(store: data.Store) -> None:
    draft = build_draft(store, ["USA", "KOR"], "2023-06-01")
    doc = yaml.safe_load(draft.text)
    rate = doc["transfers"]["usa_kor_missiles"]["rate"]
    assert rate["value"] == pytest.approx(30 / 365, rel=1e-5)  # deal 62762: 30 AMRAAM delivered in 2022
    assert "deal 62762" in rate["note"] and "carried over" in rate["note"]
    assert any("rates of 2022" in n for n in draft.notices)
    assert any("rates of 2022" in line for line in doc["limitations"])
    spillover.loads_scenario(draft.text, strict=True)


def test_years_without_deliveries_and_after_the_data(store: data.Store) -> None:
    doc = yaml.safe_load(draft_scenario(store, ["USA", "KOR"], "2021-01-01", horizon=1826))
    steps = doc["transfers"]["usa_kor_missiles"]["rate"]["piecewise"]
    assert [str(s["from"]) for s in steps] == ["2021-01-01", "2022-01-01", "2023-01-01", "2025-01-01"]
    assert (
        steps[2]["rate"]["value"] == 0 and "no deliveries recorded in 2023-2024" in steps[2]["rate"]["note"]
    )
    assert steps[3]["rate"]["judgment"] and "the SIPRI data end in 2024" in steps[3]["rate"]["note"]


@pytest.mark.parametrize(("start", "horizon", "end"), [("2022-01-01", 365, "2024-12-31"),
                                                     ("2019-06-01", 30, "2025-12-31")])
def test_a_data_window_past_the_horizon_gives_no_step_after_it(store: data.Store, start: str, horizon: int,
                                                               end: str) -> None:
    draft = build_draft(store, ACTORS, start, horizon, end=end)
    last = dt.date.fromisoformat(start) + dt.timedelta(days=horizon - 1)
    doc = yaml.safe_load(draft.text)
    steps = [s for t in doc["transfers"].values() if "rate" in t for s in t["rate"].get("piecewise", [])]
    assert steps and all(s["from"] <= last for s in steps)
    spillover.loads_scenario(draft.text, strict=True)


def test_gdelt_window_inside_the_period_has_no_fallback(store: data.Store) -> None:
    draft = build_draft(store, ["RUS", "UKR"], "2019-01-01")
    doc = yaml.safe_load(draft.text)
    assert draft.dyads == (("RUS", "UKR"),) and draft.transfers == ()
    assert "2019-01-01..2020-12-30" in doc["indicators"]["hostility_RUS_UKR"]["beta"]["note"]
    assert not any("GDELT" in n for n in draft.notices)
    assert doc["munitions"] == {
        "arms": {"name": "Major conventional weapons (no SIPRI deliveries)", "unit": "items"}
    }
    assert doc["claims"]["example"]["expr"] == "peak(hostility_RUS_UKR) > 0.5"
    spillover.run(spillover.loads_scenario(draft.text, strict=True), runs=20, seed=1, report=False)


def test_many_gdelt_files_are_cited_as_one_source(tmp_path: Path) -> None:
    lines = (DATA / "gdelt" / "20191024143000.export.CSV").read_bytes().splitlines(keepends=True)
    with data.open_store(tmp_path / "many.duckdb") as store:
        for k in range(6):  # the same events under other ids: six files with their own sha256
            copy = tmp_path / f"2019102414{k:02d}00.export.CSV"
            copy.write_bytes(
                b"".join(
                    str(10**9 * (k + 1) + i).encode() + line[line.index(b"\t") :]
                    for i, line in enumerate(lines)
                )
            )
            data.import_file(store, "gdelt", copy)
        doc = yaml.safe_load(draft_scenario(store, ["RUS", "UKR"], "2019-01-01"))
    (key,) = doc["sources"]
    assert key == "gdelt-20191024140000.export-to-20191024140500.export"
    assert "6 files" in doc["sources"][key]["citation"] and "store sources 1-6" in doc["sources"][key]["note"]
    assert doc["indicators"]["hostility_RUS_UKR"]["beta"]["source"] == key
    assert "12 events" in doc["indicators"]["hostility_RUS_UKR"]["beta"]["note"]


def test_classic_export_alone_gets_categories_from_descriptions(tmp_path: Path) -> None:
    with data.open_store(tmp_path / "classic.duckdb") as store:
        data.import_file(store, "sipri", DATA / "sipri" / "trade-register-classic-excerpt.csv")
        doc = yaml.safe_load(draft_scenario(store, ["PRK", "RUS"], "2023-01-01"))
    assert set(doc["transfers"]) == {"prk_rus_missiles", "prk_rus_artillery"}
    steps = doc["transfers"]["prk_rus_missiles"]["rate"]["piecewise"]
    # the classic export gives 100 delivered over 2023 and 2024, no yearly split
    assert [s["rate"]["value"] for s in steps] == [
        pytest.approx(50 / 365, rel=1e-5),
        pytest.approx(50 / 366, rel=1e-5),
    ]
    assert (
        "spread over its years" in steps[0]["rate"]["note"] and "record on line" in steps[0]["rate"]["note"]
    )
    assert doc["actors"]["PRK"]["description"] == "No CINC: no COW NMC file in the store."


def test_non_state_actor_ids_become_scenario_ids(store: data.Store) -> None:
    doc = yaml.safe_load(draft_scenario(store, ["IRN", "X-HEZBOLLAH-LEBANON"], "2004-01-01", horizon=1096))
    assert doc["actors"]["X_HEZBOLLAH_LEBANON"]["name"] == "Hezbollah (Lebanon)"
    assert doc["transfers"]["irn_x_hezbollah_lebanon_aircraft"]["recipient"] == "X_HEZBOLLAH_LEBANON"
    assert "No CINC: COW NMC has no record" in doc["actors"]["X_HEZBOLLAH_LEBANON"]["description"]


def test_sipri_category_matches_the_published_categories(store: data.Store) -> None:
    rows = store.con.execute(
        "SELECT description, armament_category FROM sipri_deals WHERE armament_category IS NOT NULL"
    ).fetchall()
    assert rows and all(sipri_category(d) == c for d, c in rows)
    assert (
        sipri_category("anti-radar missile") == "Missiles" and sipri_category("bomber aircraft") == "Aircraft"
    )
    assert (
        sipri_category("armoured engineer vehicle") == "Armoured vehicles" and sipri_category(None) == "Other"
    )


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"real data directory {SHARED} not present")
def test_sipri_category_matches_every_deal_of_the_full_register(tmp_path: Path) -> None:
    with data.open_store(tmp_path / "full.duckdb") as store:
        data.import_file(store, "sipri", SHARED / "sipri" / "trade-register-2026-02-12.csv")
        rows = store.con.execute("SELECT description, armament_category FROM sipri_deals").fetchall()
    assert len(rows) == 12571
    assert [(d, c) for d, c in rows if sipri_category(d) != c] == []


# --------------------------------------------------------------------------- bad input


def test_unknown_actor_names_the_closest_id(store: data.Store) -> None:
    with pytest.raises(data.UnknownActorError, match=r"unknown actor 'RUSS' \(did you mean 'RUS'\?\)"):
        build_draft(store, ["PRK", "RUSS"], "2023-01-01")


@pytest.mark.parametrize(
    ("actors", "start", "kwargs", "message"),
    [
        (["PRK"], "2023-01-01", {}, "--actors needs at least two actors, got PRK"),
        (["PRK", "prk"], "2023-01-01", {}, "--actors lists PRK more than once"),
        (["PRK", "RUS"], "2023-13-01", {}, "--from must be a date like 2023-01-31, got '2023-13-01'"),
        (["PRK", "RUS"], "2023-01-01", {"end": "2022-01-01"}, "--to 2022-01-01 is before --from 2023-01-01"),
        (["PRK", "RUS"], "2023-01-01", {"horizon": 0}, "--horizon must be 1 to 36500 days, got 0"),
    ],
)
def test_bad_arguments_are_one_readable_line(
    store: data.Store, actors: list[str], start: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(data.DataError) as info:
        build_draft(store, actors, start, **kwargs)
    assert str(info.value) == message


def test_empty_store_is_refused(tmp_path: Path) -> None:
    with (
        data.open_store(tmp_path / "empty.duckdb") as store,
        pytest.raises(data.DataError, match="holds no SIPRI, GDELT or COW data; import files first"),
    ):
        build_draft(store, ["PRK", "RUS"], "2023-01-01")


def test_existing_out_is_never_overwritten(store: data.Store, tmp_path: Path) -> None:
    out = tmp_path / "mine.yaml"
    out.write_text("my work\n", encoding="utf-8")
    with pytest.raises(FileExistsError, match=r"mine\.yaml exists; spillover draft does not overwrite"):
        draft_scenario(store, ["PRK", "RUS"], "2023-01-01", out=out)
    with pytest.raises(FileExistsError):
        write_draft("x", out)
    assert out.read_text(encoding="utf-8") == "my work\n"


def test_draft_writes_out_and_names_the_scenario_after_it(store: data.Store, tmp_path: Path) -> None:
    out = tmp_path / "My Draft.yaml"
    text = draft_scenario(store, ["PRK", "RUS"], "2023-01-01", out=out)
    assert out.read_text(encoding="utf-8") == text
    assert spillover.load_scenario(out, strict=True).name == "my-draft"


# --------------------------------------------------------------------------- command line


def test_cli_writes_the_file_and_prints_the_next_command(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "nk.yaml"
    args = ["draft", "--actors", ",".join(ACTORS), "--from", "2023-01-01", "--out", str(out), "--db", str(db)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        f"wrote {out}: 7 actors, 2 transfers (SIPRI), 4 dyads with a hostility baseline"
    )
    assert lines[-1] == f"next: set each '{PLACEHOLDER}', then: spillover validate {out} --strict"
    spillover.load_scenario(out, strict=True)
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 2
    assert (
        again.stderr.strip()
        == f"error: {out} exists; spillover draft does not overwrite files, choose another name"
    )


def test_cli_unknown_actor_is_one_line_and_exit_2(db: Path, tmp_path: Path) -> None:
    args = [
        "draft",
        "--actors",
        "PRK,RUSS",
        "--from",
        "2023-01-01",
        "--out",
        str(tmp_path / "x.yaml"),
        "--db",
        str(db),
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "error: unknown actor 'RUSS' (did you mean 'RUS'?): use ISO3 codes such as PRK or RUS, "
        "or X- ids from the actor_names table"
    ]
    assert not (tmp_path / "x.yaml").exists()
