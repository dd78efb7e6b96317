"""Backtest: forecast every later observation from what was known at each origin, and score it.

One ensemble is run (the prior, under the policy the evidence was observed under). At an
origin date the runs are weighed by the observations known by then
(:mod:`spillover.analysis.evidence`); every observation dated after the origin is then a
target. The forecast of a target is each run's value of what it measures (its
``measures`` with scale and offset, on its last day), weighted: spillover. The same runs
unweighted are the climatology baseline; the last observed value or rate of the same
``measures`` carried forward is persistence. Reported numbers are scored by CRPS, the
50% and 90% central intervals' coverage and the PIT; yes/no reports by Brier and log
score (:mod:`spillover.analysis.scores`). Bounds and intervals are conditioned on but not
scored (a bound is not a number to score a forecast against).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.evidence import Frame, log_likelihoods, normalised
from spillover.analysis.scores import crps_point, persistence, score_events, score_numbers
from spillover.scenario.evidence_check import is_count
from spillover.scenario.evidence_obs import Obs

COLUMNS = ("origin", "observation", "date", "measures", "unit", "method", "observed", "forecast", "crps",
           "in50", "in90", "pit", "brier", "log", "fixed")
"""``fixed``: every run gives the target the same value, so the scenario sets it (often from the
same report it is checked against): shown, not scored."""


def _cumulative(o: Obs) -> bool:
    """A count that only grows (shipped, delivered...): persistence carries its rate."""
    cumulative = ("shipped.", "delivered.", "lost.", "produced.", "fired_total.", "demanded.", "shortfall.")
    return is_count(o.expr) and all(c.startswith(cumulative) for c in o.expr.columns() if "." in c)


def _persistence(o: Obs, known: Sequence[Obs], start: dt.date, origin: dt.date) -> float:
    same = [k for k in known if k.form == "number" and k.report.measures == o.report.measures
            and k.report.scale == o.report.scale and k.report.offset == o.report.offset]
    if not same:
        return float("nan")
    # Days elapsed at the end of each day (the snapshots' convention): a count is 0 before day 0.
    days = np.array([(k.report.last_day - start).days + 1 for k in same])
    values = np.array([float(k.report.value) for k in same])  # type: ignore[arg-type]
    target = np.array([(o.report.last_day - start).days + 1])
    return float(persistence(days, values, (origin - start).days + 1, target, cumulative=_cumulative(o))[0])


def _row(origin: dt.date, o: Obs, method: str, y: float, **scores: Any) -> dict[str, Any]:
    base: dict[str, Any] = {c: np.nan for c in COLUMNS}
    base.update(origin=origin.isoformat(), observation=o.id, date=str(o.report.last_day),
                measures=o.report.measures, unit=o.report.unit or "", method=method, observed=y)
    base.update(scores)
    return base


def _score_number(origin: dt.date, o: Obs, m: np.ndarray, w: np.ndarray, pers: float,
                  seed: int) -> list[dict[str, Any]]:
    y = float(o.report.value)  # type: ignore[arg-type]
    rows = []
    for method, weights in (("spillover", w), ("climatology", None)):
        s = score_numbers(m[:, None], y, None if weights is None else weights, seed=seed)
        mean = float(np.average(m, weights=weights))
        rows.append(_row(origin, o, method, y, forecast=mean, crps=float(s["crps"][0]),
                         in50=float(s["in50"][0]), in90=float(s["in90"][0]), pit=float(s["pit"][0])))
    if np.isfinite(pers):
        rows.append(_row(origin, o, "persistence", y, forecast=pers, crps=float(crps_point(pers, y))))
    return rows


def _score_flag(origin: dt.date, o: Obs, m: np.ndarray, w: np.ndarray) -> list[dict[str, Any]]:
    y = 1.0 if o.report.value else 0.0
    rows = []
    for method, weights in (("spillover", w), ("climatology", None)):
        s = score_events((m > 0.5)[:, None].astype(int), np.array([y]), weights)
        rows.append(_row(origin, o, method, y, forecast=float(s["prob"][0]), brier=float(s["brier"][0]),
                         log=float(s["log"][0])))
    return rows


def backtest(observations: Sequence[Obs], frame: Frame, origins: Sequence[dt.date], start: dt.date,
             seed: int) -> pd.DataFrame:
    """One row per (origin, later observation, method): the forecast and its scores."""
    from spillover.analysis.evidence import measured

    rows: list[dict[str, Any]] = []
    for origin in origins:
        known = [o for o in observations if o.report.known_on <= origin]
        w = normalised(log_likelihoods(known, frame), known) if known else \
            np.full(len(frame.runs), 1.0 / len(frame.runs))
        for o in observations:
            if o.report.first_day <= origin or o.form not in ("number", "flag"):
                continue
            m = measured(o, frame, o.days[-1])
            if o.form == "flag":
                got = _score_flag(origin, o, m, w)
            else:
                got = _score_number(origin, o, m, w, _persistence(o, known, start, origin), seed)
            fixed = bool(np.ptp(m) == 0) if len(m) else False
            rows += [{**r, "fixed": fixed} for r in got]
    return pd.DataFrame(rows, columns=list(COLUMNS))


def fixed_targets(table: pd.DataFrame) -> list[str]:
    """One sentence per observation left out of the scores because the scenario fixes it.

    >>> t = pd.DataFrame({"observation": ["a", "a", "b"], "unit": ["soldiers", "soldiers", "x"],
    ...                   "fixed": [True, True, False]})
    >>> [line.split(": every")[0] for line in fixed_targets(t)]
    ['Not scored: a (soldiers)']
    """
    if "fixed" not in table or table.empty:
        return []
    rows = table[table["fixed"].astype(bool)].drop_duplicates("observation")
    return [f"Not scored: {r.observation}{f' ({r.unit})' if r.unit else ''}: every run gives it the same "
            "value, so the scenario sets it (often from the report it is checked against); "
            "a backtest cannot test it"
            for r in rows.itertuples()]


def scorecard(table: pd.DataFrame) -> pd.DataFrame:
    """Per origin and method: targets scored, mean CRPS per unit, 50%/90% coverage, Brier (targets
    the scenario fixes are left out: :func:`fixed_targets`)."""
    if "fixed" in table:
        table = table[~table["fixed"].astype(bool)]
    if table.empty:
        return pd.DataFrame(columns=["origin", "unit", "method", "targets", "crps", "in50", "in90", "brier",
                                     "skill"])
    g = table.groupby(["origin", "unit", "method"], sort=False)
    out = g.agg(targets=("observation", "size"), crps=("crps", "mean"), in50=("in50", "mean"),
                in90=("in90", "mean"), brier=("brier", "mean")).reset_index()
    out["skill"] = crps_skill(out)
    return out


def crps_skill(card: pd.DataFrame) -> np.ndarray:
    """Per scorecard row, the CRPS skill against climatology at the same origin and unit:
    1 − CRPS / CRPS_climatology (above 0: better than climatology; below 0: worse; NaN for
    climatology itself and where climatology's CRPS is 0 or missing).

    >>> card = pd.DataFrame({"origin": ["a"] * 3, "unit": ["u"] * 3, "crps": [2.0, 4.0, 5.0],
    ...                      "method": ["spillover", "climatology", "persistence"]})
    >>> crps_skill(card).round(2).tolist()
    [0.5, nan, -0.25]
    """
    clim = card[card["method"] == "climatology"].set_index(["origin", "unit"])["crps"]
    ref = np.array([clim.get((o, u), np.nan) for o, u in zip(card["origin"], card["unit"], strict=True)],
                   dtype=float)
    crps = card["crps"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        skill = np.where((ref > 0) & (card["method"] != "climatology").to_numpy(), 1 - crps / ref, np.nan)
    return skill


def worse_than_climatology(card: pd.DataFrame) -> list[str]:
    """One plain sentence per origin and unit where spillover's CRPS is worse than climatology's
    (by a skill that shows as worse at two decimals: −0.004 is a tie, not a loss).

    >>> card = pd.DataFrame({"origin": ["a", "b"], "unit": ["u", "u"], "method": ["spillover"] * 2,
    ...                      "skill": [-0.004, -0.2]})
    >>> [s.split(" (")[0] for s in worse_than_climatology(card)]
    ['At b']
    """
    rows = card[(card["method"] == "spillover") & (card["skill"].round(2) < 0)]
    return [f"At {r.origin} ({r.unit}), spillover forecasts worse than climatology "
            f"(CRPS skill {r.skill:+.2f}): the evidence known then moved the runs away from what came later"
            for r in rows.itertuples()]


def run_backtest(sc: Any, evidence: Any, origins: Sequence[dt.date], ex: Any) -> tuple[pd.DataFrame, Any]:
    """Run the prior ensemble once (the evidence's policy alone) and score it at every origin.

    Returns the backtest table and the ensemble's timings.
    """
    from spillover.analysis.conditioning import snapshot_spec
    from spillover.ensemble.runner import plan
    from spillover.results.assemble import run_in_memory

    pl = plan(sc, ex.seed, [evidence.policy], counterfactual=False, series=False)
    pl.batch.observe = snapshot_spec(pl.structure, evidence, pl.batch.variants)
    ens = run_in_memory(pl, ex)
    assert ens.observed is not None
    frame = Frame.of(ens.observed, ens.experiments, evidence.nuisance, ex.seed)
    return backtest(evidence.observations, frame, origins, sc.start, ex.seed), ens.timings


def checked_origins(start: dt.date, horizon: int, origins: Sequence[Any]) -> list[dt.date]:
    """The backtest's origins as sorted dates, each once and within the run.

    >>> checked_origins(dt.date(2024, 1, 1), 10, ["2024-01-05", "2024-01-02"])
    [datetime.date(2024, 1, 2), datetime.date(2024, 1, 5)]
    >>> checked_origins(dt.date(2024, 1, 1), 10, ["2023-12-31"])
    Traceback (most recent call last):
    ValueError: origin 2023-12-31 lies outside the run (2024-01-01 to 2024-01-10)
    """
    days = [dt.date.fromisoformat(o) if isinstance(o, str) else o for o in origins]
    end = start + dt.timedelta(days=horizon - 1)
    for d in days:
        if not start <= d <= end:
            raise ValueError(f"origin {d} lies outside the run ({start} to {end})")
    if len(set(days)) < len(days):
        raise ValueError(f"an origin is given twice: {', '.join(str(d) for d in days)}")
    return sorted(days)


def check_targets(observations: Sequence[Obs], origins: Sequence[dt.date]) -> None:
    """Refuse a backtest with nothing to forecast: no reported number or yes/no observation
    dated after the first origin (bounds and intervals are conditioned on, not scored)."""
    scored = [o for o in observations if o.form in ("number", "flag")]
    if origins and not any(o.report.first_day > origins[0] for o in scored):
        last = max((o.report.last_day for o in scored), default=None)
        why = f" (the last is dated {last}); choose earlier origins" if last else \
            "; a backtest scores values and yes/no reports, not bounds"
        raise ValueError(f"nothing to score: no reported number or yes/no observation is dated after "
                         f"{origins[0]}{why}")

