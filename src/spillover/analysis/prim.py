"""PRIM (Friedman and Fisher's patient rule induction method): boxes where a condition holds.

Peeling starts from the box holding every run and repeatedly removes the ``alpha`` share
of the runs in the box from the bottom or the top of one input, choosing the peel that
leaves the highest share of runs where the condition holds (the *density*). Each step
gives a box on the coverage/density trade-off curve: *coverage* is the share of all the
runs where the condition holds that fall inside the box.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["Prim", "prim"]


@dataclass
class Prim:
    """The peeling trajectory and the chosen box.

    Attributes
    ----------
    trajectory
        One row per box: ``step``, ``coverage``, ``density``, ``mass`` (share of runs in
        the box), ``n`` runs in it, ``k`` of them where the condition holds and
        ``restricted`` (how many inputs the box limits).
    limits
        For each step, ``{input: (lo, hi)}`` of the inputs it limits.
    chosen
        The step of the chosen box.
    box
        The chosen box's restricted inputs that the data support (see :func:`_prune`):
        ``input``, ``lo``, ``hi`` (its limits, NaN on a side it leaves open), ``min``,
        ``max`` (the range in the runs), ``density_without`` and ``coverage_without``
        (if that limit were dropped) and ``qp`` (a one-sided binomial quasi-p-value that
        the limit matters, as in EMA Workbench).
    coverage, density, n, k
        Those of the box in ``box`` (the pruned box), not of the chosen step's.
    max_qp
        The quasi-p-value a limit needed to stay in ``box``.
    """

    trajectory: pd.DataFrame
    limits: list[dict[str, tuple[float, float]]]
    chosen: int
    box: pd.DataFrame
    base_density: float
    coverage: float = np.nan
    density: float = np.nan
    n: int = 0
    k: int = 0
    max_qp: float = 0.05

    @property
    def peeled(self) -> int:
        """How many inputs the chosen step's box limits (before pruning)."""
        return len(self.limits[self.chosen])

    @property
    def pruned(self) -> int:
        """How many of those limits pruning dropped (0: the box is the chosen step's)."""
        return self.peeled - len(self.box)


def _peel(x: np.ndarray, y: np.ndarray, inside: np.ndarray, alpha: float) -> tuple[float, int, str, float]:
    """Best peel: (density after, column, side, new limit); density -1 when none is possible."""
    best = (-1.0, -1, "", 0.0)
    best_mass = -1
    idx = np.flatnonzero(inside)
    k = max(1, int(np.floor(alpha * len(idx))))
    for j in range(x.shape[1]):
        col = x[idx, j]
        srt = np.sort(col)
        for side, limit in (("lo", srt[k]), ("hi", srt[-k - 1])):
            keep = col >= limit if side == "lo" else col <= limit
            kept = int(keep.sum())
            if kept == len(idx) or kept == 0:
                continue
            dens = float(y[idx][keep].mean())
            if dens > best[0] or (dens == best[0] and kept > best_mass):
                best, best_mass = (dens, j, side, float(limit)), kept
    return best


def _stats(y: np.ndarray, inside: np.ndarray, total: int) -> tuple[float, float, float, int, int]:
    n, k = int(inside.sum()), int(y[inside].sum())
    return (k / total if total else np.nan, k / n if n else np.nan, n / len(y), n, k)


def _inside(x: np.ndarray, names: list[str], limits: dict[str, tuple[float, float]]) -> np.ndarray:
    mask = np.ones(len(x), dtype=bool)
    for name, (lo, hi) in limits.items():
        col = x[:, names.index(name)]
        mask &= (col >= lo) & (col <= hi)
    return mask


def _restricted(limits: dict[str, tuple[float, float]], lo: np.ndarray, hi: np.ndarray,
                names: list[str]) -> dict[str, tuple[float, float]]:
    return {n: v for n, v in limits.items()
            if v[0] > lo[names.index(n)] or v[1] < hi[names.index(n)]}


def _choose(traj: pd.DataFrame, min_coverage: float) -> int:
    ok = traj[traj["coverage"] >= min_coverage]
    if ok.empty:
        return 0
    top = ok["density"].max()
    return int(ok[ok["density"] == top]["step"].iloc[0])


