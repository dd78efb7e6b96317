"""The confidence rule: each input, the weakest link, and the cases where a level is withheld."""

from __future__ import annotations

from pathlib import Path

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
    # no driver above the floor: the basis cannot be checked, so low (not moderate: that made a claim
    # nothing explains outrank the better-founded ones)
    assert sourced_share_level(None).level == "low"
    assert _level(sourced_share=None, grades=[]) == "low"
    assert _level(case_probabilities=[], sourced_share=None, grades=[]) == "low"


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


def test_declared_cases_that_did_not_run_make_a_claim_low() -> None:
    # skipping the cases (--no-cases, --case NAME) must not rate a claim above what running them gives
    assert _level(case_probabilities=[], declared_cases=6) == "low"
    assert case_agreement([], 0.5, declared=6).value == "6 declared but not run"
    assert case_agreement([], 0.5, declared=0).value == "none declared"
    assert _level(declared_cases=6) == "high"  # the cases ran: their agreement decides


def test_the_rule_in_words_names_every_input_and_its_cut_offs() -> None:
    from spillover.analysis.confidence import RULE

    for said in ("lowest level", "agreement of the cases", "sourced", "grade", "effective sample size",
                 "backtest", "no driver above the noise floor", "did not run", "at most moderate",
                 "10 points", "25 points", "1,000", "200", "docs/analysis.md"):
        assert said in RULE, said


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


def test_the_worked_example_in_the_docs_is_what_the_rule_gives() -> None:
    # guns_over_a_year under status-quo, nk-russia-2023 at 2,000 runs and seed 20230801: the
    # cases' probabilities (README's claims by case), its drivers above the floor (rus_fire_rate,
    # fullness, container_count_error: all judgment, so no sourced share and no grades)
    cases = [1.0, 0.07, 0.9385, 0.9385, 0.9385, 0.9385, 0.9385]
    c = confidence(ConfidenceInputs(cases, 0.9385, 0.0, []))
    text = f"Confidence {c.text()}"
    assert text == ("Confidence low (cases: 7–100%, 3 different words (low); sourced share: 0% (low); "
                    "grades: none (no sourced driver); ESS, backtest: not available)")
    docs = (Path(__file__).parents[1] / "docs" / "analysis.md").read_text(encoding="utf-8")
    assert f'printed as: "{text}"' in " ".join(docs.split())
