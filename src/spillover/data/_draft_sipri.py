"""The SIPRI part of a drafted scenario: transfers, munition classes, stocks and signals.

One transfer per (supplier, recipient, SIPRI armament category) with deliveries among the
actors. Its rate is a yearly step schedule in items a day (items delivered that year / days
in the year), each step citing the SIPRI file and deals. For each supplier, recipient and
year one SIPRI file is read, the most recently generated one with deliveries then, so that a
deal present in two exports is not counted twice while an older file can still fill years a
newer export leaves out.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from spillover.data._draft_yaml import num, placeholder, sourced

__all__ = ["Flows", "deliveries", "sipri_category", "transfers"]

#: SIPRI armament category from a deal description (classic exports have no category column).
#: Ordered rules, first match wins. On the new-format register of 2026-02-12 they give the
#: published category for every one of its 12,571 deals (tests/test_draft.py checks it).
_CATEGORY_RULES: tuple[tuple[str, str], ...] = (
    (r"(gun|mortar) turret", "Artillery"),
    (r"turret|air refuel", "Other"),
    (r"(?<!anti-)radar|sonar|\bEO\b|electro-optical|search system|(reconnaissance|recce|intelligence) system"
     r"|search/fire control", "Sensors"),
    (r"satellite", "Satellites"),
    (r"engines?\b|turbofan|turbojet|turboprop|gas turbine|reactor", "Engines"),
    (r"naval (gun|SAM|multiple rocket)|anti-submarine (rocket launcher|mortar)", "Naval weapons"),
    (r"SAM system|air-defence|\bAD system|anti-aircraft gun|ABM system", "Air-defence systems"),
    (r"aircraft carrier|missile boat|torp\w+ boat", "Ships"),
    (r"chassis", "Armoured vehicles"),
    (r"missile launcher|coastal defence|\bgun\b|mortar|rocket launcher", "Artillery"),
    (r"missile|\bSAM\b|\bABM\b|torpedo|\bbomb\b|guided|loitering munition|attack drone|\bmine\b", "Missiles"),
    (r"aircraft|helicopter|\bUAV\b|airship", "Aircraft"),
    (r"\btank\b|armou?red|\bAPC\b|personnel carrier|fighting vehicle|fire-support vehicle|\bUGV\b"
     r"|(logistical|supply) vehicle", "Armoured vehicles"),
    (r"boat|ship|submarine|frigate|corvette|\bcraft\b|destroyer|cruiser|mine(sweeper|hunter|layer)"
     r"|\btug\b|tanker|icebreaker", "Ships"),
)  # fmt: skip


def sipri_category(description: str | None) -> str:
    """The SIPRI armament category of a deal description.

    Parameters
    ----------
    description : str or None
        SIPRI's weapon description, e.g. ``"self-propelled gun"``.

    Returns
    -------
    str
        One of SIPRI's categories: ``Aircraft``, ``Air-defence systems``, ``Armoured
        vehicles``, ``Artillery``, ``Engines``, ``Missiles``, ``Naval weapons``, ``Other``,
        ``Satellites``, ``Sensors``, ``Ships``.

    Examples
    --------
    >>> sipri_category("surface-to-surface missile"), sipri_category("APC")
    ('Missiles', 'Armoured vehicles')
    """
    for pattern, category in _CATEGORY_RULES:
        if re.search(pattern, description or "", flags=re.IGNORECASE):
            return category
    return "Other"


_DELIVERIES_SQL = """
WITH deals AS (
    SELECT d.*, s.generated_at FROM sipri_deals d JOIN sources s USING (source_id)
    WHERE d.supplier_id IN (SELECT unnest($ids)) AND d.recipient_id IN (SELECT unnest($ids))
      AND d.supplier_id <> d.recipient_id
),
chosen AS (
    SELECT d.supplier_id, d.recipient_id, y.year, d.source_id
    FROM deals d JOIN sipri_deliveries y USING (source_id, deal_key)
    QUALIFY row_number() OVER (PARTITION BY d.supplier_id, d.recipient_id, y.year
                               ORDER BY d.generated_at DESC NULLS LAST, d.source_id DESC) = 1
)
SELECT d.source_id, d.deal_key, d.sipri_id, d.line, d.supplier_id, d.recipient_id, d.designation,
       d.description, d.armament_category, d.number_delivered AS deal_delivered, d.delivery_years,
       d.number_delivered_uncertain AS deal_uncertain, y.year, y.number_delivered,
       y.number_delivered_uncertain,
       (SELECT max(year) FROM sipri_deliveries x WHERE x.source_id = d.source_id) AS source_last_year
