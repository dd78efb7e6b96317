"""Events: what triggers them (a hazard, a threshold or a date) and what they change."""

from __future__ import annotations

from pydantic import Field, model_validator

from spillover.scenario.base import Id, StockRef, Strict
from spillover.scenario.dates import DateQ
from spillover.scenario.quantity import NonNegQ, PositiveQ, Q


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
    """A hazard or a threshold on an indicator, or a date (``on:``, fixed or uncertain)."""

    hazard: Hazard | None = None
    threshold: Threshold | None = None
    on: DateQ | None = None

    @model_validator(mode="after")
    def _one(self) -> Trigger:
        if sum(x is not None for x in (self.hazard, self.threshold, self.on)) != 1:
            raise ValueError("a trigger needs exactly one of hazard, threshold or on (a date)")
        return self

    @property
    def indicator(self) -> str | None:
        """The indicator the trigger reads; None for a dated trigger."""
        spec = self.hazard or self.threshold
        return spec.indicator if spec is not None else None


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


EFFECTS = ("start", "start_production", "add_beta", "scale_rate", "scale_weight")


class Effect(Strict):
    start: Id | None = None
    start_production: StockRef | None = None
    add_beta: AddBeta | None = None
    scale_rate: ScaleRate | None = None
    scale_weight: ScaleWeight | None = None

    @model_validator(mode="after")
    def _one(self) -> Effect:
        kinds = [k for k in EFFECTS if getattr(self, k)]
        if len(kinds) != 1:
            raise ValueError(f"an effect needs exactly one of {', '.join(EFFECTS)}")
        return self


class Event(Strict):
    name: str
    trigger: Trigger
    effects: list[Effect] = Field(default_factory=list)
    description: str | None = None

    @property
    def calendar(self) -> bool:
        """True for a dated event: it models the world's calendar, not an effect of the transfers,
        so it fires on its date in every variant, the counterfactual without transfers included."""
        return self.trigger.on is not None
