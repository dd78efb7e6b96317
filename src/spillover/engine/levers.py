"""Levers: how a row's lever values change its transfers and what perception observers see."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from spillover.engine.params import Params
from spillover.engine.structure import Structure


@dataclass
class LeverEffects:
    """Per-row, per-transfer consequences of the lever values (all (R, F))."""

    transparency: np.ndarray
    cap: np.ndarray
    delay: np.ndarray
    loss: np.ndarray


def lever_effects(st: Structure, p: Params) -> LeverEffects:
    """Apply every lever: transparency (max of levers), caps (product), sanctions (added)."""
    R, F = p.R, st.F
    transparency = np.zeros((R, F))
    cap = np.ones((R, F))
    delay = p.delay.astype(float)
    loss = p.loss.copy()
    for i, name in enumerate(st.levers):
        lv = st.scenario.levers[name]
        v = p.lever_values[:, i]
        for f in (st.transfers.index(x) for x in lv.transfers):
            if lv.mechanism == "transparency":
                transparency[:, f] = np.maximum(transparency[:, f], v)
            elif lv.mechanism == "cap":
                cap[:, f] *= v
            elif lv.mechanism == "sanctions":
                delay[:, f] += v * p.sanction_delay[:, i]
                loss[:, f] += v * p.sanction_loss[:, i]
    return LeverEffects(
        transparency=transparency,
        cap=cap,
        delay=np.rint(np.minimum(delay, st.T)).astype(np.int64),  # from T days on: never delivered in the run
        loss=np.clip(loss, 0.0, 1.0),
    )
