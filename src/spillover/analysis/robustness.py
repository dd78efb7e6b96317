"""Robustness across policies: regret per run and outcome, and the minimax-regret choice.

In each run, a policy's *regret* on an outcome is how much worse it does than the best
policy in that same run (all policies share the run's draws, so the comparison is
paired). A robust policy keeps its regret small in every run, not only on average.

Which direction is better is read, never assumed: from the scenario's ``prefer:`` and its
claims' ``prefer:``, and from the outcome catalogue where the direction does not depend on
the side (see :mod:`spillover.scenario.directions`). A quantity without a declared
direction is listed (its mean per policy) but not scored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.claims import outcome_columns
from spillover.ensemble.runner import plan
from spillover.ensemble.settings import Execution
from spillover.results.assemble import run_in_memory
from spillover.scenario.directions import claim_directions, outcome_directions
from spillover.scenario.expr import ExprError, compile_expr
from spillover.scenario.model import Prefer, Scenario
from spillover.scenario.outcomes import claims_read_twins, compared_columns

__all__ = ["REGRET_COLUMNS", "UNDECLARED", "default_higher", "default_quantities", "directions",
           "regret_summary", "regret_table", "robust", "scenario_quantities"]

UNDECLARED = "undeclared"
"""The ``better`` of a quantity listed without a declared direction (not scored)."""

REGRET_COLUMNS = ("quantity", "better", "policy", "n", "mean", "best_runs", "best_share", "mean_regret",
                  "p90_regret", "max_regret", "minimax")
"""Columns of :func:`regret_table`, in order."""


def _claim_name(sc: Scenario, claim: str) -> str:
    """A claim's quantity name: its id, unless an outcome column has that name."""
    return f"claim:{claim}" if claim in compared_columns(sc) or claim in sc.prefer else claim


def scenario_quantities(sc: Scenario) -> dict[str, str]:
    """Every quantity robustness looks at: the compared outcomes, then the claims (as 0/1).

    >>> from spillover.scenario.load import load_scenario
    >>> list(scenario_quantities(load_scenario("nk-russia-2023")))[:2]
    ['days_of_fire.prk_rus_shells', 'days_of_fire.west_ukr_shells']
    """
    qs = {c: c for c in compared_columns(sc)}
    qs.update({c: c for c in sc.prefer if c not in qs})
    qs.update({_claim_name(sc, c): claim.expr for c, claim in sc.claims.items()})
    return qs


def directions(sc: Scenario) -> dict[str, Prefer]:
    """Quantity name → its declared direction, for the outcomes and claims that declare one."""
    out: dict[str, Prefer] = dict(outcome_directions(sc))
    out.update({_claim_name(sc, c): side for c, side in claim_directions(sc).items()})
    return out


def default_quantities(sc: Scenario) -> dict[str, str]:
    """The quantities with a declared direction: the ones robustness scores.

    >>> from spillover.scenario.load import load_scenario
    >>> list(default_quantities(load_scenario("nk-russia-2023")))[:2]
    ['days_of_fire.prk_rus_shells', 'peak.ukr_pressure']
    """
    sides = directions(sc)
    return {k: v for k, v in scenario_quantities(sc).items() if k in sides}


def default_higher(sc: Scenario) -> list[str]:
    """The default quantities where more is better."""
    return [c for c, side in directions(sc).items() if side == "higher"]


Pairs = tuple[np.ndarray, np.ndarray, tuple[int, int]]


def _pairs(outcomes: pd.DataFrame, policies: list[str]) -> Pairs:
    """Each outcome row's place in a (runs × policies) matrix, runs ascending: its row, its
    column (-1 for a policy not compared), and the matrix's shape. Refuses a policy with no runs."""
    runs, row = np.unique(outcomes["run"].to_numpy(), return_inverse=True)
    col = pd.Categorical(outcomes["policy"].astype(str), categories=policies).codes
    missing = [p for i, p in enumerate(policies) if not (col == i).any()]
    if missing:
        raise ValueError(f"policy '{missing[0]}' has no runs in the outcomes")
    return row, col, (len(runs), len(policies))


