"""Scenario discovery: PRIM and CART recover known boxes; bad conditions are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from spillover.analysis.cart import cart
from spillover.analysis.discovery import discover
from spillover.analysis.prim import prim
from spillover.scenario.expr import ExprError


def known(n: int = 3000, noise: float = 0.0, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """y holds in the box a > 0.6, b < 0.3 (c and d are irrelevant), flipped with prob. ``noise``."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.random((n, 4)), columns=["a", "b", "c", "d"])
    y = (X["a"] > 0.6).to_numpy() & (X["b"] < 0.3).to_numpy()
    flip = rng.random(n) < noise
    return X, y ^ flip


def test_prim_recovers_a_known_box() -> None:
    X, y = known()
    res = prim(X, y)
    box = res.box.set_index("input")
    assert set(box.index) == {"a", "b"}
    assert box.loc["a", "lo"] == pytest.approx(0.6, abs=0.02) and np.isnan(box.loc["a", "hi"])
    assert box.loc["b", "hi"] == pytest.approx(0.3, abs=0.02) and np.isnan(box.loc["b", "lo"])
    assert res.density > 0.95 and res.coverage > 0.9
    assert (box["qp"] < 1e-10).all()


def test_prim_with_noise_keeps_only_the_real_limits() -> None:
    X, y = known(noise=0.05, seed=1)
    res = prim(X, y)
    assert set(res.box["input"]) == {"a", "b"}
    assert res.density > 0.7


def test_prim_trajectory_trades_coverage_for_density() -> None:
    X, y = known(noise=0.05, seed=2)
    t = prim(X, y, alpha=0.1).trajectory
    assert t["coverage"].iloc[0] == 1.0 and t["mass"].iloc[0] == 1.0
    assert (np.diff(t["coverage"]) <= 1e-12).all() and (np.diff(t["mass"]) < 0).all()
    assert t["density"].iloc[-1] > t["density"].iloc[0]
    with pytest.raises(ValueError, match="alpha"):
        prim(X, y, alpha=0.7)


def test_cart_recovers_a_known_box() -> None:
    X, y = known()
    leaves = cart(X, y, max_depth=2)
    top = leaves.iloc[0]
    assert top["density"] == 1.0 and top["coverage"] == 1.0
    lim = top["limits"]
    assert set(lim) == {"a", "b"}
    assert lim["a"][0] == pytest.approx(0.6, abs=0.01) and lim["b"][1] == pytest.approx(0.3, abs=0.01)
    assert leaves["n"].sum() == len(y) and leaves["k"].sum() == y.sum()


def test_discover_on_the_engine(mini) -> None:
    d = discover(mini, "days_of_fire.s_r_shells > 60", runs=300, seed=2)
    assert 0 < d.share < 1
    # Days of fire come from the supplier's stock, the fullness of the shipments and the fire rate.
    assert set(d.prim.box["input"]) <= {"fullness", "late_fire", "stocks.S.shell",
                                        "transfers.s_r_shells.delay"}
    assert "fullness" in set(d.prim.box["input"])
    assert d.prim.density > d.share
    assert d.labels["fullness"] == "judgment"


@pytest.mark.parametrize(("where", "error", "message"), [
    ("peak.threat", ExprError, "gives numbers, not yes/no"),
    ("peak.thret > 0.5", ExprError, "did you mean 'peak.threat'"),
    ("peak.threat > 2", ValueError, "holds in none of the 100 runs"),
    ("peak.threat >= 0", ValueError, "holds in all of the 100 runs"),
])
def test_bad_conditions_are_refused(mini, where, error, message) -> None:
    with pytest.raises(error, match=message):
        discover(mini, where, runs=100)


def test_where_syntax_error_points_at_the_column(mini) -> None:
    with pytest.raises(ExprError) as err:
        discover(mini, "fired(o_helps) and and peak.threat > 0.5", runs=100)
    assert err.value.column == 20
    assert err.value.caret().splitlines()[1] == " " * 19 + "^"


def test_too_few_runs_are_refused_and_rare_conditions_warned(mini) -> None:
    with pytest.raises(ValueError, match="at least 100"):
        discover(mini, "fired(o_helps)", runs=50)
    d = discover(mini, "days_of_fire.s_r_shells > 76", runs=100, seed=1)
    assert d.share < 0.2 and any("unreliable" in w for w in d.warnings)
