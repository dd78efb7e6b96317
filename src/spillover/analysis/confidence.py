"""How much confidence a claim's probability deserves: a documented rule, its inputs shown.

The level (low, moderate or high) is the *lowest* level that any available input gives, so
one weak basis is enough to lower it (a weakest-link rule), and every input is shown beside
the level. The inputs and their cut-offs:

=====================  ==========================================  ==========  ==========
input                  high                                        moderate    low
=====================  ==========================================  ==========  ==========
agreement of cases     range under 10 points, one word             under 25    otherwise
                                                                   points, at
                                                                   most two
                                                                   adjacent
                                                                   words
sourced attribution    at least half from sourced inputs           at least    under 20%,
                                                                   20%         or no driver
                                                                               above the
                                                                               noise floor
grades of the sources  weakest grade A or B                        C           D, E, F,
                                                                               ungraded
effective sample size  at least 1,000                              at least    under 200
(evidence)                                                         200
backtest skill         above 0.2                                   above 0     0 or less
(evidence)
=====================  ==========================================  ==========  ==========

An input that is not available (no cases declared, no sourced driver, no evidence yet) is
shown as such and takes no part, except that a claim whose alternatives were never
considered (no cases declared) is at most moderate. When the scenario declares cases but
they did not run (``--no-cases``, or ``--case NAME`` alone), the claim is at most low:
skipping the alternatives must never raise the level above what running them can give. A
claim with no driver above the noise floor rests on the runs' random draws (event
thresholds, perception noise) and on inputs none of which stands out: its basis cannot be
checked, so it is low (were it rated higher, a claim nothing explains would outrank one whose
drivers are known and partly judgment). A claim that is 0 or 1 by construction gets no
level: its value is a property of the model, not an estimate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from spillover.analysis.claims import ESTIMATIVE_BANDS, estimative_word

__all__ = ["LEVELS", "RULE", "Basis", "Confidence", "ConfidenceInputs", "case_agreement", "confidence",
           "grade_level", "points", "sourced_share_level"]

Level = Literal["low", "moderate", "high"]
LEVELS: tuple[Level, ...] = ("low", "moderate", "high")
NOT_AVAILABLE = "not available"

RULE = ("Confidence is the lowest level any of its inputs gives: the agreement of the cases (within 10 "
        "points and one estimative word: high; within 25 points and adjacent words: moderate), the share "
        "of the claim's drivers that is sourced (half or more: high; a fifth or more: moderate), the weakest "
        "grade of their sources (A or B: high; C: moderate) and, with evidence, the effective sample size "
        "(1,000 or more: high; 200 or more: moderate) and the backtest skill. Anything else is low; so is a "
        "claim with no driver above the noise floor (its basis cannot be checked) or whose declared cases "
        "did not run, and a claim in a scenario that declares no cases is at most moderate. "
        "See docs/analysis.md, \"Confidence: the rule\".")
"""The rule in plain words, printed under the key judgments of the report."""


@dataclass(frozen=True)
class Basis:
    """One input of the rule: its name, its value in words, and the level it gives (None: n/a)."""

    name: str
    value: str
    level: Level | None

    def text(self) -> str:
        """``cases: 1–100%, 3 words (low)``."""
        return f"{self.name}: {self.value}" + (f" ({self.level})" if self.level else "")


@dataclass(frozen=True)
class ConfidenceInputs:
    """What the rule reads for one claim under one policy.

    ``case_probabilities`` are the claim's probabilities under each case (empty: no cases
    ran); ``declared_cases`` how many cases the scenario declares (whether or not they ran);
    ``sourced_share`` the share of its driver scores from sourced inputs (None: no driver
    above the noise floor); ``grades`` the grades of the sources of those sourced drivers
    (``None`` for an ungraded source); ``ess`` and ``skill`` come from evidence (None until
    the scenario's evidence provides them).
    """

    case_probabilities: Sequence[float] = ()
    pooled: float | None = None
    sourced_share: float | None = None
    grades: Sequence[str | None] = ()
    ess: float | None = None
    skill: float | None = None
    declared_cases: int = 0


@dataclass(frozen=True)
class Confidence:
    """A claim's confidence level and the inputs it was built from."""

    level: Level | None
    basis: tuple[Basis, ...] = field(default_factory=tuple)

    def text(self) -> str:
        """The level with its inputs, e.g. ``low (cases: 1–100%, 3 words (low); …; ESS, backtest:
        not available)``: the inputs not available are named together at the end."""
        shown = [b.text() for b in self.basis if b.value != NOT_AVAILABLE]
        missing = [b.name for b in self.basis if b.value == NOT_AVAILABLE]
        if missing:
            shown.append(f"{', '.join(missing)}: {NOT_AVAILABLE}")
        return f"{self.level or 'not rated'} ({'; '.join(shown)})"

    def plain(self) -> dict[str, Any]:
        return {"level": self.level, "basis": [b.__dict__ for b in self.basis], "text": self.text()}


def points(p: float) -> str:
    """A probability in percent: whole points, one decimal below 1% and above 99%."""
    x = 100 * p
    return f"{x:.1f}".removesuffix(".0") if 0 < x < 1 or 99 < x < 100 else f"{x:.0f}"


def _band(p: float) -> int:
    word = estimative_word(p)
    return next(i for i, (w, _, _) in enumerate(ESTIMATIVE_BANDS) if w == word)


def case_agreement(probabilities: Sequence[float], pooled: float | None = None, declared: int = 0) -> Basis:
    """Agreement across cases: the range of the claim's probability and the words it spans.

    With no case run, ``declared`` tells "none declared" (no level) from cases the scenario
    declares that did not run (low: the alternatives exist and were not looked at).
    """
    ps = [float(p) for p in probabilities]
    if not ps:
        if declared:
            return Basis("cases", f"{declared} declared but not run", "low")
        return Basis("cases", "none declared", None)
    everything = ps + ([float(pooled)] if pooled is not None else [])
    lo, hi = min(everything), max(everything)
    bands = sorted({_band(p) for p in everything})
    spread = 100 * (hi - lo)
    words = "one word" if len(bands) == 1 else f"{len(bands)} different words"
    value = f"{points(lo)}–{points(hi)}%, {words}"
    if spread < 10 and len(bands) == 1:
        return Basis("cases", value, "high")
    if spread < 25 and bands[-1] - bands[0] <= 1:
        return Basis("cases", value, "moderate")
    return Basis("cases", value, "low")


def sourced_share_level(share: float | None) -> Basis:
    """The share of the claim's attribution that comes from sourced inputs."""
    if share is None:
        return Basis("sourced share", "none (no driver above the noise floor)", "low")
    level: Level = "high" if share >= 0.5 else "moderate" if share >= 0.2 else "low"
    return Basis("sourced share", f"{100 * share:.0f}%", level)


def grade_level(grades: Sequence[str | None]) -> Basis:
    """The weakest grade among the sources of the claim's sourced drivers."""
    if not grades:
        return Basis("grades", "none (no sourced driver)", None)
    known = sorted(g for g in grades if g)
    shown = ", ".join(sorted({g or "ungraded" for g in grades}))
    if len(known) < len(grades) or known[-1] in ("D", "E", "F"):
        return Basis("grades", shown, "low")
    return Basis("grades", shown, "moderate" if known[-1] == "C" else "high")


def _ess(ess: float | None) -> Basis:
    if ess is None:
        return Basis("ESS", NOT_AVAILABLE, None)
    level: Level = "high" if ess >= 1000 else "moderate" if ess >= 200 else "low"
    return Basis("ESS", f"{ess:,.0f}", level)


def _skill(skill: float | None) -> Basis:
    if skill is None:
        return Basis("backtest", NOT_AVAILABLE, None)
    level: Level = "high" if skill > 0.2 else "moderate" if skill > 0 else "low"
    return Basis("backtest", f"skill {skill:+.2f}", level)


def confidence(inputs: ConfidenceInputs, by_construction: bool = False) -> Confidence:
    """The confidence level of one claim: the lowest level any available input gives.

    >>> c = confidence(ConfidenceInputs([0.04, 1.0], 0.58, 0.1, ["B"]))
    >>> c.level, [b.level for b in c.basis]
    ('low', ['low', 'low', 'high', None, None])
    >>> confidence(ConfidenceInputs((), None, 0.9, ["A"])).level  # no cases: at most moderate
    'moderate'
    >>> confidence(ConfidenceInputs((), None, 0.9, ["A"], declared_cases=6)).level  # cases not run
    'low'
    """
    if by_construction:
        return Confidence(None, (Basis("by construction", "0 or 1 in every run whatever the inputs", None),))
    basis = (case_agreement(inputs.case_probabilities, inputs.pooled, inputs.declared_cases),
             sourced_share_level(inputs.sourced_share), grade_level(inputs.grades), _ess(inputs.ess),
             _skill(inputs.skill))
    levels = [LEVELS.index(b.level) for b in basis if b.level is not None]
    if not inputs.case_probabilities:  # alternatives never considered: at most moderate (low if not run)
        levels.append(LEVELS.index("moderate"))
    return Confidence(LEVELS[min(levels)], basis)
