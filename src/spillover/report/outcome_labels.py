"""How the report groups, names and ranks the outcome columns and the daily series.

Everything the report knows about outcome families sits here, one function per question,
so that a registry of outcome families can replace it in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spillover.report.names import actor_munition, by_id, indicator_name, name_of, transfer_label

__all__ = ["OUTCOME_GROUPS", "SERIES_GROUPS", "group_columns", "is_headline", "outcome_label", "series_label"]

#: Outcome column prefixes, grouped as the report shows them (others go under "Other").
OUTCOME_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Sustainment",
        (
            "days_of_fire",
            "shipped",
            "delivered",
            "lost",
            "fired_total",
            "shortfall",
            "shortfall_days",
            "first_shortfall",
            "first_shortfall_without_transfers",
            "final_stock",
        ),
    ),
    ("Escalation", ("final", "peak", "days_above")),
    ("Miscalculation", ("miscalc_peak", "miscalc_mean")),
    ("Events", ("fired", "fired_day")),
)

#: Kinds of daily series in display order: (kind, group title, default axis title).
SERIES_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("stock", "Stocks", "stock"),
    ("indicator", "Indicators", "index (0–1)"),
    ("miscalc", "Miscalculation", "miscalculation"),
)

#: Outcome families the report shows first, before the (collapsed) full groups: per part
#: (``days_of_fire.<transfer>``) and as one number (``miscalc_peak``).
_HEADLINE_FAMILIES = ("days_of_fire", "first_shortfall", "fired")
_HEADLINE_AGGREGATES = ("miscalc_peak", "miscalc_mean")

_TWINS = {"first_shortfall": "first_shortfall_without_transfers", "fired": "fired_day"}

_OUTCOME_TEMPLATES: dict[str, str] = {
    "days_of_fire": "Days of fire supplied: {t}",
    "shipped": "Shipped: {t}",
    "delivered": "Delivered: {t}",
    "lost": "Lost: {t}",
    "fired_total": "Rounds fired: {am}",
    "shortfall": "Total shortfall: {am}",
    "shortfall_days": "Days in shortfall: {am}",
    "final_stock": "Final stock: {am}",
    "first_shortfall": "First shortfall (day): {am}",
    "first_shortfall_without_transfers": "First shortfall without transfers (day): {am}",
    "final": "Final value: {i}",
    "peak": "Peak: {i}",
    "days_above": "Days above threshold: {i}",
    "miscalc_peak": "Peak miscalculation: {i}",
    "miscalc_mean": "Mean miscalculation: {i}",
    "fired": "Fires within the horizon: {e}",
    "fired_day": "Date it fires (runs where it fires): {e}",
}

_AGGREGATES = {
    "miscalc_peak": "Peak miscalculation, any indicator",
    "miscalc_mean": "Mean miscalculation, all indicators together",
}


def _pick(prefix: str, present: list[str], taken: set[str]) -> list[str]:
    """Columns of one prefix (aggregates such as ``miscalc_peak`` first), each with its twin."""
    chosen: list[str] = []
    for c in sorted(present, key=lambda c: "." in c):
        if c in taken or c.partition(".")[0] != prefix:
            continue
        chosen.append(c)
        taken.add(c)
        twin_prefix = _TWINS.get(prefix)
        if twin_prefix and "." in c:
            twin = f"{twin_prefix}.{c.partition('.')[2]}"
            if twin in present and twin not in taken:
                chosen.append(twin)
                taken.add(twin)
    return chosen


def group_columns(columns: Iterable[Any]) -> list[tuple[str, list[str]]]:
    """Outcome columns present, grouped and ordered for display.

    Within a group, columns follow the group's prefix order, except that each
    ``first_shortfall`` is followed by its ``first_shortfall_without_transfers`` twin and
    each ``fired`` by its ``fired_day``. Unknown columns end up in "Other".
    """
    present = [str(c) for c in columns if c not in ("run", "policy")]
    taken: set[str] = set()
    groups: list[tuple[str, list[str]]] = []
    for group, prefixes in OUTCOME_GROUPS:
        chosen = [c for prefix in prefixes for c in _pick(prefix, present, taken)]
        if chosen:
            groups.append((group, chosen))
    rest = [c for c in present if c not in taken]
    if rest:
        groups.append(("Other", rest))
    return groups


def is_headline(column: str) -> bool:
    """Whether the report shows ``column`` among the headline outcomes."""
    if column in _HEADLINE_AGGREGATES:
        return True
    prefix, _, part = column.partition(".")
    return bool(part) and prefix in _HEADLINE_FAMILIES


def outcome_label(summary: Mapping[str, Any], column: str) -> str:
    """A readable label for an outcome column such as ``peak.kor_threat``."""
    if column in _AGGREGATES:
        return _AGGREGATES[column]
    prefix, _, rest = column.partition(".")
    template = _OUTCOME_TEMPLATES.get(prefix)
    if template is None or not rest:
        return column
    return template.format(
        t=transfer_label(summary, rest),
        am=actor_munition(summary, rest),
        i=indicator_name(summary, rest),
        e=name_of(by_id(summary.get("events")), rest),
    )


def series_label(summary: Mapping[str, Any], series: str) -> str:
    """A readable title for a series name such as ``stock.RUS.shell152``."""
    kind, _, rest = series.partition(".")
    if kind == "stock" and rest:
        munition = rest.partition(".")[2]
        unit = by_id(summary.get("munitions")).get(munition, {}).get("unit")
        label = f"Stock: {actor_munition(summary, rest)}"
        return f"{label} ({unit})" if unit else label
    if kind == "indicator" and rest:
        return f"Indicator: {indicator_name(summary, rest)}"
    if kind == "miscalc" and rest:
        return f"Miscalculation: {indicator_name(summary, rest)}"
    return series
