"""Run a scenario's cases on the scenario's own runs, and count their claims.

Each case that changes inputs runs through the one runner
(:func:`spillover.ensemble.runner.execute`) with the scenario's seed and unit design, its
inputs sampled through the case's numbers (:func:`spillover.scenario.cases.case_inputs`):
the same runs, the same per-run draws, so differences between cases are paired. A case that
changes only claims needs no simulation: its claims are counted on the scenario's outcomes.

Claims are counted chunk by chunk over every run (memory stays flat in the runs); the
outcomes the claims and the comparisons read are kept for the first ``keep_runs`` runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.claims import (
    CLAIM_COLUMNS,
    ClaimLike,
    claim_columns,
    claim_counts,
    claims_of,
    claims_table,
    evaluate_claims,
)
from spillover.ensemble.chunks import ChunkResult
from spillover.ensemble.design import MemoryDesign
from spillover.ensemble.runner import FreshSink, Plan, execute, plan
from spillover.ensemble.settings import Execution
from spillover.results.assemble import Assembler, Ensemble, canonical
from spillover.scenario.cases import case_inputs, case_scenario, changes, check_cases, simulated
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import compared_columns

__all__ = ["CASE_CLAIM_COLUMNS", "CaseRequest", "CaseRun", "case_columns", "case_meta", "plan_case",
           "run_cases"]

CASE_CLAIM_COLUMNS = ("case", *CLAIM_COLUMNS)
"""Columns of :attr:`CaseRun.claims`: the claims table's, after the case."""

Counter = Callable[[Sequence[ClaimLike]], pd.DataFrame]
"""Counts claims over every run of the scenario as written (for cases that change only claims)."""


@dataclass
class CaseRun:
    """The cases' results: what each reads differently, its claims, and its kept outcomes."""

    meta: list[dict[str, Any]]
    claims: pd.DataFrame
    outcomes: pd.DataFrame
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [m["name"] for m in self.meta]


class _Tally(FreshSink):
    """A sink that counts the claims of every chunk and keeps the first runs' outcomes."""

    def __init__(self, pl: Plan, claims: Sequence[ClaimLike], columns: list[str], keep_runs: int) -> None:
        self.asm, self.claims, self.policies = Assembler(pl.batch), claims, pl.policies
        self.columns, self.keep_runs = columns, keep_runs
        self.n = np.zeros(len(self.policies), dtype=np.int64)
        self.k = np.zeros((len(claims), len(self.policies)), dtype=np.int64)
        self.kept: list[pd.DataFrame] = []

    def add(self, res: ChunkResult) -> None:
        frame = pd.DataFrame(self.asm.columns(res))
        seen, n, k = claim_counts(frame, self.claims)
        at = [self.policies.index(p) for p in seen]
        self.n[at] += n
        self.k[:, at] += k
        keep = frame.loc[frame["run"] < self.keep_runs, ["run", "policy", *self.columns]]
        if len(keep):
            self.kept.append(keep)

    def outcomes(self) -> pd.DataFrame:
        if not self.kept:
            return pd.DataFrame(columns=["run", "policy", *self.columns])
        return canonical(pd.concat(self.kept, ignore_index=True), self.policies)


def case_columns(sc: Scenario) -> list[str]:
    """The outcome columns kept for each case: what any case's claims and the comparisons read."""
    claims = [c for name in sc.cases for c in case_scenario(sc, name).claims.values()]
    cols = set(claim_columns([*claims_of(sc), *_specs(claims)])) | set(compared_columns(sc))
    return sorted(cols)


def _specs(claims: Sequence[Any]) -> list[ClaimLike]:
    from spillover.analysis.claims import ClaimSpec

    return [ClaimSpec(f"c{i}", c.text, c.expr) for i, c in enumerate(claims)]


def case_meta(sc: Scenario, name: str) -> dict[str, Any]:
    """A case as plain data: name, description, whether it is simulated, and what it changes."""
    return {"name": name, "description": sc.cases[name].description or "", "simulated": simulated(sc, name),
            "changes": changes(sc, name)}


def plan_case(sc: Scenario, name: str, seed: int, policies: Sequence[str] | None = None,
              **options: Any) -> Plan:
    """The plan of case ``name``: the scenario as the case reads it, sampling the scenario's own
    inputs (in the same order, each through the case's number), so that its runs are the
    scenario's runs. ``options`` as for :func:`~spillover.ensemble.runner.plan`."""
    pl = plan(case_scenario(sc, name), seed, policies, **options)
    pl.structure.inputs = case_inputs(sc, name)
    return pl


