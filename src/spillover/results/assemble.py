"""Turn chunk results into the two aligned tables and the daily quantile series."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd

from spillover.ensemble.chunks import Batch, ChunkResult
from spillover.results.quantiles import QUANTILES, DailyHistogram

COUNTERFACTUAL = {
    family: f"{family}_without_transfers" for family in ("first_shortfall", "peak", "final", "fired")
}


class Assembler:
    """Collects chunk results as they arrive; memory holds outcomes, not series."""

    def __init__(self, batch: Batch) -> None:
        self.batch = batch
        self.parts: list[dict[str, np.ndarray]] = []
        self.hist: DailyHistogram | None = None

    def add(self, res: ChunkResult) -> None:
        """Keep the chunk's outcome columns in memory and merge its histogram."""
        self.parts.append(self.columns(res))
        self.merge(res)

    def merge(self, res: ChunkResult) -> None:
        """Merge the chunk's histogram counts."""
        if res.hist is not None:
            if self.hist is None:
                self.hist = res.hist
                self.hist.counts = self.hist.counts.astype(np.int64)
            else:
                self.hist.merge(res.hist)

    def columns(self, res: ChunkResult) -> dict[str, np.ndarray]:
        """The chunk's outcome columns: one row per (run, policy), counterfactual columns merged in."""
        n = len(res.runs)
        variants = self.batch.variants
        cf_of = {p: i for i, v in enumerate(variants) for p in v.counterfactual_for}
        blocks: list[dict[str, np.ndarray]] = []
        for i, v in enumerate(variants):
            if not v.is_policy:
                continue
            block = slice(i * n, (i + 1) * n)
            cols: dict[str, np.ndarray] = {"run": res.runs, "policy": np.full(n, v.policy, dtype=object)}
            cols.update({k: a[block] for k, a in res.outcomes.items()})
            cf = cf_of.get(v.policy)
            if cf is not None:
                cblock = slice(cf * n, (cf + 1) * n)
                for k, a in res.outcomes.items():
                    family, _, rest = k.partition(".")
                    if family in COUNTERFACTUAL:
                        cols[f"{COUNTERFACTUAL[family]}.{rest}"] = a[cblock]
            blocks.append(cols)
        return _concat(blocks)

    def frame(self, res: ChunkResult) -> pd.DataFrame:
        """The chunk's outcome rows as a table (see :meth:`columns`)."""
        return pd.DataFrame(self.columns(res))

    def outcomes(self, order: Iterable[str]) -> pd.DataFrame:
        """One row per (run, policy), policies in the given order, runs ascending.

        The same table as :func:`canonical` of all the parts, built without a sort: each
        part holds one block of rows per policy, so the parts are laid out in order once.
        """
        if not self.parts:
            return canonical(pd.DataFrame(_concat(self.parts)), order)
        mine = [v.policy for v in self.batch.variants if v.is_policy]
        parts = sorted(self.parts, key=lambda c: int(c["run"][0]) if len(c["run"]) else -1)
        order = list(order)
        pieces = []
        for policy in order + [p for p in mine if p not in order]:  # as canonical: unknown last
            if policy not in mine:
                continue
            j = mine.index(policy)
            for part in parts:
                n = len(part["run"]) // len(mine)
                pieces.append((part, slice(j * n, (j + 1) * n)))
        cols = {k: np.concatenate([part[k][sl] for part, sl in pieces]) for k in parts[0]}
        df = pd.DataFrame(cols, copy=False)  # one block per column: no consolidating copy
        df["policy"] = df["policy"].astype(str)
        return df

    def series(self, start: dt.date) -> pd.DataFrame:
        """Long table: policy, series, day, date, q05…q95, mean."""
        if self.hist is None or self.batch.spec is None:
            return pd.DataFrame(
                columns=["policy", "series", "day", "date", "q05", "q25", "q50", "q75", "q95", "mean"]
            )
        spec, hist = self.batch.spec, self.hist
        q = hist.quantiles(spec).transpose(1, 0, 2, 3)  # (P, T, N, Q)
        P, T, _, _ = q.shape
        policies = [v.policy for v in self.batch.variants if v.is_policy]
        mean = hist.mean(spec).transpose(1, 0, 2)
        day = np.arange(T)
        frames = []
        for p in range(P):
            for j, name in enumerate(spec.names):
                cols = {f"q{round(x * 100):02d}": q[p, :, j, i] for i, x in enumerate(QUANTILES)}
                frames.append(pd.DataFrame({
                    "policy": policies[p], "series": name, "day": day,
                    "date": pd.to_datetime(start) + pd.to_timedelta(day, unit="D"),
                    **cols, "mean": mean[p, :, j],
                }))
        return pd.concat(frames, ignore_index=True)


def _concat(parts: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Column-wise concatenation of parts with the same columns (one copy per column)."""
    if len(parts) == 1:
        return dict(parts[0])
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]} if parts else {}


def canonical(df: pd.DataFrame, order: Iterable[str]) -> pd.DataFrame:
    """Outcomes sorted by policy (in the given order) then run: the same for any chunking."""
    order = list(order)
    codes = np.asarray(pd.Categorical(df["policy"], categories=order).codes, dtype=np.int64)
    df = df.assign(_p=np.where(codes < 0, len(order), codes))  # unknown policies last
    df = df.sort_values(["_p", "run"], kind="stable").drop(columns="_p").reset_index(drop=True)
    df["policy"] = df["policy"].astype(str)
    return df
