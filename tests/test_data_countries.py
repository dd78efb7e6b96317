"""Country identity: ISO3 via country_converter, stable X- ids for everything else."""

from __future__ import annotations

import pandas as pd
import pytest

from spillover.data import countries
from spillover.data.countries import actor_id_from_name, cow_country_ids, resolve_names, slug


def _ids(names: list[str], scheme: str = "sipri") -> dict[str, str]:
    frame = resolve_names(names, scheme)
    return dict(zip(frame["name"], frame["actor_id"], strict=True))


def test_slug_ids_are_deterministic_from_the_name() -> None:
    assert slug("Hezbollah (Lebanon)*") == "HEZBOLLAH-LEBANON"
    assert actor_id_from_name("Soviet Union") == "X-SOVIET-UNION"
    assert actor_id_from_name("NATO**") == "X-NATO"
    assert actor_id_from_name("unknown recipient(s)") == "X-UNKNOWN-RECIPIENT-S"
    assert actor_id_from_name("Côte d'Ivoire rebels*") == "X-COTE-D-IVOIRE-REBELS"
    assert actor_id_from_name("***") == "X-UNNAMED"


def test_sipri_states_get_iso3_codes() -> None:
    ids = _ids(["North Korea", "Russia", "South Korea", "Turkiye", "Cote d'Ivoire", "UAE"])
    assert ids == {
        "North Korea": "PRK",
        "Russia": "RUS",
        "South Korea": "KOR",
        "Turkiye": "TUR",
        "Cote d'Ivoire": "CIV",
        "UAE": "ARE",
    }


def test_historical_and_non_state_actors_keep_their_own_ids() -> None:
    names = [
        "Soviet Union",
        "Czechoslovakia",
        "Yugoslavia",
        "East Germany (GDR)",
        "North Yemen",
        "Yemen Arab Republic (North Yemen)",
        "Hezbollah (Lebanon)*",
        "unknown recipient(s)",
        "unknown rebel group*",
        "NATO**",
        "African Union**",
        "Total world import",
    ]
    frame = resolve_names(names, "sipri").set_index("name")
    assert frame.loc["Soviet Union", "actor_id"] == "X-SOVIET-UNION"
    assert frame.loc["Czechoslovakia", "actor_id"] == "X-CZECHOSLOVAKIA"  # coco would say CZE
    assert frame.loc["East Germany (GDR)", "actor_id"] == "X-EAST-GERMANY"
    # two SIPRI spellings of one historical state share the id
    assert frame.loc["North Yemen", "actor_id"] == "X-NORTH-YEMEN"
    assert frame.loc["Yemen Arab Republic (North Yemen)", "actor_id"] == "X-NORTH-YEMEN"
    hezbollah = frame.loc["Hezbollah (Lebanon)*"]
    assert (hezbollah["actor_id"], hezbollah["kind"]) == ("X-HEZBOLLAH-LEBANON", "non_state")
    assert hezbollah["location_iso3"] == "LBN"  # not mapped to Lebanon itself
    assert frame.loc["unknown recipient(s)", "kind"] == "unknown"
    assert frame.loc["unknown rebel group*", "kind"] == "non_state"
    assert frame.loc["NATO**", ["actor_id", "kind"]].tolist() == ["X-NATO", "organisation"]
    assert frame.loc["African Union**", "actor_id"] == "X-AFRICAN-UNION"
    assert frame.loc["Total world import", ["actor_id", "kind"]].tolist() == [
        "X-WORLD",
        "aggregate",
    ]
    assert set(frame["kind"]) <= set(countries.ACTOR_KINDS)


def test_unrecognised_names_are_kept_and_flagged_not_dropped() -> None:
    frame = resolve_names(["Atlantis", "Russia", "", "Atlantis"], "sipri")
    assert frame["name"].tolist() == ["Atlantis", "Russia"]
    atlantis = frame.set_index("name").loc["Atlantis"]
    assert (atlantis["actor_id"], atlantis["kind"]) == ("X-ATLANTIS", "unmapped")


def test_unique_names_are_converted_once_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[str]] = []
    real = countries._coco_convert

    def spy(names: list[str], src: str) -> list[str | None]:
        calls.append(list(names))
        return real(names, src)

    monkeypatch.setattr(countries, "_coco_convert", spy)
    names = ["Freedonia", "Sylvania", "Freedonia"] * 50
    first = resolve_names(names, "sipri")
    assert [sorted(c) for c in calls] == [["Freedonia", "Sylvania"]]  # one vectorised call
    second = resolve_names(names, "sipri")
    assert len(calls) == 1  # served from the cache
    pd.testing.assert_frame_equal(first, second)


def test_cameo_codes_map_to_iso3_regions_and_flagged_unknowns() -> None:
    ids = _ids(["RUS", "KOR", "PRK", "ROM", "TMP", "EUR", "AFR", "SAF", "ZZZ"], "cameo")
    assert ids["RUS"] == "RUS" and ids["KOR"] == "KOR" and ids["PRK"] == "PRK"
    assert ids["ROM"] == "ROU"  # CAMEO's Romania
    assert ids["TMP"] == "TLS"
    assert ids["EUR"] == "X-EUROPE"
    assert ids["SAF"] == "X-SOUTHERN-AFRICA"  # a region, not South Africa (ZAF)
    assert ids["ZZZ"] == "X-CAMEO-ZZZ"
    kinds = resolve_names(["EUR", "ZZZ"], "cameo").set_index("name")["kind"]
    assert kinds.to_dict() == {"EUR": "region", "ZZZ": "unmapped"}


def test_unknown_scheme_is_refused() -> None:
    with pytest.raises(ValueError, match="naming scheme"):
        resolve_names(["x"], "iso")


def test_cow_codes_with_year_ranges_and_historical_states() -> None:
    frame = pd.DataFrame(
        [
            (365, "RUS", 1900),
            (365, "RUS", 1950),
            (365, "RUS", 2000),
            (345, "YUG", 1900),
            (345, "YUG", 1980),
            (345, "YUG", 2010),
            (265, "GDR", 1970),
            (260, "GFR", 1970),
            (255, "GMY", 2000),
            (732, "ROK", 2000),
            (731, "PRK", 2000),
            (970, "NAU", 2000),
            (817, "RVN", 1970),
            (2, "USA", 2000),
            (999, "ZZZ", 2000),
        ],
        columns=["ccode", "stateabb", "year"],
    )
    got = cow_country_ids(frame).tolist()
    assert got == [
        "RUS",
        "X-SOVIET-UNION",
        "RUS",
        "SRB",
        "X-YUGOSLAVIA",
        "SRB",
        "X-EAST-GERMANY",
        "DEU",
        "DEU",
        "KOR",
        "PRK",
        "NRU",  # COW 970 is Nauru; the Gleditsch-Ward code 970 is Kiribati
        "X-SOUTH-VIETNAM",
        "USA",
        "X-COW-ZZZ",
    ]
