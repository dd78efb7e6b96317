"""The engine's state: every array has a row axis R (one row per run and variant).

The row axis leads in the per-actor arrays (stocks and counters, ``(R, A, M)``) and in the
event arrays ``(R, E)``; it comes last in the arrays the daily step walks one item at a
time (``pipe``, ``levels``, ``flows``, ``z``), so that each item's rows are contiguous.
The properties give every quantity as ``(R, ·)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class State:
    """Stocks, flows in transit, indicators, events and cumulative counters of R rows.

    The ``*_true`` event arrays are the *shadow* of each event: its trigger evaluated on the
    true indicators (``levels[1]``) with the same draws, on the path as it unfolded, without
    effects. With exact perception, and for dated events, the shadow is the event itself.

    The ``*_today`` arrays hold the flows of the day just stepped, for watchers. Demands
    (``demand_today``, ``fired_today``) and production lines (``prod_today``) are in the
    engine's order (:class:`spillover.engine.structure.Lines`).
    """

    t: int
    S: np.ndarray  # (R, A, M) stocks
    pipe: np.ndarray  # (F, W, R) what arrives, by the day it arrives (a ring of W days)
    delay: np.ndarray  # (F, R) days from shipment to delivery (in the first lever period)
    levels: np.ndarray  # (2, K, R) indicators driven by perceived (0) and true (1) signals
    E: np.ndarray  # (R, E) bool: event has fired
    fired_at: np.ndarray  # (R, E) day it fired, NaN if not
    hazard: np.ndarray  # (R, E) cumulative hazard
    above: np.ndarray  # (R, E) consecutive days at or over the threshold
    fired_at_true: np.ndarray  # (R, E) day the shadow fired, NaN if not
    hazard_true: np.ndarray  # (R, E) the shadow's cumulative hazard, until it fires
    above_true: np.ndarray  # (R, E) the shadow's days at or over the threshold, until it fires
    produced: np.ndarray  # (R, A, M)
    fired: np.ndarray  # (R, A, M)
    demanded: np.ndarray  # (R, A, M)
    shortfall: np.ndarray  # (R, A, M)
    flows: np.ndarray  # (5, F, R): shipped, delivered, lost, shipped today, delivered today
    demand_today: np.ndarray  # (R, P) per demand, in the engine's order
    fired_today: np.ndarray  # (R, P)
    z: np.ndarray  # (S, R) true signals today
    leaked: np.ndarray  # (R, C) incoming units that got through each coupled demand, in total
    leaked_today: np.ndarray  # (R, C) the same, today
    prod_today: np.ndarray  # (R, nP) made by each production line today
    paid: np.ndarray  # (R, F) units a compensation has paid for (counted under up_to)
    exact: bool = False  # every observer sees exactly, so I_true equals I

    @property
    def E_true(self) -> np.ndarray:
        """(R, E) bool: the shadow has been met (its trigger on the true indicators), as
        ``fired_at_true`` says."""
        return ~np.isnan(self.fired_at_true)

    @property
    def I(self) -> np.ndarray:
        """(R, K) indicators as the observers perceive their inputs."""
        return self.levels[0].T

    @property
    def I_true(self) -> np.ndarray:
        """(R, K) the same indicators driven by the true signals."""
        return self.levels[1].T

    @property
    def shipped(self) -> np.ndarray:
        """(R, F) cumulative quantity shipped."""
        return self.flows[0].T

    @property
    def delivered(self) -> np.ndarray:
        """(R, F) cumulative quantity delivered."""
        return self.flows[1].T

    @property
    def lost(self) -> np.ndarray:
        """(R, F) cumulative quantity lost on the way."""
        return self.flows[2].T

    @property
    def shipped_today(self) -> np.ndarray:
        """(R, F) shipped on the day just stepped."""
        return self.flows[3].T

    @property
    def delivered_today(self) -> np.ndarray:
        """(R, F) delivered on the day just stepped."""
        return self.flows[4].T

    @property
    def in_transit(self) -> np.ndarray:
        """(R, F) shipped (net of losses) and not yet delivered: what the ring still holds."""
        return self.pipe.sum(axis=1).T
