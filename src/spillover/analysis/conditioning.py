"""Condition a finished ensemble on an evidence set: weights, ESS and the prior/posterior tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.claims import ClaimLike
from spillover.analysis.evidence import (
    ESS_FLOOR,
    EvidenceContradicts,
    Frame,
    ess,
    log_likelihoods,
    normalised,
    worst_fitting,
)
from spillover.analysis.evidence_tables import inputs_moved, observation_fit, weighted_claims
from spillover.engine.snapshots import SnapshotSpec
from spillover.engine.structure import Structure
from spillover.scenario.evidence_load import EvidenceSet


@dataclass
class Conditioned:
    """What the evidence did to an ensemble."""

    as_of: dt.date | None
    used: list[str]
    weights: pd.DataFrame  # run, weight (summing to 1), loglik
    ess: float
    runs: int
    claims: pd.DataFrame
    inputs: pd.DataFrame
    fit: pd.DataFrame
    worst: list[str] = field(default_factory=list)
    resampled: dict[str, Any] | None = None  # stages and runs of resample-move, when it ran
    posterior_experiments: pd.DataFrame | None = None
    outcomes: pd.DataFrame | None = None  # key outcomes, prior and posterior (evidence_outcomes)
    comparison: pd.DataFrame | None = None  # the paired policy comparison under the weights
    series: pd.DataFrame | None = None  # weighted daily quantiles, from a folder's series_full/

    @property
    def confident(self) -> bool:
        """True when the ESS reaches :data:`~spillover.analysis.evidence.ESS_FLOOR`."""
        return self.ess >= ESS_FLOOR

    def summary(self) -> dict[str, Any]:
        """What the manifest records."""
        return {"as_of": None if self.as_of is None else self.as_of.isoformat(), "observations": self.used,
                "ess": round(self.ess, 3), "runs": self.runs, "ess_floor": ESS_FLOOR,
                "confident": self.confident, "worst_fitting": self.worst,
                **({"resample_move": self.resampled} if self.resampled else {})}


def snapshot_spec(st: Structure, evidence: EvidenceSet, variants: Sequence[Any]) -> SnapshotSpec:
    """What the engine must record, in the rows of the policy the evidence was observed under.

    Raises
    ------
    ValueError
        When that policy is not among the policies run.
    """
    names = [v.policy for v in variants if v.is_policy]
    if evidence.policy not in names:
        raise ValueError(f"the evidence was observed under policy '{evidence.policy}', which this run "
                         f"does not include (it runs {', '.join(names)}); add --policy {evidence.policy}")
    variant = next(i for i, v in enumerate(variants) if v.is_policy and v.policy == evidence.policy)
    return SnapshotSpec.build(st, evidence.requests(), variant)


def condition(evidence: EvidenceSet, as_of: dt.date | None, observed: pd.DataFrame, experiments: pd.DataFrame,
              outcomes: pd.DataFrame, claims: Sequence[ClaimLike], seed: int) -> Conditioned:
    """Weigh every run by the evidence known on ``as_of`` and tabulate prior against posterior.

    Raises
    ------
    EvidenceContradicts
        When no run can produce the evidence.
    """
    used = evidence.as_of(as_of)
    frame = Frame.of(observed, experiments, evidence.nuisance, seed)
    logl = log_likelihoods(used, frame)
    flat = np.full(len(frame.runs), 1.0 / max(len(frame.runs), 1))
    w = normalised(logl, used) if used else flat
    weights = pd.DataFrame({"run": frame.runs, "weight": w, "loglik": logl.sum(axis=0)})
    e = ess(w)
    worst = worst_fitting(logl, w, used) if used else []
    return Conditioned(as_of=as_of, used=[o.id for o in used], weights=weights, ess=e, runs=len(w),
                       claims=weighted_claims(outcomes, claims, weights),
                       inputs=inputs_moved(experiments, weights),
                       fit=observation_fit(evidence.observations, frame, w, {o.id for o in used}),
                       worst=worst)


__all__ = ["Conditioned", "EvidenceContradicts", "condition", "snapshot_spec"]


def resampled(prior: Conditioned, evidence: EvidenceSet, smc: Any, outcomes: pd.DataFrame,
              experiments: pd.DataFrame, posterior_outcomes: pd.DataFrame, claims: Sequence[ClaimLike],
              seed: int, observed: pd.DataFrame) -> Conditioned:
    """The conditioning after resample-move: the posterior is the final population
    (``smc``: :class:`spillover.analysis.smc.SmcResult`, ``observed`` its observed
    quantities), weighted by survival counts."""
    w = smc.weights
    used = evidence.as_of(prior.as_of)
    frame = Frame.of(observed, smc.experiments, evidence.nuisance, seed)
    wf = w.set_index("run")["weight"].reindex(frame.runs).to_numpy(float)
    fit = observation_fit(evidence.observations, frame, wf, {o.id for o in used})
    fit["prior_percentile"] = prior.fit["prior_percentile"].to_numpy()
    return Conditioned(
        as_of=prior.as_of, used=prior.used, weights=w, ess=ess(w["weight"].to_numpy()), runs=len(w),
        claims=weighted_claims(outcomes, claims, w, posterior=posterior_outcomes),
        inputs=inputs_moved(experiments, w, posterior=smc.experiments),
        fit=fit, worst=prior.worst if used else [],
        resampled={"stages": smc.stages, "simulated_runs": smc.simulated, "prior_ess": round(prior.ess, 3)},
        posterior_experiments=smc.experiments)
