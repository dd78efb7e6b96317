"""The GDELT 2.0 export layout: its 61 columns, the ones stored and how each is read."""

from __future__ import annotations

from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

from spillover.data.cameo import event_codes
from spillover.data.countries import CAMEO_NON_ISO, CAMEO_REGIONS, iso3_codes, resolve_names

__all__ = [
    "CODE_LABELS",
    "GDELT_COLUMNS",
    "KINDS",
    "PARSED_COLUMNS",
    "STORED",
    "actor_ids",
    "cameo_codes",
]


def _column_names() -> list[str]:
    names = ["GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate"]
    actor = ["Code", "Name", "CountryCode", "KnownGroupCode", "EthnicCode", "Religion1Code"]
    actor += ["Religion2Code", "Type1Code", "Type2Code", "Type3Code"]
    names += [f"Actor1{a}" for a in actor] + [f"Actor2{a}" for a in actor]
    names += ["IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass"]
    names += ["GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone"]
    geo = ["Type", "FullName", "CountryCode", "ADM1Code", "ADM2Code", "Lat", "Long", "FeatureID"]
    for prefix in ("Actor1Geo", "Actor2Geo", "ActionGeo"):
        names += [f"{prefix}_{g}" for g in geo]
    return [*names, "DATEADDED", "SOURCEURL"]


#: The 61 columns of a GDELT 2.0 event export, in file order.
GDELT_COLUMNS: tuple[str, ...] = tuple(_column_names())

#: How each column the import reads is converted (and so validated); the others are
#: not read at all. ``text`` stays text (checked to be UTF-8), ``cameo`` must be one of
#: the 311 CAMEO event codes, ``date`` is ``YYYYMMDD`` and ``timestamp``
#: ``YYYYMMDDHHMMSS``. An empty field is NULL.
KINDS: dict[str, str] = {
    "GLOBALEVENTID": "int64",
    "SQLDATE": "date",
    "Actor1Code": "text",
    "Actor1Name": "text",
    "Actor1CountryCode": "text",
    "Actor1Type1Code": "text",
    "Actor2Code": "text",
    "Actor2Name": "text",
    "Actor2CountryCode": "text",
    "Actor2Type1Code": "text",
    "IsRootEvent": "int32",
    "EventCode": "cameo",
    "EventBaseCode": "cameo",
    "EventRootCode": "cameo",
    "QuadClass": "int32",
    "GoldsteinScale": "float64",
    "NumMentions": "int32",
    "NumSources": "int32",
    "NumArticles": "int32",
    "AvgTone": "float64",
    "ActionGeo_CountryCode": "text",
    "ActionGeo_FullName": "text",
    "ActionGeo_Lat": "float64",
    "ActionGeo_Long": "float64",
    "DATEADDED": "timestamp",
    "SOURCEURL": "text",
}

#: Source columns the import reads, in file order.
PARSED_COLUMNS: tuple[str, ...] = tuple(c for c in GDELT_COLUMNS if c in KINDS)

#: ``gdelt_events`` column -> source column (``actor1_id``/``actor2_id`` are the canonical
#: ids of the country codes, see :func:`actor_ids`).
STORED: dict[str, str] = {
    "global_event_id": "GLOBALEVENTID",
    "event_date": "SQLDATE",
    "actor1_code": "Actor1Code",
    "actor1_name": "Actor1Name",
    "actor1_country_code": "Actor1CountryCode",
    "actor1_type1_code": "Actor1Type1Code",
    "actor1_id": "Actor1CountryCode",
    "actor2_code": "Actor2Code",
    "actor2_name": "Actor2Name",
    "actor2_country_code": "Actor2CountryCode",
    "actor2_type1_code": "Actor2Type1Code",
    "actor2_id": "Actor2CountryCode",
    "is_root_event": "IsRootEvent",
    "event_code": "EventCode",
    "event_base_code": "EventBaseCode",
    "event_root_code": "EventRootCode",
    "quad_class": "QuadClass",
    "goldstein_scale": "GoldsteinScale",
    "num_mentions": "NumMentions",
    "num_sources": "NumSources",
    "num_articles": "NumArticles",
    "avg_tone": "AvgTone",
    "action_geo_country_code": "ActionGeo_CountryCode",
    "action_geo_fullname": "ActionGeo_FullName",
    "action_geo_lat": "ActionGeo_Lat",
    "action_geo_long": "ActionGeo_Long",
    "date_added": "DATEADDED",
    "source_url": "SOURCEURL",
}

#: How a rejected row's reason names each CAMEO code column.
CODE_LABELS = {
    "EventCode": "event code",
    "EventBaseCode": "event base code",
    "EventRootCode": "event root code",
}


@lru_cache(maxsize=1)
def cameo_codes() -> pa.Array:
    """The 311 CAMEO event codes, as an Arrow string array."""
    return pa.array(event_codes()["code"].tolist(), pa.string())


@lru_cache(maxsize=1)
def _actor_table() -> tuple[pa.Array, pa.Array]:
    codes = sorted(iso3_codes() | set(CAMEO_NON_ISO) | set(CAMEO_REGIONS))
    resolved = resolve_names(codes, "cameo")
    return (
        pa.array(resolved["name"].tolist(), pa.string()),
        pa.array(resolved["actor_id"].tolist(), pa.string()),
    )


def actor_ids(codes: pa.Array) -> pa.Array:
    """Canonical actor ids of CAMEO country codes (``X-CAMEO-<code>`` for unknown ones).

    Each distinct code is looked up once (a block has a few hundred of them).

    Parameters
    ----------
    codes : pyarrow.Array
        Country codes (strings; NULL where the field is empty).

    Returns
    -------
    pyarrow.Array
        Ids, NULL where the code is NULL.
    """
    names, ids = _actor_table()
    encoded = pc.dictionary_encode(codes)
    distinct = encoded.dictionary
    known = pc.take(ids, pc.index_in(distinct, value_set=names))
    mapped = pc.coalesce(known, pc.binary_join_element_wise("X-CAMEO-", distinct, ""))
    return pc.take(mapped, encoded.indices)