def _matrix(pairs: Pairs, values: np.ndarray) -> np.ndarray:
    """(runs × policies) values, paired by run (see :func:`_pairs`): a run a policy lacks is
    NaN, and a (run, policy) given twice takes its first value that is not NaN, as a pivot
    table with ``aggfunc="first"`` would (one pivot per quantity took 18 ms on 10,000 runs
    of six policies; this takes 0.5 ms once the pairs are known, which take 8 ms once)."""
    row, col, shape = pairs
    v = values.astype(float)
    keep = np.flatnonzero((col >= 0) & ~np.isnan(v))[::-1]  # the first given is written last
    out = np.full(shape, np.nan)
    out[row[keep], col[keep]] = v[keep]
    return out


def regret_table(
    outcomes: pd.DataFrame,
    quantities: Mapping[str, str] | None = None,
    higher_is_better: Collection[str] = (),
    directions: Mapping[str, Prefer] | None = None,
) -> pd.DataFrame:
    """Which policy is best in how many runs, its mean and maximum regret, the minimax choice.

    Parameters
    ----------
    outcomes
        One row per (run, policy), every policy on the same runs.
    quantities
        Name → expression over the outcomes (yes/no counts as 0/1); default every
        outcome column.
    higher_is_better
        Quantity names where more is better (elsewhere lower is better, unless ``directions``).
    directions
        Quantity name → ``lower`` or ``higher`` (see :func:`directions`). When given, a
        quantity it does not name (nor ``higher_is_better``) is listed, not scored: its
        rows have ``better`` :data:`UNDECLARED`, its mean, and no regret.

    Returns
    -------
    pandas.DataFrame
        One row per (quantity, policy) with :data:`REGRET_COLUMNS`: ``better``
        (``lower`` or ``higher``), ``n`` runs (runs where any policy is undefined are
        left out), ``mean`` value, ``best_runs`` (runs where the policy is best, ties
        counting for each tied policy) and ``best_share``, ``mean_regret``, ``p90_regret``,
        ``max_regret`` and ``minimax`` (the policy with the smallest maximum regret,
        ties broken by the mean regret; policies tied on both are all minimax). Unscored
        quantities come last.

    Examples
    --------
    >>> out = pd.DataFrame({"run": [0, 1, 0, 1], "policy": ["a", "a", "b", "b"],
    ...                     "peak.x": [0.2, 0.9, 0.5, 0.5]})
    >>> t = regret_table(out)
    >>> t[["policy", "best_runs", "max_regret", "minimax"]].to_dict("records")
    [{'policy': 'a', 'best_runs': 1, 'max_regret': 0.4, 'minimax': False}, {'policy': 'b', 'best_runs': 1, 'max_regret': 0.3, 'minimax': True}]
    """  # noqa: E501
    policies = [str(p) for p in pd.unique(outcomes["policy"])]
    cols = outcome_columns(outcomes)
    qs = dict(quantities) if quantities is not None else {c: c for c in cols
                                                          if pd.api.types.is_numeric_dtype(outcomes[c])
                                                          or outcomes[c].dtype == bool}
    unknown = [q for q in higher_is_better if q not in qs]
    if unknown:
        from spillover.scenario.errors import did_you_mean

        raise ValueError(f"--higher-is-better '{unknown[0]}' is not one of the quantities"
                         f"{did_you_mean(unknown[0], qs)}")
    sides = {q: "lower" for q in qs} if directions is None else dict(directions)
    sides.update({q: "higher" for q in higher_is_better})
    rows, unscored = [], []
    pairs = _pairs(outcomes, policies)
    for name, text in qs.items():
        try:
            values = np.asarray(compile_expr(text, cols).evaluate(outcomes), dtype=float)
        except ExprError as err:
            raise err.with_source(f"quantity {name!r}") from None
        m = _matrix(pairs, values)
        if name in sides:
            rows += _rows(name, m, policies, sides[name] == "higher")
        else:
            unscored += _listed(name, m, policies)
    return pd.DataFrame(rows + unscored, columns=list(REGRET_COLUMNS))


def _listed(name: str, m: np.ndarray, policies: list[str]) -> list[dict[str, object]]:
    """Rows of a quantity without a declared direction: its mean per policy, no regret."""
    m = m[~np.isnan(m).any(axis=1)]
    nan = float("nan")
    return [{"quantity": name, "better": UNDECLARED, "policy": p, "n": len(m),
             "mean": float(m[:, j].mean()) if len(m) else nan, "best_runs": nan, "best_share": nan,
             "mean_regret": nan, "p90_regret": nan, "max_regret": nan, "minimax": False}
            for j, p in enumerate(policies)]


