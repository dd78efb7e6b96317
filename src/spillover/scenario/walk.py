"""Walk a validated scenario: every quantity with the path of the YAML node it came from."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from spillover.scenario.quantity import Quantity

Path_ = tuple[str | int, ...]


def quantities(node: Any, path: Path_ = (), defaults: bool = True) -> Iterator[tuple[Path_, Quantity]]:
    """Yield ``(path, quantity)`` for every number in ``node``, in file order; with
    ``defaults=False``, only the numbers the file writes (not those left at the format's default)."""
    if isinstance(node, Quantity):
        yield path, node
    elif isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            if info.exclude:
                continue
            value = getattr(node, name)
            if value is None or (not defaults and isinstance(value, Quantity)
                                 and name not in node.model_fields_set):
                continue
            yield from quantities(value, (*path, info.alias or name), defaults)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from quantities(v, (*path, k), defaults)
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from quantities(v, (*path, i), defaults)


def input_name(path: Path_, q: Quantity) -> str:
    """The name of a sampled input: its ``name:`` or its dotted path in the file."""
    if q.name:
        return q.name
    parts = [str(p) for p in path]
    if parts and parts[-1] == "constant":
        parts = parts[:-1]
    return ".".join(parts)
