"""The SIPRI trade register's tables: their columns, their DDL, and what makes two deals the same.

A deal of a file is already in the store when :func:`match_deals` pairs it with a stored
deal: the same SIPRI deal id, or the same supplier, recipient, year of order and weapon,
from either export format. Deals of one file are never merged with each other: SIPRI
lists distinct deals that read alike. A matched deal is left out with its deliveries, and
the import notes how many matched deals report other delivery figures.
"""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pandas as pd

from spillover.data.format import Table
from spillover.data.identity import Known, row_text, sources_text
from spillover.data.parsed import ParsedFile

__all__ = [
    "DEAL_COLUMNS",
    "DEAL_CONTENT",
    "DELIVERY_COLUMNS",
    "TABLES",
    "deal_frame",
    "deal_identity",
    "delivery_frame",
    "match_deals",
    "typed_frame",
]

#: The columns of a parsed ``sipri_deals`` frame (before the ids are added).
DEAL_COLUMNS = (
    "deal_key", "sipri_id", "line", "supplier", "recipient", "order_year",
    "order_year_uncertain", "number_ordered", "number_ordered_uncertain", "designation",
    "description", "armament_category", "status", "comments", "local_production",
    "tiv_unit_estimate", "tiv_per_unit", "tiv_total_order", "number_delivered",
    "number_delivered_uncertain", "tiv_delivered", "first_delivery_year", "last_delivery_year",
    "delivery_years",
)  # fmt: skip
#: The columns of a parsed ``sipri_deliveries`` frame.
DELIVERY_COLUMNS = (
    "deal_key", "year", "year_uncertain", "number_delivered", "number_delivered_uncertain",
    "tiv_delivered", "line",
)  # fmt: skip
_NULLABLE_TYPES = {
    "sipri_id": "Int64", "order_year": "Int64", "number_ordered": "Int64",
    "number_delivered": "Int64", "first_delivery_year": "Int64", "last_delivery_year": "Int64",
    "delivery_years": "Int64", "line": "Int64", "year": "Int64",
    "order_year_uncertain": "boolean", "number_ordered_uncertain": "boolean",
    "number_delivered_uncertain": "boolean", "local_production": "boolean",
    "year_uncertain": "boolean", "tiv_unit_estimate": "Float64", "tiv_per_unit": "Float64",
    "tiv_total_order": "Float64", "tiv_delivered": "Float64",
}  # fmt: skip


