"""The reference model written by hand in NumPy: the floor the generic engine is held to.

Same equations, same order of operations and the same outcomes as spillover's engine on
``scenarios/richardson7.yaml``, with nothing generic: no schedules, signals or events.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from benchmarks.make_richardson7 import ACTORS, CONSUMPTION, PRODUCTION, STOCK, THREAT

T = 365
THRESHOLD = 2.0


def hand_loop(experiments: pd.DataFrame) -> dict[str, np.ndarray]:
    """Simulate every row of ``experiments`` (columns as spillover names the inputs)."""
    R = len(experiments)
    s = experiments["threat_scale"].to_numpy()
    tau = np.stack([experiments[f"fatigue_days.{a}"].to_numpy() for a in ACTORS], axis=1)
    g = np.stack([experiments[f"grievance.{a}"].to_numpy() for a in ACTORS], axis=1)
    W = s[:, None, None] * THREAT[None]
    P = np.asarray(PRODUCTION)[None] * experiments["production_multiplier"].to_numpy()[:, None]
    D = np.asarray(CONSUMPTION)[None] * experiments["consumption_multiplier"].to_numpy()[:, None]
    rate = experiments["transfer_rate"].to_numpy()
    S = np.full((R, len(ACTORS)), STOCK)
    x = np.zeros((R, len(ACTORS)))
    peak = np.full_like(x, -np.inf)
    above = np.zeros(x.shape, dtype=np.int64)
    first = np.full(S.shape, float(T))
    delivered = np.zeros(R)
    for t in range(T):
        ship = np.minimum(rate, np.maximum(S[:, 0], 0.0))
        S[:, 0] -= ship
        S[:, 1] += ship
        delivered += ship
        S += P
        fired = np.minimum(D, S)
        S -= fired
        short = (D - fired) > 1e-9 * np.maximum(D, 1.0)
        first[short & (first == T)] = t
        x += (g + (W * x[:, None, :]).sum(axis=2) - x) / tau
        np.maximum(peak, x, out=peak)
        above += x >= THRESHOLD
    out = {"delivered.t01": delivered}
    for i, a in enumerate(ACTORS):
        out[f"final.x_{a}"] = x[:, i]
        out[f"peak.x_{a}"] = peak[:, i]
        out[f"days_above.x_{a}"] = above[:, i].astype(float)
        out[f"final_stock.{a}.arms"] = S[:, i]
        out[f"first_shortfall.{a}.arms"] = first[:, i]
    return out
