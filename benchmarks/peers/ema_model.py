"""The reference model in EMA Workbench 2.5: a Python function model, as its tutorials build one.

The 18 inputs are ``RealParameter`` uncertainties with the scenario's ranges and the 36
outcomes are ``ScalarOutcome``s. EMA names must be Python identifiers, so the dots of
spillover's names become underscores (:func:`benchmarks.peers.loop_model.ident`). The function
EMA calls once per experiment is the plain Python loop of ``loop_model.run_one``.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

with warnings.catch_warnings():
    # EMA warns on import that the optional ipyparallel evaluator is missing; we don't use it.
    warnings.filterwarnings("ignore", "ipyparallel not installed", UserWarning)
    from ema_workbench import (
        Model,
        MultiprocessingEvaluator,
        RealParameter,
        ScalarOutcome,
        Scenario,
        SequentialEvaluator,
    )

from benchmarks.peers.loop_model import INPUTS, OUTCOMES, ident, run_one

_BACK = {ident(n): n for n in INPUTS}


def richardson7(**kwargs: float) -> dict[str, float]:
    """The function EMA evaluates: identifier-named inputs in, identifier-named outcomes out."""
    out = run_one({_BACK[k]: v for k, v in kwargs.items()})
    return {ident(k): v for k, v in out.items()}


def build_model(ranges: Mapping[str, tuple[float, float]]) -> Model:
    """The EMA ``Model``: one ``RealParameter`` per input (``ranges`` by spillover name)."""
    model = Model("richardson7", function=richardson7)
    model.uncertainties = [RealParameter(ident(n), *ranges[n]) for n in INPUTS]
    model.outcomes = [ScalarOutcome(ident(n)) for n in OUTCOMES]
    return model


def _evaluator(model: Model, processes: int) -> SequentialEvaluator | MultiprocessingEvaluator:
    if processes <= 1:
        return SequentialEvaluator(model)
    return MultiprocessingEvaluator(model, n_processes=processes)


def run_sampled(model: Model, n: int, processes: int) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """``perform_experiments`` on EMA's own Latin hypercube of ``n`` scenarios.

    ``log_progress=True`` reports progress through EMA's logger (silent unless
    ``ema_logging.log_to_stderr`` is called) instead of drawing a tqdm bar.
    """
    with _evaluator(model, processes) as evaluator:
        return evaluator.perform_experiments(scenarios=n, log_progress=True)


def run_given(model: Model, rows: Sequence[Mapping[str, float]], processes: int) -> pd.DataFrame:
    """``perform_experiments`` on given parameter sets; outcomes by spillover name, in row order.

    Each row becomes an EMA ``Scenario`` named by its position, so that the outcomes can be
    put back in the order of ``rows`` whatever order the evaluator finished them in.
    """
    scenarios = [Scenario(str(k), **{ident(n): float(r[n]) for n in INPUTS}) for k, r in enumerate(rows)]
    with _evaluator(model, processes) as evaluator:
        experiments, outcomes = evaluator.perform_experiments(scenarios=scenarios, log_progress=True)
    order = experiments["scenario"].astype(int).to_numpy()
    table = pd.DataFrame({n: np.asarray(outcomes[ident(n)], dtype=float) for n in OUTCOMES})
    return table.set_axis(order).sort_index()
