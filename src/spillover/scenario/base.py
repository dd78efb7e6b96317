"""What every part of the scenario schema shares: the strict base class, names and dates."""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
PolicyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Why a plain number (a threshold, a policy's lever values) is what it is: such numbers are
always the modeller's judgment, and the rationale says so in one line."""
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(raw: Any) -> Any:
    """A date written YYYY-MM-DD; not a number of seconds, which pydantic would also take."""
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str) and ISO_DATE.fullmatch(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"'{raw}' is not a date: {exc}") from None
    shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:37] + "…"
    raise ValueError(f"a date is written YYYY-MM-DD, from 0001-01-01 to 9999-12-31 (got {shown})")


Date = Annotated[dt.date, BeforeValidator(iso_date)]


class Strict(BaseModel):
    """Base: unknown keys are errors."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, validate_default=True
    )


class StockRef(Strict):
    """An (actor, munition) pair: a stock, a production line or a demand."""

    actor: Id
    munition: Id
