"""Linear indicators without stocks are Richardson's arms-race model: exact known answers."""

from __future__ import annotations

import numpy as np
import pytest
import yaml
from scipy.linalg import expm

from spillover.engine.state import State
from spillover.scenario.load import loads_scenario
from tests.conftest import run_engine


def richardson_yaml(W: np.ndarray, beta: np.ndarray, tau: np.ndarray, x0: np.ndarray, T: int) -> str:
    n = len(beta)
    names = [f"x{i}" for i in range(n)]
    inds = {}
    for i, name in enumerate(names):
        inds[name] = {
            "name": f"armament of nation {i}", "observer": "A", "kind": "linear",
            "tau": float(tau[i]), "beta": float(beta[i]), "initial": float(x0[i]),
            "inputs": {names[j]: float(W[i, j]) for j in range(n) if W[i, j] != 0},
        }
    doc = {
        "name": "richardson", "title": "Richardson", "start": "2000-01-01", "horizon": T,
        "actors": {"A": {"name": "A"}}, "munitions": {"m": {"name": "m"}},
        "indicators": inds, "policies": {"only": {}},
    }
    return yaml.safe_dump(doc, sort_keys=False)


class Trace:
    def __init__(self) -> None:
        self.x: list[np.ndarray] = []

    def observe(self, s: State) -> None:
        self.x.append(s.I[0].copy())


def simulate_richardson(W, beta, tau, x0, T):
    sc = loads_scenario(richardson_yaml(W, beta, tau, x0, T))
    trace = Trace()
    run_engine(sc, runs=1, observers=[trace], counterfactual=False)
    return np.array(trace.x)


def exact(W, beta, tau, x0, T):
    A = np.eye(len(beta)) + (W - np.eye(len(beta))) / tau[:, None]
    c = beta / tau
    xs = np.linalg.solve(np.eye(len(beta)) - A, c)
    return np.array([xs + np.linalg.matrix_power(A, t) @ (x0 - xs) for t in range(1, T + 1)]), A, xs


# Two nations (k: defence coefficient, a: fatigue, g: grievance) and a three-nation case.
STABLE = [
    (np.array([[0.0, 0.3], [0.4, 0.0]]), np.array([0.5, 0.2]), np.array([5.0, 8.0])),
    (np.array([[0.2, 0.3, 0.0], [0.1, 0.0, 0.4], [0.3, 0.2, 0.1]]), np.array([1.0, -0.5, 0.3]),
     np.array([3.0, 10.0, 20.0])),
]


@pytest.mark.parametrize(("W", "beta", "tau"), STABLE)
def test_matches_the_discrete_closed_form_and_converges(W, beta, tau) -> None:
    x0 = np.array([2.0, -1.0, 0.5])[: len(beta)]
    T = 400
    got = simulate_richardson(W, beta, tau, x0, T)
    want, A, xs = exact(W, beta, tau, x0, T)
    assert np.abs(np.linalg.eigvals(A)).max() < 1
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-9)
    np.testing.assert_allclose(got[-1], xs, atol=1e-6)


def test_unstable_race_diverges_like_the_closed_form() -> None:
    W = np.array([[0.0, 1.6], [1.5, 0.0]])  # mutual threat exceeds fatigue: runaway race
    beta, tau, x0 = np.array([0.1, 0.1]), np.array([4.0, 6.0]), np.array([0.0, 0.0])
    T = 200
    got = simulate_richardson(W, beta, tau, x0, T)
    want, A, _ = exact(W, beta, tau, x0, T)
    assert np.abs(np.linalg.eigvals(A)).max() > 1
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert np.abs(got[-1]).min() > 1e3 * np.abs(got[10]).max()


def test_slow_rates_match_the_continuous_solution() -> None:
    W = np.array([[0.0, 0.5], [0.6, 0.0]])
    beta, tau, x0 = np.array([0.2, 0.1]), np.array([200.0, 300.0]), np.array([1.0, 0.0])
    T = 600
    got = simulate_richardson(W, beta, tau, x0, T)
    M = (W - np.eye(2)) / tau[:, None]
    c = beta / tau
    xs = np.linalg.solve(-M, c)
    cont = np.array([xs + expm(M * t) @ (x0 - xs) for t in range(1, T + 1)])
    # Euler's global error is O(h·|M|) relative to the change: well under 1% here.
    assert np.abs(got - cont).max() < 0.01 * np.abs(cont - x0).max()
