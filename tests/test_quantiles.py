"""Daily quantiles from mergeable histograms against exact quantiles on 10,000 runs."""

from __future__ import annotations

import numpy as np

from spillover.engine.histogram import BINS, QUANTILES, DailyHistogram
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
