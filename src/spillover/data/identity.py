"""Which records of a SIPRI, TIV or NMC file the store already holds.

Imports are idempotent by content, not by bytes: a record the store holds from an
earlier source is not stored again, whatever the file's packaging (zipped, CRLF line
ends, re-saved as UTF-8) and, for the SIPRI trade register, whichever of its two export
formats it comes in. What makes two records the same:

* **SIPRI deal** (:func:`match_deals`): the same SIPRI deal id when both records have
  one; otherwise the same supplier, recipient and year of order, and the same weapon
  (see :func:`match_deals` for how designations the two formats spell differently are
  paired). Deals of one file are never merged with each other: SIPRI lists distinct
  deals that read alike.
* **TIV table row**: the same direction, country name and value of every year.
* **NMC state-year**: the same values in every column.

TIV tables and NMC files of another generation (other years, revised values) are other
records: they are stored, with a note naming the sources they overlap.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd

from spillover.data.parsed import ParsedFile

__all__ = ["Known", "drop_known", "match_deals"]

#: The columns of ``sipri_deals`` that make up a deal's content.
DEAL_CONTENT = (
    "sipri_id", "supplier", "recipient", "order_year", "order_year_uncertain",
    "number_ordered", "number_ordered_uncertain", "designation", "description",
    "armament_category", "status", "comments", "local_production", "tiv_unit_estimate",
    "tiv_per_unit", "tiv_total_order", "number_delivered", "number_delivered_uncertain",
    "tiv_delivered", "first_delivery_year", "last_delivery_year", "delivery_years",
)  # fmt: skip
_NMC_CONTENT = (
    "ccode", "year", "stateabb", "milex", "milper", "irst", "pec", "tpop", "upop", "cinc",
    "version",
)  # fmt: skip
_RANK = ["number_ordered", "number_delivered", "first_delivery_year", "pos"]


@dataclass
class Known:
    """The records of a parsed file that the store already holds (taken out of it)."""

    records: int = 0
    sources: set[int] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)


def drop_known(con: duckdb.DuckDBPyConnection, kind: str, parsed: ParsedFile) -> Known:
    """Take the records the store holds out of ``parsed`` (tables and record count).

    Parameters
    ----------
    con : duckdb.DuckDBPyConnection
    kind : {"sipri", "tiv", "nmc"}
    parsed : ParsedFile
        Changed in place.

    Returns
    -------
    Known
    """
    known = {"sipri": _sipri, "tiv": _tiv, "nmc": _nmc}[kind](con, parsed)
    parsed.records -= known.records
    return known


def _text(frame: pd.DataFrame, columns: tuple[str, ...] | list[str]) -> pd.Series:
    """One string per row of the values of ``columns`` (NULL as empty)."""
    parts = [frame[c].astype("string").fillna("") for c in columns]
    return parts[0].str.cat(parts[1:], sep="\x1f") if len(parts) > 1 else parts[0]


def _sources(ids: object) -> str:
    found = sorted({int(i) for i in ids})  # type: ignore[attr-defined]
    return f"source{'s' if len(found) > 1 else ''} {', '.join(map(str, found))}"


# --------------------------------------------------------------------------- SIPRI deals


def _sipri(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> Known:
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
    differ = _text(deals.iloc[mine], figures).to_numpy() != _text(stored.iloc[theirs], figures).to_numpy()
    note = f"{len(pairs)} deals already in the store ({_sources(held)}), not stored again"
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
            "group": _text(frame, ["supplier_id", "recipient_id", "order_year"]).to_numpy(),
            "des": designation.str.upper().str.replace(r"[^0-9A-Z]", "", regex=True).to_numpy(),
            "desc": frame["description"].astype("string").fillna("").str.lower().to_numpy(),
            "content": _text(frame, DEAL_CONTENT).to_numpy(),
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


# --------------------------------------------------------------------------- TIV rows


def _tiv_rows(frame: pd.DataFrame, by: list[str]) -> pd.Series:
    """One string per TIV row (``by`` ends with ``country``): the country, then every
    year with its value, in year order."""
    ordered = frame.sort_values([*by, "year"])
    cells = _text(ordered, ["year", "tiv", "below_half"])
    rows = cells.groupby([ordered[c] for c in by], sort=False).agg("|".join)
    countries = rows.index.get_level_values("country").astype(str)
    return pd.Series(countries + "\x1e" + rows.to_numpy(), index=rows.index)


def _tiv(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> Known:
    frame = parsed.tables["tiv"]
    if frame.empty:
        return Known()
    stored = con.execute(
        "SELECT source_id, country, year, tiv, below_half FROM tiv WHERE direction = ?",
        [frame["direction"].iloc[0]],
    ).df()
    if stored.empty:
        return Known()
    stored = stored.astype({"tiv": "Float64", "below_half": "boolean", "year": frame["year"].dtype})
    mine = _tiv_rows(frame, ["country"])
    theirs = _tiv_rows(stored, ["source_id", "country"]).reset_index(name="row")
    same = theirs[theirs["row"].isin(set(mine))]
    known = mine[mine.isin(set(same["row"]))].index
    parsed.tables["tiv"] = frame[~frame["country"].isin(known)].reset_index(drop=True)
    notes = []
    if len(known):
        notes.append(f"{len(known)} countries already in the store ({_sources(same['source_id'])})")
    other = theirs[theirs["country"].isin(set(mine.index) - set(known))]
    if not other.empty:
        notes.append(
            f"{other['country'].nunique()} countries are also in {_sources(other['source_id'])} "
            "with other years or values: sum one source_id at a time"
        )
    return Known(len(known), set(same["source_id"].astype(int)), notes)


# --------------------------------------------------------------------------- NMC rows


def _nmc(con: duckdb.DuckDBPyConnection, parsed: ParsedFile) -> Known:
    frame = parsed.tables["nmc"]
    if frame.empty:
        return Known()
    stored = con.execute(f"SELECT source_id, {', '.join(_NMC_CONTENT)} FROM nmc").df()
    if stored.empty:
        return Known()
    stored = stored.astype({c: frame[c].dtype for c in _NMC_CONTENT})
    mine, theirs = _text(frame, _NMC_CONTENT), _text(stored, _NMC_CONTENT)
    dup = mine.isin(set(theirs)).to_numpy()
    held = stored.loc[theirs.isin(set(mine[dup])).to_numpy(), "source_id"]
    parsed.tables["nmc"] = frame[~dup].reset_index(drop=True)
    notes = []
    if dup.any():
        notes.append(f"{int(dup.sum())} state-years already in the store ({_sources(held)})")
    years = _text(frame[~dup], ["ccode", "year"])
    other = stored[_text(stored, ["ccode", "year"]).isin(set(years)).to_numpy()]
    if not other.empty:
        notes.append(
            f"{len(other)} state-years are also in {_sources(other['source_id'])} with other "
            "values: use one source_id at a time"
        )
    return Known(int(dup.sum()), set(held.astype(int)), notes)
