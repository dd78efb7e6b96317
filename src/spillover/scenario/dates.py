"""Dates that may be uncertain: ``on: 2025-06-13`` or ``on: {triangular: [...], judgment: true}``.

A :class:`DateQuantity` is a :class:`~spillover.scenario.quantity.Quantity` whose numbers are
days. As read, they are proleptic ordinals (day 1 is 0001-01-01); once the scenario is read
they are rebased to days of the run (day 0 is the scenario's ``start``), which is what an
uncertain date's column of the experiments table holds. Its description shows dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator

from spillover.scenario.base import iso_date
from spillover.scenario.quantity import KINDS, Quantity, parse_quantity

DATE_KINDS = ("value", "uniform", "triangular", "choice")
"""The forms an uncertain date may take."""


def _ordinal(raw: Any) -> float:
    return float(iso_date(raw).toordinal())


def _to_days(spec: Any) -> Any:
    """A distribution's date parameters as ordinals (lists and named mappings alike)."""
    if isinstance(spec, list):
        return [_ordinal(x) for x in spec]
    if isinstance(spec, dict):
        return {k: _ordinal(v) for k, v in spec.items()}
    return _ordinal(spec)


class DateQuantity(Quantity):
    """A date, fixed or uncertain, as days: since ``origin`` (day 0), or ordinals without one."""

    origin: dt.date | None = None

    def date_of(self, day: float) -> dt.date:
        """The date of a day number of this quantity (rounded half to even, as the engine does)."""
        whole = round(day)
        if self.origin is None:
            return dt.date.fromordinal(max(whole, 1))
        return self.origin + dt.timedelta(days=whole)

    def rebased(self, start: dt.date) -> DateQuantity:
        """The same date as days of a run that starts on ``start`` (day 0)."""
        if self.origin is not None:
            return self
        shift = float(start.toordinal())
        return self.model_copy(update={"params": tuple(p - shift for p in self.params), "origin": start})

    @property
    def first_date(self) -> dt.date:
        return self.date_of(self.support()[0])

    @property
    def last_date(self) -> dt.date:
        return self.date_of(self.support()[1])

    def describe(self) -> str:
        """``2024-03-01``, or e.g. ``triangular(2024-01-01, 2024-02-01, 2024-04-01)``."""
        shown = [self.date_of(p).isoformat() for p in self.params]
        if self.kind == "value":
            return shown[0]
        return f"{self.kind}({', '.join(shown)})"


def parse_date_quantity(raw: Any) -> Any:
    """Turn the YAML form of a date (plain, or a distribution of dates) into a :class:`DateQuantity`.

    >>> parse_date_quantity("2024-03-01").describe()
    '2024-03-01'
    >>> parse_date_quantity({"uniform": ["2024-01-01", "2024-01-31"], "judgment": True}).uncertain
    True
    """
    if isinstance(raw, DateQuantity):
        return raw
    if not isinstance(raw, dict):
        return DateQuantity(kind="value", params=(_ordinal(raw),))
    kinds = [k for k in raw if k in KINDS]
    if len(kinds) == 1 and kinds[0] not in DATE_KINDS:
        raise ValueError(f"a date takes one of {', '.join(DATE_KINDS)}, not {kinds[0]}")
    numeric = {k: (_to_days(v) if k in DATE_KINDS else v) for k, v in raw.items()}
    _check_order(kinds[0] if len(kinds) == 1 else "", numeric.get(kinds[0]) if kinds else None, raw)
    q = parse_quantity(numeric)
    return DateQuantity(**q.model_dump())


def _check_order(kind: str, days: Any, raw: dict[Any, Any]) -> None:
    """Refuse dates out of order with the dates themselves, not their day numbers."""
    if kind not in ("uniform", "triangular") or not isinstance(days, list) or len(days) != len(raw[kind]):
        return
    shown = [iso_date(x).isoformat() for x in raw[kind]]
    if kind == "uniform" and len(days) == 2 and not days[0] < days[1]:
        raise ValueError(f"uniform dates need the first before the second, got {shown[0]} and {shown[1]}")
    if kind == "triangular" and len(days) == 3 and not (days[0] <= days[1] <= days[2] and days[0] < days[2]):
        raise ValueError(f"triangular dates need earliest <= likeliest <= latest, got {', '.join(shown)}")


DateQ = Annotated[DateQuantity, BeforeValidator(parse_date_quantity)]
"""A date field that may be uncertain (a distribution of dates)."""
