"""Design methods: how the unit design in [0, 1) is made from the seed, by name.

Each method yields the design in blocks, so that a design of millions of runs never needs
the whole matrix in memory: Latin hypercube and Monte Carlo column by column (each input
from its own stream spawned from the seed), Sobol in row blocks of one sequence. This
module imports NumPy and SciPy only when a design is made, so that reading the names
(``spillover run --help``) costs nothing.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

if TYPE_CHECKING:
    import numpy as np

_DESIGN_KEY = 0x5EED  # spawn key of the design's streams; runs use (run,)
BLOCK = 1 << 16

Block: TypeAlias = "tuple[int, list[int], np.ndarray]"
"""A piece of a unit design: its first row, its columns, and the (rows × columns) values."""


def _qmc() -> Any:
    """``scipy.stats.qmc``, imported on first use (it loads all of scipy.stats)."""
    from scipy.stats import qmc

    return qmc


def design_rng(seed: int, column: int | None = None) -> np.random.Generator:
    """The generator of the design (or of one of its columns), apart from every run's stream."""
    import numpy as np

    key = (_DESIGN_KEY,) if column is None else (_DESIGN_KEY, column)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class DesignMethod(Protocol):
    """How a unit design is made: its name, a sentence, and its blocks."""

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    def blocks(self, n_runs: int, n_inputs: int, seed: int) -> Iterator[Block]: ...


@dataclass(frozen=True)
class LatinHypercube:
    """Each input's range cut in ``runs`` equal strata, one run in each (the default)."""

    name: str = "lhs"
    description: str = "Latin hypercube: every input's range is evenly covered"

    def blocks(self, n_runs: int, n_inputs: int, seed: int) -> Iterator[Block]:
        for j in range(n_inputs):
            col = _qmc().LatinHypercube(d=1, rng=design_rng(seed, j)).random(n_runs)
            yield 0, [j], col


@dataclass(frozen=True)
class MonteCarlo:
    """Independent uniform draws."""

    name: str = "mc"
    description: str = "Monte Carlo: independent draws"

    def blocks(self, n_runs: int, n_inputs: int, seed: int) -> Iterator[Block]:
        for j in range(n_inputs):
            yield 0, [j], design_rng(seed, j).random(n_runs)[:, None]


@dataclass(frozen=True)
class Sobol:
    """One scrambled Sobol sequence (balanced when the runs are a power of two)."""

    name: str = "sobol"
    description: str = "scrambled Sobol sequence (best with a power of two runs)"

    def blocks(self, n_runs: int, n_inputs: int, seed: int) -> Iterator[Block]:
        if n_inputs == 0:
            return
        engine = _qmc().Sobol(d=n_inputs, scramble=True, rng=design_rng(seed))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # balance needs 2^k runs; said in docs
            for start in range(0, n_runs, BLOCK):
                yield start, list(range(n_inputs)), engine.random(min(BLOCK, n_runs - start))


_METHODS: tuple[DesignMethod, ...] = (LatinHypercube(), Sobol(), MonteCarlo())
DESIGNS: Mapping[str, DesignMethod] = {m.name: m for m in _METHODS}
"""The design methods by name; ``spillover run --design`` takes these names."""

Design = str
"""A design method's name, one of :data:`DESIGNS`."""


def design_method(name: str) -> DesignMethod:
    """The design method called ``name``; ValueError naming the valid ones otherwise."""
    if name not in DESIGNS:
        raise ValueError(f"unknown design '{name}' (use one of {', '.join(DESIGNS)})")
    return DESIGNS[name]