def typed_frame(records: list[dict[str, Any]] | pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Records (or a frame) as a frame of ``columns``: nullable types for numbers and
    flags, objects for text."""
    if isinstance(records, pd.DataFrame):
        frame = records.reset_index(drop=True)
    else:
        frame = pd.DataFrame(records, columns=list(columns))
    types = {c: t for c, t in _NULLABLE_TYPES.items() if c in frame.columns}
    for column in frame.columns:
        if column not in types:
            frame[column] = frame[column].astype(object)
    return frame.astype(types)


def deal_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Deal records as a typed frame of :data:`DEAL_COLUMNS`."""
    return typed_frame(records, DEAL_COLUMNS)


def delivery_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    """Delivery records as a typed frame of :data:`DELIVERY_COLUMNS`."""
    return typed_frame(records, DELIVERY_COLUMNS)


#: The tables of the trade register.
TABLES = (
    Table(
        "sipri_deals",
        "SIPRI trade register: one row per deal",
        """CREATE TABLE IF NOT EXISTS sipri_deals (
            source_id INTEGER NOT NULL,
            deal_key VARCHAR NOT NULL,
            sipri_id INTEGER,
            line BIGINT NOT NULL,
            supplier VARCHAR NOT NULL,
            supplier_id VARCHAR NOT NULL,
            recipient VARCHAR NOT NULL,
            recipient_id VARCHAR NOT NULL,
            order_year SMALLINT,
            order_year_uncertain BOOLEAN,
            number_ordered INTEGER,
            number_ordered_uncertain BOOLEAN,
            designation VARCHAR,
            description VARCHAR,
            armament_category VARCHAR,
            status VARCHAR,
            comments VARCHAR,
            local_production BOOLEAN,
            tiv_unit_estimate DOUBLE,
            tiv_per_unit DOUBLE,
            tiv_total_order DOUBLE,
            number_delivered INTEGER,
            number_delivered_uncertain BOOLEAN,
            tiv_delivered DOUBLE,
            first_delivery_year SMALLINT,
            last_delivery_year SMALLINT,
            delivery_years INTEGER NOT NULL,
            PRIMARY KEY (source_id, deal_key)
        )""",
    ),
    Table(
        "sipri_deliveries",
        "SIPRI trade register: one row per deal-year",
        """CREATE TABLE IF NOT EXISTS sipri_deliveries (
            source_id INTEGER NOT NULL,
            deal_key VARCHAR NOT NULL,
            year SMALLINT NOT NULL,
            year_uncertain BOOLEAN,
            number_delivered INTEGER,
            number_delivered_uncertain BOOLEAN,
            tiv_delivered DOUBLE,
            line BIGINT NOT NULL,
            PRIMARY KEY (source_id, deal_key, year)
        )""",
    ),
)

#: The columns of ``sipri_deals`` that make up a deal's content.
DEAL_CONTENT = (
    "sipri_id", "supplier", "recipient", "order_year", "order_year_uncertain",
    "number_ordered", "number_ordered_uncertain", "designation", "description",
    "armament_category", "status", "comments", "local_production", "tiv_unit_estimate",
    "tiv_per_unit", "tiv_total_order", "number_delivered", "number_delivered_uncertain",
    "tiv_delivered", "first_delivery_year", "last_delivery_year", "delivery_years",
)  # fmt: skip
_RANK = ["number_ordered", "number_delivered", "first_delivery_year", "pos"]


def deal_identity(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> Known:
    """The identity rule of SIPRI deals: leave out the deals (and their deliveries) the
    store holds, as :func:`match_deals` pairs them."""
    deals = parsed.tables["sipri_deals"]
    stored = con.execute(
        f"SELECT source_id, deal_key, supplier_id, recipient_id, {', '.join(DEAL_CONTENT)} "
        "FROM sipri_deals ORDER BY source_id, line"
    ).df()
    if deals.empty or stored.empty:
        return Known()
    stored = stored.astype({c: deals[c].dtype for c in DEAL_CONTENT})
    pairs = match_deals(deals, stored)
    if not pairs:
        return Known()
    mine, theirs = (list(p) for p in zip(*pairs, strict=True))
    matched = set(deals["deal_key"].iloc[mine])
    deliveries = parsed.tables["sipri_deliveries"]
    in_file = deliveries["deal_key"].isin(matched)
    records = int(in_file.sum()) if parsed.variant == "sipri-new" else len(matched)
    parsed.tables["sipri_deals"] = deals[~deals["deal_key"].isin(matched)].reset_index(drop=True)
    parsed.tables["sipri_deliveries"] = deliveries[~in_file].reset_index(drop=True)
    held = stored["source_id"].iloc[theirs]
    figures = ["number_delivered", "last_delivery_year"]
    differ = (
        row_text(deals.iloc[mine], figures).to_numpy()
        != row_text(stored.iloc[theirs], figures).to_numpy()
    )
    note = f"{len(pairs)} deals already in the store ({sources_text(held)}), not stored again"
    if differ.any():
        note += f"; {int(differ.sum())} of them with other delivery figures there (the stored deal is kept)"
    return Known(records, set(held.astype(int)), [note])


def match_deals(incoming: pd.DataFrame, stored: pd.DataFrame) -> list[tuple[int, int]]:
    """Pair deals of a file with the same deals in the store (one to one).

    Deals pair, in this order of precedence:

    1. the same SIPRI deal id (both have one; two different ids are two deals, so a deal
       with an id pairs in the later steps only with one without);
    2. the same content (every column of :data:`DEAL_CONTENT`);
    3. the same supplier id, recipient id, year of order and designation (compared on
       its letters and digits only: ``SA-315`` is ``SA 315``);
    4. as 3, with one designation inside the other (``L-39Z`` and ``L-39Z Albatros``,
       ``TOW`` and ``BGM-71 TOW``), preferring the same description;
    5. the same supplier, recipient, year of order and description, when just one deal
       of each side is left with them, and either their designations begin alike (at
       least three letters or digits: ``RBS-70-3`` and ``RBS-70 Mk-3 Bolide``, both
       "portable SAM") or they report the same number delivered by the same last year
       (``SM-2MR`` and ``Standard Missile-2MR``).

    Where several deals share a key in steps 1-3, they pair in order of number ordered,
    number delivered, first delivery year and line.

    Parameters
    ----------
    incoming, stored : pandas.DataFrame
        ``sipri_deals`` columns (``supplier_id``, ``recipient_id`` and
        :data:`DEAL_CONTENT`).

    Returns
    -------
    list of (int, int)
        Positions (``iloc``) in ``incoming`` and ``stored`` of each pair.
    """
    x, s = _identity(incoming), _identity(stored)
    pairs = _pair_ranked(x[x["sid"] != ""], s[s["sid"] != ""], ["sid"])
    for has_id in (True, False):
        taken_x, taken_s = {a for a, _ in pairs}, {b for _, b in pairs}
        part = x[((x["sid"] != "") == has_id) & ~x["pos"].isin(taken_x)]
        pool = s[~s["pos"].isin(taken_s) & ((s["sid"] == "") | (not has_id))]
        pairs += _pair_alike(part, pool)
    return pairs


def _identity(frame: pd.DataFrame) -> pd.DataFrame:
    """The keys :func:`match_deals` compares, one row per deal."""
    designation = frame["designation"].astype("string").fillna("")
    return pd.DataFrame(
        {
            "pos": np.arange(len(frame)),
            "sid": frame["sipri_id"].astype("Int64").astype("string").fillna("").to_numpy(),
            "group": row_text(frame, ["supplier_id", "recipient_id", "order_year"]).to_numpy(),
            "des": designation.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True).to_numpy(),
            "desc": frame["description"].astype("string").fillna("").str.lower().to_numpy(),
            "content": row_text(frame, DEAL_CONTENT).to_numpy(),
            **{
                c: frame[c].astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
                for c in (*_RANK[:-1], "last_delivery_year")
            },
        }
    )


def _pair_alike(x: pd.DataFrame, s: pd.DataFrame) -> list[tuple[int, int]]:
    """Steps 2-5 of :func:`match_deals`, each on the deals the earlier ones left."""
    pairs: list[tuple[int, int]] = []
    for step in (
        lambda a, b: _pair_ranked(a, b, ["content"]),
        lambda a, b: _pair_ranked(a, b, ["group", "des"]),
        _pair_contained,
        _pair_described,
    ):
        if x.empty or s.empty:
            break
        found = step(x, s)
        pairs += found
        x = x[~x["pos"].isin({a for a, _ in found})]
        s = s[~s["pos"].isin({b for _, b in found})]
    return pairs


def _pair_ranked(x: pd.DataFrame, s: pd.DataFrame, keys: list[str]) -> list[tuple[int, int]]:
    """Pair rows with equal ``keys``, the n-th of one side with the n-th of the other."""
    if x.empty or s.empty:
        return []
    ranked = []
    for side in (x, s):
        side = side.sort_values(_RANK, kind="stable")
        ranked.append(side.assign(rank=side.groupby(keys, sort=False).cumcount()))
    merged = ranked[0].merge(ranked[1], on=[*keys, "rank"], suffixes=("_x", "_s"))
    return list(zip(merged["pos_x"].tolist(), merged["pos_s"].tolist(), strict=True))


def _compatible(a: str, b: str) -> bool:
    return min(len(a), len(b)) >= 2 and (a in b or b in a)


def _pair_contained(x: pd.DataFrame, s: pd.DataFrame) -> list[tuple[int, int]]:
    """Step 4: one designation inside the other, within the same group."""
    groups: dict[str, list[tuple[int, str, str]]] = {}
    for pos, group, des, desc in s[["pos", "group", "des", "desc"]].itertuples(index=False):
        groups.setdefault(group, []).append((pos, des, desc))
    used: set[int] = set()
    pairs = []
    for pos, group, des, desc in x[["pos", "group", "des", "desc"]].itertuples(index=False):
        fits = [c for c in groups.get(group, ()) if c[0] not in used and _compatible(des, c[1])]
        if fits:
            best = next((c for c in fits if c[2] == desc), fits[0])
            used.add(best[0])
            pairs.append((pos, best[0]))
    return pairs


def _pair_described(x: pd.DataFrame, s: pd.DataFrame) -> list[tuple[int, int]]:
    """Step 5: the only deal of each side left with a group and description, when the
    designations begin alike or the delivery figures agree."""
    keys = ["group", "desc"]
    single = [side[~side.duplicated(keys, keep=False)] for side in (x, s)]
    merged = single[0].merge(single[1], on=keys, suffixes=("_x", "_s"))
    alike = [
        _common_prefix(a, b) >= 3
        for a, b in zip(merged["des_x"].tolist(), merged["des_s"].tolist(), strict=True)
    ]
    agree = (merged["number_delivered_x"] == merged["number_delivered_s"]) & (
        merged["last_delivery_year_x"] == merged["last_delivery_year_s"]
    )
    merged = merged[np.asarray(alike, dtype=bool) | agree.to_numpy()]
    return list(zip(merged["pos_x"].tolist(), merged["pos_s"].tolist(), strict=True))


def _common_prefix(a: str, b: str) -> int:
    """How many leading characters ``a`` and ``b`` share."""
    for index, (left, right) in enumerate(zip(a, b, strict=False)):
        if left != right:
            return index
    return min(len(a), len(b))
