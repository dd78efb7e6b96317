"""Daily quantiles from mergeable histograms against exact quantiles on 10,000 runs."""

from __future__ import annotations

import numpy as np

from spillover.engine.histogram import BINS, QUANTILES, DailyHistogram, SeriesSpec
from spillover.ensemble.chunks import pilot_spec, run_chunk
from spillover.ensemble.design import MemoryDesign
from spillover.ensemble.runner import plan
from spillover.ensemble.variants import Variant


def _chunk(batch, source, a: int, b: int):
    return run_chunk(batch, a, source.seeds(a, b), source.rows(a, b))


def test_histogram_quantiles_are_within_one_bin_of_exact(mini) -> None:
    runs = 10_000
    pl = plan(mini, 21, variants=[Variant("status-quo", "status-quo")], save_series=True)
    source = MemoryDesign(pl.structure.inputs, runs, 21)
    source.prepare()
    spec = pilot_spec(pl.batch, source)
    pl.batch.spec = spec
    # Two chunks merged, as a run would: the merge is part of what is tested.
    a = _chunk(pl.batch, source, 0, 4000)
    b = _chunk(pl.batch, source, 4000, runs)
    hist: DailyHistogram = a.hist
    hist.merge(b.hist)
    approx = hist.quantiles(spec)[:, 0]  # (T, N, Q)
    values = np.concatenate([a.series, b.series], axis=1).astype(float)  # (T, runs, N)
    exact = np.quantile(values, QUANTILES, axis=1, method="linear").transpose(1, 2, 0)
    width = (spec.hi - spec.lo) / BINS
    err = np.abs(approx - exact)
    # One bin width, plus a little where a point mass sits next to a gap (exact quantiles
    # interpolate across the gap, the histogram within the bin).
    assert (err <= 1.05 * width[None, :, None] + 1e-6 * np.abs(exact)).all()
    # And typically much better than the bound.
    assert np.median(err / width[None, :, None]) < 0.25
    mean = hist.mean(spec)[:, 0]
    assert (np.abs(mean - values.mean(axis=1)) <= width[None, :]).all()


def test_merge_order_does_not_matter(mini) -> None:
    pl = plan(mini, 2, variants=[Variant("status-quo", "status-quo")])
    source = MemoryDesign(pl.structure.inputs, 300, 2)
    source.prepare()
    pl.batch.spec = pilot_spec(pl.batch, source)
    parts = [_chunk(pl.batch, source, a, a + 100) for a in (0, 100, 200)]
    T, P, N, _ = parts[0].hist.counts.shape
    one, two = DailyHistogram.empty(P, T, N), DailyHistogram.empty(P, T, N)
    for p in parts:
        one.merge(p.hist)
    for p in reversed(parts):
        two.merge(p.hist)
    assert np.array_equal(one.counts, two.counts)
    assert np.array_equal(one.quantiles(pl.batch.spec), two.quantiles(pl.batch.spec))


def test_the_sampled_quantiles_are_within_the_dkw_bound_of_every_runs_quantiles(mini) -> None:
    """Daily quantiles from the first S runs against the exact quantiles of all N runs.

    With probability 1 - alpha the sample's distribution function is within
    eps = sqrt(ln(2 / alpha) / (2 S)) of the whole ensemble's (Dvoretzky–Kiefer–Wolfowitz,
    Massart's constant), so the sample's q-quantile lies between the whole ensemble's
    (q - eps)- and (q + eps)-quantiles, up to the histogram's bin error.
    """
    runs, sample, alpha = 12_000, 3_000, 1e-3
    pl = plan(mini, 21, variants=[Variant("status-quo", "status-quo")], save_series=True)
    pl.batch.sample_runs = sample
    source = MemoryDesign(pl.structure.inputs, runs, 21)
    source.prepare()
    spec = pilot_spec(pl.batch, source)
    pl.batch.spec = spec
    parts = [_chunk(pl.batch, source, a, min(a + 2500, runs)) for a in range(0, runs, 2500)]
    hist = parts[0].hist
    for part in parts[1:2]:
        hist.merge(part.hist)
    assert all(part.hist is None for part in parts[2:])  # runs from 5,000 on are not binned
    assert hist.n.tolist() == [sample]
    approx = hist.quantiles(spec)[:, 0]  # (T, N, Q)
    values = np.concatenate([p.series for p in parts], axis=1).astype(float)  # (T, runs, N)
    eps = np.sqrt(np.log(2 / alpha) / (2 * sample))
    width = (spec.hi - spec.lo) / BINS
    for i, q in enumerate(QUANTILES):
        lo = np.quantile(values, max(q - eps, 0.0), axis=1, method="inverted_cdf")
        hi = np.quantile(values, min(q + eps, 1.0), axis=1, method="inverted_cdf")
        slack = 1.05 * width[None, :] + 1e-6 * np.abs(hi)
        assert (approx[:, :, i] >= lo - slack).all() and (approx[:, :, i] <= hi + slack).all(), q


