"""The scenario file's schema (pydantic v2). One class per concept of the file.

Levers and policies live in :mod:`spillover.scenario.levers`, events in
:mod:`spillover.scenario.events`, uncertain dates in :mod:`spillover.scenario.dates`; their
classes are importable from here too.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, PrivateAttr, model_validator

from spillover.scenario.base import Date, FiniteFloat, Id, PolicyId, Rationale, StockRef, Strict, iso_date
from spillover.scenario.dates import DateQ, DateQuantity
from spillover.scenario.errors import NameSet, Problem
from spillover.scenario.events import (
    EFFECTS,
    AddBeta,
    Effect,
    Event,
    Hazard,
    ScaleRate,
    ScaleWeight,
    Threshold,
    Trigger,
)
from spillover.scenario.evidence import Evidence
from spillover.scenario.levers import LEVER_KINDS, Lever, LeverKind, Mechanism, Policy, Setting, Window
from spillover.scenario.quantity import KINDS, AtLeastOneQ, FractionQ, NonNegQ, PositiveQ, Q, unknown_key

__all__ = [
    "EFFECTS", "LEVER_KINDS", "AddBeta", "Date", "DateQ", "DateQuantity", "Effect", "Event", "FiniteFloat",
    "Hazard", "Id", "Lever", "LeverKind", "Mechanism", "Policy", "PolicyId", "ScaleRate", "ScaleWeight",
    "Setting", "StockRef", "Strict", "Threshold", "Trigger", "Window", "iso_date",
]


Grade = Literal["A", "B", "C", "D", "E", "F"]
"""A source's reliability on the Admiralty scale: A completely reliable, B usually reliable,
C fairly reliable, D not usually reliable, E unreliable, F cannot be judged."""

Prefer = Literal["lower", "higher"]
"""Which direction of an outcome (or a claim's probability) the analyst counts as better."""


class Source(Strict):
    citation: str
    url: str | None = None
    note: str | None = None
    grade: Grade | None = None


class Actor(Strict):
    name: str
    description: str | None = None


class Munition(Strict):
    """A class of goods held in stocks: a munition, or a good used as payment."""

    name: str
    unit: str = "units"
    kind: Literal["munition", "good"] = "munition"


class Step(Strict):
    start: DateQ = Field(alias="from")
    rate: NonNegQ


class Point(Strict):
    at: Date
    rate: NonNegQ


def _schedule_form(raw: Any) -> Any:
    """A schedule's mapping: a bare number or distribution becomes ``{constant: ...}``."""
    forms = ("constant", "piecewise", "ramp", "scale")
    if isinstance(raw, dict) and not (set(forms) & set(raw)) and not (set(KINDS) & set(raw)):
        for k in raw:  # neither a schedule nor a number: a misspelt form?
            close = NameSet(forms).closest(str(k))
            if close is not None:
                raise unknown_key(str(k), f" (did you mean '{close}'?)", "in a schedule")
    if not isinstance(raw, dict) or not (set(forms) & set(raw)):
        return {"constant": raw}
    if "scale" in raw and not isinstance(raw["scale"], list):
        raw = {**raw, "scale": [raw["scale"]]}
    return raw


class Schedule(Strict):
    """A daily rate over dates: constant, piecewise by date (a step function), or a linear ramp.

    ``scale`` multiplies the whole schedule (one number or a list of numbers). A piecewise
    step's ``from`` may be an uncertain date.
    """

    EXTRA: ClassVar[tuple[str, ...]] = ()  # keys of a subclass, beside the schedule's own

    constant: NonNegQ | None = None
    piecewise: list[Step] | None = None
    ramp: list[Point] | None = None
    scale: list[NonNegQ] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, raw: Any) -> Any:
        extra: dict[str, Any] = {}
        if isinstance(raw, dict) and cls.EXTRA:
            extra = {k: raw[k] for k in cls.EXTRA if k in raw}
            raw = {k: v for k, v in raw.items() if k not in extra}
        out = _schedule_form(raw)
        return {**out, **extra} if extra else out

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        forms = [f for f in ("constant", "piecewise", "ramp") if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("a schedule needs exactly one of constant, piecewise, ramp")
        if self.piecewise == [] or self.ramp == []:
            raise ValueError("a piecewise or ramp schedule needs at least one entry")
        if self.ramp:
            dates = [p.at for p in self.ramp]
            if dates != sorted(dates) or len(set(dates)) != len(dates):
                raise ValueError("schedule dates must be strictly increasing")
        for a, b in zip(self.piecewise or [], (self.piecewise or [])[1:], strict=False):
            if not a.start.support()[1] < b.start.support()[0]:
                raise ValueError("schedule dates must be strictly increasing (uncertain ones in every "
                                 f"run: a step from {a.start.describe()} meets the next, from "
                                 f"{b.start.describe()})")
        return self

    @property
    def dated(self) -> bool:
        """True when a step's date is uncertain, so that each run has its own step days."""
        return any(s.start.uncertain for s in self.piecewise or [])


class ProductionInput(Strict):
    """What a production line consumes: ``per_unit`` of ``munition`` from its own stock per unit made."""

    munition: Id
    per_unit: NonNegQ


class Production(Schedule):
    """A production schedule, perhaps dormant until an event starts it, perhaps made from an input."""

    EXTRA: ClassVar[tuple[str, ...]] = ("input", "dormant")

    input: ProductionInput | None = None
    dormant: bool = False


class Follows(Strict):
    """What a coupled demand follows: another actor's fire of a munition, or a transfer's deliveries."""

    fired: StockRef | None = None
    delivered: Id | None = None
    stops: FractionQ = Field(default_factory=lambda: 1)  # type: ignore[assignment]

    @model_validator(mode="after")
    def _one(self) -> Follows:
        if (self.fired is None) == (self.delivered is None):
            raise ValueError("follows needs exactly one of fired: {actor, munition} or delivered: TRANSFER")
        return self


class Demand(Schedule):
    """A demand schedule; with ``follows``, its rate is a ratio to what it follows."""

    EXTRA: ClassVar[tuple[str, ...]] = ("follows",)

    follows: Follows | None = None


class Lump(Strict):
    """A one-off payment: ``amount`` units shipped on a date."""

    on: DateQ
    amount: NonNegQ


class Compensation(Strict):
    """Payment for other flows: per unit delivered by transfers or made by a production line,
    perhaps for at most ``up_to`` units, and lump sums on dates."""

    of: Id | list[Id] | None = Field(default=None, alias="for")
    produced: StockRef | None = None
    per_unit: NonNegQ | None = None
    up_to: NonNegQ | None = None
    lumps: list[Lump] = Field(default_factory=list)

    @model_validator(mode="after")
    def _parts(self) -> Compensation:
        per = self.of is not None or self.produced is not None
        if self.of is not None and self.produced is not None:
            raise ValueError("a compensation pays for transfers (for:) or for production (produced:), "
                             "not both")
        if self.of == []:
            raise ValueError("for: needs at least one transfer")
        if per != (self.per_unit is not None):
            raise ValueError("per_unit goes with for: (transfers) or produced: (a production line)")
        if not per and not self.lumps:
            raise ValueError("a compensation needs for: or produced: with per_unit, or lumps")
        if self.up_to is not None and not per:
            raise ValueError("up_to counts the units paid per unit; it needs for: or produced:")
        return self

    @property
    def parents(self) -> list[str]:
        """The transfers paid for, in file order."""
        return [] if self.of is None else [self.of] if isinstance(self.of, str) else list(self.of)


class Transfer(Strict):
    supplier: Id
    recipient: Id
    munition: Id
    rate: Schedule | None = None
    compensation: Compensation | None = None
    delay: NonNegQ = Field(default_factory=lambda: 0)  # type: ignore[assignment]
    loss: FractionQ = Field(default_factory=lambda: 0)  # type: ignore[assignment]
    reserve: NonNegQ = Field(default_factory=lambda: 0)  # type: ignore[assignment]
    covertness: FractionQ = Field(default_factory=lambda: 0)  # type: ignore[assignment]
    cap: NonNegQ | None = None
    dormant: bool = False
    description: str | None = None

    @model_validator(mode="after")
    def _rate_or_compensation(self) -> Transfer:
        if (self.rate is None) == (self.compensation is None):
            raise ValueError("a transfer needs exactly one of rate or compensation")
        return self


SIGNAL_FORMS = ("flow", "stock", "event", "lever", "fired", "shortfall", "leaked")
REFERENCED = ("flow", "fired", "shortfall", "leaked")


class Signal(Strict):
    """A normalised input to the indicators: a flow, a stock, an event flag, a lever, or an
    actor's fire, shortfall or leaked units today."""

    flow: Id | None = None
    measure: Literal["delivered", "shipped"] = "delivered"
    reference: PositiveQ | None = None
    stock: StockRef | None = None
    covertness: FractionQ | None = None
    event: Id | None = None
    lever: Id | None = None
    fired: StockRef | None = None
    shortfall: StockRef | None = None
    leaked: StockRef | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Signal:
        forms = [f for f in SIGNAL_FORMS if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError(f"a signal needs exactly one of {', '.join(SIGNAL_FORMS)}")
        if forms[0] in REFERENCED and self.reference is None:
            raise ValueError(f"a {forms[0]} signal needs a reference rate (units per day)")
        if self.reference is not None and forms[0] not in REFERENCED:
            raise ValueError("only a flow, fired, shortfall or leaked signal takes a reference")
        if self.covertness is not None and self.stock is None:
            raise ValueError("covertness is set on the transfer for flows; here only for stocks")
        return self

    @property
    def kind(self) -> str:
        return next(f for f in SIGNAL_FORMS if getattr(self, f) is not None)


class Observer(Strict):
    bias: Q = Field(default_factory=lambda: 0)  # type: ignore[assignment]
    noise: NonNegQ = Field(default_factory=lambda: 0)  # type: ignore[assignment]


class Perception(Strict):
    process: Literal["constant", "ar1"] = "constant"
    persistence: FractionQ | None = None
    observers: dict[Id, Observer] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ar1(self) -> Perception:
        if self.process == "ar1" and self.persistence is None:
            raise ValueError("process ar1 needs persistence (the AR(1) coefficient, 0..1)")
        return self


class Indicator(Strict):
    name: str
    observer: Id
    kind: Literal["logistic", "linear"] = "logistic"
    tau: AtLeastOneQ
    beta: Q
    initial: Q | None = None
    threshold: FiniteFloat = 0.5
    rationale: Rationale | None = None
    inputs: dict[Id, Q] = Field(default_factory=dict)
    gain: Q | None = None
    description: str | None = None


class Claim(Strict):
    text: str
    expr: str
    source: str | None = None
    prefer: Prefer | None = None
    rationale: Rationale | None = None


class CaseClaim(Strict):
    """How a case reads a claim: a new threshold for its one comparison, or a new expression."""

    threshold: FiniteFloat | None = None
    expr: str | None = None

    @model_validator(mode="after")
    def _one(self) -> CaseClaim:
        if (self.threshold is None) == (self.expr is None):
            raise ValueError("a case's claim needs exactly one of threshold or expr")
        return self


class Case(Strict):
    """A named alternative reading of the scenario: other numbers for inputs, other claim thresholds.

    ``inputs`` maps an input's name (its ``name:``, or its dotted path) to the number this
    reading gives it. A case runs on the same runs as the scenario (common random numbers).
    """

    description: str | None = None
    inputs: dict[str, Q] = Field(default_factory=dict)
    claims: dict[Id, CaseClaim] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _something(self) -> Case:
        if not self.inputs and not self.claims:
            raise ValueError("a case needs inputs or claims to read differently")
        return self


class Span(Strict):
    """A window of dates, both ends included, for windowed outcomes."""

    start: Date = Field(alias="from")
    end: Date = Field(alias="to")

    @model_validator(mode="after")
    def _ordered(self) -> Span:
        if self.start > self.end:
            raise ValueError(f"this window's from ({self.start}) is after its to ({self.end}); swap them")
        return self


def rebase(node: Any, start: dt.date) -> Any:
    """``node`` with every :class:`DateQuantity` in it as days of a run starting on ``start``."""
    if isinstance(node, DateQuantity):
        return node.rebased(start)
    if isinstance(node, BaseModel):
        changes = {}
        for name in type(node).model_fields:
            value = getattr(node, name)
            new = rebase(value, start)
            if new is not value:
                changes[name] = new
        return node.model_copy(update=changes) if changes else node
    if isinstance(node, dict):
        items = {k: rebase(v, start) for k, v in node.items()}
        return items if any(items[k] is not node[k] for k in node) else node
    if isinstance(node, list):
        seq = [rebase(v, start) for v in node]
        return seq if any(a is not b for a, b in zip(seq, node, strict=True)) else node
    return node


class Scenario(Strict):
    """A whole scenario file."""

    name: PolicyId
    title: str
    description: str = ""
    start: Date
    horizon: int = Field(gt=0, le=36500)
    sources: dict[str, Source] = Field(default_factory=dict)
    limitations: list[str] = Field(default_factory=list)
    actors: dict[Id, Actor]
    munitions: dict[Id, Munition]
    stocks: dict[Id, dict[Id, NonNegQ]] = Field(default_factory=dict)
    production: dict[Id, dict[Id, Production]] = Field(default_factory=dict)
    demand: dict[Id, dict[Id, Demand]] = Field(default_factory=dict)
    transfers: dict[Id, Transfer] = Field(default_factory=dict)
    perception: Perception = Field(default_factory=Perception)
    signals: dict[Id, Signal] = Field(default_factory=dict)
    indicators: dict[Id, Indicator] = Field(default_factory=dict)
    events: dict[Id, Event] = Field(default_factory=dict)
    levers: dict[Id, Lever] = Field(default_factory=dict)
    policies: dict[PolicyId, Policy] = Field(default_factory=dict)
    windows: list[Span] = Field(default_factory=list)
    claims: dict[Id, Claim] = Field(default_factory=dict)
    prefer: dict[str, Prefer] = Field(default_factory=dict)
    cases: dict[PolicyId, Case] = Field(default_factory=dict, exclude=True)  # not walked as inputs
    evidence: Evidence | None = None

    _origin: str = PrivateAttr(default="<memory>")
    _sha256: str = PrivateAttr(default="")
    _warnings: tuple[Problem, ...] = PrivateAttr(default=())

    @model_validator(mode="after")
    def _days_of_the_run(self) -> Scenario:
        """Dates that may be uncertain become days of the run (day 0 is ``start``)."""
        if self.start is not None:  # a partial scenario (shape errors) may have none
            for name in ("production", "demand", "transfers", "events"):
                value = getattr(self, name)
                new = rebase(value, self.start)
                if new is not value:
                    object.__setattr__(self, name, new)
        return self

    @property
    def origin(self) -> str:
        """The file the scenario was read from."""
        return self._origin

    @property
    def sha256(self) -> str:
        """The sha256 of the scenario file's bytes."""
        return self._sha256

    @property
    def warnings(self) -> tuple[Problem, ...]:
        """What validation found suspicious but not wrong (:class:`ScenarioWarning` objects).

        Each prints as ``FILE:LINE:COL: warning: message``. Under ``strict=True`` they are
        errors instead, so a scenario loaded strictly has none.
        """
        return self._warnings
