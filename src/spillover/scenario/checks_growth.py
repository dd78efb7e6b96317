"""Refuse, before any run, linear indicators that certainly overflow within the horizon.

Linear indicators fed back into each other grow like ``ρ^t``, where ρ is the spectral
radius of their daily update ``I ← I + (beta + W·I − I)/tau``. When ρ at the nominal values
is above 1 and ``ρ^horizon`` times the size of what drives them passes 1e308, every run
at those values overflows to infinity and NaN: validation says so, with the day. Uncertain
weights that diverge only in some runs are caught while running (the run stops, naming
the indicator and the day).
"""

from __future__ import annotations

import math

import numpy as np

from spillover.scenario.checker import Checker

LARGEST = 1e308


def _linear_block(c: Checker) -> tuple[list[str], np.ndarray, float]:
    """The linear indicators, their nominal daily update matrix, and the size of their drive."""
    inds = c.sc.indicators
    names = [k for k, ind in inds.items() if ind.kind == "linear"]
    n = len(names)
    M, drive = np.eye(n), 0.0
    for i, k in enumerate(names):
        ind = inds[k]
        gain = ind.gain.nominal if ind.gain is not None else 1.0
        rate = 1.0 / ind.tau.nominal
        M[i, i] -= rate
        drive = max(drive, abs(ind.beta.nominal), abs(ind.initial.nominal) if ind.initial else 0.0)
        for j, q in ind.inputs.items():
            if j in names:
                M[i, names.index(j)] += rate * gain * q.nominal
            elif q.nominal != 0.0:
                drive = max(drive, 1.0)  # a signal or a logistic indicator: about 1
    return names, M, drive


def check_growth(c: Checker) -> None:
    """A linear indicator network that overflows in every run at its nominal values is an error."""
    if c.sc.horizon is None or not any(ind.kind == "linear" for ind in c.sc.indicators.values()):
        return
    names, M, drive = _linear_block(c)
    if drive == 0.0 or not np.isfinite(M).all():
        return
    rho = float(np.max(np.abs(np.linalg.eigvals(M))))
    if rho <= 1.0 + 1e-12:
        return
    days = math.log(LARGEST / drive) / math.log(rho)
    if days >= c.sc.horizon:
        return
    grows = [k for k, row in zip(names, M, strict=True) if np.count_nonzero(row) > 1]
    first = (grows or names)[0]
    c.bad(("indicators", first, "kind"), f"the linear indicators {', '.join(grows or names)} grow by a "
          f"factor of {rho:.3g} a day at their nominal values (their feedback is stronger than their "
          f"relaxation), so they pass 1e308 and overflow after about {int(days):,} days, within the "
          f"horizon of {c.sc.horizon:,}; lower the weights, make them logistic, or shorten the horizon")