def _simulate(sc: Scenario, name: str, policies: Sequence[str], ex: Execution, counterfactual: bool,
              columns: list[str], keep_runs: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One case on the scenario's runs: its claims table over every run, and its kept outcomes."""
    pl = plan_case(sc, name, ex.seed, policies, counterfactual=counterfactual, series=False)
    source = MemoryDesign(pl.structure.inputs, ex.runs, ex.seed, ex.design)
    claims = claims_of(pl.scenario)
    tally = _Tally(pl, claims, [c for c in columns if c in _available(pl)], keep_runs)
    execute(pl, source, tally, ex)
    return claims_table(claims, pl.policies, tally.n, tally.k), tally.outcomes()


def _available(pl: Plan) -> set[str]:
    from spillover.scenario.outcomes import outcome_names

    cf = any(not v.is_policy for v in pl.batch.variants)
    return set(outcome_names(pl.scenario, counterfactual=cf))


def _progress(ex: Execution, offset: int, total: int) -> Execution:
    """Settings whose progress counts every case's runs as one pass."""
    if ex.progress is None:
        return ex
    report = ex.progress
    return ex.but(progress=lambda done, _all: report(offset + done, total))


def run_cases(sc: Scenario, names: Sequence[str], policies: Sequence[str], ex: Execution,
              base: pd.DataFrame, count: Counter, counterfactual: bool = True,
              keep_runs: int = 20_000) -> CaseRun:
    """Run the cases ``names`` of ``sc`` on its runs (settings ``ex``) under ``policies``.

    ``base`` is the scenario's own outcomes (its kept runs) and ``count`` counts claims
    over every run of them: a case that changes only claims reads those outcomes.
    """
    columns = case_columns(sc)
    sims = [n for n in names if simulated(sc, n)]
    claims, outcomes, seconds = [], [], {}
    for name in names:
        t = time.perf_counter()
        if simulated(sc, name):
            step = _progress(ex, sims.index(name) * ex.runs, len(sims) * ex.runs)
            table, kept = _simulate(sc, name, policies, step, counterfactual, columns, keep_runs)
        else:
            table = count(claims_of(case_scenario(sc, name)))
            kept = base.loc[base["run"] < keep_runs, ["run", "policy", *[c for c in columns if c in base]]]
        claims.append(table.assign(case=name))
        outcomes.append(kept.assign(case=name))
        seconds[name] = time.perf_counter() - t
    table = pd.concat(claims, ignore_index=True)[list(CASE_CLAIM_COLUMNS)] if claims else \
        pd.DataFrame(columns=list(CASE_CLAIM_COLUMNS))
    kept_all = pd.concat(outcomes, ignore_index=True) if outcomes else pd.DataFrame(columns=["case"])
    kept_all = kept_all[["case", *[c for c in kept_all.columns if c != "case"]]]
    return CaseRun([case_meta(sc, n) for n in names], table, kept_all.reset_index(drop=True), seconds)


@dataclass
class CaseRequest:
    """The cases to run beside the scenario as written, and how."""

    scenario: Scenario
    names: list[str]
    ex: Execution
    counterfactual: bool

    @classmethod
    def of(cls, sc: Scenario, cases: bool | Sequence[str], case: str | None, experiments: pd.DataFrame | None,
           ex: Execution, counterfactual: bool) -> CaseRequest | None:
        """The request, checked: known names, a sampled design, not with ``case``."""
        if case is not None:
            check_cases(sc, [case])
        names = check_cases(sc, None if cases is True else [] if cases is False else list(cases))
        if (names or case is not None) and experiments is not None:
            raise ValueError("cases run on the scenario's sampled design; they cannot take given experiments")
        if names and case is not None:
            raise ValueError(f"case '{case}' runs alone; leave out the other cases")
        return cls(sc, names, ex, counterfactual) if names else None

    def run(self, ens: Ensemble, count: Callable[[Sequence[Any]], pd.DataFrame] | None = None) -> CaseRun:
        """The cases on the ensemble's runs; the claims of cases that only re-read them are
        counted by ``count`` (every run, in a folder), else on the ensemble's outcomes."""
        from spillover.results.folder import IN_MEMORY_RUNS

        def over_outcomes(claims: Sequence[Any]) -> pd.DataFrame:
            return evaluate_claims(ens.outcomes, claims)

        ex, report = self.ex, self.ex.progress
        if report is not None:  # the cases' runs continue the count of the scenario's own
            ex = ex.but(progress=lambda done, total: report(self.ex.runs + done, self.ex.runs + total))
        return run_cases(self.scenario, self.names, ens.policies, ex, ens.outcomes,
                         count or over_outcomes, self.counterfactual, IN_MEMORY_RUNS)
