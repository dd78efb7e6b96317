"""The importers' registry: every data format spillover imports, listed once.

The format check, the importer, the store's schema and ``spillover data import KIND``
read :data:`FORMATS` when they run. A new format is its module ending in a
:class:`~spillover.data.format.Format` (kind, label, detection, tables, parser and
identity rule), one line here, and its test with a small excerpt of a real file under
``tests/data/`` (see ``docs/data.md``, "Adding a format").
"""

from __future__ import annotations

from collections.abc import Iterable

from spillover.data import gdelt, nmc, sipri, tiv
from spillover.data.errors import FormatMismatchError
from spillover.data.format import Format

__all__ = ["FORMATS", "KINDS", "check", "get", "kinds"]

#: Every importable format, in the order the format check tries them and help lists them.
FORMATS: tuple[Format, ...] = (sipri.FORMAT, tiv.FORMAT, gdelt.FORMAT, nmc.FORMAT)


def kinds() -> tuple[str, ...]:
    """The kinds of the registered formats, in registry order."""
    return tuple(fmt.kind for fmt in FORMATS)


def get(kind: str) -> Format:
    """The registered format of ``kind``.

    Raises
    ------
    FormatMismatchError
        For a kind no registered format has; the message lists those there are.
    """
    for fmt in FORMATS:
        if fmt.kind == kind:
            return fmt
    raise FormatMismatchError(f"unknown import kind {kind!r}; choose one of {', '.join(kinds())}")


def check(registry: Iterable[Format]) -> None:
    """Refuse a registry where two formats share a kind, a variant or a table.

    Raises
    ------
    ValueError
        Naming what is declared twice.
    """
    owner: dict[str, str] = {}
    for fmt in registry:
        names = [f"kind {fmt.kind!r}", *(f"variant {v!r}" for v in fmt.variants)]
        names += [f"table {t.name!r}" for t in fmt.tables]
        for name in names:
            if name in owner:
                raise ValueError(f"{name} of format {fmt.kind!r} is also declared by {owner[name]!r}")
            owner[name] = fmt.kind


check(FORMATS)

#: The kinds of the shipped formats (:func:`kinds` reads the registry as it is).
KINDS: tuple[str, ...] = kinds()
