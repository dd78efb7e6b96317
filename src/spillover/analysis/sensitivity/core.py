"""Global sensitivity of one outcome to a scenario's uncertain inputs, with any registered method.

SALib samples the unit cube; each column is mapped onto a scenario input through that
input's own quantile function (:meth:`~spillover.scenario.quantity.Quantity.ppf`), so
lognormal, triangular or discrete inputs keep their distributions. A run's other random
inputs (perception noise, event thresholds) enter as one more factor, ``(run
randomness)``: its unit value picks the run whose random draws a row uses, so the rows
that SALib means to share a value share their draws too, and the share of the variance
due to chance is estimated like any input's.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from spillover.analysis.evaluate import (
    Selection,
    nominal_values,
    policy_variants_for,
    run_rows,
    select,
    unit_values,
)
from spillover.analysis.sensitivity import method as get_method
from spillover.analysis.sensitivity.base import Method
from spillover.analysis.sensitivity.ranking import rank_warnings
from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.chunks import Batch
from spillover.ensemble.settings import Execution
from spillover.scenario.errors import did_you_mean
from spillover.scenario.inputs import Input
from spillover.scenario.model import Scenario

__all__ = ["RANDOMNESS", "Sensitivity", "input_labels", "sensitivity"]

RANDOMNESS = "(run randomness)"
"""The factor standing for each run's perception noise and event thresholds."""
_SEED_SPAN = 2.0**52


@dataclass
class Sensitivity:
    """The result of :func:`sensitivity`.

    Attributes
    ----------
    table
        One row per factor, most influential first: ``rank``, ``input``, ``label``
        (sourced, judgment, unsourced or random), ``index`` (the ranking measure: total
        order ST for Sobol', mu* for Morris, the median KS statistic for PAWN), ``lo`` and
        ``hi`` (its interval), then the method's own columns.
    warnings
        Sentences for the analyst: intervals too wide to rank, SALib's own warnings.
    """

    method: str
    outcome: str
    policy: str
    n: int
    runs: int
    table: pd.DataFrame
    measure: str
    level: float
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0


def input_labels(sc: Scenario, st: Structure | None = None) -> dict[str, str]:
    """``sourced``, ``judgment`` or ``unsourced`` for every sampled input.

    >>> from spillover.scenario.load import load_scenario
    >>> labels = input_labels(load_scenario("nk-russia-2023"))
    >>> labels["rus_fire_rate"], labels["rounds_per_container"]
    ('judgment', 'judgment')
    """
    st = st or build_structure(sc)
    out = {}
    for inp in st.inputs:
        q = inp.quantity
        out[inp.name] = "judgment" if q.judgment else "sourced" if q.sources else "unsourced"
    return out


def _factors(st: Structure, names: Sequence[str] | None) -> list[Input]:
    if not names:
        return list(st.inputs)
    by = {i.name: i for i in st.inputs}
    for n in names:
        if n not in by:
            raise ValueError(f"unknown input '{n}'{did_you_mean(n, by)}")
    return [by[n] for n in dict.fromkeys(names)]


def _random(st: Structure) -> bool:
    sc = st.scenario
    return bool(st.observers) or any(e.trigger.hazard is not None for e in sc.events.values())


def _need_salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise ImportError("sensitivity analysis needs SALib: pip install 'spillover[analysis]'") from None


def _seeds(u: np.ndarray) -> np.ndarray:
    """Run indices from the randomness factor's unit values: equal values, equal draws."""
    return (np.clip(u, 0.0, 1.0) * _SEED_SPAN).astype(np.int64)


def _outcome(frame: pd.DataFrame, sel: Selection) -> np.ndarray:
    Y = np.asarray(sel.evaluate(frame), dtype=float)
    bad = int(np.isnan(Y).sum())
    if bad:
        raise ValueError(f"--outcome '{sel.text}' is undefined (NaN) in {bad:,} of {len(Y):,} runs "
                         f"(e.g. a firing day when the event never fires); use an outcome defined "
                         f"in every run, e.g. fired(...) or a comparison")
    if np.ptp(Y) == 0:
        raise ValueError(f"--outcome '{sel.text}' is {Y[0]:g} in every run: there is nothing to attribute")
    return Y