def _bin_edges_quantiles(h: DailyHistogram, spec, qs=QUANTILES) -> np.ndarray:
    """Quantiles interpolated within bins, with every bin's edges laid out in full (the way
    they were computed before the edges were worked out only where a quantile falls)."""
    T, P, N, B = h.counts.shape
    width = (spec.hi - spec.lo) / B
    left = np.broadcast_to(spec.lo[:, None] + width[:, None] * np.arange(B), (T, P, N, B)).copy()
    right = np.broadcast_to(spec.lo[:, None] + width[:, None] * np.arange(B) + width[:, None],
                            (T, P, N, B)).copy()
    left[..., 0] = np.minimum(left[..., 0], h.vmin)
    right[..., -1] = np.maximum(right[..., -1], h.vmax)
    cum = np.cumsum(h.counts, axis=-1)
    out = np.empty((T, P, N, len(qs)))
    for i, q in enumerate(qs):
        target = q * cum[..., -1:]
        b = np.minimum((cum < target).sum(axis=-1, keepdims=True), B - 1)
        below = np.take_along_axis(cum, b, -1) - np.take_along_axis(h.counts, b, -1)
        frac = np.clip((target - below) / np.maximum(np.take_along_axis(h.counts, b, -1), 1), 0.0, 1.0)
        lo, hi = np.take_along_axis(left, b, -1), np.take_along_axis(right, b, -1)
        out[..., i] = np.clip(lo + frac * (hi - lo), h.vmin[..., None], h.vmax[..., None])[..., 0]
    return out


def test_quantiles_are_those_of_the_full_bin_edges_to_the_bit() -> None:
    from spillover.engine.histogram import SeriesSpec

    rng = np.random.default_rng(20261204)
    T, P, N = 9, 3, 6
    lo = rng.normal(size=N) - 2
    spec = SeriesSpec([f"s{i}" for i in range(N)], lo, lo + rng.random(N) * 5 + 0.1)
    counts = rng.integers(0, 20, (T, P, N, BINS)).astype(np.uint32)
    counts[:, :, 0] = 0  # a series with no runs
    counts[:, :, 1, :-1] = 0  # every run in the last bin
    counts[:, :, 2, 1:] = 0  # every run in the first bin
    vmin = np.broadcast_to(spec.lo - rng.random(N), (T, P, N)).copy()
    vmax = np.broadcast_to(spec.hi + rng.random(N), (T, P, N)).copy()
    h = DailyHistogram(counts, vmin, vmax, np.full(P, 20 * BINS))
    assert np.array_equal(h.quantiles(spec), _bin_edges_quantiles(h, spec), equal_nan=True)


