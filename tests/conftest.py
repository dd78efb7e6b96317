"""Shared fixtures: the small test scenario and helpers that run the engine directly."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from spillover.engine.draws import draw
from spillover.engine.params import build_params
from spillover.engine.simulate import simulate
from spillover.engine.state import State
from spillover.engine.structure import Structure, build_structure
from spillover.ensemble.design import sample_inputs
from spillover.ensemble.runner import plan
from spillover.ensemble.settings import Execution
from spillover.ensemble.variants import apply_variants, policy_variants
from spillover.results.assemble import Ensemble, run_in_memory
from spillover.results.folder import RunFolder
from spillover.scenario.load import load_scenario
from spillover.scenario.model import Scenario

# Property tests check behaviour, not speed: a busy 2-core CI machine must not fail them on
# hypothesis' 200 ms deadline. Their examples stay seeded (derandomize) so a run is repeatable.
try:  # the core-only install (make test-core) runs without hypothesis
    from hypothesis import settings
except ImportError:
    pass
else:
    settings.register_profile("spillover", deadline=None, derandomize=True)
    settings.load_profile("spillover")

HERE = Path(__file__).parent
MINI = HERE / "scenarios" / "mini.yaml"


@pytest.fixture(scope="session")
def mini() -> Scenario:
    return load_scenario(MINI, strict=True)


def engine_inputs(sc: Scenario, runs: int = 50, seed: int = 3, counterfactual: bool = True):
    """Structure, per-row parameters, draws and variants of every policy (and counterfactual)."""
    st = build_structure(sc)
    exp = sample_inputs(st.inputs, runs, seed)
    values = {c: exp[c].to_numpy() for c in exp.columns if c != "run"}
    variants = policy_variants(sc, list(sc.policies), counterfactual=counterfactual)
    p = apply_variants(st, build_params(st, values, runs), variants)
    d = draw(st, seed, np.arange(runs)).tile(len(variants))
    return st, p, d, variants


def run_engine(
    sc: Scenario, runs: int = 50, seed: int = 3, observers: list | None = None, counterfactual: bool = True
) -> tuple[Structure, State]:
    """Simulate every policy (and counterfactual) of ``sc`` directly; return the final state."""
    st, p, d, _ = engine_inputs(sc, runs, seed, counterfactual)
    return st, simulate(st, p, d, observers or [])


def ensemble(sc: Scenario, runs: int = 1000, seed: int = 0, policies=None, variants=None,
             counterfactual: bool = True, series: bool = True, experiments=None, **options) -> Ensemble:
    """An ensemble in memory through the one runner (what ``spillover.run`` does before analysis)."""
    pl = plan(sc, seed, policies, variants, counterfactual=counterfactual, series=series)
    return run_in_memory(pl, Execution(runs=runs, seed=seed, **options), experiments)


def interrupt_run(monkeypatch: pytest.MonkeyPatch, scenario: object, out: Path, *, after: int = 30,
                  **run_kwargs: object) -> None:
    """``spillover.run(scenario, out=out, report=False, **run_kwargs)`` stopped as by Ctrl-C
    once the chunks that start before run ``after`` are on disk (a ``.partial`` folder)."""
    import spillover

    real = RunFolder.write_part

    def stop(self: RunFolder, first_run: int, frame: object) -> None:
        if first_run >= after:
            raise KeyboardInterrupt
        real(self, first_run, frame)  # type: ignore[arg-type]

    monkeypatch.setattr(RunFolder, "write_part", stop)
    with pytest.raises(KeyboardInterrupt):
        spillover.run(scenario, out=out, report=False, **run_kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(RunFolder, "write_part", real)
