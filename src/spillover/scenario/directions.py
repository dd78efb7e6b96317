"""Which direction of each outcome and claim is better: declared, never assumed.

An outcome's direction comes from the scenario's ``prefer:`` section when it names the
column, else from the outcome catalogue when the family's direction does not depend on
whose side one takes (miscalculation: lower). A claim's direction is its own ``prefer:``.
Anything else has no declared direction: robustness lists it and does not score it.
"""

from __future__ import annotations

from collections.abc import Iterator

from spillover.scenario.model import Prefer, Scenario
from spillover.scenario.outcomes import outcome_names, preferred

__all__ = ["claim_directions", "outcome_directions", "prefer_problems"]


def outcome_directions(sc: Scenario) -> dict[str, Prefer]:
    """Outcome column → ``lower`` or ``higher``: the catalogue's, overridden by the scenario's.

    >>> from spillover.scenario.load import load_scenario
    >>> outcome_directions(load_scenario("nk-russia-2023"))["miscalc_peak"]
    'lower'
    """
    out: dict[str, Prefer] = dict(preferred(sc))
    out.update(sc.prefer)
    return out


def claim_directions(sc: Scenario) -> dict[str, Prefer]:
    """Claim id → its declared direction (claims without ``prefer:`` are left out)."""
    return {c: claim.prefer for c, claim in sc.claims.items() if claim.prefer is not None}


def prefer_problems(sc: Scenario) -> Iterator[tuple[tuple[str, ...], str]]:
    """Every ``prefer:`` key that names no outcome column: (path in the file, message)."""
    from spillover.scenario.errors import did_you_mean

    names = outcome_names(sc, counterfactual=False)
    known = set(names)
    for column in sc.prefer:
        if column not in known:
            yield ("prefer", column), f"unknown outcome '{column}'{did_you_mean(column, names)} " \
                                      "(spillover outcomes lists them)"
