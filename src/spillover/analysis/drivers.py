"""What drives each claim: a cheap attribution over the runs already made, with a noise floor.

For a claim (yes or no in each run) and each sampled input, the driver score is the
Kolmogorov–Smirnov distance between the input's values in the runs where the claim holds
and in the runs where it fails: 0 when the claim does not care about the input, up to 1
when the input alone decides it (a PAWN-style index, Pianosi & Wagener 2015, conditioned on
the claim instead of on slices of the input). It needs no extra simulation.

A permutation test sets the noise floor: the claim's yes/no labels are shuffled among the
runs (seeded, so the floor is the same at every call) and the largest score any input gets
is recorded; the floor is the 95th percentile of those largest scores. An input scoring
below it is indistinguishable from noise and is left off the list, so a pure-noise input
stays off in at least 95% of seeds (far more in practice: the floor is the family's).

Each driver is labelled ``sourced`` (its number cites a source), ``judgment`` (the
modeller's judgment) or ``unsourced``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from spillover.analysis.ks import ks_max

__all__ = ["DRIVER_COLUMNS", "PERMUTATIONS", "claim_drivers", "input_labels", "ks_scores", "label_shares",
           "noise_floor"]

PERMUTATIONS = 100
"""Shuffles of the labels behind each claim's noise floor."""

FLOOR_QUANTILE = 0.95
MIN_SIDE = 5
"""Fewest runs on each side (holds, fails) for an attribution; fewer and the claim has none."""

DRIVER_COLUMNS = ("claim", "input", "score", "floor", "direction", "label", "source", "rank")
"""Columns of :func:`claim_drivers`: only inputs above the floor, strongest first per claim.
``direction`` is +1 when the claim holds more often at high values of the input, -1 at low."""

FloatArray = npt.NDArray[np.float64]


def _orders(x: FloatArray) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Each column's sort order, and where a run of tied values ends in that order."""
    order = np.argsort(x, axis=0, kind="stable")
    s = np.take_along_axis(x, order, axis=0)
    ends = np.ones_like(s, dtype=bool)
    ends[:-1] = s[1:] != s[:-1]
    return order, ends


Orders = tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]


def _ks(y: FloatArray, orders: Orders) -> FloatArray:
    """KS distance per column (and per row of ``y`` when it is 2-D: shuffles of one set of labels)."""
    y2 = np.atleast_2d(y).astype(np.int8)
    n1 = int(y2[0].sum(dtype=np.int64))
    n0 = y2.shape[1] - n1
    scale, step = 1.0 / n1 + 1.0 / n0, np.arange(1, y2.shape[1] + 1) / n0
    out = ks_max(y2, orders[0], orders[1], scale, step)
    return out if y.ndim == 2 else out[0]


def ks_scores(x: FloatArray, holds: npt.ArrayLike) -> FloatArray:
    """The KS distance of each column of ``x`` (runs × inputs) between holds and fails.

    >>> x = np.array([[1.0], [2.0], [3.0], [4.0]])
    >>> ks_scores(x, [False, False, True, True]).tolist()
    [1.0]
    """
    return _ks(np.asarray(holds, dtype=float), _orders(np.asarray(x, dtype=float)))


def noise_floor(x: FloatArray, holds: npt.ArrayLike, seed: int = 0,
                permutations: int = PERMUTATIONS) -> float:
    """The 95th percentile, over shuffles of the labels, of the largest KS distance of any input."""
    return _floor(_orders(np.asarray(x, dtype=float)), np.asarray(holds, dtype=float), seed, permutations)


def _floor(orders: Orders, y: FloatArray, seed: int, permutations: int = PERMUTATIONS) -> float:
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xD12,)))
    shuffled = np.stack([rng.permutation(y) for _ in range(permutations)])
    return float(np.quantile(_ks(shuffled, orders).max(axis=1), FLOOR_QUANTILE))


def input_labels(summary: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Input name → (``sourced`` | ``judgment`` | ``unsourced``, its source keys) from a
    scenario summary (:func:`spillover.scenario.summary.summarize`)."""
    out: dict[str, tuple[str, str | None]] = {}
    for inp in summary.get("inputs") or []:
        label = "judgment" if inp.get("judgment") else "sourced" if inp.get("source") else "unsourced"
        out[str(inp["name"])] = (label, inp.get("source"))
    return out


def label_shares(drivers: pd.DataFrame) -> dict[str, float] | None:
    """The share of one claim's attribution (its driver scores) from each label, or None when
    no driver is above the noise floor. The shares of ``sourced``, ``judgment`` and
    ``unsourced`` sum to 1.

    >>> d = pd.DataFrame({"score": [0.6, 0.3, 0.1], "label": ["judgment", "sourced", "judgment"]})
    >>> {k: round(v, 2) for k, v in label_shares(d).items()}
    {'sourced': 0.3, 'judgment': 0.7, 'unsourced': 0.0}
    """
    total = float(drivers["score"].sum()) if not drivers.empty else 0.0
    if total <= 0:
        return None
    by = drivers.groupby("label")["score"].sum()
    return {k: float(by.get(k, 0.0)) / total for k in ("sourced", "judgment", "unsourced")}


def _one_claim(claim: str, x: FloatArray, names: Sequence[str], holds: npt.NDArray[np.bool_], seed: int,
               labels: Mapping[str, tuple[str, str | None]], orders: Orders,
               ranks: FloatArray) -> tuple[list[dict[str, Any]], float | None]:
    if min(int(holds.sum()), int((~holds).sum())) < MIN_SIDE:
        return [], None
    y = holds.astype(float)
    scores = _ks(y, orders)
    floor = _floor(orders, y, seed)
    rows: list[dict[str, Any]] = []
    for j in np.argsort(-scores, kind="stable"):
        if scores[j] <= floor:
            break
        up = ranks[holds, j].mean() > ranks[~holds, j].mean()
        label, source = labels.get(names[j], ("unsourced", None))
        rows.append({"claim": claim, "input": names[j], "score": float(scores[j]), "floor": floor,
                     "direction": 1 if up else -1, "label": label, "source": source, "rank": len(rows) + 1})
    return rows, floor


def claim_drivers(experiments: pd.DataFrame, indicators: Mapping[str, npt.ArrayLike],
                  labels: Mapping[str, tuple[str, str | None]],
                  seed: int = 0) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The drivers of each claim, and each claim's noise floor (None: too few runs on a side).

    Parameters
    ----------
    experiments
        One row per run: ``run`` and the sampled inputs (the experiments table).
    indicators
        Claim id → whether it holds in each run, in the rows' order.
    labels
        Input name → (label, source), see :func:`input_labels`.
    seed
        Seeds the permutations (the run's seed: the floor is the same at every call).
    """
    names = [c for c in experiments.columns if c != "run" and experiments[c].nunique() > 1]
    x = experiments[names].to_numpy(dtype=float)
    rows: list[dict[str, Any]] = []
    floors: dict[str, Any] = {}
    if not names:  # nothing is sampled: no input can drive a claim
        return pd.DataFrame(rows, columns=list(DRIVER_COLUMNS)), dict.fromkeys(indicators)
    orders, ranks = _orders(x), pd.DataFrame(x).rank().to_numpy()  # the same for every claim
    for claim, holds in indicators.items():
        found, floors[claim] = _one_claim(claim, x, names, np.asarray(holds, dtype=bool), seed, labels,
                                          orders, ranks)
        rows += found
    return pd.DataFrame(rows, columns=list(DRIVER_COLUMNS)), floors
