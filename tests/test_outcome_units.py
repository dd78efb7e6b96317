"""Outcome labels use the munition's own unit: a demand for drones fires drones, not rounds."""

from __future__ import annotations

from spillover.report.outcome_labels import outcome_label
from spillover.scenario.load import load_scenario
from spillover.scenario.outcomes import outcome_names
from spillover.scenario.summary import summarize


def test_fired_is_labelled_in_the_munitions_unit() -> None:
    sc = load_scenario("iran-russia-2022")
    summary = summarize(sc)
    labels = {c: outcome_label(summary, c) for c in outcome_names(sc) if c.startswith("fired_total.")}
    assert labels["fired_total.RUS.shahed"].startswith("Drones fired: ")
    assert labels["fired_total.UKR.interceptor"].startswith("Engagements fired: ")
    assert labels["fired_total.RUS.shahed.2024-01-01.2024-12-31"].startswith("Drones fired in the window: ")
    assert not any("Rounds" in v or "{" in v for v in labels.values()), labels
