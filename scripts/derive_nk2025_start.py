"""The starting values of nk-russia-2025 from nk-russia-2023, conditioned on its evidence.

nk-russia-2025 starts on 1 Aug 2025, the day after nk-russia-2023 ends (30 Jul 2025 is its
last day). No source gives the stocks or the indicators' levels on that day, so the forward
scenario starts them where nk-russia-2023 ends: its status-quo runs, weighted by the evidence
through July 2025 that nk-russia-2023 ships (``nk-russia-2023.evidence.yaml``, see
docs/evidence.md), on their last day.

Each starting value is one outcome of the 2023 runs (North Korea's shells: its final stock
less the reserve it keeps, run by run, since the 2025 file counts only the rounds it will part
with). Its range in the 2025 file is a pair of evidence-weighted quantiles: the 5th-95th
percentile for the stocks, the central half (25th-75th) for the indicators, rounded outwards.

Run from the repository's root::

    .venv/bin/python scripts/derive_nk2025_start.py --runs 2000 --seed 20250801 \\
        --json tests/nk2025_start.json

It prints the YAML ranges to paste into nk-russia-2025.yaml and, with ``--json``, writes the
figures that tests/test_nk2025.py checks the file against.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SOURCE = "nk-russia-2023"
POLICY = "status-quo"
SEED = 20250801
RUNS = 2000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)

# Each starting value of nk-russia-2025: its path in that file, the 2023 outcome column it is
# read from, and the pair of quantiles its uniform range spans.
STOCKS = {
    "stocks.PRK.shell152": "final_stock.PRK.shell152",  # less the reserve, see starting_values
    "stocks.PRK.srbm": "final_stock.PRK.srbm",
    "stocks.RUS.shell152": "final_stock.RUS.shell152",
    "stocks.UKR.shell155": "final_stock.UKR.shell155",
    "stocks.KOR.shell155": "final_stock.KOR.shell155",
    "stocks.USA.shell155": "final_stock.USA.shell155",
}
INDICATORS = ("ukr_pressure", "kor_threat", "jpn_threat", "kor_aid_pressure", "kor_nuclear_hedging",
              "jpn_nuclear_hedging", "regional_proliferation", "chn_alarm", "chn_rus_friction",
              "rus_kor_hostility")
STOCK_SPAN = (0.05, 0.95)
INDICATOR_SPAN = (0.25, 0.75)
PRK_RESERVE = "transfers.prk_rus_shells.reserve"


def targets() -> dict[str, tuple[str, tuple[float, float]]]:
    """Every starting value: its path in nk-russia-2025 -> (2023 outcome column, quantile span)."""
    out = {path: (column, STOCK_SPAN) for path, column in STOCKS.items()}
    out.update({f"indicators.{k}.initial": (f"final.{k}", INDICATOR_SPAN) for k in INDICATORS})
    return out


@dataclass
class Derived:
    """The evidence-weighted quantiles of each starting value, and how they were obtained."""

    runs: int
    seed: int
    ess: float
    quantiles: pd.DataFrame  # path, column, q05 .. q95, low, high (the range to paste)
    observations: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        rows = self.quantiles.to_dict(orient="records")
        return {"scenario": SOURCE, "policy": POLICY, "evidence": SOURCE, "runs": self.runs,
                "seed": self.seed, "ess": round(self.ess, 1), "observations": self.observations,
                "values": {r.pop("path"): r for r in rows}}


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: tuple[float, ...]) -> np.ndarray:
    """The library's weighted quantiles (the inverse of the weighted step CDF), as the
    evidence tables compute them."""
    from spillover.analysis.evidence_tables import weighted_quantiles as wq

    return np.asarray(wq(x, w, q), dtype=float)


def starting_values(outcomes: pd.DataFrame, experiments: pd.DataFrame) -> pd.DataFrame:
    """One row per run of the 2023 outcomes (``run`` and the outcome columns) with each
    starting value as a column named by its path in nk-russia-2025."""
    out = outcomes.set_index("run")
    reserve = experiments.set_index("run")[PRK_RESERVE].reindex(out.index)
    table = pd.DataFrame(index=out.index)
    for path, (column, _) in targets().items():
        table[path] = out[column].astype(float)
    table["stocks.PRK.shell152"] = (table["stocks.PRK.shell152"] - reserve).clip(lower=0.0)
    return table


def _round_out(low: float, high: float, indicator: bool) -> tuple[float, float]:
    """The range rounded outwards: indicators to 0.01, stocks to three significant figures
    of the high end (so the range only widens)."""
    step = 0.01 if indicator else 10.0 ** max(math.floor(math.log10(max(high, 1.0))) - 2, 0)
    # round(.., 6) first, so that 0.7 / 0.01 = 70.00000000000001 stays 70 steps
    low, high = math.floor(round(low / step, 6)) * step, math.ceil(round(high / step, 6)) * step
    return round(low, 10), round(high, 10)


def quantile_table(values: pd.DataFrame, weights: np.ndarray) -> pd.DataFrame:
    """Each starting value's weighted quantiles (:data:`QUANTILES`) and its range to paste."""
    rows = []
    for path, (column, span) in targets().items():
        x = values[path].to_numpy(float)
        q = dict(zip(QUANTILES, weighted_quantiles(x, weights, QUANTILES), strict=True))
        low, high = _round_out(q[span[0]], q[span[1]], path.startswith("indicators."))
        rows.append({"path": path, "column": column, **{f"q{round(p * 100):02d}": v for p, v in q.items()},
                     "span": [span[0], span[1]], "low": low, "high": high})
    return pd.DataFrame(rows)


def derive(runs: int = RUNS, seed: int = SEED, **options: Any) -> Derived:
    """Run nk-russia-2023 (status quo) with its evidence and weigh its last day.

    ``options`` are further :class:`spillover.Execution` fields (``workers``, ...).
    """
    import spillover

    res = spillover.run(SOURCE, runs=runs, seed=seed, policies=[POLICY], evidence=[SOURCE],
                        report=False, **options)
    cond = res.extra["evidence"]
    out = res.outcomes[res.outcomes["policy"] == POLICY]
    values = starting_values(out, res.experiments)
    w = cond.weights.set_index("run")["weight"].reindex(values.index).fillna(0.0).to_numpy(float)
    return Derived(runs=runs, seed=seed, ess=float(cond.ess), quantiles=quantile_table(values, w),
                   observations=list(cond.used))


def _number(x: float, indicator: bool) -> str:
    return f"{x:.2f}" if indicator else f"{round(x)}"


def yaml_lines(d: Derived) -> list[str]:
    """The ranges to paste, one line per starting value, with its weighted median."""
    lines = [f"# {SOURCE}, {POLICY}, {d.runs} runs, seed {d.seed}, conditioned on its evidence "
             f"(ESS {d.ess:.0f} of {d.runs})"]
    for r in d.quantiles.itertuples():
        ind = r.path.startswith("indicators.")
        lo, hi = (round(p * 100) for p in r.span)
        lines.append(f"{r.path}: {{uniform: [{_number(r.low, ind)}, {_number(r.high, ind)}]}}"
                     f"  # {lo}th-{hi}th percentile; median {_number(r.q50, ind)}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--json", type=Path, help="also write the derived figures here")
    args = parser.parse_args(argv)
    d = derive(args.runs, args.seed)
    print("\n".join(yaml_lines(d)))
    if args.json is not None:
        args.json.write_text(json.dumps(d.to_json(), indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
