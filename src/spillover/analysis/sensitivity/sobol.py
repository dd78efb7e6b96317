"""Sobol' indices: first and total order shares of the variance, with bootstrap intervals.

Saltelli's scheme (SALib ``sample.sobol`` and ``analyze.sobol``): ``n`` base samples, a
power of 2, give ``n·(d+2)`` runs (``n·(2d+2)`` with second order).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from spillover.analysis.sensitivity.base import Method, Problem

if TYPE_CHECKING:
    import numpy as np

__all__ = ["METHOD", "Sobol"]


class Sobol(Method):
    name: ClassVar[str] = "sobol"
    title: ClassVar[str] = "first- and total-order variance shares (Saltelli sampling, bootstrap intervals)"
    unit: ClassVar[str] = "base samples"
    n_rule: ClassVar[str] = ", a power of 2"
    minimum: ClassVar[int] = 64
    measure: ClassVar[str] = "ST"
    conf: ClassVar[str] = "ST_conf"
    label: ClassVar[str] = "ST (total)"
    shown: ClassVar[tuple[tuple[str, str], ...]] = (("S1", "S1 (first)"),)

    def check(self, n: int) -> None:
        super().check(n)
        if n & (n - 1):
            lo = 1 << (n.bit_length() - 1)
            raise ValueError(f"sobol needs --n to be a power of 2 (its sequence balances only then): "
                             f"use {lo} or {lo * 2}")

    def round_up(self, n: int) -> int:
        return max(self.minimum, 1 << (max(n, 1) - 1).bit_length())

    def runs(self, n: int, d: int, second: bool) -> int:
        return n * (2 * d + 2 if second else d + 2)

    def sample(self, problem: Problem, n: int, seed: int, second: bool) -> np.ndarray:
        import numpy as np
        from SALib.sample import sobol

        return np.asarray(sobol.sample(problem, n, calc_second_order=second, scramble=True, seed=seed))

    def analyse(self, problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, second: bool,
                resamples: int, level: float) -> dict[str, np.ndarray]:
        import numpy as np
        from SALib.analyze import sobol

        # A Generator, not the int: SALib tests ``if seed:``, so seed 0 would go unseeded and
        # the intervals would change from one call to the next. default_rng(default_rng(s))
        # is default_rng(s): every other seed gives the intervals it always gave.
        res = sobol.analyze(problem, Y, calc_second_order=second, num_resamples=resamples,
                            conf_level=level, seed=np.random.default_rng(seed))
        return {k: np.asarray(res[k]) for k in ("S1", "S1_conf", "ST", "ST_conf")}


METHOD = Sobol()
