"""The scenario as run (its tables, inputs and sources) and what the model leaves out."""

from __future__ import annotations

from typing import Any

from spillover.report.page import Page
from spillover.report.tables import scenario as S

__all__ = ["ENGINE_LIMITATIONS", "limitations", "scenario"]

#: What the engine itself leaves out, whatever the scenario says.
ENGINE_LIMITATIONS: tuple[str, ...] = (
    "Time moves in daily steps: nothing happens within a day, and effects that take hours "
    "(a strike, a leak, a denial) are smeared over a whole day.",
    "Indicators such as threat perception or alarm are abstract 0–1 indices built from "
    "weighted inputs, not measurements of any real opinion, poll or policy.",
    "Perception noise (how far an observer's view of a covert transfer is from the truth) "
    "is modelled as lognormal; real intelligence errors can be biased, lumpy or correlated "
    "in ways a lognormal does not capture.",
    "Actors do not adapt strategically: beyond the events written into the scenario, no "
    "actor changes course in response to what the others do.",
    "Ranges for uncertain inputs are judgments turned into distributions, not observed "
    "frequencies; probabilities in this report are conditional on those judgments.",
    "Runs are independent draws: the model says how often something happens across the "
    "ranges it was given, not how likely the real world is to follow any single run.",
)


def scenario(page: Page) -> dict[str, Any] | None:
    """The scenario's tables, its uncertain inputs and its bibliography."""
    s = page.summary
    tables = {
        "actors": S.actor_rows(s),
        "munitions": S.munition_rows(s),
        "transfers": S.transfer_rows(s),
        "signals": S.signal_rows(s),
        "indicators": S.indicator_rows(s),
        "events": S.event_rows(s),
        "levers": S.lever_rows(s),
        "policies": S.policy_rows(s),
    }
    inputs, sources = S.input_rows(s), S.source_rows(s)
    if not (any(tables.values()) or inputs or sources):
        return None
    return {**tables, "inputs": inputs, "sources": sources, "baselines": page.baselines}


def limitations(page: Page) -> dict[str, Any]:
    """The scenario's own limitations and the engine's."""
    return {
        "scenario": [str(x) for x in page.summary.get("limitations") or []],
        "engine": ENGINE_LIMITATIONS,
    }