def _box_table(x: np.ndarray, y: np.ndarray, names: list[str], limits: dict[str, tuple[float, float]],
               lo: np.ndarray, hi: np.ndarray) -> pd.DataFrame:
    total = int(y.sum())
    inside = _inside(x, names, limits)
    n, k = int(inside.sum()), int(y[inside].sum())
    rows = []
    for name, (a, b) in limits.items():
        rest = {m: v for m, v in limits.items() if m != name}
        without = _inside(x, names, rest)
        nw, kw = int(without.sum()), int(y[without].sum())
        dens_w = kw / nw if nw else np.nan
        qp = float(stats.binom.sf(k - 1, n, dens_w)) if n and nw else np.nan
        j = names.index(name)
        rows.append({"input": name, "lo": a if a > lo[j] else np.nan, "hi": b if b < hi[j] else np.nan,
                     "min": float(lo[j]), "max": float(hi[j]),
                     "density_without": dens_w, "coverage_without": kw / total if total else np.nan,
                     "qp": qp})
    cols = ["input", "lo", "hi", "min", "max", "density_without", "coverage_without", "qp"]
    return pd.DataFrame(rows, columns=cols).sort_values("qp", kind="stable").reset_index(drop=True)


def _prune(x: np.ndarray, y: np.ndarray, names: list[str], limits: dict[str, tuple[float, float]],
           lo: np.ndarray, hi: np.ndarray, max_qp: float) -> pd.DataFrame:
    """Keep the chosen box's limits that matter: forward selection by quasi-p-value.

    Starting from no limit, add the limit whose addition is least likely by chance (a
    one-sided binomial test of the density it gives against the density before), while
    that probability is at most ``max_qp``. Peeling in many inputs trims some by chance;
    this keeps the ones the data support.
    """
    kept: dict[str, tuple[float, float]] = {}
    inside = np.ones(len(y), dtype=bool)
    while True:
        base = y[inside].mean()
        best, best_qp = None, max_qp
        for name, lim in limits.items():
            if name in kept:
                continue
            trial = inside & _inside(x, names, {name: lim})
            n, k = int(trial.sum()), int(y[trial].sum())
            qp = float(stats.binom.sf(k - 1, n, base)) if n else 1.0
            if qp < best_qp:
                best, best_qp = name, qp
        if best is None:
            return _box_table(x, y, names, kept, lo, hi)
        kept[best] = limits[best]
        inside &= _inside(x, names, {best: limits[best]})


def prim(
    X: pd.DataFrame,
    y: np.ndarray,
    alpha: float = 0.05,
    min_mass: float = 0.05,
    min_coverage: float = 0.5,
    max_qp: float = 0.05,
) -> Prim:
    """Peel boxes from the runs in ``X`` towards those where ``y`` holds.

    Parameters
    ----------
    X
        One row per run, one numeric column per input.
    y
        Whether the condition holds in each run.
    alpha
        Share of the box's runs removed by each peel.
    min_mass
        Stop when the box holds less than this share of all runs.
    min_coverage
        The chosen box is the densest with at least this coverage.
    max_qp
        Limits of the chosen box are kept while adding one is this unlikely by chance.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(rng.random((2000, 3)), columns=["a", "b", "c"])
    >>> y = (X["a"] > 0.6).to_numpy() & (X["b"] < 0.3).to_numpy()
    >>> res = prim(X, y)
    >>> sorted(res.box["input"])
    ['a', 'b']
    """
    if not 0 < alpha < 0.5:
        raise ValueError(f"alpha must lie between 0 and 0.5, got {alpha}")
    y = np.asarray(y, dtype=bool)
    names = [str(c) for c in X.columns]
    x = X.to_numpy(dtype=float)
    lo, hi = x.min(axis=0), x.max(axis=0)
    total = int(y.sum())
    limits: dict[str, tuple[float, float]] = {n: (float(lo[j]), float(hi[j])) for j, n in enumerate(names)}
    inside = np.ones(len(y), dtype=bool)
    steps = [limits.copy()]
    rows = [_stats(y, inside, total)]
    while inside.mean() > min_mass and rows[-1][1] < 1.0:
        _, j, side, limit = _peel(x, y, inside, alpha)
        if j < 0:
            break
        a, b = limits[names[j]]
        limits[names[j]] = (limit, b) if side == "lo" else (a, limit)
        inside = _inside(x, names, {names[j]: limits[names[j]]}) & inside
        steps.append(limits.copy())
        rows.append(_stats(y, inside, total))
    traj = pd.DataFrame(rows, columns=["coverage", "density", "mass", "n", "k"])
    traj.insert(0, "step", np.arange(len(traj)))
    boxes = [_restricted(s, lo, hi, names) for s in steps]
    traj["restricted"] = [len(b) for b in boxes]
    chosen = _choose(traj, min_coverage)
    box = _prune(x, y, names, boxes[chosen], lo, hi, max_qp)
    kept = {r.input: (r.lo if np.isfinite(r.lo) else r.min, r.hi if np.isfinite(r.hi) else r.max)
            for r in box.itertuples()}
    cov, dens, _, n, k = _stats(y, _inside(x, names, kept), total)
    return Prim(trajectory=traj, limits=boxes, chosen=chosen, box=box, base_density=total / len(y),
                coverage=cov, density=dens, n=n, k=k, max_qp=max_qp)
