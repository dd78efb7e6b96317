"""Write tests/scenarios/kor_threat_synthetic.csv: the synthetic series of the calibration example.

No observed series of South Korean threat perception exists in the sources of
``nk-russia-2023``, so the example in docs/analysis.md ("Does the model fit") fits a series
made by the model itself: the indicator ``kor_threat`` in the scenario's *central run* (the
run that ``spillover calibrate --method ls`` fits: every other input at its median, no
perception noise, event thresholds at their median) with ``w_kor_tech = 1.8`` and
``kor_bias = 0.3``, on 24 dates 30 days apart from 2023-08-15, plus normal noise of sd 0.01
drawn with a fixed seed. Values are written with four decimals.

Run ``python scripts/make_kor_threat_synthetic.py`` to regenerate the file (the same bytes
for the same scenario); ``--out PATH`` writes elsewhere.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from spillover.analysis.calibration import Problem
from spillover.analysis.observed import Observation
from spillover.scenario.load import load_scenario
from spillover.scenario.model import Scenario

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "scenarios" / "kor_threat_synthetic.csv"
SCENARIO = "nk-russia-2023"
TARGET = "indicator.kor_threat"
TRUTH = {"w_kor_tech": 1.8, "kor_bias": 0.3}
FIRST, STEP, POINTS = date(2023, 8, 15), 30, 24
NOISE, SEED = 0.01, 20230815


def dates() -> list[date]:
    """The 24 observation dates, 30 days apart from 2023-08-15."""
    return [FIRST + timedelta(days=STEP * k) for k in range(POINTS)]


def central_run(sc: Scenario, days: np.ndarray) -> np.ndarray:
    """``kor_threat`` on ``days`` (days since the scenario's start) in the central run at TRUTH."""
    placeholder = Observation(TARGET, days, np.zeros(len(days)))
    prob = Problem.build(sc, [placeholder], list(TRUTH))
    return prob.simulate(np.array([list(TRUTH.values())]))[0][0]


def series(sc: Scenario) -> list[tuple[date, float]]:
    """The synthetic observations: the central run plus seeded normal noise, rounded."""
    when = dates()
    days = np.array([(d - sc.start).days for d in when])
    noisy = central_run(sc, days) + np.random.default_rng(SEED).normal(0.0, NOISE, len(days))
    return [(d, round(float(v), 4)) for d, v in zip(when, noisy, strict=True)]


def write(rows: list[tuple[date, float]], path: Path) -> None:
    """A ``date,value`` CSV, as ``spillover calibrate --data`` reads it."""
    lines = ["date,value", *(f"{d.isoformat()},{v:.4f}" for d, v in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write (default: {OUT})")
    args = parser.parse_args(argv)
    write(series(load_scenario(SCENARIO)), args.out)
    print(f"wrote {args.out} ({POINTS} points)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
