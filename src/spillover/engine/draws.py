"""Each run's random inputs, from one SeedSequence per run: they never depend on chunking or workers."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtri

from spillover.engine.structure import Structure


@dataclass
class Draws:
    """Each row's random inputs, drawn at set-up from its run's own stream.

    ``noise`` is (R, O, S) standard normals, or (T, R, O, S) AR(1) innovations when the
    scenario's perception process is ``ar1``; ``thresholds`` is (R, E) Exp(1) draws for
    hazard events.
    """

    noise: np.ndarray
    thresholds: np.ndarray

    def tile(self, copies: int) -> Draws:
        """The draws of every row repeated ``copies`` times, block after block (one block
        per variant: every variant of a run shares the run's draws)."""
        n = self.thresholds.shape[0]
        rows = np.tile(np.arange(n), copies)
        noise = self.noise[:, rows] if self.noise.ndim == 4 else self.noise[rows]
        return Draws(noise=noise, thresholds=self.thresholds[rows])


def run_seed(seed: int, run: int) -> np.random.SeedSequence:
    """The SeedSequence of one run: spawned from ``seed`` by the run's index."""
    return np.random.SeedSequence(seed, spawn_key=(run,))


def _uniforms(words: np.ndarray) -> np.ndarray:
    """uint64 words → uniforms in the open interval (0, 1), 53 bits each."""
    return ((words >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53


def draw(st: Structure, seed: int, runs: np.ndarray) -> Draws:
    """Each run's perception noise and hazard thresholds, from its own SeedSequence.

    Per run, the first E words give the Exp(1) thresholds of the events and the next O·S
    words the standard normal noise of each (observer, signal). With an AR(1) perception
    process the run's own generator draws the (T, O, S) innovations instead.
    """
    E, O, S = len(st.events), len(st.observers), len(st.signals)
    n = len(runs)
    words = np.empty((n, E + O * S), dtype=np.uint64)
    if E + O * S:
        for i, r in enumerate(runs):  # set-up only: one short hash per run
            words[i] = run_seed(seed, int(r)).generate_state(E + O * S, dtype=np.uint64)
    u = _uniforms(words)
    thresholds = -np.log(u[:, :E])
    if st.scenario.perception.process == "ar1":
        noise = np.empty((st.T, n, O, S))
        for i, r in enumerate(runs):
            rng = np.random.Generator(np.random.PCG64(run_seed(seed, int(r)).spawn(1)[0]))
            noise[:, i] = rng.standard_normal((st.T, O, S))
    else:
        noise = ndtri(u[:, E:]).reshape(n, O, S)
    return Draws(noise=noise, thresholds=thresholds)
