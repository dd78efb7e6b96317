"""Country identity: one canonical id per actor, across SIPRI, GDELT/CAMEO and COW.

Rules (documented for users in ``docs/data.md``):

* The canonical id of a present-day state is its ISO 3166-1 alpha-3 code (``RUS``,
  ``PRK``, ``KOR``). Names and codes are mapped with ``country_converter`` (coco),
  called once per batch of *unique* names and cached for the process.
* Everything that is not a present-day state keeps a stable id of its own:
  ``"X-" + slug(canonical name)``, where ``slug`` upper-cases the name, strips accents
  and replaces every run of non-alphanumeric characters with one ``-``. The id is
  deterministic from the name: ``Soviet Union`` -> ``X-SOVIET-UNION``,
  ``Hezbollah (Lebanon)*`` -> ``X-HEZBOLLAH-LEBANON``, ``NATO**`` -> ``X-NATO``,
  ``unknown recipient(s)`` -> ``X-UNKNOWN-RECIPIENT-S``.
* A name that no rule recognises still gets an ``X-`` id (kind ``unmapped``) and is
  listed in the import summary; nothing is dropped silently.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache

import pandas as pd

__all__ = [
    "ACTOR_KINDS",
    "HISTORICAL",
    "MAX_NAME",
    "SIPRI_RENAMED",
    "actor_id_from_name",
    "cow_country_ids",
    "iso3_codes",
    "resolve_names",
    "slug",
]

#: Kinds of actor ids, in the ``kind`` column of :func:`resolve_names` and ``actor_names``.
ACTOR_KINDS = (
    "state",  # present-day state, ISO3 id
    "historical",  # a state that no longer exists (Soviet Union, East Germany, ...)
    "unrecognised",  # de facto state without ISO code (Northern Cyprus)
    "non_state",  # armed group or rival government (SIPRI names ending in '*')
    "organisation",  # international organisation (SIPRI names ending in '**')
    "unknown",  # SIPRI's "unknown supplier(s)" / "unknown recipient(s)"
    "region",  # CAMEO region codes such as EUR, AFR, MEA
    "aggregate",  # SIPRI TIV "Total world ..." rows
    "unmapped",  # no rule matched; listed in the import summary
)


@dataclass(frozen=True)
class Historical:
    """A non-ISO entity with a canonical name and its aliases in each source."""

    name: str
    kind: str
    sipri: tuple[str, ...] = ()

    @property
    def actor_id(self) -> str:
        """Stable id derived from the canonical name."""
        return actor_id_from_name(self.name)


#: Entities that coco would map to the wrong modern state (or not at all).
HISTORICAL: tuple[Historical, ...] = (
    Historical("Soviet Union", "historical", ("Soviet Union",)),
    Historical("Czechoslovakia", "historical", ("Czechoslovakia",)),
    Historical("Yugoslavia", "historical", ("Yugoslavia",)),
    Historical("East Germany", "historical", ("East Germany (GDR)",)),
    Historical("North Yemen", "historical", ("North Yemen", "Yemen Arab Republic (North Yemen)")),
    Historical("South Yemen", "historical", ("South Yemen",)),
    Historical("South Vietnam", "historical", ("South Vietnam",)),
    Historical("Biafra", "historical", ("Biafra",)),
    Historical("Katanga", "historical", ("Katanga",)),
    Historical("Northern Cyprus", "unrecognised", ("Northern Cyprus",)),
    Historical("Libya GNC", "non_state", ("Libya GNC",)),
    Historical("Austria-Hungary", "historical"),
    Historical("Hanover", "historical"),
    Historical("Bavaria", "historical"),
    Historical("Baden", "historical"),
    Historical("Saxony", "historical"),
    Historical("Wuerttemberg", "historical"),
    Historical("Hesse Electoral", "historical"),
    Historical("Hesse Grand Ducal", "historical"),
    Historical("Mecklenburg Schwerin", "historical"),
    Historical("Papal States", "historical"),
    Historical("Two Sicilies", "historical"),
    Historical("Modena", "historical"),
    Historical("Parma", "historical"),
    Historical("Tuscany", "historical"),
    Historical("Korea", "historical"),
    Historical("Zanzibar", "historical"),
)
_SIPRI_HISTORICAL = {alias: h for h in HISTORICAL for alias in h.sipri}

#: Longest name given to country_converter (whose regular expressions take minutes on a
#: name of 100,000 characters); a longer one is not a country and stays unmapped.
MAX_NAME = 200

#: Armed groups SIPRI has renamed between its export formats: the classic export's
#: name -> the new export's. Both get the id of the new name, so that a deal reads the
#: same in either export.
SIPRI_RENAMED: dict[str, str] = {
    "Libya HoR*": "HoR (Libya)*",
    "PIJ (Israel/Palestine)*": "Palestinian Islamic Jihad (Israel/Palestine)*",
}

#: CAMEO country codes that are not ISO3 codes (from GDELT's CAMEO country list).
CAMEO_NON_ISO: dict[str, str] = {
    "ROM": "ROU",  # Romania
    "TMP": "TLS",  # East Timor
    "MTN": "MNE",  # Montenegro
    "IMY": "IMN",  # Isle of Man
    "WSB": "PSE",  # West Bank
    "GZS": "PSE",  # Gaza Strip
    "BAG": "IRQ",  # Baghdad
}
#: CAMEO region codes; they get ``X-`` ids of kind ``region``.
CAMEO_REGIONS: dict[str, str] = {
    "AFR": "Africa",
    "ASA": "Asia",
    "BLK": "Balkans",
    "CRB": "Caribbean",
    "CAU": "Caucasus",
    "CFR": "Central Africa",
    "CAS": "Central Asia",
    "CEU": "Central Europe",
    "EIN": "East Indies",
    "EAF": "Eastern Africa",
    "EEU": "Eastern Europe",
    "EUR": "Europe",
    "LAM": "Latin America",
    "MEA": "Middle East",
    "MDT": "Mediterranean",
    "NAF": "North Africa",
    "NMR": "North America",
    "PGS": "Persian Gulf",
    "SCN": "Scandinavia",
    "SAM": "South America",
    "SAS": "South Asia",
    "SEA": "Southeast Asia",
    "SAF": "Southern Africa",
    "WAF": "West Africa",
    "WST": "The West",
}

#: COW ccodes whose id is not what coco's Gleditsch-Ward column gives. Each entry is a
#: list of (first_year, last_year, id); years are inclusive, ``None`` is open-ended.
COW_OVERRIDES: dict[int, list[tuple[int | None, int | None, str]]] = {
    255: [(None, None, "DEU")],  # Prussia / Germany
    260: [(None, None, "DEU")],  # German Federal Republic (continued by Germany)
    265: [(None, None, "X-EAST-GERMANY")],
    300: [(None, None, "X-AUSTRIA-HUNGARY")],
    315: [(None, None, "X-CZECHOSLOVAKIA")],
    316: [(None, None, "CZE")],
    345: [(None, 1917, "SRB"), (1918, 2005, "X-YUGOSLAVIA"), (2006, None, "SRB")],
    365: [(None, 1921, "RUS"), (1922, 1991, "X-SOVIET-UNION"), (1992, None, "RUS")],
    678: [(None, None, "X-NORTH-YEMEN")],
    679: [(None, None, "YEM")],
    680: [(None, None, "X-SOUTH-YEMEN")],
    816: [(None, None, "VNM")],
    817: [(None, None, "X-SOUTH-VIETNAM")],
    946: [(None, None, "KIR")],
    947: [(None, None, "TUV")],
    955: [(None, None, "TON")],
    970: [(None, None, "NRU")],
    240: [(None, None, "X-HANOVER")],
    245: [(None, None, "X-BAVARIA")],
    267: [(None, None, "X-BADEN")],
    269: [(None, None, "X-SAXONY")],
    271: [(None, None, "X-WUERTTEMBERG")],
    273: [(None, None, "X-HESSE-ELECTORAL")],
    275: [(None, None, "X-HESSE-GRAND-DUCAL")],
    280: [(None, None, "X-MECKLENBURG-SCHWERIN")],
    327: [(None, None, "X-PAPAL-STATES")],
    329: [(None, None, "X-TWO-SICILIES")],
    332: [(None, None, "X-MODENA")],
    335: [(None, None, "X-PARMA")],
    337: [(None, None, "X-TUSCANY")],
    511: [(None, None, "X-ZANZIBAR")],
    730: [(None, None, "X-KOREA")],
}

_RESULT_COLUMNS = ["name", "actor_id", "kind", "method", "location_iso3"]
_cache: dict[tuple[str, str], tuple[str, str, str, str | None]] = {}


def slug(name: str) -> str:
    """Upper-case ASCII slug of a name: accents stripped, non-alphanumerics -> ``-``.

    Parameters
    ----------
    name : str
        Any actor name, e.g. ``"Hezbollah (Lebanon)*"``.

    Returns
    -------
    str
        ``"HEZBOLLAH-LEBANON"``; ``"UNNAMED"`` if nothing alphanumeric is left.
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    out = re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")
    return out or "UNNAMED"


