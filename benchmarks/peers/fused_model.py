"""The reference model as one fused compiled kernel: the limit a generic engine is measured against.

One Numba function with ``prange`` over runs does everything ``richardson_loop.hand_loop``
does, for every run at once, with each run's seven levels and stocks held in registers and
nothing generic: no schedules, signals, events, histograms or outcome bookkeeping beyond
the 36 outcomes. The arithmetic is that of the hand loop in the same order (the threat sum
runs over all seven actors in order, zeros included, as NumPy's sum over a length-7 axis
does), so its outcomes are bit for bit the hand loop's.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numba import njit, prange

from benchmarks.make_richardson7 import ACTORS, CONSUMPTION, PRODUCTION, STOCK, THREAT
from benchmarks.peers.loop_model import OUTCOMES

T = 365
THRESHOLD = 2.0
N = len(ACTORS)


@njit(parallel=True, cache=True, fastmath=False)
def _kernel(s: np.ndarray, tau: np.ndarray, g: np.ndarray, prod_mult: np.ndarray, cons_mult: np.ndarray,
            rate: np.ndarray, threat: np.ndarray, production: np.ndarray, consumption: np.ndarray,
            stock: float, out: np.ndarray) -> None:
    """Simulate every run; ``out`` is (36, R): delivered, then per actor final, peak, days
    above, final stock and first shortfall."""
    R = len(s)
    for r in prange(R):
        x = np.zeros(N)
        new = np.empty(N)
        S = np.full(N, stock)
        peak = np.full(N, -np.inf)
        above = np.zeros(N, np.int64)
        first = np.full(N, float(T))
        delivered = 0.0
        for t in range(T):
            ship = min(rate[r], max(S[0], 0.0))
            S[0] -= ship
            S[1] += ship
            delivered += ship
            for i in range(N):
                S[i] += production[i] * prod_mult[r]
                demand = consumption[i] * cons_mult[r]
                fired = min(demand, S[i])
                S[i] -= fired
                if (demand - fired) > 1e-9 * max(demand, 1.0) and first[i] == T:
                    first[i] = t
            for i in range(N):
                acc = 0.0
                for j in range(N):
                    acc += (s[r] * threat[i, j]) * x[j]
                new[i] = x[i] + (g[r, i] + acc - x[i]) / tau[r, i]
            for i in range(N):
                x[i] = new[i]
                if x[i] > peak[i]:
                    peak[i] = x[i]
                if x[i] >= THRESHOLD:
                    above[i] += 1
        out[0, r] = delivered
        for i in range(N):
            out[1 + 5 * i, r] = x[i]
            out[2 + 5 * i, r] = peak[i]
            out[3 + 5 * i, r] = above[i]
            out[4 + 5 * i, r] = S[i]
            out[5 + 5 * i, r] = first[i]


def fused(experiments: pd.DataFrame) -> dict[str, np.ndarray]:
    """Every row of ``experiments`` through the fused kernel; outcomes named as spillover names them."""
    def col(name: str) -> np.ndarray:
        return np.ascontiguousarray(experiments[name].to_numpy(dtype=np.float64))

    tau = np.ascontiguousarray(np.stack([col(f"fatigue_days.{a}") for a in ACTORS], axis=1))
    g = np.ascontiguousarray(np.stack([col(f"grievance.{a}") for a in ACTORS], axis=1))
    out = np.empty((1 + 5 * N, len(experiments)))
    _kernel(col("threat_scale"), tau, g, col("production_multiplier"), col("consumption_multiplier"),
            col("transfer_rate"), np.ascontiguousarray(THREAT, dtype=np.float64),
            np.asarray(PRODUCTION, dtype=np.float64), np.asarray(CONSUMPTION, dtype=np.float64),
            float(STOCK), out)
    return dict(zip(OUTCOMES, out, strict=True))
