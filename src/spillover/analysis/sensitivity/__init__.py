"""Global sensitivity with SALib: Sobol' (bootstrap intervals), Morris screening and PAWN.

Each method is one module with the same interface (:class:`~.base.Method`: sample,
analyse, describe), registered by name in :data:`REGISTRY`; :func:`sensitivity` (in
:mod:`.core`) runs whichever is named. The names are read without importing NumPy or
SALib (the command line lists them in its help); everything else loads on first use.

>>> METHODS
('sobol', 'morris', 'pawn')
>>> method("sobol").runs(64, d=5, second=False)
448
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spillover.analysis.sensitivity.base import Method

REGISTRY: dict[str, str] = {
    "sobol": "spillover.analysis.sensitivity.sobol",
    "morris": "spillover.analysis.sensitivity.morris",
    "pawn": "spillover.analysis.sensitivity.pawn",
}
"""Method name → module defining ``METHOD`` (a :class:`~.base.Method`)."""
METHODS: tuple[str, ...] = tuple(REGISTRY)

_WHERE = {
    "RANDOMNESS": "spillover.analysis.sensitivity.core",
    "Sensitivity": "spillover.analysis.sensitivity.core",
    "input_labels": "spillover.analysis.sensitivity.core",
    "sensitivity": "spillover.analysis.sensitivity.core",
    "rank_warnings": "spillover.analysis.sensitivity.ranking",
    "pawn_median": "spillover.analysis.sensitivity.pawn",
    "Method": "spillover.analysis.sensitivity.base",
}

__all__ = ["METHODS", "MINIMUM", "REGISTRY", "method", *sorted(_WHERE)]


def method(name: str) -> Method:
    """The registered method called ``name`` (a ``ValueError`` naming the others if none is)."""
    if name not in REGISTRY:
        from spillover.scenario.errors import did_you_mean

        raise ValueError(f"unknown method '{name}'{did_you_mean(name, METHODS)}")
    return importlib.import_module(REGISTRY[name]).METHOD


def __getattr__(name: str) -> Any:
    if name == "MINIMUM":  # smallest n of each method, as before the registry
        return {m: method(m).minimum for m in METHODS}
    if name in _WHERE:
        value = getattr(importlib.import_module(_WHERE[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE) | {"MINIMUM"})