def actor_id_from_name(name: str) -> str:
    """Stable ``X-`` id of a non-ISO actor, deterministic from its name.

    Parameters
    ----------
    name : str
        Canonical or source name, e.g. ``"Soviet Union"`` or ``"NATO**"``.

    Returns
    -------
    str
        ``"X-SOVIET-UNION"``, ``"X-NATO"``.
    """
    return "X-" + slug(name)


@cache
def _coco_table() -> pd.DataFrame:
    """coco's bundled country table, read as plain text (see :func:`_converter`)."""
    from country_converter import country_converter as coco_module

    table = pd.read_csv(
        coco_module.COUNTRY_DATA_FILE, sep="\t", encoding="utf-8", dtype=str, keep_default_na=False
    )
    int_columns = ["ISOnumeric", "UNcode", "FAOcode", "GBDcode", "EURO", "UN", "UNmember"]
    for column in [*int_columns, "obsolete", "GEOnumeric"]:
        table[column] = pd.to_numeric(table[column].replace("", None), errors="coerce").astype(
            "Int64"
        )
    return table


@cache
def _converter():
    """A coco converter that also works with pandas >= 3.

    coco 1.3 reads its country table with ``converters=str`` plus NA handling that,
    under pandas 3, turns Namibia's ISO2 code ``NA`` into a missing value and breaks
    the constructor. We read the same bundled table as plain strings and hand it over.
    """
    import country_converter as coco

    return coco.CountryConverter(country_data=_coco_table().copy(), include_obsolete=True)


