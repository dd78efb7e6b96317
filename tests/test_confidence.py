"""The confidence rule: each input, the weakest link, and the cases where a level is withheld."""

from __future__ import annotations

import pytest

from spillover.analysis.confidence import (
    ConfidenceInputs,
    case_agreement,
    confidence,
    grade_level,
    sourced_share_level,
)

STRONG = {"case_probabilities": [0.60, 0.62], "pooled": 0.61, "sourced_share": 0.8, "grades": ["A", "B"]}


def _level(**changes: object) -> str | None:
    return confidence(ConfidenceInputs(**{**STRONG, **changes})).level  # type: ignore[arg-type]


def test_agreement_of_cases() -> None:
    assert case_agreement([0.60, 0.62], 0.61).level == "high"
    assert case_agreement([0.50, 0.60], 0.61).level == "moderate"  # 11 points, two adjacent words
    assert case_agreement([0.40, 0.50], 0.45).level == "moderate"
    assert case_agreement([0.30, 0.70], 0.5).level == "low"  # 40 points
    assert case_agreement([0.19, 0.21], None).level == "moderate"  # 2 points, but the word changes
    assert case_agreement([0.04, 1.0], 0.58).value == "4–100%, 3 different words"
    assert case_agreement([], 0.5).level is None


def test_sourced_share() -> None:
    assert sourced_share_level(0.5).level == "high"
    assert sourced_share_level(0.2).level == "moderate"
    assert sourced_share_level(0.19).level == "low"
    assert sourced_share_level(None).level == "moderate"  # no driver above the floor: basis unchecked


def test_grades() -> None:
    assert grade_level(["A", "B"]).level == "high"
    assert grade_level(["B", "C"]).level == "moderate"
    assert grade_level(["B", "D"]).level == "low"
    assert grade_level(["B", None]).level == "low"  # an ungraded source
    assert grade_level(["F"]).level == "low"  # cannot be judged
    assert grade_level([]).level is None


def test_the_level_is_the_weakest_input() -> None:
    assert _level() == "high"
    assert _level(case_probabilities=[0.3, 0.9]) == "low"
    assert _level(sourced_share=0.3) == "moderate"
    assert _level(grades=["C"]) == "moderate"
    assert _level(ess=150.0) == "low"
    assert _level(ess=500.0) == "moderate"
    assert _level(ess=5000.0, skill=0.3) == "high"
    assert _level(skill=-0.1) == "low"
    assert _level(skill=0.1) == "moderate"


def test_without_cases_a_claim_is_at_most_moderate() -> None:
    assert _level(case_probabilities=[]) == "moderate"
    assert _level(case_probabilities=[], sourced_share=0.1) == "low"


def test_inputs_are_shown_beside_the_level() -> None:
    c = confidence(ConfidenceInputs(**STRONG))  # type: ignore[arg-type]
    assert [b.name for b in c.basis] == ["cases", "sourced share", "grades", "ESS", "backtest"]
    assert c.text() == ("high (cases: 60–62%, one word (high); sourced share: 80% (high); "
                        "grades: A, B (high); ESS, backtest: not available)")
    with_evidence = confidence(ConfidenceInputs(**STRONG, ess=1234.0, skill=0.25))  # type: ignore[arg-type]
    assert "ESS: 1,234 (high); backtest: skill +0.25 (high)" in with_evidence.text()


def test_a_claim_fixed_by_construction_is_not_rated() -> None:
    c = confidence(ConfidenceInputs(**STRONG), by_construction=True)  # type: ignore[arg-type]
    assert c.level is None and c.basis[0].name == "by construction"
    assert c.text().startswith("not rated")


@pytest.mark.parametrize("share", [0.0, 0.19999, 0.2, 0.49999, 0.5, 1.0])
def test_every_share_gives_one_level(share: float) -> None:
    assert sourced_share_level(share).level in ("low", "moderate", "high")
