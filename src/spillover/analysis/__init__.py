"""spillover.analysis: claims, comparisons, and why the answer is what it is.

Orders of effect (:mod:`.graph`), attribution by ablation (:mod:`.ablation`), global
sensitivity (:mod:`.sensitivity`), scenario discovery (:mod:`.discovery`), calibration
(:mod:`.calibration`, :mod:`.abc`) and robustness across policies (:mod:`.robustness`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spillover.results.result import RunResult
    from spillover.scenario.model import Scenario

__all__ = ["enrich"]


def enrich(result: RunResult, scenario: Scenario) -> RunResult:
    """Add the cheap analyses (orders of effect, regret table) to ``result.extra["analysis"]``.

    See :func:`spillover.analysis.sections.enrich`; imported lazily so that reading claims
    does not load networkx.
    """
    from spillover.analysis.sections import enrich as _enrich

    return _enrich(result, scenario)