@cache
def iso3_codes() -> frozenset[str]:
    """All ISO3 codes known to country_converter (current and obsolete ones).

    Returns
    -------
    frozenset of str
    """
    return frozenset(_coco_table()["ISO3"].astype(str))


def _coco_convert(names: list[str], src: str) -> list[str | None]:
    """Vectorised coco call; one result per name, ``None`` when not found or ambiguous."""
    if not names:
        return []
    coco_logger = logging.getLogger("country_converter.country_converter")
    level = coco_logger.level
    coco_logger.setLevel(logging.CRITICAL)
    try:
        out = _converter().convert(names, src=src, to="ISO3", not_found=None, enforce_list=True)
    finally:
        coco_logger.setLevel(level)
    result: list[str | None] = []
    for item in out:
        codes = [c for c in item if isinstance(c, str) and len(c) == 3]
        result.append(codes[0] if len(codes) == 1 else None)
    return result


def _sipri_rule(name: str) -> tuple[str, str, str, str | None] | None:
    """Id for SIPRI names that must not go through coco (or ``None`` to use coco)."""
    stripped = name.strip()
    if stripped in _SIPRI_HISTORICAL:
        h = _SIPRI_HISTORICAL[stripped]
        return h.actor_id, h.kind, "historical table", None
    if stripped.lower().startswith("total world"):
        return "X-WORLD", "aggregate", "SIPRI total row", None
    if stripped.lower().startswith("unknown"):
        kind = "non_state" if stripped.endswith("*") else "unknown"
        return actor_id_from_name(stripped), kind, "SIPRI unknown actor", None
    if stripped.endswith("**"):
        return actor_id_from_name(stripped), "organisation", "SIPRI '**' marker", None
    if stripped in SIPRI_RENAMED:
        return actor_id_from_name(SIPRI_RENAMED[stripped]), "non_state", "SIPRI renamed", None
    if stripped.endswith("*"):
        return actor_id_from_name(stripped), "non_state", "SIPRI '*' marker", None
    return None


def _cameo_rule(code: str) -> tuple[str, str, str, str | None] | None:
    """Id for CAMEO codes that are not plain ISO3 codes."""
    if code in CAMEO_REGIONS:
        return actor_id_from_name(CAMEO_REGIONS[code]), "region", "CAMEO region", None
    if code in CAMEO_NON_ISO:
        return CAMEO_NON_ISO[code], "state", "CAMEO code table", None
    if code in iso3_codes():
        return code, "state", "ISO3 code", None
    return None