FROM deals d JOIN sipri_deliveries y USING (source_id, deal_key)
JOIN chosen c ON c.supplier_id = d.supplier_id AND c.recipient_id = d.recipient_id
             AND c.year = y.year AND c.source_id = d.source_id
ORDER BY d.supplier_id, d.recipient_id, y.year, d.deal_key
"""


def deliveries(con: duckdb.DuckDBPyConnection, ids: list[str]) -> pd.DataFrame:
    """Deal-years delivered among ``ids``, with ``number``, ``estimate``, ``spread``, ``category``.

    ``number`` is the year's number delivered; the classic export gives only a deal's total,
    which is then spread evenly over its delivery years (``spread`` True).
    """
    frame = con.execute(_DELIVERIES_SQL, {"ids": ids}).df()
    per_deal = frame["deal_delivered"] / frame["delivery_years"].where(frame["delivery_years"] > 0)
    frame["spread"] = frame["number_delivered"].isna() & per_deal.notna()
    frame["number"] = frame["number_delivered"].astype("Float64").fillna(per_deal.astype("Float64"))
    unsure = frame["number_delivered_uncertain"].astype("boolean")
    frame["estimate"] = unsure.fillna(frame["deal_uncertain"].astype("boolean")).fillna(False)
    frame["category"] = [
        c if isinstance(c, str) and c else sipri_category(d)
        for c, d in zip(frame["armament_category"], frame["description"], strict=True)
    ]
    return frame[frame["number"].notna() & (frame["number"] > 0)].reset_index(drop=True)


@dataclass
class Flows:
    """The SIPRI sections of the draft, comments on each transfer, items SIPRI records per transfer."""

    munitions: dict[str, dict] = field(default_factory=dict)
    stocks: dict[str, dict] = field(default_factory=dict)
    transfers: dict[str, dict] = field(default_factory=dict)
    signals: dict[str, dict] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)
    recorded: dict[str, float] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Window:
    """The scenario's period and the data window."""

    start: dt.date
    end: dt.date
    horizon: int


def transfers(
    frame: pd.DataFrame,
    win: Window,
    source_key: Callable[[int], str],
    actor_id: Callable[[str], str],
) -> Flows:
    """Transfers, munitions, stocks and signals from the deal-years of :func:`deliveries`.

    Deliveries from ``win.start``'s year to ``win.end``'s year are used; if there are none,
    those of the most recent earlier year, carried over as a constant rate (a notice says so).
    """
    window = frame[(frame["year"] >= win.start.year) & (frame["year"] <= win.end.year)]
    flows = Flows()
    fallback = window.empty and bool((frame["year"] < win.start.year).any())
    if fallback:
        year = int(frame.loc[frame["year"] < win.start.year, "year"].max())
        window = frame[frame["year"] == year]
        flows.notices.append(
            f"no SIPRI deliveries among these actors from {win.start.year} on: the transfers carry "
            f"the rates of {year}, the most recent year with deliveries"
        )
    elif window.empty:
        flows.notices.append("no SIPRI deliveries among these actors in the store")
    shipped: dict[tuple[str, str], float] = {}
    for (sup, rec, cat), rows in window.groupby(["supplier_id", "recipient_id", "category"]):
        tid, mun = f"{actor_id(sup)}_{actor_id(rec)}_{munition_id(cat)}".lower(), munition_id(cat)
        keys = {int(y): source_key(int(i)) for y, i in rows.groupby("year")["source_id"].first().items()}
        rate, mean, total = _schedule(rows, win, keys, fallback)
        flows.transfers[tid] = {
            "supplier": actor_id(sup),
            "recipient": actor_id(rec),
            "munition": mun,
            "rate": rate,
            "delay": placeholder(0, "days in transit"),
            "covertness": placeholder(0, "0 open, 1 hidden"),
        }
        flows.signals[tid] = {
            "flow": tid,
            "reference": sourced(mean, _one(sorted(set(keys.values()))), _mean_note(rows)),
        }
        flows.comments[tid] = f"{sup} -> {rec}, {cat}: {deals_text(rows, with_years=True)}"
        flows.recorded[tid] = float(rows["number"].sum())
        shipped[(actor_id(sup), mun)] = shipped.get((actor_id(sup), mun), 0.0) + total
        shipped.setdefault((actor_id(rec), mun), 0.0)
    flows.munitions = {
        munition_id(c): {"name": f"{c} (SIPRI armament category)", "unit": "items"}
        for c in sorted(set(window["category"]))
    } or {"arms": {"name": "Major conventional weapons (no SIPRI deliveries)", "unit": "items"}}
    for (actor, mun), total in sorted(shipped.items()):
        why = f"what its transfers ship over the horizon: {math.ceil(total)}" if total else "initial stock"
        flows.stocks.setdefault(actor, {})[mun] = placeholder(math.ceil(total), why)
    return flows


