"""The daily quantile series under the evidence's weights, where every run's series was kept.

The run's own daily series (``series.parquet``) come from fixed-bin histograms that add
runs up as the chunks arrive, before any weight is known: a histogram cannot be weighted
afterwards. A run folder written with ``--save-series`` keeps every run's daily series in
``series_full/``; from those the weighted quantiles are exact, and this module computes them
(``evidence_series.parquet``, the columns of ``series.parquet``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.dataset as ds

from spillover.analysis.evidence_tables import run_weights
from spillover.engine.histogram import QUANTILES

SERIES_COLUMNS = ["policy", "series", "day", "date", *(f"q{round(q * 100):02d}" for q in QUANTILES), "mean"]


def column_quantiles(values: np.ndarray, w: np.ndarray, qs: Sequence[float]) -> np.ndarray:
    """(len(qs), T) weighted quantiles of each column of ``values`` (R, T), the runs weighted
    by ``w`` (R,): the inverse of each column's weighted step CDF, as
    :func:`~spillover.analysis.evidence_tables.weighted_quantiles` for one column.

    >>> column_quantiles(np.array([[1.0, 5.0], [2.0, 4.0], [3.0, 3.0]]), np.array([0.0, 1.0, 1.0]), [0.5])
    array([[2., 3.]])
    """
    order = np.argsort(values, axis=0, kind="stable")
    cdf = np.cumsum(w[order], axis=0)
    cdf /= cdf[-1]
    idx = np.stack([np.minimum((cdf < q).sum(axis=0), len(w) - 1) for q in qs])
    return np.take_along_axis(np.take_along_axis(values, order, axis=0), idx, axis=0)


def weighted_series(folder: Path, weights: pd.DataFrame, policies: Sequence[str],
                    start: dt.date) -> pd.DataFrame | None:
    """The weighted daily quantiles and mean of every kept series, per policy, or None when
    the folder holds no ``series_full/``."""
    path = folder / "series_full"
    if not path.is_dir() or not any(path.glob("*.parquet")):
        return None
    data = ds.dataset(path, format="parquet")
    names = [c for c in data.schema.names if c not in ("run", "policy", "day")]
    frames = []
    for policy in policies:
        table = data.to_table(filter=ds.field("policy") == policy).to_pandas()
        table = table.sort_values(["day", "run"], kind="stable")
        runs = table.loc[table["day"] == 0, "run"].to_numpy()
        days = int(table["day"].max()) + 1
        w = run_weights(weights, runs)
        for name in names:
            values = table[name].to_numpy(float).reshape(days, len(runs)).T  # (runs, days)
            q = column_quantiles(values, w, QUANTILES)
            mean = (w @ values) / w.sum()
            day = np.arange(days)
            frames.append(pd.DataFrame({
                "policy": policy, "series": name, "day": day,
                "date": pd.to_datetime(start) + pd.to_timedelta(day, unit="D"),
                **{c: q[i] for i, c in enumerate(SERIES_COLUMNS[4:-1])}, "mean": mean}))
    return pd.concat(frames, ignore_index=True) if frames else None


__all__ = ["SERIES_COLUMNS", "column_quantiles", "weighted_series"]
