"""SIPRI trade register, both export formats -> ``sipri_deals`` and ``sipri_deliveries``.

* **Classic export**: Latin-1, 11 preamble lines, header ``Recipient,Supplier,Year of
  order, ,Number ordered, ,...`` whose unnamed columns hold ``?`` uncertainty flags; one
  line per deal, delivery years as ``"2010; 2012"``. A few records are split over two
  physical lines by a line break inside Comments; they are joined again.
* **New export**: CRLF, every line ends in ``;``, one row per deal and delivery year,
  ``Yes``/``No`` estimate flags, a SIPRI deal id.

Both give one ``sipri_deals`` row per deal and one ``sipri_deliveries`` row per deal and
delivery year. The classic export only gives totals per deal: its per-year numbers and
TIV are filled in only when the deal has a single delivery year, and NULL otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd

from spillover.data.countries import MAX_NAME, resolve_names
from spillover.data.errors import ImportRefusedError
from spillover.data.parsed import (
    MalformedRow,
    ParsedFile,
    RejectLog,
    parse_float,
    parse_generated_at,
    parse_int,
    split_fields,
    split_lines,
)

__all__ = ["CLASSIC_COLUMNS", "NEW_COLUMNS", "parse_sipri"]

CLASSIC_COLUMNS = (
    "recipient", "supplier", "order_year", "order_year_uncertain", "number_ordered",
    "number_ordered_uncertain", "designation", "description", "number_delivered",
    "number_delivered_uncertain", "delivery_years", "status", "comments", "tiv_per_unit",
    "tiv_total_order", "tiv_delivered",
)  # fmt: skip
NEW_COLUMNS = (
    "sipri_id", "supplier", "recipient", "designation", "description", "armament_category",
    "order_year", "order_year_uncertain", "number_delivered", "number_delivered_uncertain",
    "year", "year_uncertain", "status", "tiv_unit_estimate", "tiv_per_unit", "tiv_delivered",
    "local_production",
)  # fmt: skip
_DEAL_FIELDS_NEW = (
    "supplier", "recipient", "designation", "description", "armament_category", "order_year",
    "order_year_uncertain", "status", "tiv_unit_estimate", "tiv_per_unit", "local_production",
)  # fmt: skip
_LABELS = {
    "order_year": "Year of order",
    "number_ordered": "Number ordered",
    "number_delivered": "Number delivered",
    "tiv_per_unit": "SIPRI TIV per unit",
    "tiv_total_order": "SIPRI TIV for total order",
    "tiv_delivered": "SIPRI TIV of delivered weapons",
    "sipri_id": "SIPRI AT Database ID",
    "year": "Delivery year",
    "tiv_unit_estimate": "SIPRI estimate",
}
_MIN_YEAR = 1900
#: Physical lines one classic record may span (a line break inside Comments splits a
#: record in two; four leaves room, and stops a broken line from swallowing the file).
_MAX_PARTS = 4


class _BadField(ValueError):
    """A field that fails validation; the message is the reject reason."""


def _number(fields: dict[str, str], key: str, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(fields[key])
    except ValueError:
        label = _LABELS.get(key, key)
        raise _BadField(f"non-numeric {label} {fields[key]!r}") from None


def _year(value: int | None, label: str, max_year: int) -> int | None:
    if value is not None and not _MIN_YEAR <= value <= max_year:
        raise _BadField(f"{label} {value} out of range {_MIN_YEAR}-{max_year}")
    return value


def _flag(value: str, label: str) -> bool:
    value = value.strip()
    if value not in ("", "?"):
        raise _BadField(f"uncertainty flag after {label} must be '?' or empty, got {value!r}")
    return value == "?"


def _yes_no(value: str, label: str) -> bool | None:
    value = value.strip()
    if value not in ("", "Yes", "No"):
        raise _BadField(f"{label} must be Yes, No or empty, got {value!r}")
    return None if value == "" else value == "Yes"


def _check_name(name: str, label: str) -> None:
    if not name:
        raise _BadField(f"empty {label}")
    if len(name) > MAX_NAME:
        raise _BadField(f"{label} longer than {MAX_NAME} characters (a country name is shorter)")


def _find_header(lines: list[str], prefix: str) -> int:
    for index, line in enumerate(lines[:200]):
        if line.startswith(prefix):
            return index
    raise ImportRefusedError("no SIPRI header line found; the file looks truncated")


def parse_sipri(text: str, variant: str, encoding: str) -> ParsedFile:
    """Parse a SIPRI trade register export.

    Parameters
    ----------
    text : str
        The decoded file.
    variant : {"sipri-classic", "sipri-new"}
        As detected by :func:`spillover.data.sniff.detect`.
    encoding : str
        Encoding the text was decoded with (recorded in ``sources``).

    Returns
    -------
    ParsedFile
        Tables ``sipri_deals`` and ``sipri_deliveries``; rejects with line numbers.
    """
    lines = split_lines(text)
    if variant == "sipri-classic":
        header = _find_header(lines, "Recipient,Supplier,Year of order")
        parser = _parse_classic
    else:
        header = _find_header(lines, "SIPRI AT Database ID,")
        parser = _parse_new
    generated = parse_generated_at(lines[:header])
    max_year = (generated.year if generated else 2100) + 1
    rejects = RejectLog()
    deals, deliveries, records = parser(lines, header, rejects, max_year)
    names = pd.concat([deals["supplier"], deals["recipient"]]).unique().tolist()
    actors = resolve_names(names, "sipri")
    ids = dict(zip(actors["name"], actors["actor_id"], strict=True))
    deals["supplier_id"] = deals["supplier"].map(ids)
    deals["recipient_id"] = deals["recipient"].map(ids)
    notes = [f"{len(deals)} deals, {len(deliveries)} deal-years"]
    if generated is None:
        notes.append("no 'Data generated' line in the preamble; generation date unknown")
    return ParsedFile(
        variant=variant,
        encoding=encoding,
        generated_at=generated,
        records=records,
        tables={"sipri_deals": deals, "sipri_deliveries": deliveries},
        rejects=rejects,
        actors=actors.assign(scheme="sipri"),
        notes=notes,
    )


def _classic_records(
    lines: list[str], header: int, rejects: RejectLog
) -> list[tuple[int, list[str]]]:
    """Physical lines -> records, joining records split by a line break in Comments.

    A line with fewer than 16 fields is joined to the next while the two together still
    have at most 16 fields, over at most :data:`_MAX_PARTS` lines. A line that cannot be
    split (broken quoting, a stray CR) is quarantined on its own.
    """
    width = len(CLASSIC_COLUMNS)
    records: list[tuple[int, list[str]]] = []
    pending: tuple[int, str, int] | None = None  # (first line, text so far, lines joined)
    for index in range(header + 1, len(lines)):
        raw = lines[index]
        if pending is not None:
            joined = _joined(pending, raw, width)
            if isinstance(joined, list):
                records.append((pending[0], joined))
                pending = None
                continue
            if joined is not None:
                pending = joined
                continue
            start, text, _ = pending
            found = _field_count(text)
            rejects.add(start, f"wrong column count: expected {width}, found {found}", text)
            pending = None
        if not raw:
            continue
        try:
            fields = split_fields(raw)
        except MalformedRow as exc:
            rejects.add(index + 1, str(exc), raw)
            continue
        if len(fields) == width:
            records.append((index + 1, fields))
        elif len(fields) < width:
            pending = (index + 1, raw, 1)
        else:
            rejects.add(
                index + 1, f"wrong column count: expected {width}, found {len(fields)}", raw
            )
    if pending is not None:
        start, text, _ = pending
        found = _field_count(text)
        rejects.add(start, f"truncated record: expected {width} fields, found {found}", text)
    return records


def _joined(
    pending: tuple[int, str, int], raw: str, width: int
) -> list[str] | tuple[int, str, int] | None:
    """The record completed by ``raw`` (its fields), still pending, or None: no join."""
    start, text, parts = pending
    if not raw or parts >= _MAX_PARTS:
        return None
    joined = f"{text} {raw}"
    try:
        fields = split_fields(joined)
    except MalformedRow:
        return None
    if len(fields) == width:
        return fields
    return (start, joined, parts + 1) if len(fields) < width else None


def _field_count(text: str) -> int:
    try:
        return len(split_fields(text))
    except MalformedRow:
        return text.count(",") + 1


def _parse_classic(
    lines: list[str], header: int, rejects: RejectLog, max_year: int
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    deals: list[dict[str, Any]] = []
    deliveries: list[dict[str, Any]] = []
    for line_no, values in _classic_records(lines, header, rejects):
        fields = dict(zip(CLASSIC_COLUMNS, (v.strip() for v in values), strict=True))
        try:
            deal, years = _classic_deal(fields, max_year)
        except _BadField as exc:
            rejects.add(line_no, str(exc), ",".join(values))
            continue
        deal.update(line=line_no, deal_key=f"L{line_no}")
        deals.append(deal)
        single = len(years) == 1
        for year in years:
            deliveries.append(
                {
                    "deal_key": deal["deal_key"],
                    "year": year,
                    "year_uncertain": None,
                    "number_delivered": deal["number_delivered"] if single else None,
                    "number_delivered_uncertain": (
                        deal["number_delivered_uncertain"] if single else None
                    ),
                    "tiv_delivered": deal["tiv_delivered"] if single else None,
                    "line": line_no,
                }
            )
    return _deal_frame(deals), _delivery_frame(deliveries), len(deals)


def _classic_deal(fields: dict[str, str], max_year: int) -> tuple[dict[str, Any], list[int]]:
    for key in ("recipient", "supplier"):
        _check_name(fields[key], key.capitalize())
    order_year = _year(_number(fields, "order_year", parse_int), "Year of order", max_year)
    years: list[int] = []
    for part in filter(None, (p.strip() for p in fields["delivery_years"].split(";"))):
        if not part.isdigit():
            raise _BadField(f"invalid Year(s) of delivery {fields['delivery_years']!r}")
        years.append(int(_year(int(part), "delivery year", max_year)))  # type: ignore[arg-type]
    if len(set(years)) != len(years):
        raise _BadField(f"delivery year listed twice in {fields['delivery_years']!r}")
    deal = {
        "sipri_id": None,
        "supplier": fields["supplier"],
        "recipient": fields["recipient"],
        "order_year": order_year,
        "order_year_uncertain": _flag(fields["order_year_uncertain"], "Year of order"),
        "number_ordered": _number(fields, "number_ordered", parse_int),
        "number_ordered_uncertain": _flag(fields["number_ordered_uncertain"], "Number ordered"),
        "designation": fields["designation"],
        "description": fields["description"],
        "armament_category": None,
        "status": fields["status"] or None,
        "comments": fields["comments"] or None,
        "local_production": None,
        "tiv_unit_estimate": None,
        "tiv_per_unit": _number(fields, "tiv_per_unit", parse_float),
        "tiv_total_order": _number(fields, "tiv_total_order", parse_float),
        "number_delivered": _number(fields, "number_delivered", parse_int),
        "number_delivered_uncertain": _flag(
            fields["number_delivered_uncertain"], "Number delivered"
        ),
        "tiv_delivered": _number(fields, "tiv_delivered", parse_float),
        "first_delivery_year": min(years) if years else None,
        "last_delivery_year": max(years) if years else None,
        "delivery_years": len(years),
    }
    return deal, years


def _parse_new(
    lines: list[str], header: int, rejects: RejectLog, max_year: int
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    width = len(NEW_COLUMNS)
    rows: list[dict[str, Any]] = []
    first_seen: dict[int, dict[str, Any]] = {}
    years_seen: set[tuple[int, int]] = set()
    for index in range(header + 1, len(lines)):
        raw = lines[index]
        text = raw[:-1] if raw.endswith(";") else raw
        if not text.strip():
            continue
        try:
            values = split_fields(text)
        except MalformedRow as exc:
            rejects.add(index + 1, str(exc), raw)
            continue
        if len(values) != width:
            kind = "truncated record" if index >= len(lines) - 2 else "wrong column count"
            rejects.add(index + 1, f"{kind}: expected {width} fields, found {len(values)}", raw)
            continue
        fields = dict(zip(NEW_COLUMNS, (v.strip() for v in values), strict=True))
        try:
            row = _new_row(fields, max_year)
            row["line"] = index + 1
            deal_id, year = row["sipri_id"], row["year"]
            if (deal_id, year) in years_seen:
                raise _BadField(f"deal {deal_id} has delivery year {year} twice")
            earlier = first_seen.setdefault(deal_id, row)
            for key in _DEAL_FIELDS_NEW:
                if earlier[key] != row[key]:
                    raise _BadField(
                        f"deal {deal_id}: {key} differs from line {earlier['line']} "
                        f"({row[key]!r} vs {earlier[key]!r})"
                    )
        except _BadField as exc:
            rejects.add(index + 1, str(exc), raw)
            continue
        years_seen.add((deal_id, year))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[*NEW_COLUMNS, "line"])
    return _new_deals(frame), _new_deliveries(frame), len(frame)


def _new_row(fields: dict[str, str], max_year: int) -> dict[str, Any]:
    for key in ("supplier", "recipient"):
        _check_name(fields[key], key.capitalize())
    sipri_id = _number(fields, "sipri_id", parse_int)
    if sipri_id is None:
        raise _BadField("missing SIPRI AT Database ID")
    year = _year(_number(fields, "year", parse_int), "Delivery year", max_year)
    if year is None:
        raise _BadField("missing Delivery year")
    return {
        "sipri_id": sipri_id,
        "supplier": fields["supplier"],
        "recipient": fields["recipient"],
        "designation": fields["designation"],
        "description": fields["description"],
        "armament_category": fields["armament_category"] or None,
        "order_year": _year(_number(fields, "order_year", parse_int), "Order date", max_year),
        "order_year_uncertain": _yes_no(fields["order_year_uncertain"], "Order date is estimate"),
        "number_delivered": _number(fields, "number_delivered", parse_int),
        "number_delivered_uncertain": _yes_no(
            fields["number_delivered_uncertain"], "Numbers delivered is estimate"
        ),
        "year": year,
        "year_uncertain": _yes_no(fields["year_uncertain"], "Delivery year is estimate"),
        "status": fields["status"] or None,
        "tiv_unit_estimate": _number(fields, "tiv_unit_estimate", parse_float),
        "tiv_per_unit": _number(fields, "tiv_per_unit", parse_float),
        "tiv_delivered": _number(fields, "tiv_delivered", parse_float),
        "local_production": _yes_no(fields["local_production"], "Local production"),
        "line": None,
    }


def _new_deals(rows: pd.DataFrame) -> pd.DataFrame:
    if rows.empty:
        return _deal_frame([])
    grouped = rows.sort_values(["sipri_id", "year"]).groupby("sipri_id", sort=True)
    deals = grouped.first()[list(_DEAL_FIELDS_NEW)]
    deals["line"] = grouped["line"].min()
    deals["number_delivered"] = grouped["number_delivered"].sum(min_count=1)
    # True if any year's number is an estimate, False if none is, NULL if unknown
    flags = rows["number_delivered_uncertain"].map({True: 1.0, False: 0.0}).astype(float)
    by_deal = flags.groupby(rows["sipri_id"])
    any_true = by_deal.max() == 1
    all_known = by_deal.count() == by_deal.size()
    deals["number_delivered_uncertain"] = any_true.where(any_true | ~all_known, False).where(
        any_true | all_known, None
    )
    deals["tiv_delivered"] = grouped["tiv_delivered"].sum(min_count=1).round(6)
    deals["first_delivery_year"] = grouped["year"].min()
    deals["last_delivery_year"] = grouped["year"].max()
    deals["delivery_years"] = grouped.size()
    deals = deals.reset_index()
    deals["deal_key"] = deals["sipri_id"].astype(str)
    return _typed(deals.reindex(columns=list(_DEAL_COLUMNS)), _DEAL_COLUMNS)


def _new_deliveries(rows: pd.DataFrame) -> pd.DataFrame:
    out = rows.assign(deal_key=rows["sipri_id"].astype(str))
    return _typed(out[list(_DELIVERY_COLUMNS)], _DELIVERY_COLUMNS)


_DEAL_COLUMNS = (
    "deal_key", "sipri_id", "line", "supplier", "recipient", "order_year",
    "order_year_uncertain", "number_ordered", "number_ordered_uncertain", "designation",
    "description", "armament_category", "status", "comments", "local_production",
    "tiv_unit_estimate", "tiv_per_unit", "tiv_total_order", "number_delivered",
    "number_delivered_uncertain", "tiv_delivered", "first_delivery_year", "last_delivery_year",
    "delivery_years",
)  # fmt: skip
_DELIVERY_COLUMNS = (
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


def _typed(records: list[dict[str, Any]] | pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    if isinstance(records, pd.DataFrame):
        frame = records.reset_index(drop=True)
    else:
        frame = pd.DataFrame(records, columns=list(columns))
    types = {c: t for c, t in _NULLABLE_TYPES.items() if c in frame.columns}
    for column in frame.columns:
        if column not in types:
            frame[column] = frame[column].astype(object)
    return frame.astype(types)


def _deal_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return _typed(records, _DEAL_COLUMNS)


def _delivery_frame(records: list[dict[str, Any]]) -> pd.DataFrame:
    return _typed(records, _DELIVERY_COLUMNS)
