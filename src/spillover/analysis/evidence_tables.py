"""Prior against posterior: claims, inputs and the fit of each observation.

Weighted numbers use the weights of :mod:`spillover.analysis.evidence` (one per run, the
same under every policy: the evidence conditions what the run drew, and each policy is
then played on it). A weighted probability's interval is the Jeffreys interval with the
effective sample size in place of the run count: ``Beta(p·ESS + ½, (1-p)·ESS + ½)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special, stats

from spillover.analysis.claims import ClaimLike, claim_indicator, estimative_word
from spillover.analysis.evidence import ESS_FLOOR, Frame, ess, measured
from spillover.scenario.evidence_obs import Obs

QUANTILES = (0.05, 0.5, 0.95)


def weighted_interval(p: float, n_eff: float, level: float = 0.9) -> tuple[float, float]:
    """Jeffreys interval of a proportion ``p`` worth ``n_eff`` runs."""
    if n_eff <= 0:
        return 0.0, 1.0
    a, b = p * n_eff + 0.5, (1.0 - p) * n_eff + 0.5
    lo = 0.0 if p <= 0.0 else float(stats.beta.ppf((1 - level) / 2, a, b))
    hi = 1.0 if p >= 1.0 else float(stats.beta.ppf(1 - (1 - level) / 2, a, b))
    return lo, hi


def run_weights(weights: pd.DataFrame, runs: np.ndarray) -> np.ndarray:
    """Each row's weight, by its run (0 for a run without one)."""
    return weights.set_index("run")["weight"].reindex(runs).fillna(0.0).to_numpy(float)


def weighted_claims(outcomes: pd.DataFrame, claims: Sequence[ClaimLike], weights: pd.DataFrame,
                    level: float = 0.9, posterior: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per claim and policy: the prior probability and interval, and the posterior ones
    (``outcomes`` under ``weights``, or the ``posterior`` runs' outcomes under them)."""
    rows: list[dict[str, Any]] = []
    after = outcomes if posterior is None else posterior
    for claim in claims:
        holds = claim_indicator(outcomes, claim)
        holds_after = holds if posterior is None else claim_indicator(after, claim)
        groups = after.groupby("policy", sort=False).indices
        for policy, idx in outcomes.groupby("policy", sort=False).indices.items():
            h = holds[idx].astype(float)
            j = groups.get(policy, np.zeros(0, np.int64))
            w = run_weights(weights, after["run"].to_numpy()[j])
            n, e = len(idx), ess(w)
            prior = float(h.mean()) if n else float("nan")
            post = float(np.sum(w * holds_after[j]) / np.sum(w)) if w.sum() > 0 else float("nan")
            plo, phi = weighted_interval(prior, n, level)
            lo, hi = weighted_interval(post, e, level)
            rows.append({"claim": claim.id, "policy": policy, "text": claim.text, "prior": prior,
                         "prior_lo": plo, "prior_hi": phi, "posterior": post, "lo": lo, "hi": hi,
                         "ess": e,
                         "word": estimative_word(post) if e >= ESS_FLOOR else "not enough evidence"})
    return pd.DataFrame(rows)


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of ``x`` under weights ``w`` (the inverse of the weighted step CDF)."""
    order = np.argsort(x, kind="stable")
    cdf = np.cumsum(w[order])
    cdf /= cdf[-1]
    return x[order][np.minimum(np.searchsorted(cdf, np.asarray(q), side="left"), len(x) - 1)]


def inputs_moved(experiments: pd.DataFrame, weights: pd.DataFrame, top: int | None = None,
                 posterior: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each input's prior and posterior 5/50/95% quantiles, most moved first.

    The posterior is ``experiments`` under ``weights`` (or the ``posterior`` runs under
    them, after resample-move). ``shift`` is the move of the median as a share of the
    prior's 90% range; ``narrowing`` is 1 minus the ratio of the posterior's 90% range to
    the prior's.
    """
    post = experiments if posterior is None else posterior
    w = run_weights(weights, post["run"].to_numpy())
    rows = []
    for name in experiments.columns:
        if name == "run":
            continue
        x = experiments[name].to_numpy(float)
        pq = np.quantile(x, QUANTILES)
        wq = weighted_quantiles(post[name].to_numpy(float), w, QUANTILES)
        span = pq[2] - pq[0]
        if span <= 0:
            continue
        rows.append({"input": name, "prior_q05": pq[0], "prior_q50": pq[1], "prior_q95": pq[2],
                     "posterior_q05": wq[0], "posterior_q50": wq[1], "posterior_q95": wq[2],
                     "shift": (wq[1] - pq[1]) / span, "narrowing": 1.0 - (wq[2] - wq[0]) / span})
    out = pd.DataFrame(rows, columns=["input", "prior_q05", "prior_q50", "prior_q95", "posterior_q05",
                                      "posterior_q50", "posterior_q95", "shift", "narrowing"])
    key = out["shift"].abs() + out["narrowing"].clip(lower=0)
    out = out.iloc[np.argsort(-key.to_numpy(), kind="stable")].reset_index(drop=True)
    return out.head(top) if top else out


def _reported(o: Obs) -> float:
    r = o.report
    if o.form == "number":
        return float(r.value)  # type: ignore[arg-type]
    if o.form == "flag":
        return 1.0 if r.value else 0.0
    if o.form == "between":
        return float(sum(r.between)) / 2  # type: ignore[arg-type]
    return float(r.more_than if o.form == "more_than" else r.less_than)  # type: ignore[arg-type]


def observation_fit(obs: Sequence[Obs], frame: Frame, w: np.ndarray, used: set[str]) -> pd.DataFrame:
    """Each observation's predictive percentile: the chance that a report drawn from a run
    (its value on the last day plus the report's error, widened by the grade) falls below
    what was reported, under the prior and under the posterior. Near 0 or 1, the report
    stands out. Bounds and intervals use their bound (their middle); yes/no reports the
    share of runs where the event had not happened."""
    flat = np.full(len(frame.runs), 1.0 / max(len(frame.runs), 1))
    rows = []
    for o in obs:
        below = _below(o, measured(o, frame, o.days[-1]), _reported(o))
        rows.append({"observation": o.id, "date": str(o.report.last_day), "form": o.form,
                     "reported": _reported(o), "grade": o.report.grade, "used": o.id in used,
                     "prior_percentile": _mean(below, flat), "percentile": _mean(below, w), "where": o.where})
    return pd.DataFrame(rows)


def _below(o: Obs, m: np.ndarray, y: float) -> np.ndarray:
    """Per run, the chance that its report would fall below ``y``."""
    err = o.report.error
    if err is None:
        return (m < y).astype(float) + 0.5 * (m == y)
    sd = err.spread * o.widen
    with np.errstate(divide="ignore", invalid="ignore"):
        if err.kind == "lognormal":
            z = np.where(m > 0, (np.log(y) - np.log(np.where(m > 0, m, 1.0))) / sd, np.inf)
        else:
            z = (y - m) / sd
    return 0.5 * special.erfc(-z / np.sqrt(2.0))


def _mean(x: np.ndarray, w: np.ndarray) -> float:
    total = float(np.sum(w))
    return float(np.sum(w * x) / total) if total > 0 else float("nan")
