"""Scenario discovery: the regions of the inputs where a condition on the outcomes holds.

Runs the scenario under one policy (a Latin hypercube over its uncertain inputs, as any
ensemble), evaluates the condition in every run, and looks for input boxes where it holds
with PRIM (:mod:`spillover.analysis.prim`) and a classification tree
(:mod:`spillover.analysis.cart`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.cart import cart
from spillover.analysis.evaluate import policy_variants_for, run_rows, select
from spillover.analysis.prim import Prim, prim
from spillover.analysis.sensitivity import input_labels
from spillover.engine.structure import build_structure
from spillover.ensemble.chunks import Batch
from spillover.ensemble.design import sample_inputs
from spillover.ensemble.settings import Execution
from spillover.scenario.errors import did_you_mean
from spillover.scenario.expr import ExprError
from spillover.scenario.model import Scenario

__all__ = ["MIN_HITS", "MIN_RUNS", "Discovery", "Limits", "discover"]

MIN_RUNS = 100
"""Fewest runs :func:`discover` accepts: PRIM peels 5% at a time and needs room to do so."""
MIN_HITS = 20
"""Fewer runs than this where the condition holds (or fails) make boxes unreliable."""


@dataclass(frozen=True)
class Limits:
    """PRIM's peeling share (``alpha``), smallest box (``min_mass``) and the coverage the
    chosen box keeps (``min_coverage``), and the classification tree's depth."""

    alpha: float = 0.05
    min_mass: float = 0.05
    min_coverage: float = 0.5
    max_depth: int = 3


@dataclass
class Discovery:
    """What :func:`discover` found.

    Attributes
    ----------
    where, policy, runs
        The condition, the policy and the number of runs.
    share
        Share of runs where the condition holds (the density of the box of all runs).
    prim
        The PRIM trajectory and chosen box.
    tree
        The classification tree's leaves, densest first (see :func:`~spillover.analysis.cart.cart`).
    labels
        ``sourced``/``judgment``/``unsourced`` for each input.
    """

    where: str
    policy: str
    runs: int
    share: float
    prim: Prim
    tree: pd.DataFrame
    labels: dict[str, str]
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def _inputs(exp: pd.DataFrame, names: Sequence[str] | None) -> pd.DataFrame:
    X = exp.drop(columns=["run"])
    if not names:
        return X
    for n in names:
        if n not in X.columns:
            raise ValueError(f"unknown input '{n}'{did_you_mean(n, X.columns)}")
    return X[list(dict.fromkeys(names))]


def _condition(frame: pd.DataFrame, text: str, sel_eval: np.ndarray) -> np.ndarray:
    if sel_eval.dtype != np.bool_:
        raise ExprError(f"{text!r} gives numbers, not yes/no; compare it with a threshold, e.g. '{text} > 0'",
                        text=text, source="--where")
    k = int(sel_eval.sum())
    if k == 0 or k == len(sel_eval):
        word = "none" if k == 0 else "all"
        hint = "loosen it" if k == 0 else "tighten it"
        raise ValueError(f"--where {text!r} holds in {word} of the {len(sel_eval):,} runs: there is no "
                         f"region to find; {hint}")
    return sel_eval


def discover(
    sc: Scenario,
    where: str,
    settings: Execution | None = None,
    *,
    policy: str | None = None,
    inputs: Sequence[str] | None = None,
    limits: Limits | None = None,
    **options: Any,
) -> Discovery:
    """Find the input regions where ``where`` holds, with PRIM and a classification tree.

    Parameters
    ----------
    where
        A yes/no expression over the outcomes (or a claim id), e.g.
        ``fired('kor_arms_ukraine') and peak('chn_rus_friction') > 0.6``.
    settings, options
        How to run (:class:`~spillover.ensemble.settings.Execution` and/or its fields:
        ``runs``, ``seed``, ``design``, ``chunk_size``, ``workers``, ``progress``).
    inputs
        Inputs the boxes may restrict (default: every sampled input).
    limits
        PRIM's peeling share, smallest box and the coverage the chosen box keeps, and the
        classification tree's depth (:class:`Limits`).

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> sc = load_scenario("nk-russia-2023")
    >>> d = discover(sc, "days_of_fire.prk_rus_shells > 365", runs=200, seed=1)
    >>> "rus_fire_rate" in set(d.prim.box["input"])
    True
    """
    ex = Execution.of(settings, options)
    lim = limits or Limits()
    if ex.runs < MIN_RUNS:
        raise ValueError(f"discover needs --runs of at least {MIN_RUNS}, got {ex.runs}")
    t0 = time.perf_counter()
    sel = select(sc, where, "--where")
    st = build_structure(sc)
    exp = sample_inputs(st.inputs, ex.runs, ex.seed, ex.design)
    X = _inputs(exp, inputs)
    batch = Batch(st=st, variants=policy_variants_for(sc, policy, sel.counterfactual), seed=ex.seed)
    values = {c: exp[c].to_numpy() for c in exp.columns if c != "run"}
    frame = run_rows(batch, values, np.arange(ex.runs), ex, keep=sel.expr.columns())
    y = _condition(frame, sel.text, sel.evaluate(frame))
    box = prim(X, y, alpha=lim.alpha, min_mass=lim.min_mass, min_coverage=lim.min_coverage)
    tree = cart(X, y, max_depth=lim.max_depth)
    return Discovery(where=sel.text, policy=batch.variants[0].policy, runs=ex.runs, share=float(y.mean()),
                     prim=box, tree=tree, labels=input_labels(sc, st), seconds=time.perf_counter() - t0,
                     warnings=_warnings(y, box))


def _warnings(y: np.ndarray, box: Prim) -> list[str]:
    k, n = int(y.sum()), len(y)
    few = min(k, n - k)
    out = []
    if few < MIN_HITS:
        side = "holds" if k <= n - k else "fails"
        more = int(np.ceil(n * MIN_HITS / max(few, 1)))
        out.append(f"The condition {side} in only {few} of {n:,} runs: boxes found from so few are "
                   f"unreliable. About {more:,} runs would give {MIN_HITS}.")
    if box.box.empty:
        out.append(f"No limit of the chosen box passes the quasi-p test (0.05): no input region "
                   f"stands out from chance in {n:,} runs. More runs, or fewer inputs, may show one.")
    return out
