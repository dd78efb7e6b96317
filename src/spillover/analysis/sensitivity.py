"""Global sensitivity with SALib: Sobol' (bootstrap intervals), Morris screening and PAWN.

SALib samples the unit cube; each column is mapped onto a scenario input through that
input's own quantile function (:meth:`~spillover.scenario.quantity.Quantity.ppf`), so
lognormal, triangular or discrete inputs keep their distributions. A run's other random
inputs (perception noise, event thresholds) enter as one more factor, ``(run
randomness)``: its unit value picks the run whose random draws a row uses, so the rows
that SALib means to share a value share their draws too, and the share of the variance
due to chance is estimated like any input's.
"""

from __future__ import annotations

import itertools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from spillover.analysis.evaluate import (
    Selection,
    nominal_values,
    policy_variants_for,
    run_rows,
    select,
    unit_values,
)
from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.chunks import Batch
from spillover.ensemble.design import unit_design
from spillover.ensemble.settings import Execution
from spillover.scenario.errors import did_you_mean
from spillover.scenario.inputs import Input
from spillover.scenario.model import Scenario

__all__ = [
    "METHODS", "MINIMUM", "RANDOMNESS", "Sensitivity", "input_labels", "pawn_median", "rank_warnings",
    "sensitivity",
]

METHODS = ("sobol", "morris", "pawn")
MINIMUM = {"sobol": 64, "morris": 4, "pawn": 100}
"""Smallest ``n`` each method accepts (base samples, trajectories, or runs)."""
RANDOMNESS = "(run randomness)"
"""The factor standing for each run's perception noise and event thresholds."""
_SEED_SPAN = 2.0**52
_METRIC = {"sobol": ("ST", "ST_conf"), "morris": ("mu_star", "mu_star_conf"),
           "pawn": ("median", "median_conf")}


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
    >>> labels["rus_fire_rate"], labels["fullness"]
    ('sourced', 'judgment')
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


def _check_n(method: str, n: int) -> None:
    if method not in METHODS:
        raise ValueError(f"unknown method '{method}'{did_you_mean(method, METHODS)}")
    if n < MINIMUM[method]:
        what = {"sobol": "base samples", "morris": "trajectories"}.get(method, "runs")
        raise ValueError(f"{method} needs --n of at least {MINIMUM[method]} {what}, got {n}")
    if method == "sobol" and n & (n - 1):
        lo = 1 << (n.bit_length() - 1)
        raise ValueError(f"sobol needs --n to be a power of 2 (its sequence balances only then): "
                         f"use {lo} or {lo * 2}")


def _need_salib() -> None:
    try:
        import SALib  # noqa: F401
    except ImportError:
        raise ImportError("sensitivity analysis needs SALib: pip install 'spillover[analysis]'") from None


def _sample(method: str, problem: dict[str, Any], n: int, seed: int, second: bool) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        return np.asarray(sobol.sample(problem, n, calc_second_order=second, scramble=True, seed=seed))
    if method == "morris":
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, n, num_levels=4, seed=seed))
    return unit_design(n, problem["num_vars"], seed, "lhs")


