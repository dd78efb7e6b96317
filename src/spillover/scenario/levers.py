"""Levers and policies: the settings an analyst controls, constant or set per date window."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from spillover.scenario.base import Date, FiniteFloat, Id, Rationale, StockRef, Strict
from spillover.scenario.errors import did_you_mean
from spillover.scenario.quantity import FractionQ, NonNegQ

Mechanism = Literal["transparency", "cap", "channel", "sanctions"]


@dataclass(frozen=True)
class LeverKind:
    """A kind of lever: the engine mechanism it works through, its default and what it does."""

    mechanism: Mechanism
    default: float
    description: str


LEVER_KINDS: dict[str, LeverKind] = {
    "transparency": LeverKind("transparency", 0.0, "declares the transfers: at 1 observers see them exactly"),
    "cap": LeverKind("cap", 1.0, "scales the transfers' scheduled rates (and listed production): 1 leaves "
                     "them, 0 stops them"),
    "channel": LeverKind("channel", 0.0, "a communication channel, read by indicators as a lever signal"),
    "sanctions": LeverKind("sanctions", 0.0, "enforcement: adds its delay and loss to the transfers at 1, "
                           "and cuts listed production by its loss"),
}
"""The lever kinds a scenario may use, by name. A new kind that works like an existing one is
one entry here: its mechanism says what the engine does with it."""


class Lever(Strict):
    """A setting the analyst controls, with a value between 0 and 1."""

    kind: str
    transfers: list[Id] = Field(default_factory=list)
    production: list[StockRef] = Field(default_factory=list)
    default: FiniteFloat = Field(default=-1.0, le=1.0)  # -1: the kind's own default
    delay: NonNegQ | None = None
    loss: FractionQ | None = None
    description: str | None = None

    @field_validator("kind")
    @classmethod
    def _known(cls, kind: str) -> str:
        if kind not in LEVER_KINDS:
            raise ValueError(f"unknown kind '{kind}'{did_you_mean(kind, LEVER_KINDS)}")
        return kind

    @property
    def mechanism(self) -> Mechanism:
        """What the engine does with this lever (see :data:`LEVER_KINDS`)."""
        return LEVER_KINDS[self.kind].mechanism

    @model_validator(mode="before")
    @classmethod
    def _kind_default(cls, raw: Any) -> Any:
        """The kind's own default unless set: a cap is open (1), the others start at 0."""
        if isinstance(raw, dict) and "default" not in raw:
            known = LEVER_KINDS.get(str(raw.get("kind")))
            return {**raw, "default": known.default if known else 0.0}
        if isinstance(raw, dict) and isinstance(raw.get("default"), int | float) and raw["default"] < 0:
            raise ValueError("a lever's default lies between 0 and 1")
        return raw

    @model_validator(mode="after")
    def _fields(self) -> Lever:
        mech = self.mechanism
        if mech in ("transparency", "cap", "sanctions") and not (self.transfers or self.production):
            raise ValueError(f"a {self.kind} lever needs the transfers (or production) it acts on")
        if mech in ("channel", "transparency") and self.production:
            raise ValueError(f"a {self.kind} lever does not act on production")
        if mech == "channel" and self.transfers:
            raise ValueError(f"a {self.kind} lever acts through signals, not transfers")
        if mech != "sanctions" and (self.delay is not None or self.loss is not None):
            raise ValueError("only a sanctions lever takes delay and loss")
        if mech == "sanctions" and self.delay is None and self.loss is None:
            raise ValueError(f"a {self.kind} lever needs delay (days) or loss (fraction) at full enforcement")
        if mech == "sanctions" and self.production and self.loss is None:
            raise ValueError("a sanctions lever that cuts production needs loss: the share of output lost "
                             "at full enforcement")
        return self


class Window(Strict):
    """A lever's value over a date window, both ends included; open ends reach the horizon."""

    start: Date | None = Field(default=None, alias="from")
    end: Date | None = Field(default=None, alias="to")
    value: FiniteFloat

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(f"this window's from ({self.start}) is after its to ({self.end}); "
                             "swap them, or give the window a later to")
        return self

    def days(self, start: dt.date, horizon: int) -> tuple[int, int]:
        """First and last day of the run in the window (clipped to the run), last < first if none."""
        first = 0 if self.start is None else (self.start - start).days
        last = horizon - 1 if self.end is None else (self.end - start).days
        return max(first, 0), min(last, horizon - 1)

    def text(self) -> str:
        """``0 from 2024-01-01 to 2024-04-30``."""
        ends = (f" from {self.start}" if self.start else "") + (f" to {self.end}" if self.end else "")
        return f"{self.value:g}{ends}"


Setting = FiniteFloat | list[Window]
"""A lever's value in a policy: one number for the whole run, or values per date window."""


class Policy(Strict):
    description: str | None = None
    rationale: Rationale | None = None
    levers: dict[Id, Setting] = Field(default_factory=dict)

    def setting_text(self, lever: str, default: float) -> str | float:
        """The lever's value as the report shows it: a number, or its windows and the default."""
        value = self.levers.get(lever, default)
        if not isinstance(value, list):
            return value
        return "; ".join(w.text() for w in value) + f"; else {default:g}"
