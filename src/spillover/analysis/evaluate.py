"""Run given rows of inputs (a sensitivity design, an ABC prior, a fit) through the engine.

:func:`spillover.run` samples its own design and numbers its runs 0..N-1. The analyses need
rows whose input values come from somewhere else (SALib's sample matrix, an optimiser), and
rows that share a run's random draws (every row of a Saltelli group uses the same
perception noise and event thresholds). They go through the same runner as every
ensemble (:func:`spillover.ensemble.runner.execute`), with a
:class:`~spillover.ensemble.design.RowsDesign` and the rows sink.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from spillover.engine.draws import Draws, draw
from spillover.engine.params import build_params
from spillover.engine.simulate import simulate
from spillover.engine.state import State
from spillover.engine.structure import Structure
from spillover.ensemble.chunks import Batch
from spillover.ensemble.design import RowsDesign
from spillover.ensemble.runner import Plan, execute
from spillover.ensemble.settings import Execution
from spillover.ensemble.variants import Variant, apply_variants, check_policies
from spillover.results.rows import RowsSink
from spillover.scenario.expr import Expr, ExprError, compile_expr
from spillover.scenario.inputs import Input
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import WITHOUT_TRANSFERS, is_twin, outcome_names

__all__ = [
    "EDGE",
    "Selection",
    "TraceTarget",
    "available_names",
    "nominal_values",
    "policy_variants_for",
    "run_rows",
    "select",
    "trace_rows",
    "unit_values",
]

EDGE = 1e-6
"""Unit design values are kept inside [EDGE, 1 - EDGE], so unbounded inputs stay finite."""



def unit_values(inputs: Sequence[Input], u: np.ndarray) -> dict[str, np.ndarray]:
    """Each input's values for the unit design ``u`` (rows × inputs), through its quantile function.

    >>> from spillover.engine.structure import build_structure
    >>> from spillover.scenario.load import load_scenario
    >>> st = build_structure(load_scenario("nk-russia-2023"))
    >>> v = unit_values(st.inputs[:1], np.array([[0.5], [1.0]]))
    >>> [round(float(x), -3) for x in v[st.inputs[0].name]]
    [19000000.0, 30000000.0]
    """
    u = np.clip(np.asarray(u, dtype=float), EDGE, 1.0 - EDGE)
    return {inp.name: inp.quantity.ppf(u[:, j]) for j, inp in enumerate(inputs)}


def nominal_values(inputs: Sequence[Input], n: int = 1) -> dict[str, np.ndarray]:
    """Every input at its nominal value (the median of its distribution), ``n`` rows."""
    return {inp.name: np.full(n, inp.quantity.nominal) for inp in inputs}


# --------------------------------------------------------------------------- names


def available_names(sc: Scenario) -> list[str]:
    """The outcome columns an analysis can refer to, and the scenario's claim ids."""
    return [*outcome_names(sc), *sc.claims]


@dataclass(frozen=True)
class Selection:
    """An outcome or condition given as text: its expression and whether it needs the
    counterfactual (a ``*_without_transfers`` column)."""

    text: str
    expr: Expr
    counterfactual: bool

    def evaluate(self, outcomes: pd.DataFrame) -> np.ndarray:
        """One value per row of ``outcomes`` (booleans for a condition)."""
        return np.asarray(self.expr.evaluate(outcomes))


def select(sc: Scenario, text: str, option: str = "--outcome") -> Selection:
    """Compile an outcome or condition against the scenario's outcome names.

    A claim's id stands for its expression. Unknown names raise an
    :class:`~spillover.scenario.expr.ExprError` naming the closest valid names; syntax
    errors point at their column.

    >>> from spillover.scenario.load import load_scenario
    >>> sc = load_scenario("nk-russia-2023")
    >>> select(sc, "seoul_arms_kyiv").text
    'fired(kor_arms_ukraine)'
    >>> select(sc, "peak(chn_rus_fricton)")
    Traceback (most recent call last):
    ...
    spillover.scenario.expr.ExprError: --outcome, column 1: unknown outcome 'peak.chn_rus_fricton' (did you mean 'peak.chn_rus_friction', 'miscalc_peak.chn_rus_friction' or 'final.chn_rus_friction'?)
    """  # noqa: E501
    raw = text.strip()
    if raw in sc.claims:
        raw = sc.claims[raw].expr
    try:
        expr = compile_expr(raw, outcome_names(sc))
    except ExprError as err:
        raise err.with_source(option) from None
    needs = any(is_twin(c) for c in expr.columns())
    return Selection(raw, expr, needs)


