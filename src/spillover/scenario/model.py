"""The scenario file's schema (pydantic v2). One class per concept of the file."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    StringConstraints,
    field_validator,
    model_validator,
)

from spillover.scenario.errors import NameSet, Problem, did_you_mean
from spillover.scenario.quantity import KINDS, AtLeastOneQ, FractionQ, NonNegQ, PositiveQ, Q, unknown_key

Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
PolicyId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]
Rationale = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
"""Why a plain number (a threshold, a policy's lever values) is what it is: such numbers are
always the modeller's judgment, and the rationale says so in one line."""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(raw: Any) -> Any:
    """A date written YYYY-MM-DD; not a number of seconds, which pydantic would also take."""
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"'{raw}' is not a date: {exc}") from None
    shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:37] + "…"
    raise ValueError(f"a date is written YYYY-MM-DD, from 0001-01-01 to 9999-12-31 (got {shown})")


Date = Annotated[dt.date, BeforeValidator(_iso_date)]


class Strict(BaseModel):
    """Base: unknown keys are errors."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, validate_default=True
    )


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
    start: Date = Field(alias="from")
    rate: NonNegQ


class Point(Strict):
    at: Date
    rate: NonNegQ


class Schedule(Strict):
    """A daily rate over dates: constant, piecewise by date (a step function), or a linear ramp.

    ``scale`` multiplies the whole schedule (one number or a list of numbers).
    """

    constant: NonNegQ | None = None
    piecewise: list[Step] | None = None
    ramp: list[Point] | None = None
    scale: list[NonNegQ] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _bare(cls, raw: Any) -> Any:
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

    @model_validator(mode="after")
    def _one(self) -> Schedule:
        forms = [f for f in ("constant", "piecewise", "ramp") if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("a schedule needs exactly one of constant, piecewise, ramp")
        steps = self.piecewise or self.ramp or []
        dates = [s.start if isinstance(s, Step) else s.at for s in steps]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("schedule dates must be strictly increasing")
        if self.piecewise == [] or self.ramp == []:
            raise ValueError("a piecewise or ramp schedule needs at least one entry")
        return self


class Compensation(Strict):
    """Payment for another transfer: a counter-flow per unit that transfer delivers."""

    of: Id = Field(alias="for")
    per_unit: NonNegQ


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


class StockRef(Strict):
    actor: Id
    munition: Id


class Signal(Strict):
    """A normalised input to the indicators: a flow, a stock, an event flag or a lever."""

    flow: Id | None = None
    measure: Literal["delivered", "shipped"] = "delivered"
    reference: PositiveQ | None = None
    stock: StockRef | None = None
    covertness: FractionQ | None = None
    event: Id | None = None
    lever: Id | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Signal:
        forms = [f for f in ("flow", "stock", "event", "lever") if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("a signal needs exactly one of flow, stock, event, lever")
        if self.flow is not None and self.reference is None:
            raise ValueError("a flow signal needs a reference rate (units per day)")
        if self.reference is not None and self.flow is None:
            raise ValueError("only a flow signal takes a reference")
        if self.covertness is not None and self.stock is None:
            raise ValueError("covertness is set on the transfer for flows; here only for stocks")
        return self

    @property
    def kind(self) -> str:
        return next(f for f in ("flow", "stock", "event", "lever") if getattr(self, f) is not None)


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


class Hazard(Strict):
    indicator: Id
    theta: Q
    rate: NonNegQ
    width: PositiveQ = Field(default_factory=lambda: 0.05)  # type: ignore[assignment]


class Threshold(Strict):
    indicator: Id
    theta: Q
    days: int = Field(default=1, ge=1, le=36500)


class Trigger(Strict):
    hazard: Hazard | None = None
    threshold: Threshold | None = None

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        if (self.hazard is None) == (self.threshold is None):
            raise ValueError("a trigger needs exactly one of hazard or threshold")
        return self

    @property
    def indicator(self) -> str:
        return (self.hazard or self.threshold).indicator  # type: ignore[union-attr]


class AddBeta(Strict):
    indicator: Id
    value: Q


class ScaleRate(Strict):
    transfer: Id | None = None
    production: StockRef | None = None
    demand: StockRef | None = None
    factor: NonNegQ

    @model_validator(mode="after")
    def _one(self) -> ScaleRate:
        if sum(x is not None for x in (self.transfer, self.production, self.demand)) != 1:
            raise ValueError("scale_rate needs exactly one of transfer, production, demand")
        return self


class ScaleWeight(Strict):
    indicator: Id
    input: Id
    factor: Q


class Effect(Strict):
    start: Id | None = None
    add_beta: AddBeta | None = None
    scale_rate: ScaleRate | None = None
    scale_weight: ScaleWeight | None = None

    @model_validator(mode="after")
    def _one(self) -> Effect:
        kinds = [k for k in ("start", "add_beta", "scale_rate", "scale_weight") if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError("an effect needs exactly one of start, add_beta, scale_rate, scale_weight")
        return self


class Event(Strict):
    name: str
    trigger: Trigger
    effects: list[Effect] = Field(default_factory=list)
    description: str | None = None


Mechanism = Literal["transparency", "cap", "channel", "sanctions"]


@dataclass(frozen=True)
class LeverKind:
    """A kind of lever: the engine mechanism it works through, its default and what it does."""

    mechanism: Mechanism
    default: float
    description: str


LEVER_KINDS: dict[str, LeverKind] = {
    "transparency": LeverKind("transparency", 0.0, "declares the transfers: at 1 observers see them exactly"),
    "cap": LeverKind("cap", 1.0, "scales the transfers' scheduled rates: 1 leaves them, 0 stops them"),
    "channel": LeverKind("channel", 0.0, "a communication channel, read by indicators as a lever signal"),
    "sanctions": LeverKind("sanctions", 0.0, "enforcement: adds its delay and loss to the transfers at 1"),
}
"""The lever kinds a scenario may use, by name. A new kind that works like an existing one is
one entry here: its mechanism says what the engine does with it."""


class Lever(Strict):
    """A setting the analyst controls, with a value between 0 and 1."""

    kind: str
    transfers: list[Id] = Field(default_factory=list)
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
        if mech in ("transparency", "cap", "sanctions") and not self.transfers:
            raise ValueError(f"a {self.kind} lever needs the transfers it acts on")
        if mech == "channel" and self.transfers:
            raise ValueError(f"a {self.kind} lever acts through signals, not transfers")
        if mech != "sanctions" and (self.delay is not None or self.loss is not None):
            raise ValueError("only a sanctions lever takes delay and loss")
        if mech == "sanctions" and self.delay is None and self.loss is None:
            raise ValueError(f"a {self.kind} lever needs delay (days) or loss (fraction) at full enforcement")
        return self


class Policy(Strict):
    description: str | None = None
    rationale: Rationale | None = None
    levers: dict[Id, FiniteFloat] = Field(default_factory=dict)


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
    production: dict[Id, dict[Id, Schedule]] = Field(default_factory=dict)
    demand: dict[Id, dict[Id, Schedule]] = Field(default_factory=dict)
    transfers: dict[Id, Transfer] = Field(default_factory=dict)
    perception: Perception = Field(default_factory=Perception)
    signals: dict[Id, Signal] = Field(default_factory=dict)
    indicators: dict[Id, Indicator] = Field(default_factory=dict)
    events: dict[Id, Event] = Field(default_factory=dict)
    levers: dict[Id, Lever] = Field(default_factory=dict)
    policies: dict[PolicyId, Policy] = Field(default_factory=dict)
    claims: dict[Id, Claim] = Field(default_factory=dict)
    prefer: dict[str, Prefer] = Field(default_factory=dict)
    cases: dict[PolicyId, Case] = Field(default_factory=dict, exclude=True)  # not walked as inputs

    _origin: str = PrivateAttr(default="<memory>")
    _sha256: str = PrivateAttr(default="")
    _warnings: tuple[Problem, ...] = PrivateAttr(default=())

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
