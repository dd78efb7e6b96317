"""The engine's state: every array has the leading row axis R."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class State:
    """Stocks, flows in transit, indicators, events and cumulative counters of R rows.

    The ``*_today`` arrays hold the flows of the day just stepped, for observers.
    """

    t: int
    S: np.ndarray  # (R, A, M) stocks
    pipe: np.ndarray  # (R, F, W) shipped and not yet delivered, by arrival slot
    I: np.ndarray  # (R, K) indicators, driven by perceived signals
    I_true: np.ndarray  # (R, K) indicators, driven by the true signals
    E: np.ndarray  # (R, E) bool: event has fired
    fired_at: np.ndarray  # (R, E) day it fired, NaN if not
    hazard: np.ndarray  # (R, E) cumulative hazard
    above: np.ndarray  # (R, E) consecutive days at or over the threshold
    produced: np.ndarray  # (R, A, M)
    fired: np.ndarray  # (R, A, M)
    demanded: np.ndarray  # (R, A, M)
    shortfall: np.ndarray  # (R, A, M)
    shipped: np.ndarray  # (R, F)
    delivered: np.ndarray  # (R, F)
    lost: np.ndarray  # (R, F)
    shipped_today: np.ndarray  # (R, F)
    delivered_today: np.ndarray  # (R, F)
    demand_today: np.ndarray  # (R, A, M)
    fired_today: np.ndarray  # (R, A, M)
    z: np.ndarray  # (R, S) true signals today
    exact: bool = False  # every observer sees exactly, so I_true equals I

    @property
    def in_transit(self) -> np.ndarray:
        """(R, F) quantity shipped and not yet delivered."""
        return self.pipe.sum(axis=2)