def _rows(name: str, m: np.ndarray, policies: list[str], higher: bool) -> list[dict[str, object]]:
    m = m[~np.isnan(m).any(axis=1)]
    if len(m) == 0:
        return []
    best = m.max(axis=1, keepdims=True) if higher else m.min(axis=1, keepdims=True)
    regret = np.abs(best - m)
    regret[regret <= 1e-9 * np.maximum(1.0, np.abs(best))] = 0.0  # ties up to rounding
    mx, mean = regret.max(axis=0), regret.mean(axis=0)
    choice = int(np.lexsort((mean, mx))[0])
    tied = _same(mx, mx[choice]) & _same(mean, mean[choice])  # a tie: every tied policy is minimax
    out: list[dict[str, object]] = []
    for j, p in enumerate(policies):
        wins = int((regret[:, j] == 0).sum())
        out.append({"quantity": name, "better": "higher" if higher else "lower", "policy": p, "n": len(m),
                    "mean": float(m[:, j].mean()), "best_runs": wins, "best_share": wins / len(m),
                    "mean_regret": float(mean[j]), "p90_regret": float(np.percentile(regret[:, j], 90)),
                    "max_regret": float(mx[j]), "minimax": bool(tied[j])})
    return out


def _same(x: np.ndarray, y: float) -> np.ndarray:
    """Equal up to rounding (as regrets are compared)."""
    return np.abs(x - y) <= 1e-9 * max(1.0, abs(y))


def regret_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per policy: for how many quantities it is the minimax-regret choice, and where best most
    often (a tie credits each tied policy).

    Returns ``policy``, ``minimax`` (count), ``most_often_best`` (count), ``quantities``
    (the quantities where it is the minimax choice).
    """
    table = table[table["better"] != UNDECLARED]
    if table.empty:
        return pd.DataFrame(columns=["policy", "minimax", "most_often_best", "quantities"])
    rows = []
    most = table["best_runs"] == table.groupby("quantity", sort=False)["best_runs"].transform("max")
    top = table[most]  # ties: each tied policy is best most often
    for p in pd.unique(table["policy"]):
        mine = table[(table["policy"] == p) & table["minimax"]]
        rows.append({"policy": p, "minimax": len(mine), "most_often_best": int((top["policy"] == p).sum()),
                     "quantities": ", ".join(mine["quantity"])})
    return pd.DataFrame(rows).sort_values(["minimax", "most_often_best"], ascending=False,
                                          kind="stable").reset_index(drop=True)


def robust(
    sc: Scenario,
    settings: Execution | None = None,
    *,
    outcomes: pd.DataFrame | None = None,
    quantities: Mapping[str, str] | None = None,
    higher_is_better: Collection[str] | None = None,
    lower_is_better: Collection[str] | None = None,
    **options: Any,
) -> pd.DataFrame:
    """The regret table of the scenario's policies (``spillover robust``).

    Runs every policy on the same runs (``settings``/``options``: ``runs``, ``seed``,
    ``workers``, ``progress``…), unless ``outcomes`` of a finished run are given. The
    quantities default to :func:`scenario_quantities`; each is scored in its declared
    direction (:func:`directions`, or ``higher_is_better`` / ``lower_is_better``), and one
    without a direction is listed, not scored.
    """
    if outcomes is None:
        ex = Execution.of(settings, options)
        pl = plan(sc, ex.seed, counterfactual=claims_read_twins(sc), series=False)
        outcomes = run_in_memory(pl, ex).outcomes
    qs = dict(quantities) if quantities else available(scenario_quantities(sc), outcomes)
    sides = directions(sc)
    sides.update({q: "lower" for q in lower_is_better or ()})
    return regret_table(outcomes, qs, list(higher_is_better or ()), directions=sides)


def available(quantities: Mapping[str, str], outcomes: pd.DataFrame) -> dict[str, str]:
    """The quantities whose columns the outcomes hold."""
    cols = outcome_columns(outcomes)
    return {k: v for k, v in quantities.items() if compile_ok(v, cols)}


def compile_ok(text: str, columns: list[str]) -> bool:
    try:
        compile_expr(text, columns)
    except ExprError:
        return False
    return True
