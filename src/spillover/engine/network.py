"""The indicator network as a list of edges: sparse, vectorised over rows, deterministic.

Indicator k's input is ``beta_k + Σ_e w_e · u[source_e]`` over its edges, where ``u`` is
the indicators followed by the signals. Summing edges in a fixed order (a sparse
0/1 matrix in CSR form, applied column by column) gives every row the same arithmetic
whatever the batch size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from spillover.engine.structure import Structure


@dataclass
class Edges:
    """Edges sorted by target: (target k, source j into [indicators | signals])."""

    target: np.ndarray  # (E,)
    source: np.ndarray  # (E,)
    is_signal: np.ndarray  # (E,) bool
    targets: np.ndarray  # indicators with at least one edge
    offsets: np.ndarray  # start of each target's edges
    index: dict[tuple[int, int], int]  # (k, source into [indicators | signals]) -> edge
    summer: sparse.csr_matrix  # (targets, E) ones: adds each target's edges, in edge order

    @property
    def n(self) -> int:
        return len(self.target)


def build_edges(st: Structure) -> Edges:
    """One edge per declared input of every indicator."""
    sc, K = st.scenario, len(st.indicators)
    rows = []
    for k, name in enumerate(st.indicators):
        for j in sc.indicators[name].inputs:
            if j in st.indicators:
                rows.append((k, st.indicators.index(j), False))
            else:
                rows.append((k, K + st.signals.index(j), True))
    rows.sort(key=lambda r: (r[0], r[1]))
    target = np.array([r[0] for r in rows], dtype=np.int64)
    source = np.array([r[1] for r in rows], dtype=np.int64)
    is_signal = np.array([r[2] for r in rows], dtype=bool)
    targets, offsets = np.unique(target, return_index=True)
    index = {(int(k), int(j)): e for e, (k, j, _) in enumerate(rows)}
    summer = sparse.csr_matrix(
        (np.ones(len(rows)), (np.searchsorted(targets, target), np.arange(len(rows)))),
        shape=(len(targets), len(rows)),
    )
    return Edges(target, source, is_signal, targets, offsets.astype(np.int64), index, summer)


def edge_weights(e: Edges, W: np.ndarray, V: np.ndarray) -> np.ndarray:
    """(E, R) weights of the edges from dense (R, K, K) and (R, K, S) matrices."""
    K = W.shape[1]
    out = np.empty((e.n, W.shape[0]))
    for i in range(e.n):
        k, j = e.target[i], e.source[i]
        out[i] = V[:, k, j - K] if e.is_signal[i] else W[:, k, j]
    return out


def weighted_input(e: Edges, beta: np.ndarray, weights: np.ndarray, u: np.ndarray) -> np.ndarray:
    """beta + Σ_edges weight · u[source], per indicator, all as (·, R) rows: returns (K, R)."""
    x = beta.copy()
    if e.n:
        contrib = weights * u[e.source]
        x[e.targets] += e.summer @ contrib
    return x
