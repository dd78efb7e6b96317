"""Levers: how a row's lever values change its transfers, production and what observers see.

A policy may set a lever per date window, so the run is cut into lever *periods* (the same
days in every row of a batch): :func:`lever_effects` gives the effects of one period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spillover.engine.params import Params
from spillover.engine.structure import Structure


@dataclass
class LeverEffects:
    """Per-row consequences of the lever values of one period: (R, F) per transfer, and
    ``gate`` (R, nS) per scheduled series (the factor cap and sanctions levers put on production)."""

    transparency: np.ndarray
    cap: np.ndarray
    delay: np.ndarray
    loss: np.ndarray
    gate: np.ndarray


def lever_effects(st: Structure, p: Params, period: int = 0) -> LeverEffects:
    """Apply every lever: transparency (max of levers), caps (product), sanctions (added)."""
    R, F = p.R, st.F
    transparency = np.zeros((R, F))
    cap = np.ones((R, F))
    delay = p.delay.astype(float)
    loss = p.loss.copy()
    gate = np.ones((R, len(st.series)))
    for i, name in enumerate(st.levers):
        lv = st.scenario.levers[name]
        v = p.lever_values[:, period, i]
        for f in (st.transfers.index(x) for x in lv.transfers):
            if lv.mechanism == "transparency":
                transparency[:, f] = np.maximum(transparency[:, f], v)
            elif lv.mechanism == "cap":
                cap[:, f] *= v
            elif lv.mechanism == "sanctions":
                delay[:, f] += v * p.sanction_delay[:, i]
                loss[:, f] += v * p.sanction_loss[:, i]
        for ref in lv.production:
            s = st.series_index("production", ref.actor, ref.munition)
            gate[:, s] *= v if lv.mechanism == "cap" else 1.0 - v * p.sanction_loss[:, i]
    return LeverEffects(
        transparency=transparency,
        cap=cap,
        delay=np.rint(np.minimum(delay, st.T)).astype(np.int64),  # from T days on: never delivered in the run
        loss=np.clip(loss, 0.0, 1.0),
        gate=np.clip(gate, 0.0, None),
    )


def periods(p: Params) -> list[int]:
    """The first day of each lever period (the same in every row)."""
    return [int(d) for d in p.lever_from[0]] if p.R else [0]


def period_of_day(p: Params, T: int) -> np.ndarray:
    """(T,) the lever period in force on each day."""
    return np.searchsorted(np.asarray(periods(p)), np.arange(T), side="right").astype(np.int64) - 1
