"""Request and response bodies of the JSON API (they make its OpenAPI schema).

Requests forbid unknown fields and bound every number, so malformed or out-of-range
input is answered with 422 and a message, never a server error.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from spillover.ensemble.settings import MAX_SEED

LeverValue = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]
MAX_TEXT = 1_000_000
State = Literal["queued", "running", "done", "failed", "cancelled"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunRequest(_Strict):
    """Run a scenario with the levers set by hand, and (optionally) a preset to compare with."""

    scenario: str = Field("nk-russia-2023", min_length=1, max_length=80,
                          description="Built-in name or a file name in the scenarios directory.")
    levers: dict[Annotated[str, Field(max_length=64)], LeverValue] = Field(
        default_factory=dict, max_length=64,
        description="Lever values (0..1) of the custom policy; unset levers keep their defaults.")
    baseline: str | None = Field(
        None, max_length=64,
        description="Preset policy run beside the custom one and used as the baseline of the "
                    "paired comparison (default: the scenario's first policy).")
    compare: bool = Field(True, description="Run the baseline preset too (paired with the custom policy).")
    # The ranges are checked by the app (Context.run_spec), which says them in one sentence
    # with the server's own limit; the schema states them too.
    runs: int = Field(2000, strict=True,
                      description="Number of runs, from 1 to the server's limit (100,000 by default).",
                      json_schema_extra={"minimum": 1})
    seed: int = Field(0, strict=True,
                      description=f"Seed, from 0 to {MAX_SEED:,}: the same seed gives the same results.",
                      json_schema_extra={"minimum": 0, "maximum": MAX_SEED})
    counterfactual: bool = Field(False, description="Also run every policy without transfers.")
    cases: bool = Field(False, description="Also run the scenario's cases on the same runs (common random "
                                           "numbers); their claims are at GET /api/runs/{id}/cases.")


class Progress(BaseModel):
    """The state of a run started from the app."""

    id: str
    scenario: str
    state: State
    done: int
    total: int
    error: str | None = None
    seconds: float | None = Field(None, description="Time running so far, or in all once finished.")
    policies: list[str] = Field(default_factory=list)


class ValidateRequest(_Strict):
    """Scenario text to validate (nothing is saved)."""

    text: str = Field(..., max_length=MAX_TEXT)
    file_name: str = Field("scenario.yaml", max_length=80, description="Shown in the problems.")
    strict: bool = Field(False, description="Refuse numbers without source or judgment.")


class SaveRequest(_Strict):
    """Scenario text to validate and save in the scenarios directory."""

    text: str = Field(..., max_length=MAX_TEXT)
    file_name: str = Field(..., max_length=80, description="name.yaml: letters, digits, '_' and '-'.")
    strict: bool = False
    overwrite: bool = False


class ProblemOut(BaseModel):
    """One problem of a scenario file at a 1-based line and column."""

    line: int
    col: int
    message: str


class Validation(BaseModel):
    """The result of validating scenario text."""

    valid: bool
    file_name: str
    problems: list[ProblemOut] = Field(default_factory=list)
    counts: dict[str, int] = Field(default_factory=dict)
    saved: str | None = Field(None, description="The file name it was saved under, if it was.")


class ScenarioOut(BaseModel):
    """A scenario of the catalogue and its validation status."""

    ref: str
    origin: Literal["builtin", "file"]
    file: str
    valid: bool
    name: str | None = None
    title: str | None = None
    problems: list[ProblemOut] = Field(default_factory=list)
    checking: bool = Field(False, description="Still being checked: reload the list in a moment.")
    misnamed: bool = Field(False, description="A file whose name the app does not take: rename it to use it.")


class RunRow(BaseModel):
    """One run folder of the history."""

    id: str
    scenario: str | None = None
    created: str | None = None
    runs: int | None = None
    seed: int | None = None
    policies: list[str] = Field(default_factory=list)
    seconds: float | None = None
    rows: int | None = None
    report: bool = False
    damaged: list[str] = Field(default_factory=list,
                               description="Manifest fields of the wrong kind (shown as missing).")


class ClaimRow(BaseModel):
    """The probability of a claim under a policy, with its interval and estimative word."""

    claim: str
    policy: str
    text: str
    expr: str
    n: int
    k: int
    probability: float | None
    lo: float | None
    hi: float | None
    word: str


class CaseRow(ClaimRow):
    """The probability of a claim under a policy as one case reads the scenario."""

    case: str


class Message(BaseModel):
    """An error answer."""

    detail: Any
