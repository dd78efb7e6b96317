"""The kinds of signals, events and event effects the engine knows, as the integers both engines use.

The NumPy step compares against the members; the compiled step reads the same integers
from arrays (Numba freezes the module-level constants below into the kernel).
"""

from __future__ import annotations

from enum import IntEnum


class SignalKind(IntEnum):
    """What a signal reads: a transfer's flow today, a stock, an event flag, a lever, or a
    demand's fire, shortfall or leaked units today."""

    FLOW = 0
    STOCK = 1
    EVENT = 2
    LEVER = 3
    FIRED = 4
    SHORTFALL = 5
    LEAKED = 6


class EventKind(IntEnum):
    """What triggers an event."""

    HAZARD = 0
    THRESHOLD = 1
    DATED = 2


class EffectKind(IntEnum):
    """What an event effect changes, from the day after the event fires."""

    START = 0  # a dormant transfer starts flowing
    ADD_BETA = 1  # added to an indicator's base level
    SCALE_TRANSFER = 2  # a transfer's rate is multiplied
    SCALE_SERIES = 3  # a production or demand schedule is multiplied
    SCALE_EDGE = 4  # the weight of one input of an indicator is multiplied
    START_PRODUCTION = 5  # a dormant production line starts


FLOW, STOCK, EVENT, LEVER, FIRED, SHORTFALL, LEAKED = (int(k) for k in SignalKind)
HAZARD, THRESHOLD, DATED = (int(k) for k in EventKind)
START, ADD_BETA, SCALE_TRANSFER, SCALE_SERIES, SCALE_EDGE, START_PRODUCTION = (int(k) for k in EffectKind)