def _analyze(method: str, problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, seed: int,
             second: bool, resamples: int, level: float) -> dict[str, np.ndarray]:
    if method == "sobol":
        from SALib.analyze import sobol

        res = sobol.analyze(problem, Y, calc_second_order=second, num_resamples=resamples,
                            conf_level=level, seed=seed)
        return {k: np.asarray(res[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}
    if method == "morris":
        from SALib.analyze import morris

        res = morris.analyze(problem, X, Y, num_resamples=resamples, conf_level=level, num_levels=4,
                             seed=seed)
        return {k: np.asarray(res[k], dtype=float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")}
    return _pawn(problem, X, Y, seed, resamples, level)


def pawn_median(X: np.ndarray, Y: np.ndarray, S: int = 10) -> np.ndarray:
    """The PAWN index (median over ``S`` slices of the KS statistic) of every column of ``X``.

    The same slices and statistic as ``SALib.analyze.pawn``, vectorised over slices so
    that bootstrap intervals are cheap.
    """
    order = np.argsort(Y, kind="stable")
    ys = Y[order]
    N = len(Y)
    ends = np.r_[ys[1:] != ys[:-1], True]
    f_all = (np.arange(1, N + 1) / N)[ends]
    out = np.full(X.shape[1], np.nan)
    seq = np.arange(0, 1 + 1 / S, 1 / S)
    for d in range(X.shape[1]):
        x = X[:, d]
        q = np.nanquantile(x, seq)
        slot = np.searchsorted(q[1:S + 1], x, side="right")[order]
        member = np.zeros((S + 1, N))
        member[slot, np.arange(N)] = 1.0
        member = member[:S]
        size = member.sum(axis=1)
        keep = size > 0
        cdf = np.cumsum(member[keep], axis=1)[:, ends] / size[keep, None]
        out[d] = np.median(np.abs(cdf - f_all).max(axis=1))
    return out


def _pawn(problem: dict[str, Any], X: np.ndarray, Y: np.ndarray, seed: int, resamples: int,
          level: float) -> dict[str, np.ndarray]:
    """PAWN (median KS over slices) from SALib, with a bootstrap interval over runs."""
    from SALib.analyze import pawn

    res = pawn.analyze(problem, X, Y, S=10)
    rng = np.random.default_rng(seed)
    boots = []
    for _ in range(resamples):
        idx = rng.integers(0, len(Y), len(Y))
        boots.append(pawn_median(X[idx], Y[idx]))
    z = float(stats.norm.ppf(0.5 + level / 2))
    conf = z * np.std(np.array(boots), axis=0, ddof=1) if resamples > 1 else np.full(X.shape[1], np.nan)
    return {"median": np.asarray(res["median"]), "median_conf": conf,
            "minimum": np.asarray(res["minimum"]), "maximum": np.asarray(res["maximum"])}


def _runs_for(method: str, n: int, d: int, second: bool) -> int:
    if method == "sobol":
        return n * (2 * d + 2 if second else d + 2)
    if method == "morris":
        return n * (d + 1)
    return n


def rank_warnings(table: pd.DataFrame, method: str, n: int, d: int, top: int = 10,
                  second: bool = False, show: int = 3) -> list[str]:
    """Sentences saying which of the top inputs cannot be told apart, and what would help.

    An interval's half-width shrinks as 1/√N, so separating two inputs whose intervals
    overlap needs N·((c₁ + c₂)/gap)² base samples.

    >>> t = pd.DataFrame({"input": ["a", "b", "c"], "index": [0.5, 0.45, 0.1],
    ...                   "lo": [0.4, 0.35, 0.05], "hi": [0.6, 0.55, 0.15]})
    >>> print(rank_warnings(t, "pawn", 200, 3)[1])
    The intervals of a and b (ranks 1 and 2) overlap at n=200: about n=3,200 runs (16× as many) would separate them.
    """  # noqa: E501
    head = table.head(min(top, len(table)))
    floor = 0.01 * float(np.nanmax(np.abs(head["index"]))) if len(head) else 0.0
    out = []
    rows = list(head.itertuples())
    for a, b in itertools.pairwise(rows):
        if not (np.isfinite(a.lo) and np.isfinite(b.hi)) or a.index <= floor or a.lo > b.hi:
            continue
        gap = float(a.index - b.index)
        width = float((a.hi - a.index) + (b.hi - b.index))
        names = f"{a.input} and {b.input} (ranks {a.Index + 1} and {b.Index + 1})"
        if gap <= 0 or width <= 0 or (width / gap) ** 2 > 256:
            out.append(f"The intervals of {names} overlap at n={n:,}: they are too close to rank "
                       f"with any practical number of runs.")
            continue
        factor = (width / gap) ** 2
        need = int(np.ceil(n * factor - 1e-9))
        if method == "sobol":
            need = 1 << int(np.ceil(np.log2(need)))
        runs = _runs_for(method, need, d, second)
        out.append(f"The intervals of {names} overlap at n={n:,}: about n={need:,} "
                   f"({runs:,} runs, {need / n:.3g}× as many) would separate them."
                   if method in ("sobol", "morris") else
                   f"The intervals of {names} overlap at n={n:,}: about n={need:,} runs "
                   f"({need / n:.3g}× as many) would separate them.")
    if out:
        shown = out[:show]
        if len(out) > show:
            shown.append(f"({len(out) - show} more overlapping pairs among the top {len(head)}.)")
        shown.insert(0, f"Some of the top {len(head)} inputs cannot be ranked: their intervals overlap.")
        return shown
    return out


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
        ``sobol`` (Saltelli sampling, first and total order with bootstrap intervals),
        ``morris`` (elementary effects, for screening many inputs) or ``pawn``
        (moment-independent, from a Latin hypercube; it reads a given sample whatever the
        inputs' dependence, and its interval is a bootstrap over runs).
    n
        Base samples for Sobol' (a power of 2; the runs are n·(d+2)), trajectories for
        Morris (runs n·(d+1)), runs for PAWN.
    inputs
        Inputs to vary (default all); the others stay at their nominal values.
    randomness
        Vary each run's random draws as one more factor (default). Without it every
        row uses run 0's draws: the indices are then conditional on that draw.

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> sc = load_scenario("nk-russia-2023")
    >>> res = sensitivity(sc, "days_of_fire.prk_rus_shells", "morris", n=4, seed=1)
    >>> res.table["input"].iloc[0]
    'rus_fire_rate'
    """
    _check_n(method, n)
    _need_salib()
    st = build_structure(sc)
    sel = select(sc, outcome)
    factors = _factors(st, inputs)
    rand = randomness and _random(st)
    names = [f.name for f in factors] + ([RANDOMNESS] if rand else [])
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    caught: list[str] = []
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as log:
        warnings.simplefilter("always")
        X = _sample(method, problem, n, seed, second_order)
        values = {**nominal_values(st.inputs, len(X)), **unit_values(factors, X[:, :len(factors)])}
        seeds = _seeds(X[:, -1]) if rand else np.zeros(len(X), np.int64)
        batch = Batch(st=st, variants=policy_variants_for(sc, policy, sel.counterfactual), seed=seed)
        ex = Execution(chunk_size=chunk_size, workers=workers, progress=progress)
        frame = run_rows(batch, values, seeds, ex, keep=sel.expr.columns())
        Y = _outcome(frame, sel)
        res = _analyze(method, problem, X, Y, seed, second_order, resamples, level)
    caught += sorted({str(w.message) for w in log})
    table = _table(sc, st, names, res, method)
    warn = rank_warnings(table, method, n, len(names), second=second_order) + caught
    return Sensitivity(method=method, outcome=sel.text, policy=batch.variants[0].policy, n=n, runs=len(X),
                       table=table, measure=_METRIC[method][0], level=level, warnings=warn,
                       seconds=time.perf_counter() - t0)


def _table(sc: Scenario, st: Structure, names: list[str], res: dict[str, np.ndarray],
           method: str) -> pd.DataFrame:
    labels = {**input_labels(sc, st), RANDOMNESS: "random"}
    metric, conf = _METRIC[method]
    t = pd.DataFrame({"input": names, "label": [labels[n] for n in names]})
    t["index"] = res[metric]
    t["lo"] = res[metric] - res[conf]
    t["hi"] = res[metric] + res[conf]
    for k, v in res.items():
        t[k] = v
    t = t.sort_values("index", ascending=False, kind="stable").reset_index(drop=True)
    t.insert(0, "rank", np.arange(1, len(t) + 1))
    return t
