"""The reference model as a plain Python loop: one run at a time, floats and lists, no NumPy.

This is the model a modeller writes by hand before reaching for a framework, and it is the
per-run kernel that the EMA Workbench harness wraps (EMA calls a Python function once per
experiment). The equations and the order of operations within a day are those of
``benchmarks/richardson_loop.py``: the transfer, production, consumption (fired = min(demand,
stock)), then the synchronous armament update x_i += (g_i + s·Σ_j T_ij x_j − x_i)/tau_i.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from benchmarks.make_richardson7 import ACTORS, CONSUMPTION, PRODUCTION, STOCK, THREAT

HORIZON = 365
THRESHOLD = 2.0
SHORT_TOL = 1e-9

#: The 18 uncertain inputs, named as spillover names them.
INPUTS: list[str] = (
    ["threat_scale"]
    + [f"fatigue_days.{a}" for a in ACTORS]
    + [f"grievance.{a}" for a in ACTORS]
    + ["production_multiplier", "consumption_multiplier", "transfer_rate"]
)
#: The 36 outcomes, named as spillover names them.
OUTCOMES: list[str] = ["delivered.t01"] + [
    name for a in ACTORS for name in (f"final.x_{a}", f"peak.x_{a}", f"days_above.x_{a}",
                                      f"final_stock.{a}.arms", f"first_shortfall.{a}.arms")
]
#: The threat matrix as nested lists, its zero entries dropped: (j, T_ij) per actor i.
LINKS: list[list[tuple[int, float]]] = [
    [(j, float(THREAT[i, j])) for j in range(len(ACTORS)) if THREAT[i, j] != 0.0]
    for i in range(len(ACTORS))
]


def ident(name: str) -> str:
    """A spillover name as a Python identifier (EMA Workbench and Mesa reporters need these).

    >>> ident("final_stock.A0.arms")
    'final_stock_A0_arms'
    """
    return name.replace(".", "_")


def run_one(inputs: Mapping[str, float]) -> dict[str, float]:
    """Simulate one run of the reference model; return its 36 outcomes by spillover name.

    >>> out = run_one({n: 1.0 for n in INPUTS} | {"threat_scale": 0.7, "transfer_rate": 900.0})
    >>> len(out)
    36
    >>> out["delivered.t01"] < 365 * 900.0  # the supplier's stock runs out before the year ends
    True
    """
    n = len(ACTORS)
    s = inputs["threat_scale"]
    tau = [inputs[f"fatigue_days.{a}"] for a in ACTORS]
    g = [inputs[f"grievance.{a}"] for a in ACTORS]
    links = [[(j, s * t) for j, t in row] for row in LINKS]
    prod = [p * inputs["production_multiplier"] for p in PRODUCTION]
    dem = [d * inputs["consumption_multiplier"] for d in CONSUMPTION]
    rate = inputs["transfer_rate"]
    stock = [STOCK] * n
    x = [0.0] * n
    peak = [-float("inf")] * n
    above = [0] * n
    first = [float(HORIZON)] * n
    delivered = 0.0
    for day in range(HORIZON):
        ship = min(rate, max(stock[0], 0.0))
        stock[0] -= ship
        stock[1] += ship
        delivered += ship
        for i in range(n):
            stock[i] += prod[i]
            fired = min(dem[i], stock[i])
            stock[i] -= fired
            if dem[i] - fired > SHORT_TOL * max(dem[i], 1.0) and first[i] == HORIZON:
                first[i] = float(day)
        pull = [sum(w * x[j] for j, w in row) for row in links]  # previous day's levels
        for i in range(n):
            x[i] += (g[i] + pull[i] - x[i]) / tau[i]
            if x[i] > peak[i]:
                peak[i] = x[i]
            if x[i] >= THRESHOLD:
                above[i] += 1
    return _outcomes(delivered, x, peak, above, stock, first)


def _outcomes(delivered: float, x: list[float], peak: list[float], above: list[int],
              stock: list[float], first: list[float]) -> dict[str, float]:
    out = {"delivered.t01": delivered}
    for i, a in enumerate(ACTORS):
        out[f"final.x_{a}"] = x[i]
        out[f"peak.x_{a}"] = peak[i]
        out[f"days_above.x_{a}"] = float(above[i])
        out[f"final_stock.{a}.arms"] = stock[i]
        out[f"first_shortfall.{a}.arms"] = first[i]
    return out


def run_many(rows: Iterable[Mapping[str, float]]) -> list[dict[str, float]]:
    """Run each parameter set in turn, in this process."""
    return [run_one(row) for row in rows]
