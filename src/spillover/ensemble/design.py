"""The experimental design: one (runs × inputs) matrix of uniforms, made once from the seed."""

from __future__ import annotations

import warnings
from typing import Literal

import numpy as np
import pandas as pd
from scipy.stats import qmc

from spillover.engine.structure import Input

Design = Literal["lhs", "sobol", "mc"]
DESIGNS: tuple[str, ...] = ("lhs", "sobol", "mc")
_DESIGN_KEY = 0x5EED  # spawn key of the design's stream; runs use (run,)


def design_rng(seed: int) -> np.random.Generator:
    """The generator of the design, independent of every run's own stream."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(_DESIGN_KEY,)))


def unit_design(n_runs: int, n_inputs: int, seed: int, design: Design = "lhs") -> np.ndarray:
    """An (n_runs, n_inputs) matrix in [0, 1): Latin hypercube, scrambled Sobol or Monte Carlo.

    The whole matrix is made once for all runs, so that chunking cannot change it.

    >>> unit_design(4, 2, seed=1).shape
    (4, 2)
    """
    if design not in DESIGNS:
        raise ValueError(f"unknown design '{design}' (use one of {', '.join(DESIGNS)})")
    if n_inputs == 0:
        return np.zeros((n_runs, 0))
    rng = design_rng(seed)
    if design == "lhs":
        return qmc.LatinHypercube(d=n_inputs, rng=rng).random(n_runs)
    if design == "sobol":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance needs 2^k runs; said in docs
            return qmc.Sobol(d=n_inputs, scramble=True, rng=rng).random(n_runs)
    return rng.random((n_runs, n_inputs))


def sample_inputs(inputs: list[Input], n_runs: int, seed: int, design: Design = "lhs") -> pd.DataFrame:
    """The experiments table: ``run`` plus one column of sampled values per uncertain input."""
    u = unit_design(n_runs, len(inputs), seed, design)
    data: dict[str, np.ndarray] = {"run": np.arange(n_runs, dtype=np.int64)}
    for j, inp in enumerate(inputs):
        data[inp.name] = inp.quantity.ppf(u[:, j])
    return pd.DataFrame(data)
