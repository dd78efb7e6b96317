"""How the report groups, names and ranks the outcome columns and the daily series.

Groups, labels and headlines come from the outcome catalogue
(:mod:`spillover.scenario.outcomes`); this module only puts readable names in them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from spillover.report.names import actor_munition, by_id, indicator_name, name_of, transfer_label
from spillover.scenario.outcomes import FAMILIES, GROUPS, Scope, family_of, headline_columns, is_twin

__all__ = ["OUTCOME_GROUPS", "SERIES_GROUPS", "group_columns", "is_headline", "outcome_label", "series_label"]

#: The report's outcome groups in order, each with the families it shows, read from the
#: outcome catalogue (:data:`spillover.scenario.outcomes.FAMILIES`).
OUTCOME_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = tuple(
    (title, tuple(dict.fromkeys(f.name for f in FAMILIES if f.group == key))) for key, title in GROUPS.items()
)

#: Kinds of daily series in display order: (kind, group title, default axis title).
SERIES_GROUPS: tuple[tuple[str, str, str], ...] = (
    ("stock", "Stocks", "stock"),
    ("leaked", "Got through the defence", "units a day"),
    ("indicator", "Indicators", "index (0–1)"),
    ("miscalc", "Miscalculation", "miscalculation"),
)

#: Families shown right after their own: an event's day after whether it fires.
_FOLLOWS = {"fired": "fired_day"}


def _followers(column: str, present: set[str]) -> list[str]:
    """The columns shown right after ``column``: its counterfactual twin, and a related family."""
    fam = family_of(column)
    if fam is None or is_twin(column):
        return []
    key = column.partition(".")[2]
    out = [fam.twin_column(key)] if fam.twin else []
    if fam.name in _FOLLOWS and key:
        out.append(f"{_FOLLOWS[fam.name]}.{key}")
    return [c for c in out if c in present]


def group_columns(columns: Iterable[Any]) -> list[tuple[str, list[str]]]:
    """Outcome columns present, grouped and ordered for display.

    Groups and families follow the catalogue; a family of the whole run (``miscalc_peak``)
    comes before its per-indicator columns, each column is followed by its
    ``*_without_transfers`` twin, and each ``fired`` by its ``fired_day``. Unknown columns
    end up in "Other".
    """
    present = [str(c) for c in columns if c not in ("run", "policy")]
    have, taken = set(present), set[str]()
    groups: list[tuple[str, list[str]]] = []
    for title, names in OUTCOME_GROUPS:
        chosen: list[str] = []
        for name in names:
            own = sorted((c for c in present if c.partition(".")[0] == name), key=lambda c: "." in c)
            for c in own:
                if c in taken:
                    continue
                for d in (c, *_followers(c, have)):
                    if d not in taken:
                        chosen.append(d)
                        taken.add(d)
        if chosen:
            groups.append((title, chosen))
    rest = [c for c in present if c not in taken]
    if rest:
        groups.append(("Other", rest))
    return groups


def is_headline(column: str) -> bool:
    """Whether the report shows ``column`` among the headline outcomes (the catalogue's
    headline families, and the twins of those marked so)."""
    return bool(headline_columns([column]))


def _key_name(summary: Mapping[str, Any], scope: Scope, key: str) -> str:
    if scope is Scope.TRANSFER:
        return transfer_label(summary, key)
    if scope in (Scope.DEMAND, Scope.STOCK):
        return actor_munition(summary, key)
    if scope is Scope.INDICATOR:
        return indicator_name(summary, key)
    return name_of(by_id(summary.get("events")), key)


def _unit(summary: Mapping[str, Any], key: str) -> str:
    """The unit of the munition in an ``actor.munition`` key, capitalised (``Drones``); ``Units``."""
    parts = key.split(".")
    unit = by_id(summary.get("munitions")).get(parts[1], {}).get("unit") if len(parts) > 1 else None
    return str(unit or "units").capitalize()


def outcome_label(summary: Mapping[str, Any], column: str) -> str:
    """A readable label for an outcome column such as ``peak.kor_threat``."""
    fam = family_of(column)
    if fam is None:
        return column
    key = column.partition(".")[2]
    label = fam.label.format(key=_key_name(summary, fam.scope, key), unit=_unit(summary, key)) if key \
        else fam.label
    if is_twin(column):
        head, sep, tail = label.partition(":")
        label = f"{head} without transfers{sep}{tail}"
    return label


def series_label(summary: Mapping[str, Any], series: str) -> str:
    """A readable title for a series name such as ``stock.RUS.shell152``."""
    kind, _, rest = series.partition(".")
    if kind == "stock" and rest:
        munition = rest.partition(".")[2]
        unit = by_id(summary.get("munitions")).get(munition, {}).get("unit")
        label = f"Stock: {actor_munition(summary, rest)}"
        return f"{label} ({unit})" if unit else label
    if kind == "leaked" and rest:
        return f"Got through the defence: {actor_munition(summary, rest)} (units a day)"
    if kind == "indicator" and rest:
        return f"Indicator: {indicator_name(summary, rest)}"
    if kind == "miscalc" and rest:
        return f"Miscalculation: {indicator_name(summary, rest)}"
    return series
