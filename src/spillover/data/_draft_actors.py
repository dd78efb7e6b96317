"""The actors of a drafted scenario: the ids asked for, their names, their CINC as context."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from spillover.data.countries import iso3_codes
from spillover.data.errors import DataError, UnknownActorError
from spillover.scenario.errors import did_you_mean

__all__ = ["actor_entries", "actor_name", "check_actors", "scenario_id"]


def scenario_id(actor: str) -> str:
    """Scenario id of a store actor id (``X-NATO`` -> ``X_NATO``).

    >>> scenario_id("X-NATO")
    'X_NATO'
    """
    return actor.replace("-", "_")


def check_actors(con: duckdb.DuckDBPyConnection, db: Path, requested: Sequence[str]) -> list[str]:
    """Upper-cased actor ids; refuses an empty store, unknown ids, repeats, fewer than two."""
    if con.execute("SELECT 1 FROM sources WHERE kind IN ('sipri', 'gdelt', 'nmc') LIMIT 1").df().empty:
        raise DataError(
            f"the store {db} holds no SIPRI, GDELT or COW data; import files first "
            "(spillover data import sipri|gdelt|nmc FILE)"
        )
    codes = [str(a).strip().upper() for a in requested if str(a).strip()]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise DataError(f"--actors lists {', '.join(twice)} more than once")
    if len(codes) < 2:
        raise DataError(f"--actors needs at least two actors, got {', '.join(codes) or 'none'}")
    known = set(con.execute("SELECT DISTINCT actor_id FROM actor_names").df()["actor_id"])
    bad = [c for c in codes if c not in known and c not in iso3_codes()]
    if bad:
        raise UnknownActorError(
            "unknown actor "
            + ", ".join(f"'{c}'{did_you_mean(c, known)}" for c in bad)
            + ": use ISO3 codes such as PRK or RUS, or X- ids from the actor_names table"
        )
    return codes


def actor_name(con: duckdb.DuckDBPyConnection, actor: str) -> str:
    """Short country name (country_converter), else the SIPRI name, else the id."""
    if actor in _short_names():
        return _short_names()[actor]
    names = con.execute(
        "SELECT name FROM actor_names WHERE actor_id = $id AND scheme = 'sipri' ORDER BY name",
        {"id": actor},
    ).df()["name"]
    return str(names.iloc[0]).rstrip("*").strip() if not names.empty else actor


_CINC_SQL = """
SELECT country_id, year, coalesce(cinc, cinc_recomputed) AS cinc, source_id,
       (SELECT max(year) FROM nmc) AS last_year
FROM nmc
WHERE country_id IN (SELECT unnest($ids)) AND coalesce(cinc, cinc_recomputed) IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY country_id ORDER BY abs(year - $year), year, source_id DESC
) = 1
"""


def actor_entries(
    con: duckdb.DuckDBPyConnection, ids: list[str], start_year: int, source_key: Callable[[int], str]
) -> dict[str, dict[str, str]]:
    """Each actor's name, and as description its CINC of the year nearest the start."""
    cinc = con.execute(_CINC_SQL, {"ids": ids, "year": start_year}).df().set_index("country_id")
    has_nmc = not con.execute("SELECT 1 FROM sources WHERE kind = 'nmc' LIMIT 1").df().empty
    out = {}
    for a in ids:
        if a in cinc.index:
            row = cinc.loc[a]
            year, gap = int(row["year"]), start_year - int(row["year"])
            when = f", {abs(gap)} years {'before' if gap > 0 else 'after'} the start" if gap else ""
            text = (
                f"CINC {row['cinc']:.4g} in {year}{when} (COW National Material Capabilities, source "
                f"{source_key(int(row['source_id']))}; the COW data end in {int(row['last_year'])})."
            )
        else:
            text = "No CINC: " + (
                f"COW NMC has no record of {a}." if has_nmc else "no COW NMC file in the store."
            )
        out[scenario_id(a)] = {"name": actor_name(con, a), "description": text}
    return out


@cache
def _short_names() -> dict[str, str]:
    """ISO3 -> short country name, from country_converter's table read as plain text."""
    from country_converter import country_converter as coco_module

    table = pd.read_csv(coco_module.COUNTRY_DATA_FILE, sep="\t", dtype=str, keep_default_na=False)
    return dict(zip(table["ISO3"], table["name_short"], strict=True))
