"""Evidence: dated, graded observations of a scenario's quantities (the schema).

An observation says what was reported (a number with its error, a bound, an interval, or
whether an event had happened), when, by which source and with what grade in the
NATO/Admiralty system (source reliability A–F, information credibility 1–6). What it
measures is an expression over model quantities on that day (see
:mod:`spillover.scenario.measures`), the scenario's named inputs and the conversions
written out in the file, e.g. ``shipped(prk_rus_shells) / (rounds_per_container *
fullness)`` for a count of containers.

The same section is a scenario's ``evidence:`` or a file of its own (``*.evidence.yaml``),
read by :mod:`spillover.scenario.evidence_load`. :data:`GRADES` turns a grade into the
error model that is used: see :func:`grade_rule`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from spillover.scenario.quantity import Q

GRADE = re.compile(r"[A-F][1-6]")

RELIABILITY: dict[str, tuple[str, float]] = {
    "A": ("completely reliable", 0.0),
    "B": ("usually reliable", 0.01),
    "C": ("fairly reliable", 0.05),
    "D": ("not usually reliable", 0.2),
    "E": ("unreliable", 0.5),
    "F": ("reliability cannot be judged", 0.5),
}
"""Source reliability: its meaning and the floor of the likelihood (see :func:`grade_rule`)."""

CREDIBILITY: dict[str, tuple[str, float]] = {
    "1": ("confirmed by other sources", 1.0),
    "2": ("probably true", 1.25),
    "3": ("possibly true", 1.5),
    "4": ("doubtful", 2.0),
    "5": ("improbable", 3.0),
    "6": ("truth cannot be judged", 2.0),
}
"""Information credibility: its meaning and the factor that widens the error model."""


def grade_rule(grade: str) -> tuple[float, float]:
    """(floor, widen) of a grade such as ``"B2"``.

    The error model of an observation gives each run a likelihood ``g`` between 0 and 1 (a
    probability for bounds, intervals and events; the density relative to its peak for a
    number). The grade turns it into ``floor + (1 - floor) * g``:

    * the credibility digit first multiplies the error's spread (the standard deviation, the
      lognormal sigma, the softness of a bound) by ``widen``;
    * the reliability letter sets ``floor``: the share of a report that may be unrelated to
      the truth (a mixture with a component that does not depend on the run). One report
      can then change the odds between two runs by at most ``1 / floor``: 100 for a B, 20
      for a C, 5 for a D, 2 for an E or F, so that a grade-F report cannot dominate. An A
      report is taken at face value.

    >>> grade_rule("B2")
    (0.01, 1.25)
    >>> grade_rule("F6")
    (0.5, 2.0)
    """
    if not GRADE.fullmatch(grade):
        raise ValueError(f"'{grade}' is not a grade")
    return RELIABILITY[grade[0]][1], CREDIBILITY[grade[1]][1]


def _grade(raw: Any) -> Any:
    if isinstance(raw, str) and GRADE.fullmatch(raw.strip()):
        return raw.strip()
    raise ValueError(f"a grade is a letter A-F (source reliability) then a digit 1-6 (information "
                     f"credibility), e.g. B2; got {raw!r}"[:160])


Grade = Annotated[str, BeforeValidator(_grade)]
Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False)]


def _iso_date(raw: Any) -> Any:
    """A date written YYYY-MM-DD (as the scenario's dates)."""
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        try:
            return dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError(f"'{raw}' is not a date: {exc}") from None
    raise ValueError(f"a date is written YYYY-MM-DD (got {raw!r})"[:120])


Date = Annotated[dt.date, BeforeValidator(_iso_date)]


class Strict(BaseModel):
    """Base: unknown keys are errors (as in the scenario's schema)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, validate_default=True)


class Source(Strict):
    citation: str
    url: str | None = None
    note: str | None = None


class Error(Strict):
    """The error of a reported number: ``normal: SD`` (in the reported unit) or ``lognormal: SIGMA``."""

    normal: FiniteFloat | None = Field(default=None, gt=0)
    lognormal: FiniteFloat | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _one(self) -> Error:
        if (self.normal is None) == (self.lognormal is None):
            raise ValueError("an error needs exactly one of normal (a standard deviation) or lognormal "
                             "(a sigma)")
        return self

    @property
    def kind(self) -> str:
        return "normal" if self.normal is not None else "lognormal"

    @property
    def spread(self) -> float:
        return float(self.normal if self.normal is not None else self.lognormal)  # type: ignore[arg-type]


FORMS = ("value", "between", "more_than", "less_than")


class Reported(Strict):
    """What a report says and how it measures the model: the parts observations and series share."""

    source: str
    grade: Grade
    measures: str
    unit: str | None = None
    scale: Q = Field(default_factory=lambda: 1.0)  # type: ignore[assignment]
    offset: Q = Field(default_factory=lambda: 0.0)  # type: ignore[assignment]
    error: Error | None = None
    note: str | None = None


class Observation(Reported):
    """One dated report: a number with its error, a bound, an interval, or a yes/no."""

    date: Date | None = None
    window: tuple[Date, Date] | None = None
    published: Date | None = None
    since: Date | None = None
    value: FiniteFloat | bool | None = None
    between: tuple[FiniteFloat, FiniteFloat] | None = None
    more_than: FiniteFloat | None = None
    less_than: FiniteFloat | None = None

    @field_validator("between")
    @classmethod
    def _ordered(cls, v: tuple[float, float] | None) -> tuple[float, float] | None:
        if v is not None and v[0] > v[1]:
            raise ValueError(f"an interval needs low <= high, got {v[0]:g} > {v[1]:g}")
        return v

    @model_validator(mode="after")
    def _forms(self) -> Observation:
        forms = [f for f in FORMS if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError("an observation needs exactly one of value, between, more_than, less_than")
        if (self.date is None) == (self.window is None):
            raise ValueError("an observation needs exactly one of date or window: [first, last]")
        if self.window is not None and self.window[0] > self.window[1]:
            raise ValueError("a window needs its first day on or before its last")
        if isinstance(self.value, bool) and self.error is not None:
            raise ValueError("a yes/no observation takes no error")
        if self.value is not None and not isinstance(self.value, bool) and self.error is None:
            raise ValueError("a reported number needs its error, e.g. error: {normal: 200} or "
                             "{lognormal: 0.1}")
        if self.error is not None and self.error.lognormal is not None and self.value is None:
            raise ValueError("a bound or an interval takes error: {normal: SD} (how soft its edges are)")
        if self.error is not None and self.error.lognormal is not None and self.value is not None \
                and self.value <= 0:
            raise ValueError(f"a lognormal error is relative and needs a value above 0, got {self.value:g}; "
                             "give error: {normal: SD} for a report of 0")
        return self

    @property
    def form(self) -> str:
        """``number``, ``flag``, ``between``, ``more_than`` or ``less_than``."""
        if self.value is not None:
            return "flag" if isinstance(self.value, bool) else "number"
        return next(f for f in FORMS[1:] if getattr(self, f) is not None)

    @property
    def first_day(self) -> Any:
        return self.date if self.date is not None else self.window[0]  # type: ignore[index]

    @property
    def last_day(self) -> Any:
        return self.date if self.date is not None else self.window[1]  # type: ignore[index]

    @property
    def known_on(self) -> Any:
        """The day the report became known: ``published``, else its (last) date."""
        return self.published or self.last_day


class Series(Reported):
    """A CSV file of dated values, each row one observation (``spillover data dyad`` output,
    a ``spillover data sql --csv`` result, or any ``date,value`` file)."""

    file: str
    date_column: str = Field(default="date", alias="date")
    value_column: str = Field(default="value", alias="value")
    period: str = "day"
    start: Date | None = Field(default=None, alias="from")
    end: Date | None = Field(default=None, alias="to")

    @model_validator(mode="after")
    def _fields(self) -> Series:
        if self.error is None:
            raise ValueError("a series needs the error of each value, e.g. error: {normal: 1.5}")
        if self.period not in ("day", "month"):
            raise ValueError(f"period is day or month, got '{self.period}'")
        return self


class Evidence(Strict):
    """An evidence file, or a scenario's ``evidence:`` section."""

    scenario: str | None = None
    policy: str | None = None
    sources: dict[str, Source] = Field(default_factory=dict)
    observations: dict[Id, Observation] = Field(default_factory=dict)
    series: dict[Id, Series] = Field(default_factory=dict)
    description: str | None = None
