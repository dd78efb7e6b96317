"""The rows sink: chunk results gathered by design row, for analyses that bring their own rows.

A sensitivity design, an ABC prior or an optimiser's trial points are rows of input
values, each with the run whose seed gives its randomness. :class:`RowsSink` keeps each
chunk's outcome columns (only those asked for) and lays them out in row order, one block
of rows per variant, with the counterfactual variant folded into its policies' rows as
``*_without_transfers`` columns.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from spillover.ensemble.chunks import Batch, ChunkResult
from spillover.ensemble.runner import FreshSink
from spillover.scenario.outcomes import twins


def kept(outcomes: dict[str, np.ndarray], keep: Collection[str] | None) -> dict[str, np.ndarray]:
    """Only the outcome columns in ``keep`` (and the ones their counterfactual comes from)."""
    if keep is None:
        return outcomes
    want = set(keep)
    back = {v: k for k, v in twins().items()}
    for c in keep:
        family, dot, rest = c.partition(".")
        if family in back and dot:
            want.add(f"{back[family]}.{rest}")
    return {k: v for k, v in outcomes.items() if k in want}


class RowsSink(FreshSink):
    """Collects chunk outcomes by their first row; :meth:`frame` gives them in row order."""

    def __init__(self, batch: Batch, keep: Collection[str] | None = None) -> None:
        self.batch, self.keep = batch, keep
        self.parts: dict[int, dict[str, np.ndarray]] = {}

    def add(self, res: ChunkResult) -> None:
        self.parts[res.start] = kept(res.outcomes, self.keep)

    def frame(self, n: int) -> pd.DataFrame:
        """One row per (variant, row): ``row``, ``variant`` and the outcome columns."""
        parts = [self.parts[k] for k in sorted(self.parts)]
        V = len(self.batch.variants)
        keys = list(parts[0])
        sizes = [len(p[keys[0]]) // V for p in parts]
        blocks: dict[str, dict[str, np.ndarray]] = {}
        for v, var in enumerate(self.batch.variants):
            blocks[var.name] = {k: np.concatenate([p[k][v * m:(v + 1) * m] for p, m in zip(parts, sizes,
                                                                                          strict=True)])
                                for k in keys}
        self._fold_counterfactual(blocks, keys)
        frames = [pd.DataFrame({"row": np.arange(n), "variant": name, **cols})
                  for name, cols in blocks.items()]
        return pd.concat(frames, ignore_index=True)

    def _fold_counterfactual(self, blocks: dict[str, dict[str, np.ndarray]], keys: list[str]) -> None:
        pairs = twins()
        for var in self.batch.variants:
            if not var.counterfactual_for:
                continue
            cf = blocks.pop(var.name)
            for base in var.counterfactual_for:
                for k in keys:
                    family, dot, rest = k.partition(".")
                    if family in pairs and dot:
                        blocks[base][f"{pairs[family]}.{rest}"] = cf[k]
