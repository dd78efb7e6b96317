"""Benchmark: a scenario's cases run together against each case run alone.

Usage::

    python benchmarks/bench_cases.py [--scenario nk-russia-2023] [--runs 2000] [--seed 20230801]
                                     [--repeat 3]

Each measurement is the wall time of :func:`spillover.run` into a fresh run folder with its
report, in this process, the engine compiled beforehand:

* together: the scenario as written and every case on the same runs (what ``spillover run``
  does by default);
* alone: the scenario as written without cases (``--no-cases``), and each case by itself
  (``--case NAME``), which simulates it in full even when it changes only a claim.

It prints each time (the median of ``--repeat`` measurements, interleaved so that the
machine's load falls on all of them alike) and the ratio of together to the sum of the cases
alone, and to the sum of the cases alone plus the scenario alone. The target (issue 15): at
most 1.1 times the sum of running each alone.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import spillover
from spillover.scenario.load import load_scenario


def _timed(scenario: str, runs: int, seed: int, **kwargs: object) -> float:
    tmp = Path(tempfile.mkdtemp(prefix="spillover-cases-"))
    try:
        start = time.perf_counter()
        spillover.run(scenario, runs=runs, seed=seed, out=tmp / "run", **kwargs)  # type: ignore[arg-type]
        return time.perf_counter() - start
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--scenario", default="nk-russia-2023")
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=20230801)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    names = list(load_scenario(args.scenario).cases)
    spillover.run(args.scenario, runs=16, seed=1)  # compile (or load) the engine first
    times: dict[str, list[float]] = {}
    for _ in range(args.repeat):
        times.setdefault("together", []).append(_timed(args.scenario, args.runs, args.seed, cases=True))
        times.setdefault("as written alone", []).append(_timed(args.scenario, args.runs, args.seed))
        for n in names:
            times.setdefault(n, []).append(_timed(args.scenario, args.runs, args.seed, case=n))
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in med.items():
        print(f"{k:28s} {v:7.2f} s  (runs: {', '.join(f'{x:.2f}' for x in times[k])})")
    cases_alone = sum(med[n] for n in names)
    print(f"sum of the {len(names)} cases alone  {cases_alone:7.2f} s")
    print(f"together / cases alone      {med['together'] / cases_alone:7.3f}")
    both = cases_alone + med["as written alone"]
    print(f"together / (cases alone + as written alone) {med['together'] / both:.3f}")


if __name__ == "__main__":
    main()
