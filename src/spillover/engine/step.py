"""The daily step (MODEL §3) in NumPy, vectorised over rows, and its loop over days.

Order of one step: lever period → schedule → transfers → production → consumption →
signals → indicators → triggers. Event effects act from the next day. This is the
readable reference; :mod:`spillover.engine.jit` compiles the same arithmetic. The stages
live in :mod:`spillover.engine.stages` (flows) and :mod:`spillover.engine.react`
(indicators, events); the working arrays in :mod:`spillover.engine.setup`.
"""

from __future__ import annotations

from collections.abc import Sequence

from spillover.engine.draws import Draws
from spillover.engine.params import Params
from spillover.engine.react import advance_noise, indicators, switch_period, triggers
from spillover.engine.setup import Kernel, initial_state, make_kernel
from spillover.engine.stages import consume, produce, rates, signals, transfers
from spillover.engine.state import State
from spillover.engine.structure import Structure
from spillover.engine.watch import Watcher

__all__ = ["Kernel", "initial_state", "make_kernel", "simulate_numpy"]


def simulate_numpy(st: Structure, p: Params, draws: Draws, watchers: Sequence[Watcher] = ()) -> State:
    """Run every row of ``p`` over the horizon with the NumPy step; each watcher's
    ``observe(state)`` is called after every day. Returns the final state."""
    k = make_kernel(st, p, draws)
    s = initial_state(st, p, k.window)
    s.exact = k.exact
    s.delay[...] = k.lev.delay.T
    for t in range(st.T):
        s.t = t
        if k.period_of_day[t] != k.period:
            switch_period(k, int(k.period_of_day[t]))
        if k.ar1 and t > 0:
            advance_noise(k, t)
        today, made, demand = rates(k, t)
        transfers(k, s, today, t)
        produce(k, s, made)
        consume(k, s, demand)
        z = signals(k, s)
        indicators(k, s, z)
        triggers(k, s, t)
        for w in watchers:
            w.observe(s)
    return s