def sensitivity(
    sc: Scenario,
    outcome: str,
    method: str = "sobol",
    n: int = 1024,
    seed: int = 0,
    policy: str | None = None,
    inputs: Sequence[str] | None = None,
    randomness: bool = True,
    second_order: bool = False,
    resamples: int = 100,
    level: float = 0.95,
    top: int = 10,
    chunk_size: int = 2000,
    workers: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> Sensitivity:
    """Global sensitivity of one outcome to the scenario's uncertain inputs, under one policy.

    Parameters
    ----------
    outcome
        An outcome column, an expression over them, or a claim id (yes/no outcomes count
        as 0/1).
    method
        A registered method (:data:`spillover.analysis.sensitivity.METHODS`): ``sobol``
        (Saltelli sampling, first and total order with bootstrap intervals), ``morris``
        (elementary effects, for screening many inputs) or ``pawn`` (moment-independent,
        from a Latin hypercube; its interval is a bootstrap over runs).
    n
        Base samples for Sobol' (a power of 2; the runs are n·(d+2)), trajectories for
        Morris (runs n·(d+1)), runs for PAWN.
    inputs
        Inputs to vary (default all); the others stay at their nominal values.
    randomness
        Vary each run's random draws as one more factor (default). Without it every
        row uses run 0's draws: the indices are then conditional on that draw.
    top
        The warnings say which of the ``top`` inputs cannot be ranked (those an analyst
        reads: the command line passes its ``--top``).

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> sc = load_scenario("nk-russia-2023")
    >>> res = sensitivity(sc, "days_of_fire.prk_rus_shells", "morris", n=4, seed=1)
    >>> res.table["input"].iloc[0]
    'rus_fire_rate'
    """
    m = get_method(method)
    m.check(n)
    _need_salib()
    st = build_structure(sc)
    sel = select(sc, outcome)
    factors = _factors(st, inputs)
    rand = randomness and _random(st)
    names = [f.name for f in factors] + ([RANDOMNESS] if rand else [])
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        X = m.sample(problem, n, seed, second_order)
        values = {**nominal_values(st.inputs, len(X)), **unit_values(factors, X[:, :len(factors)])}
        seeds = _seeds(X[:, -1]) if rand else np.zeros(len(X), np.int64)
        batch = Batch(st=st, variants=policy_variants_for(sc, policy, sel.counterfactual), seed=seed)
        ex = Execution(chunk_size=chunk_size, workers=workers, progress=progress)
        frame = run_rows(batch, values, seeds, ex, keep=sel.expr.columns())
        Y = _outcome(frame, sel)
        res = m.analyse(problem, X, Y, seed, second_order, resamples, level)
    caught = sorted({str(w.message) for w in log})
    table = _table(sc, st, names, res, m)
    warn = rank_warnings(table, m, n, len(names), top=top, second=second_order) + caught
    return Sensitivity(method=m.name, outcome=sel.text, policy=batch.variants[0].policy, n=n, runs=len(X),
                       table=table, measure=m.measure, level=level, warnings=warn,
                       seconds=time.perf_counter() - t0)


def _table(sc: Scenario, st: Structure, names: list[str], res: dict[str, np.ndarray],
           m: Method) -> pd.DataFrame:
    labels = {**input_labels(sc, st), RANDOMNESS: "random"}
    t = pd.DataFrame({"input": names, "label": [labels[n] for n in names]})
    t["index"] = res[m.measure]
    lo = res[m.measure] - res[m.conf]
    t["lo"] = np.maximum(lo, 0.0) if m.nonnegative else lo  # mu* and PAWN's KS are never negative
    t["hi"] = res[m.measure] + res[m.conf]
    for k, v in res.items():
        t[k] = v
    t = t.sort_values("index", ascending=False, kind="stable").reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t
