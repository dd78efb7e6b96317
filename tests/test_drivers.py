"""What drives each claim: KS known answers, the permutation noise floor, labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from spillover.analysis.drivers import claim_drivers, input_labels, ks_scores, noise_floor


def test_ks_matches_scipy_with_and_without_ties() -> None:
    rng = np.random.default_rng(1)
    x = np.column_stack([rng.random(300), rng.integers(0, 4, 300).astype(float)])
    holds = rng.random(300) < 0.3 + 0.4 * x[:, 0]
    got = ks_scores(x, holds)
    for j in range(2):
        want = stats.ks_2samp(x[holds, j], x[~holds, j]).statistic
        assert got[j] == pytest.approx(want, abs=1e-12)


def test_an_input_that_decides_the_claim_scores_one() -> None:
    x = np.arange(10.0)[:, None]
    assert ks_scores(x, x[:, 0] > 4.5).tolist() == [1.0]


def _noise_case(seed: int, n: int = 600, k: int = 12) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.random((n, k))
    holds = x[:, 0] + 0.5 * x[:, 1] + 0.4 * rng.random(n) > 1.0  # input 0 strong, 1 weaker
    frame = pd.DataFrame(x, columns=[f"x{j}" for j in range(k)])
    frame["noise"] = rng.random(n)  # pure noise: the claim never reads it
    frame.insert(0, "run", np.arange(n))
    return frame, holds


def test_a_pure_noise_input_stays_below_the_floor_in_at_least_95_percent_of_seeds() -> None:
    seeds = range(40)
    above = 0
    found = 0
    for seed in seeds:
        frame, holds = _noise_case(seed)
        table, floors = claim_drivers(frame, {"c": holds}, {}, seed=seed)
        above += int("noise" in set(table["input"]))
        found += int(table["input"].head(2).tolist() == ["x0", "x1"])
        assert floors["c"] is not None and 0 < floors["c"] < 1
    assert above <= 0.05 * len(seeds)
    assert found == len(seeds)  # the real drivers are always found, strongest first


def test_the_floor_is_the_same_at_every_call_and_shrinks_with_the_runs() -> None:
    frame, holds = _noise_case(3)
    x = frame.drop(columns="run").to_numpy()
    assert noise_floor(x, holds, seed=5) == noise_floor(x, holds, seed=5)
    big, big_holds = _noise_case(3, n=2400)
    assert noise_floor(big.drop(columns="run").to_numpy(), big_holds, seed=5) < noise_floor(x, holds, seed=5)


def test_a_claim_too_rare_to_attribute_gets_no_floor() -> None:
    frame, _ = _noise_case(0, n=100)
    holds = np.zeros(100, dtype=bool)
    holds[:3] = True
    table, floors = claim_drivers(frame, {"rare": holds}, {})
    assert table.empty and floors["rare"] is None


def test_labels_and_directions() -> None:
    frame, holds = _noise_case(7)
    labels = input_labels({"inputs": [{"name": "x0", "source": "rusi", "judgment": False},
                                      {"name": "x1", "source": None, "judgment": True},
                                      {"name": "x2", "source": "a, b", "judgment": True}]})
    assert labels == {"x0": ("sourced", "rusi"), "x1": ("judgment", None), "x2": ("judgment", "a, b")}
    frame["x1"] = -frame["x1"]  # now the claim holds more often at low values of x1
    table, _ = claim_drivers(frame, {"c": holds}, labels)
    first = table.set_index("input")
    assert first.loc["x0", "direction"] == 1 and first.loc["x1", "direction"] == -1
    assert first.loc["x0", "label"] == "sourced" and first.loc["x1", "label"] == "judgment"
    assert table["rank"].tolist() == list(range(1, len(table) + 1))


def test_with_nothing_sampled_there_is_nothing_to_attribute() -> None:
    frame = pd.DataFrame({"run": np.arange(50), "fixed": np.ones(50)})
    table, floors = claim_drivers(frame, {"c": np.arange(50) % 2 == 0}, {})
    assert table.empty and floors == {"c": None}


def _numpy_ks(labels: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The KS distances as plain NumPy array operations (the expression the compiled kernel
    replaced): cumulative counts in each input's order, the largest gap at the ends of ties."""
    order = np.argsort(x, axis=0, kind="stable")
    s = np.take_along_axis(x, order, axis=0)
    ends = np.ones_like(s, dtype=bool)
    ends[:-1] = s[1:] != s[:-1]
    y = labels.astype(np.int32)
    n1 = int(y[0].sum())
    scale, step = 1.0 / n1 + 1.0 / (y.shape[1] - n1), np.arange(1, y.shape[1] + 1) / (y.shape[1] - n1)
    out = np.empty((y.shape[0], x.shape[1]))
    for j in range(x.shape[1]):
        gap = np.abs(np.cumsum(y[:, order[:, j]], axis=1, dtype=np.int32) * scale - step)
        out[:, j] = np.where(ends[:, j], gap, 0.0).max(axis=1)
    return out


@settings(max_examples=40, deadline=None, derandomize=True)
@given(n=st.integers(12, 400), k=st.integers(1, 6), levels=st.integers(2, 50), seed=st.integers(0, 2**31))
def test_compiled_ks_is_the_numpy_expression_to_the_bit(n: int, k: int, levels: int, seed: int) -> None:
    from spillover.analysis.drivers import FLOOR_QUANTILE, PERMUTATIONS

    rng = np.random.default_rng(seed)
    x = rng.integers(0, levels, (n, k)).astype(float)  # many ties
    holds = rng.random(n) < 0.4
    holds[:2] = [True, False]  # both sides present
    assert np.array_equal(ks_scores(x, holds), _numpy_ks(holds[None, :], x)[0])
    shuffles = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0xD12,)))  # as noise_floor's
    labels = np.stack([shuffles.permutation(holds.astype(float)) for _ in range(PERMUTATIONS)])
    want = float(np.quantile(_numpy_ks(labels, x).max(axis=1), FLOOR_QUANTILE))
    assert noise_floor(x, holds, seed) == want
