"""A small classification tree (CART with the Gini impurity) whose leaves are input boxes.

An alternative to PRIM for scenario discovery: the tree splits the runs on one input at a
time, and each leaf is a box with its density (share of its runs where the condition
holds) and coverage (share of all those runs it holds).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["cart", "leaf_rule"]


@dataclass
class _Split:
    column: int
    value: float
    gain: float


def _best_split(x: np.ndarray, y: np.ndarray, min_leaf: int) -> _Split | None:
    """The split with the largest fall in Gini impurity, over every column (vectorised)."""
    n = len(y)
    parent = 2 * y.mean() * (1 - y.mean())
    best: _Split | None = None
    for j in range(x.shape[1]):
        order = np.argsort(x[:, j], kind="stable")
        xs, ys = x[order, j], y[order]
        left_n = np.arange(1, n)
        left_k = np.cumsum(ys)[:-1]
        right_n, right_k = n - left_n, ys.sum() - left_k
        valid = (xs[1:] > xs[:-1]) & (left_n >= min_leaf) & (right_n >= min_leaf)
        if not valid.any():
            continue
        pl, pr = left_k / left_n, right_k / right_n
        gini = (left_n * 2 * pl * (1 - pl) + right_n * 2 * pr * (1 - pr)) / n
        gain = np.where(valid, parent - gini, -np.inf)
        i = int(np.argmax(gain))
        if gain[i] > 1e-12 and (best is None or gain[i] > best.gain):
            best = _Split(j, float((xs[i] + xs[i + 1]) / 2), float(gain[i]))
    return best


Limits = dict[int, tuple[float, float]]


def _grow(x: np.ndarray, y: np.ndarray, idx: np.ndarray, depth: int, max_depth: int, min_leaf: int,
          limits: Limits, leaves: list[tuple[np.ndarray, Limits]]) -> None:
    ys = y[idx]
    split = None if depth >= max_depth or ys.all() or not ys.any() else _best_split(x[idx], ys, min_leaf)
    if split is None:
        leaves.append((idx, limits))
        return
    lo, hi = limits.get(split.column, (-np.inf, np.inf))
    col = x[idx, split.column]
    _grow(x, y, idx[col <= split.value], depth + 1, max_depth, min_leaf,
          {**limits, split.column: (lo, min(hi, split.value))}, leaves)
    _grow(x, y, idx[col > split.value], depth + 1, max_depth, min_leaf,
          {**limits, split.column: (max(lo, split.value), hi)}, leaves)


def leaf_rule(limits: dict[str, tuple[float, float]]) -> str:
    """A leaf's box as text.

    >>> leaf_rule({"a": (0.5, float("inf")), "b": (-float("inf"), 0.25)})
    'a > 0.5 and b ≤ 0.25'
    """
    parts = []
    for name, (lo, hi) in limits.items():
        if np.isfinite(lo) and np.isfinite(hi):
            parts.append(f"{lo:.4g} < {name} ≤ {hi:.4g}")
        elif np.isfinite(lo):
            parts.append(f"{name} > {lo:.4g}")
        elif np.isfinite(hi):
            parts.append(f"{name} ≤ {hi:.4g}")
    return " and ".join(parts) or "all runs"


def cart(X: pd.DataFrame, y: np.ndarray, max_depth: int = 3, min_leaf: int | None = None) -> pd.DataFrame:
    """Grow a tree on ``X`` towards ``y``; one row per leaf, densest first.

    Returns
    -------
    pandas.DataFrame
        ``leaf``, ``rule`` (its box as text), ``limits`` (``{input: (lo, hi)}``, open
        ends infinite), ``n`` runs, ``k`` where the condition holds, ``density`` and
        ``coverage``.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.random((2000, 3)), columns=["a", "b", "c"])
    >>> y = (X["a"] > 0.6).to_numpy() & (X["b"] < 0.3).to_numpy()
    >>> cart(X, y, max_depth=2).iloc[0]["rule"]
    'a > 0.5998 and b ≤ 0.2984'
    """
    y = np.asarray(y, dtype=bool)
    x = X.to_numpy(dtype=float)
    names = [str(c) for c in X.columns]
    leaf_min = min_leaf if min_leaf is not None else max(5, len(y) // 100)
    leaves: list[tuple[np.ndarray, Limits]] = []
    _grow(x, y.astype(float), np.arange(len(y)), 0, max_depth, leaf_min, {}, leaves)
    total = int(y.sum())
    rows = []
    for idx, lim in leaves:
        named = {names[j]: v for j, v in sorted(lim.items())}
        k = int(y[idx].sum())
        rows.append({"rule": leaf_rule(named), "limits": named, "n": len(idx), "k": k,
                     "density": k / len(idx), "coverage": k / total if total else np.nan})
    out = pd.DataFrame(rows).sort_values(["density", "coverage"], ascending=False, kind="stable")
    out.insert(0, "leaf", np.arange(1, len(out) + 1))
    return out.reset_index(drop=True)
