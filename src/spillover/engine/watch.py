"""Watchers: what looks at the engine's state after every day (outcomes, quantile series).

The name keeps them apart from a scenario's perception *observers* (the actors whose
view of covert flows is noisy).
"""

from __future__ import annotations

from typing import Protocol

from spillover.engine.state import State


class Watcher(Protocol):
    """Something that watches the state after every day of a run."""

    def observe(self, state: State) -> None: ...
