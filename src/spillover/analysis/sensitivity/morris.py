"""Morris screening: elementary effects along ``n`` trajectories (``n·(d+1)`` runs).

SALib ``sample.morris`` and ``analyze.morris`` on a 4-level grid; ``mu_star`` (the mean
absolute effect) ranks the inputs, with a bootstrap interval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from spillover.analysis.sensitivity.base import Method, Problem

if TYPE_CHECKING:
    import numpy as np

__all__ = ["METHOD", "Morris"]

LEVELS = 4


class Morris(Method):
    name: ClassVar[str] = "morris"
    title: ClassVar[str] = "elementary effects, for screening many inputs"
    unit: ClassVar[str] = "trajectories"
    minimum: ClassVar[int] = 4
    measure: ClassVar[str] = "mu_star"
    conf: ClassVar[str] = "mu_star_conf"
    label: ClassVar[str] = "μ*"
    nonnegative: ClassVar[bool] = True

    def runs(self, n: int, d: int, second: bool) -> int:
        return n * (d + 1)

    def sample(self, problem: Problem, n: int, seed: int, second: bool) -> np.ndarray:
        import numpy as np
        from SALib.sample import morris

        return np.asarray(morris.sample(problem, n, num_levels=LEVELS, seed=seed))

    def analyse(self, problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, second: bool,
                resamples: int, level: float) -> dict[str, np.ndarray]:
        import numpy as np
        from SALib.analyze import morris

        res = morris.analyze(problem, X, Y, num_resamples=resamples, conf_level=level, num_levels=LEVELS,
                             seed=seed)
        return {k: np.asarray(res[k], dtype=float) for k in ("mu", "mu_star", "sigma", "mu_star_conf")}


METHOD = Morris()
