"""The interface every sensitivity method shares: sample, analyse, describe.

As SALib pairs each sampler with its analyser, a method here is one object that knows how
to sample the unit cube for ``n``, how many runs that takes, how to analyse the outcomes,
which of its results ranks the inputs (the *measure*, with its interval half-width), and
how to describe itself. :func:`spillover.analysis.sensitivity.sensitivity` calls nothing
else, so a new method is one new module registered in
:data:`spillover.analysis.sensitivity.REGISTRY`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:
    import numpy as np

__all__ = ["Method", "Problem"]

Problem = dict[str, Any]
"""SALib's problem: ``num_vars``, ``names`` and ``bounds`` (the unit cube here)."""


class Method(ABC):
    """One sensitivity method. Subclasses set the class attributes and the three steps."""

    name: ClassVar[str]
    title: ClassVar[str]
    """What the method is, in a few words (for help texts and reports)."""
    unit: ClassVar[str]
    """What ``n`` counts: base samples, trajectories or runs."""
    n_rule: ClassVar[str] = ""
    """Any further rule for ``n``, as words following :attr:`unit`."""
    minimum: ClassVar[int]
    """Smallest ``n`` accepted."""
    measure: ClassVar[str]
    """The result column that ranks the inputs (non-negative)."""
    conf: ClassVar[str]
    """Its interval half-width."""
    label: ClassVar[str]
    """The measure's short name in tables."""
    nonnegative: ClassVar[bool] = False
    """The estimate itself is never below 0 (so neither is its interval's lower end)."""
    shown: ClassVar[tuple[tuple[str, str], ...]] = ()
    """Further result columns worth a terminal table: ``(column, header)``."""

    def check(self, n: int) -> None:
        """Refuse an ``n`` the method cannot use (a ``ValueError`` saying what would do)."""
        if n < self.minimum:
            raise ValueError(f"{self.name} needs --n of at least {self.minimum} {self.unit}, got {n}")

    def round_up(self, n: int) -> int:
        """The smallest ``n`` at least this large that the method accepts."""
        return max(n, self.minimum)

    @abstractmethod
    def runs(self, n: int, d: int, second: bool) -> int:
        """Runs needed for ``n`` with ``d`` factors."""

    @abstractmethod
    def sample(self, problem: Problem, n: int, seed: int, second: bool) -> np.ndarray:
        """Points of the unit cube, one row per run."""

    @abstractmethod
    def analyse(self, problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, second: bool,
                resamples: int, level: float) -> dict[str, np.ndarray]:
        """Per-factor results: :attr:`measure`, :attr:`conf` and the method's own columns."""

    def describe(self) -> str:
        """One line: what the method is and what ``n`` counts.

        >>> from spillover.analysis.sensitivity import method
        >>> method("morris").describe()
        'morris: elementary effects, for screening many inputs; --n counts trajectories (at least 4)'
        """
        return f"{self.name}: {self.title}; --n counts {self.unit}{self.n_rule} (at least {self.minimum})"
