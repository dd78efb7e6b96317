"""Which daily series are kept (stocks, leaked units, indicators, miscalculation) and their
value ranges."""

from __future__ import annotations

import numpy as np

from spillover.engine.histogram import DailyHistogram, SeriesSpec
from spillover.engine.state import State
from spillover.engine.structure import Structure


def series_names(st: Structure) -> list[str]:
    """``stock.A.M`` for declared stocks, ``leaked.A.M`` (units that got through that day) per
    coupled demand, ``indicator.K`` and ``miscalc.K`` per indicator."""
    sc = st.scenario
    names = [f"stock.{a}.{m}" for a, by in sc.stocks.items() for m in by]
    names += [f"leaked.{a}.{m}" for a, m in coupled_keys(st)]
    names += [f"indicator.{k}" for k in st.indicators]
    names += [f"miscalc.{k}" for k in st.indicators]
    return names


def coupled_keys(st: Structure) -> list[tuple[str, str]]:
    """The coupled demands' (actor, munition), in the engine's order of coupled demands."""
    lines = st.lines
    by = {int(lines.coupled[j]): st.series[int(i)].key
          for j, i in enumerate(lines.dem) if lines.coupled[j] >= 0}
    return [(str(by[c][0]), str(by[c][1])) for c in range(len(by))]


def series_stocks(st: Structure) -> np.ndarray:
    """Flat stock cells (actor·M + munition) of the ``stock.A.M`` series, in their order."""
    sc = st.scenario
    return np.array([st.actors.index(a) * st.M + st.munitions.index(m)
                     for a, by in sc.stocks.items() for m in by], dtype=np.int64)


def series_values(st: Structure, s: State) -> np.ndarray:
    """(R, N) values of the kept series today, in the order of :func:`series_names`."""
    stocks = s.S.reshape(s.S.shape[0], -1)[:, series_stocks(st)]
    return np.concatenate([stocks, s.leaked_today, s.I, s.I - s.I_true], axis=1)


class RangeWatcher:
    """Smallest and largest value of each series over all rows and days (for bin ranges)."""

    def __init__(self, st: Structure) -> None:
        self.st = st
        n = len(series_names(st))
        self.lo = np.full(n, np.inf)
        self.hi = np.full(n, -np.inf)

    def observe(self, s: State) -> None:
        v = series_values(self.st, s)
        np.minimum(self.lo, v.min(axis=0), out=self.lo)
        np.maximum(self.hi, v.max(axis=0), out=self.hi)

    def spec(self) -> SeriesSpec:
        """Bin ranges: [0, 1] for logistic indicators, [-1, 1] for their gaps, else padded."""
        st = self.st
        names = series_names(st)
        lo, hi = self.lo.copy(), self.hi.copy()
        span = np.where(np.isfinite(hi - lo), hi - lo, 1.0)
        pad = np.maximum(0.25 * span, 1e-9 + 1e-6 * np.abs(hi))
        lo, hi = lo - pad, hi + pad
        for j, name in enumerate(names):
            kind, _, rest = name.partition(".")
            if kind in ("stock", "leaked"):
                lo[j] = 0.0
            elif rest in st.indicators and st.ind_logistic[st.indicators.index(rest)]:
                lo[j], hi[j] = (0.0, 1.0) if kind == "indicator" else (-1.0, 1.0)
        bad = ~np.isfinite(lo) | ~np.isfinite(hi) | (hi <= lo)
        lo[bad], hi[bad] = 0.0, 1.0
        return SeriesSpec(names=names, lo=lo, hi=hi)


class HistogramWatcher:
    """Adds the sampled rows of the policy variants to the daily histogram.

    The policy variants are the first P blocks of n rows; in each, the first ``m`` rows
    (``m`` <= n: the chunk's runs inside the histogram sample) are counted.
    """

    def __init__(self, st: Structure, spec: SeriesSpec, P: int, n: int, T: int,
                 m: int | None = None) -> None:
        self.st, self.spec, self.P, self.n = st, spec, P, n
        self.m = n if m is None else m
        self.hist = DailyHistogram.empty(P, T, len(spec.names), dtype=np.uint32)
        self.hist.n[:] = self.m

    def observe(self, s: State) -> None:
        if self.m == 0:
            return
        v = series_values(self.st, s)[: self.P * self.n]
        self.hist.add(s.t, v.reshape(self.P, self.n, -1)[:, : self.m], self.spec)

    def compact(self) -> DailyHistogram:
        """The histogram to send: counts as ``uint16`` when a variant has under 65,536 rows
        (no count can exceed them), halving what travels from a worker to the client."""
        if self.m < 2**16:
            self.hist.counts = self.hist.counts.astype(np.uint16)
        return self.hist


class SeriesRecorder:
    """Keeps every row's daily series (float32), for ``--save-series``."""

    def __init__(self, st: Structure, R: int) -> None:
        self.st = st
        self.values = np.zeros((st.T, R, len(series_names(st))), dtype=np.float32)

    def observe(self, s: State) -> None:
        self.values[s.t] = series_values(self.st, s)
