"""Snapshots: model quantities recorded at the end of given days, for every row.

An evidence file observes quantities on dates (see :mod:`spillover.scenario.measures`):
the cumulative deliveries of a transfer by 13 July 2025, a stock or an indicator on a day,
whether an event has fired. :class:`SnapshotSpec` lists them as (quantity, day) pairs
resolved to the engine's arrays; :class:`SnapshotWatcher` records them. Both engines
fill it (the compiled one inside its loop), bit for bit alike; without evidence no
watcher exists and nothing is recorded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from spillover.engine.state import State
from spillover.engine.structure import Structure

# Where a snapshot reads from (the compiled step's ``Watch.obs_src``).
FLOWS, STOCK, LEVEL, FLAG, PRODUCED, FIRED, DEMANDED, SHORTFALL, FIRED_TODAY, FLAG_TRUE = range(10)
_FLOW_ROWS = {"shipped": 0, "delivered": 1, "lost": 2, "shipped_today": 3, "delivered_today": 4}
_CELLS = {"stock": STOCK, "produced": PRODUCED, "fired_total": FIRED, "demanded": DEMANDED,
          "shortfall": SHORTFALL}


def _resolve(st: Structure, column: str) -> tuple[int, int, int]:
    """(source, first index, second index) of a quantity column such as ``stock.RUS.shell152``."""
    family, _, key = column.partition(".")
    try:
        if family in _FLOW_ROWS:
            return FLOWS, _FLOW_ROWS[family], st.transfers.index(key)
        if family in _CELLS or family == "fired_today":
            a, m = key.split(".")
            if family == "fired_today":
                flat = st.actors.index(a) * st.M + st.munitions.index(m)
                return FIRED_TODAY, [int(f) for f in st.lines.dem_flat].index(flat), 0
            return _CELLS[family], st.actors.index(a) * st.M + st.munitions.index(m), 0
        if family in ("indicator", "indicator_true"):
            return LEVEL, int(family == "indicator_true"), st.indicators.index(key)
        if family == "fired":
            return FLAG, st.events.index(key), 0
        if family == "fired_true":
            return FLAG_TRUE, st.events.index(key), 0
    except ValueError:
        pass
    raise ValueError(f"unknown quantity '{column}'")


@dataclass(frozen=True)
class SnapshotSpec:
    """The (quantity, day) pairs to record, resolved against a compiled scenario.

    ``variant`` is the variant whose rows a chunk keeps (the policy in force when the
    observations were made).
    """

    columns: tuple[str, ...]
    days: np.ndarray  # (J,) int64
    src: np.ndarray  # (J,) int64
    a: np.ndarray  # (J,) int64
    b: np.ndarray  # (J,) int64
    variant: int = 0

    @classmethod
    def build(cls, st: Structure, requests: Sequence[tuple[str, int]], variant: int = 0) -> SnapshotSpec:
        """A spec for ``requests`` (quantity column, day), duplicates dropped, in order."""
        unique = list(dict.fromkeys((str(c), int(d)) for c, d in requests))
        for c, d in unique:
            if not 0 <= d < st.T:
                raise ValueError(f"day {d} of '{c}' lies outside the horizon (0..{st.T - 1})")
        where = np.array([_resolve(st, c) for c, _ in unique], dtype=np.int64).reshape(-1, 3)
        return cls(columns=tuple(c for c, _ in unique), days=np.array([d for _, d in unique], np.int64),
                   src=where[:, 0].copy(), a=where[:, 1].copy(), b=where[:, 2].copy(), variant=variant)

    @property
    def keys(self) -> list[str]:
        """One name per snapshot: ``<column>@<day>``."""
        return [f"{c}@{int(d)}" for c, d in zip(self.columns, self.days, strict=True)]

    def __len__(self) -> int:
        return len(self.columns)


def read(s: State, src: int, a: int, b: int) -> np.ndarray:
    """The values of one snapshot source in every row of the state, as floats."""
    R = s.S.shape[0]
    if src == FLOWS:
        return s.flows[a, b].copy()
    if src == LEVEL:
        return s.levels[a, b].copy()
    if src == FLAG:
        return s.E[:, a].astype(np.float64)
    if src == FLAG_TRUE:
        return s.E_true[:, a].astype(np.float64)
    if src == FIRED_TODAY:
        return s.fired_today[:, a].copy()
    cells = {STOCK: s.S, PRODUCED: s.produced, FIRED: s.fired, DEMANDED: s.demanded, SHORTFALL: s.shortfall}
    return cells[src].reshape(R, -1)[:, a].copy()


class SnapshotWatcher:
    """Records the spec's quantities on their days: ``values`` is (snapshots, rows)."""

    def __init__(self, spec: SnapshotSpec, R: int) -> None:
        self.spec = spec
        self.values = np.full((len(spec), R), np.nan)
        self._by_day: dict[int, list[int]] = {}
        for j, d in enumerate(spec.days):
            self._by_day.setdefault(int(d), []).append(j)

    def observe(self, s: State) -> None:
        for j in self._by_day.get(int(s.t), ()):
            sp = self.spec
            self.values[j] = read(s, int(sp.src[j]), int(sp.a[j]), int(sp.b[j]))
