"""Small deterministic scenarios for the known-answer tests of the format's features."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import yaml

from spillover.engine.outcomes import OutcomeWatcher
from spillover.engine.simulate import simulate
from spillover.scenario.load import loads_scenario
from spillover.scenario.model import Scenario
from tests.conftest import engine_inputs


def j(value: float) -> dict[str, Any]:
    """A fixed number marked as judgment."""
    return {"value": value, "judgment": True}


def base(horizon: int = 20, **sections: Any) -> dict[str, Any]:
    """A scenario document starting 2024-01-01 with actors A, D, S, R, L and munitions drone,
    interceptor, shell, kit and money (a good); ``sections`` are added to it."""
    doc: dict[str, Any] = {
        "name": "known", "title": "known answers", "start": "2024-01-01", "horizon": horizon,
        "actors": {a: {"name": a} for a in ("A", "D", "S", "R", "L")},
        "munitions": {"drone": {"name": "drone"}, "interceptor": {"name": "interceptor"},
                      "shell": {"name": "shell"}, "kit": {"name": "kit"},
                      "money": {"name": "money", "kind": "good"}},
        "policies": {"status-quo": {}},
    }
    doc.update(copy.deepcopy(sections))
    return doc


def load(doc: dict[str, Any], strict: bool = False) -> Scenario:
    return loads_scenario(yaml.safe_dump(doc, sort_keys=False), strict=strict)


def outcomes(sc: Scenario, runs: int = 3, seed: int = 1) -> dict[str, np.ndarray]:
    """Every outcome column, rows by variant (policies in file order, then the counterfactual);
    computed by both engines, which must agree bit for bit."""
    st, p, d, _ = engine_inputs(sc, runs, seed)
    got = []
    for engine in ("numpy", "compiled"):
        w = OutcomeWatcher(st, p.R)
        final = simulate(st, p, d, [w], engine=engine)
        got.append(w.finish(final))
    a, b = got
    for name in a:
        assert np.array_equal(np.asarray(a[name]), np.asarray(b[name]), equal_nan=True), name
    return {k: np.asarray(v) for k, v in a.items()}
