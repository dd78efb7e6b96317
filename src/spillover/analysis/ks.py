"""The largest gap between two empirical distributions, for many labellings at once, compiled.

:func:`ks_max` is the kernel of :mod:`spillover.analysis.drivers`: for each labelling of
the runs (the claim's own, or a shuffle of it) and each input, walk the runs in the input's
sorted order, count the labelled runs seen so far, and keep the largest
``|count · (1/n1 + 1/n0) − i/n0|`` at the end of each run of tied values. The arithmetic is
that of the NumPy expression it replaces (``abs(cumsum(labels[order]) * scale - step)``,
its maximum over the ends of ties, or 0), so the scores are the same to the bit; compiled,
it needs no (labellings × runs) temporary for each input.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from numba import njit

__all__ = ["ks_max"]


@njit(cache=True, nogil=True)
def _ks_max(labels: np.ndarray, order: np.ndarray, ends: np.ndarray, scale: float,
            step: np.ndarray, out: np.ndarray) -> None:  # pragma: no cover (compiled; tested by value)
    # labels is runs × labellings: the inner loops run over the labellings, side by side.
    n, P = labels.shape
    count = np.empty(P, np.int64)
    best = np.empty(P)
    for j in range(order.shape[0]):
        by, tie = order[j], ends[j]
        count[:] = 0
        best[:] = 0.0
        for i in range(n):
            row = labels[by[i]]
            for p in range(P):
                count[p] += row[p]
            if tie[i]:
                s = step[i]
                for p in range(P):
                    gap = abs(float(count[p]) * scale - s)
                    if gap > best[p]:
                        best[p] = gap
        out[:, j] = best


def ks_max(labels: npt.NDArray[np.int8], order: npt.NDArray[np.intp], ends: npt.NDArray[np.bool_],
           scale: float, step: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """(labellings, inputs): the KS distance of each input under each labelling (rows of 0/1).

    ``order`` holds each input's sort order (runs × inputs), ``ends`` where a run of tied
    values ends in it, ``step`` is ``arange(1, n + 1) / n0`` and ``scale`` ``1/n1 + 1/n0``.
    """
    out = np.empty((labels.shape[0], order.shape[1]))
    _ks_max(np.ascontiguousarray(labels.T, dtype=np.int8), np.ascontiguousarray(order.T, dtype=np.intp),
            np.ascontiguousarray(ends.T), float(scale), np.ascontiguousarray(step, dtype=np.float64), out)
    return out