def resolve_names(names: Iterable[str], scheme: str) -> pd.DataFrame:
    """Map source names or codes to canonical actor ids.

    Unique names are converted once, in one vectorised coco call, and cached for the
    life of the process.

    Parameters
    ----------
    names : iterable of str
        SIPRI country names (``scheme="sipri"``) or CAMEO/GDELT country codes
        (``scheme="cameo"``). Duplicates and empty strings are ignored.
    scheme : {"sipri", "cameo"}
        Which source the names come from.

    Returns
    -------
    pandas.DataFrame
        One row per unique name with columns ``name``, ``actor_id``, ``kind`` (one of
        :data:`ACTOR_KINDS`), ``method`` (which rule decided) and ``location_iso3``
        (for SIPRI armed groups: the country named in parentheses, when coco knows it).
    """
    if scheme not in ("sipri", "cameo"):
        raise ValueError(f"unknown naming scheme {scheme!r}; expected 'sipri' or 'cameo'")
    unique = sorted({n for n in names if isinstance(n, str) and n.strip()})
    todo = [n for n in unique if (scheme, n) not in _cache]
    rule = _sipri_rule if scheme == "sipri" else _cameo_rule
    via_coco: list[str] = []
    for name in todo:
        decided = rule(name)
        if decided is None and scheme == "sipri" and len(name) <= MAX_NAME:
            via_coco.append(name)
        elif decided is None and scheme == "sipri":
            _cache[(scheme, name)] = (actor_id_from_name(name), "unmapped", "no rule", None)
        elif decided is None:
            _cache[(scheme, name)] = (f"X-CAMEO-{slug(name)}", "unmapped", "no rule", None)
        else:
            _cache[(scheme, name)] = decided
    converted = _coco_convert(via_coco, "regex") if via_coco else []
    for name, iso in zip(via_coco, converted, strict=True):
        if iso is None:
            _cache[(scheme, name)] = (actor_id_from_name(name), "unmapped", "no rule", None)
        else:
            _cache[(scheme, name)] = (iso, "state", "country_converter", None)
    if scheme == "sipri":
        _locate_groups(todo)
    rows = [(n, *_cache[(scheme, n)]) for n in unique]
    return pd.DataFrame(rows, columns=_RESULT_COLUMNS)


def _locate_groups(names: list[str]) -> None:
    """Fill ``location_iso3`` of SIPRI armed groups from the country in parentheses."""
    pending: dict[str, str] = {}
    for name in names:
        actor_id, kind, method, _ = _cache[("sipri", name)]
        match = re.search(r"\(([^()]*)\)\**$", SIPRI_RENAMED.get(name.strip(), name.strip()))
        if kind == "non_state" and match and len(match.group(1)) <= MAX_NAME:
            pending[name] = match.group(1)
    if not pending:
        return
    located = _coco_convert(list(pending.values()), "regex")
    for (name, _place), iso in zip(pending.items(), located, strict=True):
        actor_id, kind, method, _ = _cache[("sipri", name)]
        _cache[("sipri", name)] = (actor_id, kind, method, iso)


@cache
def _gw_to_iso3() -> dict[int, str]:
    """coco's Gleditsch-Ward code column as an exact ``{gwcode: ISO3}`` lookup."""
    table = _coco_table()
    codes = pd.to_numeric(table["GWcode"], errors="coerce")
    return {int(c): str(iso) for c, iso in zip(codes, table["ISO3"], strict=True) if pd.notna(c)}


def cow_country_ids(frame: pd.DataFrame) -> pd.Series:
    """Canonical ids for COW state-years.

    COW codes are mostly equal to Gleditsch-Ward codes, which coco knows; where the two
    systems differ, or the state is historical, :data:`COW_OVERRIDES` decides (with
    year ranges for Russia/Soviet Union and Serbia/Yugoslavia).

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``ccode`` (int), ``year`` (int) and ``stateabb`` (str).

    Returns
    -------
    pandas.Series
        Actor ids aligned with ``frame``; codes no rule knows get ``X-COW-<stateabb>``.
    """
    ccode = frame["ccode"].astype("int64")
    year = frame["year"].astype("int64")
    gw = _gw_to_iso3()
    out = ccode.map(lambda c: None if c in COW_OVERRIDES else gw.get(c)).astype(object)
    for code, ranges in COW_OVERRIDES.items():
        rows = ccode == code
        if not rows.any():
            continue
        for first, last, actor_id in ranges:
            mask = rows.copy()
            if first is not None:
                mask &= year >= first
            if last is not None:
                mask &= year <= last
            out[mask] = actor_id
    missing = out.isna()
    if missing.any():
        out[missing] = "X-COW-" + frame.loc[missing, "stateabb"].astype(str).map(slug)
    return out
