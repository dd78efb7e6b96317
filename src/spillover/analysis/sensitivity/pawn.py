"""PAWN: moment-independent, the median over slices of the Kolmogorov–Smirnov statistic.

It reads a given sample whatever the inputs' dependence: here a Latin hypercube of ``n``
runs. SALib ``analyze.pawn`` gives the index; its interval is a bootstrap over runs with
:func:`pawn_median`, which computes the same statistic vectorised over slices.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from spillover.analysis.sensitivity.base import Method, Problem

if TYPE_CHECKING:
    import numpy as np

__all__ = ["METHOD", "Pawn", "pawn_median"]

SLICES = 10


def pawn_median(X: np.ndarray, Y: np.ndarray, S: int = SLICES) -> np.ndarray:
    """The PAWN index (median over ``S`` slices of the KS statistic) of every column of ``X``.

    The same slices and statistic as ``SALib.analyze.pawn``, vectorised over slices so
    that bootstrap intervals are cheap.
    """
    import numpy as np

    order = np.argsort(Y, kind="stable")
    ys = Y[order]
    N = len(Y)
    ends = np.r_[ys[1:] != ys[:-1], True]
    f_all = (np.arange(1, N + 1) / N)[ends]
    out = np.full(X.shape[1], np.nan)
    seq = np.arange(0, 1 + 1 / S, 1 / S)
    for d in range(X.shape[1]):
        x = X[:, d]
        q = np.nanquantile(x, seq)
        slot = np.searchsorted(q[1:S + 1], x, side="right")[order]
        member = np.zeros((S + 1, N))
        member[slot, np.arange(N)] = 1.0
        member = member[:S]
        size = member.sum(axis=1)
        keep = size > 0
        cdf = np.cumsum(member[keep], axis=1)[:, ends] / size[keep, None]
        out[d] = np.median(np.abs(cdf - f_all).max(axis=1))
    return out


class Pawn(Method):
    name: ClassVar[str] = "pawn"
    title: ClassVar[str] = "moment-independent (KS over slices) from a Latin hypercube, bootstrap intervals"
    unit: ClassVar[str] = "runs"
    minimum: ClassVar[int] = 100
    measure: ClassVar[str] = "median"
    conf: ClassVar[str] = "median_conf"
    label: ClassVar[str] = "PAWN"
    nonnegative: ClassVar[bool] = True

    def runs(self, n: int, d: int, second: bool) -> int:
        return n

    def sample(self, problem: Problem, n: int, seed: int, second: bool) -> np.ndarray:
        from spillover.ensemble.design import unit_design

        return unit_design(n, problem["num_vars"], seed, "lhs")

    def analyse(self, problem: Problem, X: np.ndarray, Y: np.ndarray, seed: int, second: bool,
                resamples: int, level: float) -> dict[str, np.ndarray]:
        import numpy as np
        from SALib.analyze import pawn
        from scipy import stats

        res = pawn.analyze(problem, X, Y, S=SLICES)
        rng = np.random.default_rng(seed)
        boots = []
        for _ in range(resamples):
            idx = rng.integers(0, len(Y), len(Y))
            boots.append(pawn_median(X[idx], Y[idx]))
        z = float(stats.norm.ppf(0.5 + level / 2))
        conf = z * np.std(np.array(boots), axis=0, ddof=1) if resamples > 1 else np.full(X.shape[1], np.nan)
        return {"median": np.asarray(res["median"]), "median_conf": conf,
                "minimum": np.asarray(res["minimum"]), "maximum": np.asarray(res["maximum"])}


METHOD = Pawn()
