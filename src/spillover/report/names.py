"""Names of the scenario's things, looked up in the scenario summary by id."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["actor_munition", "by_id", "indicator_name", "name_of", "transfer_label"]


def by_id(items: Iterable[Mapping[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
    """The items that have an ``id``, keyed by it."""
    return {str(item["id"]): item for item in (items or []) if "id" in item}


def name_of(items: Mapping[str, Mapping[str, Any]], key: str) -> str:
    """The ``name`` of item ``key``, or the key itself."""
    item = items.get(key)
    if item is None:
        return key
    return str(item.get("name") or key)


def transfer_label(summary: Mapping[str, Any], transfer_id: str) -> str:
    """``prk_rus_shells -> "North Korea → Russia: 152mm-equivalent artillery round"``."""
    t = by_id(summary.get("transfers")).get(transfer_id)
    if t is None:
        return transfer_id
    actors = by_id(summary.get("actors"))
    munitions = by_id(summary.get("munitions"))
    return (
        f"{name_of(actors, str(t.get('supplier')))} → {name_of(actors, str(t.get('recipient')))}: "
        f"{name_of(munitions, str(t.get('munition')))}"
    )


def actor_munition(summary: Mapping[str, Any], rest: str) -> str:
    """``RUS.shell152 -> "Russia, 152mm-equivalent artillery round"``; an actor alone by name."""
    actor, _, munition = rest.partition(".")
    actors = by_id(summary.get("actors"))
    if not munition:
        return name_of(actors, actor)
    return f"{name_of(actors, actor)}, {name_of(by_id(summary.get('munitions')), munition)}"


def indicator_name(summary: Mapping[str, Any], indicator: str) -> str:
    """The indicator's name, or its id."""
    return name_of(by_id(summary.get("indicators")), indicator)