def test_narrow_counts_widen_before_they_could_overflow_and_give_the_same_quantiles() -> None:
    """A run keeps its merged counts as uint32; they widen to int64 once a variant's rows
    could pass 2**32 - 1, and narrow or wide, the quantiles and means are the same."""
    rng = np.random.default_rng(7)
    T, P, N = 3, 2, 2
    parts = []
    for _ in range(3):
        h = DailyHistogram.empty(P, T, N, dtype=np.uint16)
        h.counts[...] = rng.integers(0, 50, h.counts.shape)
        h.vmin[...], h.vmax[...] = -1.0, 9.0
        h.n[:] = h.counts[0, :, 0].sum(axis=-1)
        parts.append(h)
    narrow = DailyHistogram.empty(P, T, N, dtype=np.uint32)
    wide = DailyHistogram.empty(P, T, N)
    for h in parts:
        narrow.merge(h)
        wide.merge(h)
    assert narrow.counts.dtype == np.uint32 and wide.counts.dtype == np.int64
    spec = SeriesSpec(names=["a", "b"], lo=np.zeros(N), hi=np.full(N, 8.0))
    assert np.array_equal(narrow.quantiles(spec), wide.quantiles(spec))
    assert np.array_equal(narrow.mean(spec), wide.mean(spec))

    big = DailyHistogram.empty(P, T, N, dtype=np.uint32)
    big.counts[0, 0, 0, 0] = np.iinfo(np.uint32).max - 1
    big.n[:] = np.iinfo(np.uint32).max - 1
    more = DailyHistogram.empty(P, T, N, dtype=np.uint16)
    more.counts[0, 0, 0, 0], more.n[:] = 5, 5
    big.merge(more)
    assert big.counts.dtype == np.int64
    assert big.counts[0, 0, 0, 0] == np.iinfo(np.uint32).max + 4  # not wrapped round


def test_statistics_worked_out_a_few_days_at_a_time_are_those_of_all_days_at_once(monkeypatch) -> None:
    """Quantiles and means come day slice by day slice (bounded temporaries): whatever the
    slice, every number is the one the whole array gives, including days with no runs."""
    import spillover.engine.histogram as histogram

    rng = np.random.default_rng(20261205)
    T, P, N = 11, 2, 3
    lo = rng.normal(size=N)
    spec = SeriesSpec([f"s{i}" for i in range(N)], lo, lo + 1 + rng.random(N))
    counts = rng.integers(0, 9, (T, P, N, BINS)).astype(np.uint32)
    counts[4] = 0  # a day with no runs
    vmin = np.broadcast_to(spec.lo - rng.random(N), (T, P, N)).copy()
    vmax = np.broadcast_to(spec.hi + rng.random(N), (T, P, N)).copy()
    h = DailyHistogram(counts, vmin, vmax, np.full(P, 9 * BINS))
    monkeypatch.setattr(histogram, "DAY_SLICE_VALUES", 10**9)  # every day at once
    q_all, m_all = h.quantiles(spec), h.mean(spec)
    assert len(h._day_slices()) == 1
    for values in (1, P * N * BINS * 3, P * N * BINS * 3 + 1, P * N * BINS * T - 1):
        monkeypatch.setattr(histogram, "DAY_SLICE_VALUES", values)
        assert sum(s.stop - s.start for s in h._day_slices()) == T
        assert np.array_equal(h.quantiles(spec), q_all, equal_nan=True)
        assert np.array_equal(h.mean(spec), m_all, equal_nan=True)
    assert np.array_equal(h.quantiles(spec, (0.5,))[..., 0], q_all[..., QUANTILES.index(0.5)], equal_nan=True)


def test_the_series_table_is_each_policy_s_series_day_by_day() -> None:
    import datetime as dt

    from spillover.results.assemble import series_table

    rng = np.random.default_rng(3)
    T, P, N = 4, 2, 3
    spec = SeriesSpec(["stock.a", "level.b", "level.c"], np.zeros(N), np.full(N, 10.0))
    counts = rng.integers(0, 5, (T, P, N, BINS)).astype(np.uint32)
    h = DailyHistogram(counts, np.zeros((T, P, N)), np.full((T, P, N), 10.0), np.full(P, 5 * BINS))
    table = series_table(h, spec, ["hold", "cut"], dt.date(2024, 2, 27))
    q, mean = h.quantiles(spec), h.mean(spec)
    assert len(table) == P * N * T
    expected = [(p, policy, j, name, t) for p, policy in enumerate(["hold", "cut"])
                for j, name in enumerate(spec.names) for t in range(T)]
    for i, (p, policy, j, name, t) in enumerate(expected):
        row = table.iloc[i]
        assert (row["policy"], row["series"], row["day"]) == (policy, name, t)
        assert row["date"] == dt.datetime(2024, 2, 27) + dt.timedelta(days=t)  # across 29 February
        assert [row[f"q{round(x * 100):02d}"] for x in QUANTILES] == q[t, p, j].tolist()
        assert row["mean"] == mean[t, p, j]
