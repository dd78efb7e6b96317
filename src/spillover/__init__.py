"""spillover: arms transfers between states and their spillover into regional escalation.

Load a scenario, run its ensemble under each policy, and read the claims:

>>> import spillover
>>> sc = spillover.load_scenario("nk-russia-2023")
>>> res = spillover.run(sc, runs=64, seed=7)
>>> list(res.claims.columns)[:4]
['claim', 'policy', 'text', 'expr']

The names below are imported on first use, so that ``import spillover.data`` (or the
command line) does not pay for the engine it does not need.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_WHERE = {
    "analyse": "spillover.api",
    "audit": "spillover.api",
    "Execution": "spillover.ensemble.settings",
    "outcomes": "spillover.api",
    "resume": "spillover.api",
    "run": "spillover.api",
    "scenarios": "spillover.api",
    "validate": "spillover.api",
    "warmup": "spillover.api",
    "RunResult": "spillover.results.result",
    "read_result": "spillover.results.store",
    "ScenarioError": "spillover.scenario.errors",
    "copy_builtin": "spillover.scenario.load",
    "load_scenario": "spillover.scenario.load",
    "loads_scenario": "spillover.scenario.load",
    "Scenario": "spillover.scenario.model",
    "summarize": "spillover.scenario.summary",
}

__all__ = ["__version__", *sorted(_WHERE)]


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'spillover' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