def _one(keys: list[str]) -> str | list[str]:
    """One source key as a string, several as a list."""
    return keys[0] if len(keys) == 1 else keys


def munition_id(category: str) -> str:
    """``Armoured vehicles`` -> ``armoured_vehicles``."""
    return re.sub(r"[^a-z0-9]+", "_", category.lower()).strip("_") or "arms"


def days_in(year: int) -> int:
    """Days in a calendar year."""
    return 366 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 365


def _schedule(
    rows: pd.DataFrame, win: Window, keys: dict[int, str], fallback: bool
) -> tuple[dict[str, Any], float, float]:
    """The rate (yearly steps, items a day), the mean rate over the years, items over the horizon."""
    per_year = rows.groupby("year")["number"].sum()
    years = range(int(per_year.index.min()), int(per_year.index.max()) + 1)
    rate = {y: float(per_year.get(y, 0.0)) / days_in(y) for y in years}
    mean = float(per_year.sum()) / sum(days_in(y) for y in years)
    if fallback:
        y = years[0]
        note = (
            f"SIPRI: {deals_text(rows)} in {y} / {days_in(y)} days; carried over, as there are no "
            f"deliveries among the actors from {win.start.year} on"
        )
        return sourced(rate[y], keys[y], note), mean, rate[y] * win.horizon
    known = min(int(rows["source_last_year"].max()), win.end.year)

    def key(year: int) -> str:  # the file of the latest year with deliveries up to ``year``
        return keys[max(k for k in keys if k <= year)]

    steps = [
        {
            "from": max(dt.date(y, 1, 1), win.start),
            "rate": sourced(
                rate[y],
                key(y),
                f"{deals_text(rows[rows['year'] == y]) or 'no deliveries'} in {y} / {days_in(y)} days",
            ),
        }
        for y in years
    ]
    if years[-1] < known:
        none = f"no deliveries recorded in {years[-1] + 1}" + (f"-{known}" if known > years[-1] + 1 else "")
        steps.append({"from": dt.date(years[-1] + 1, 1, 1), "rate": sourced(0, key(known), none)})
    last_day = win.start + dt.timedelta(days=win.horizon - 1)
    if known < last_day.year:
        after = rate[years[-1]] if years[-1] == known else 0.0
        why = f"the SIPRI data end in {known}; this carries {known}'s rate on"
        steps.append({"from": dt.date(known + 1, 1, 1), "rate": placeholder(after, why)})
    # a step after the horizon never takes effect
    steps = [s for s in steps if isinstance(s["from"], dt.date) and s["from"] <= last_day]
    if not steps:  # every delivery falls after the horizon
        steps = [{"from": win.start, "rate": sourced(0, key(years[0]), f"no deliveries before {years[0]}")}]
    return {"piecewise": steps}, mean, _total(steps, win)


def _total(steps: list[dict], win: Window) -> float:
    """Items a step schedule asks for over the horizon."""
    days = [max(0, min(win.horizon, (s["from"] - win.start).days)) for s in steps] + [win.horizon]
    return sum(s["rate"]["value"] * (days[k + 1] - days[k]) for k, s in enumerate(steps))


def deals_text(rows: pd.DataFrame, with_years: bool = False) -> str:
    """``100 x Hwasong-11 (deal 67145, 2023, 2024; estimate)`` for a set of deal-years."""
    parts = []
    for _, deal in rows.groupby(["source_id", "deal_key"], sort=False):
        first = deal.iloc[0]
        label = (
            f"deal {int(first['sipri_id'])}"
            if pd.notna(first["sipri_id"])
            else f"record on line {int(first['line'])}"
        )
        if with_years:
            label += ", " + ", ".join(str(int(y)) for y in deal["year"])
        flags = [
            ("estimate", deal["estimate"].any()),
            ("spread over its years", deal["spread"].any()),
        ]
        flagged = ", ".join(text for text, on in flags if on)
        parts.append(
            f"{num(deal['number'].sum())} x {first['designation']} ({label}"
            + (f"; {flagged})" if flagged else ")")
        )
    return "; ".join(parts)


def _mean_note(rows: pd.DataFrame) -> str:
    first, last = int(rows["year"].min()), int(rows["year"].max())
    years = str(first) if first == last else f"{first}-{last}"
    return f"mean SIPRI rate {years} ({num(rows['number'].sum())} items): a typical day of this flow"