def policy_variants_for(sc: Scenario, policy: str | None, counterfactual: bool = False) -> list[Variant]:
    """One policy (the first by default), with its counterfactual if asked."""
    p = check_policies(sc, [policy] if policy else None)[0]
    out = [Variant(p, p)]
    if counterfactual and sc.transfers:
        out.append(Variant(f"{p}|{WITHOUT_TRANSFERS}", p, ablate_transfers=tuple(sc.transfers),
                           counterfactual_for=(p,)))
    return out


# --------------------------------------------------------------------------- execution


def run_rows(
    batch: Batch,
    values: Mapping[str, np.ndarray],
    seeds: np.ndarray,
    settings: Execution | None = None,
    keep: Collection[str] | None = None,
) -> pd.DataFrame:
    """Simulate each row of ``values`` under every variant of ``batch``.

    Parameters
    ----------
    values
        One array per sampled input, all of the same length (the rows).
    seeds
        The run index whose SeedSequence gives each row its random draws; rows with the
        same index share perception noise and event thresholds.
    settings
        How to run: ``chunk_size``, ``workers``, ``executor``, ``progress`` (results do
        not depend on them); its runs, seed and design are not used.
    keep
        Outcome columns to keep (default all): less memory for long designs.

    Returns
    -------
    pandas.DataFrame
        One row per (variant, row) with ``row``, ``variant`` and every outcome column;
        the counterfactual variant, if present, becomes the ``*_without_transfers``
        columns of its policy's rows.
    """
    seeds = np.asarray(seeds, dtype=np.int64)
    n = len(seeds)
    if n == 0:
        raise ValueError("no rows to run")
    ex = (settings or Execution()).but(runs=n)
    sink = RowsSink(batch, keep)
    execute(Plan(batch.st.scenario, batch.st, batch, series=False), RowsDesign(values, seeds), sink, ex)
    return sink.frame(n)


# --------------------------------------------------------------------------- traces


@dataclass(frozen=True)
class TraceTarget:
    """A daily series to record: ``indicator.<id>`` or ``stock.<actor>.<munition>``."""

    name: str
    kind: str
    index: tuple[int, ...]

    @classmethod
    def parse(cls, st: Structure, name: str) -> TraceTarget:
        """Check a target name against the scenario, suggesting the closest valid one."""
        from spillover.scenario.errors import did_you_mean

        valid = [f"indicator.{k}" for k in st.indicators]
        valid += [f"stock.{a}.{m}" for a in st.actors for m in st.munitions]
        if name not in valid:
            raise ValueError(f"unknown calibration target '{name}'{did_you_mean(name, valid)}")
        parts = name.split(".")
        if parts[0] == "indicator":
            return cls(name, "indicator", (st.indicators.index(parts[1]),))
        return cls(name, "stock", (st.actors.index(parts[1]), st.munitions.index(parts[2])))

    def read(self, s: State) -> np.ndarray:
        if self.kind == "indicator":
            return s.I[:, self.index[0]]
        return s.S[:, self.index[0], self.index[1]]


class _Trace:
    """Records the targets' values on the given days (the value at the end of each day)."""

    def __init__(self, targets: Sequence[TraceTarget], days: Sequence[np.ndarray], R: int) -> None:
        self.targets = list(targets)
        self.want = [set(int(d) for d in ds) for ds in days]
        self.pos = [{int(d): i for i, d in enumerate(ds)} for ds in days]
        self.values = [np.full((R, len(ds)), np.nan) for ds in days]

    def observe(self, s: State) -> None:
        for j, tgt in enumerate(self.targets):
            if s.t in self.want[j]:
                self.values[j][:, self.pos[j][s.t]] = tgt.read(s)


def nominal_draws(st: Structure, n: int) -> Draws:
    """Draws of a central run: no perception noise, event thresholds at their median (ln 2)."""
    O, S, E = len(st.observers), len(st.signals), len(st.events)
    shape = (st.T, n, O, S) if st.scenario.perception.process == "ar1" else (n, O, S)
    return Draws(noise=np.zeros(shape), thresholds=np.full((n, E), np.log(2.0)))


def trace_rows(
    st: Structure,
    variant: Variant,
    values: Mapping[str, np.ndarray],
    targets: Sequence[TraceTarget],
    days: Sequence[np.ndarray],
    seed: int = 0,
    seeds: np.ndarray | None = None,
) -> list[np.ndarray]:
    """The targets' values on the given days for each row of ``values``.

    Rows draw their randomness from ``seeds`` (run indices of ``seed``); with
    ``seeds=None`` every row is a central run (:func:`nominal_draws`).

    Returns one (rows × days) array per target.
    """
    n = len(next(iter(values.values()))) if values else 1
    p = apply_variants(st, build_params(st, values, n), [variant])
    d = nominal_draws(st, n) if seeds is None else draw(st, seed, np.asarray(seeds, dtype=np.int64))
    trace = _Trace(targets, days, n)
    simulate(st, p, d, [trace])
    return trace.values

