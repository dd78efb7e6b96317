"""Benchmark: validating scenarios with many unknown references, and large valid files.

Usage::

    python benchmarks/bench_validate.py [--unknown 2000 20000] [--valid-mb 1 5]

``--unknown N`` builds a scenario with N declared actors and N transfers whose supplier
is a misspelt actor name (``actr_17`` for ``actor_17``), so validation reports N unknown
references, each with a "did you mean" over N names. It prints the CPU time that
validation takes to reject the file, split into YAML reading and the rest (shape,
reference and suggestion checks), the wall time, and the number of problems. CPU time is
the figure to compare: wall time depends on what else the machine runs.

``--valid-mb X`` builds a valid scenario of about X MB (daily piecewise demand schedules
over a 100-year horizon) and prints the time to validate it, or the reason it is refused.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

HEAD = """name: bench
title: many names
start: 2024-01-01
horizon: 365
sources: {s: {citation: "benchmark"}}
"""


def unknown_refs(n: int) -> str:
    """N actors, one munition, N transfers whose supplier is misspelt."""
    rows = [HEAD, "actors:"]
    rows += [f"  actor_{i}: {{name: A{i}}}" for i in range(n)]
    rows += ["munitions:", "  shell: {name: shell}", "stocks:"]
    rows += [f"  actor_{i}: {{shell: 100}}" for i in range(n)]
    rows.append("transfers:")
    rows += [f"  t{i}: {{supplier: actr_{i}, recipient: actor_{(i + 1) % n}, munition: shell, rate: 1}}"
             for i in range(n)]
    rows.append("policies: {status-quo: {}}")
    return "\n".join(rows) + "\n"


def large_valid(mb: float) -> str:
    """A valid scenario of about ``mb`` megabytes: actors with daily piecewise demand schedules."""
    import datetime as dt

    start, horizon = dt.date(2024, 1, 1), 36500
    rows = [HEAD.replace("horizon: 365", f"horizon: {horizon}"), "munitions: {shell: {name: shell}}",
            "demand:"]
    size, actors = 0, 0
    while size < mb * 1_000_000:
        rows += [f"  A{actors}:", "    shell:", "      piecewise:"]
        for day in range(0, horizon, 1):
            row = f"        - {{from: {start + dt.timedelta(days=day)}, rate: {day % 97}}}"
            rows.append(row)
            size += len(row) + 1
            if size >= mb * 1_000_000:
                break
        actors += 1
    rows.append("actors:")
    rows += [f"  A{i}: {{name: A{i}}}" for i in range(actors)]
    rows.append("policies: {status-quo: {}}")
    return "\n".join(rows) + "\n"


def timed(text: str) -> tuple[float, float, float, str]:
    """(CPU s reading, CPU s checking, wall s in all, outcome) of validating ``text``."""
    from spillover.scenario.errors import ScenarioError
    from spillover.scenario.load import parse_scenario
    from spillover.scenario.source import read_yaml

    w0, t0 = time.perf_counter(), time.process_time()
    try:
        doc = read_yaml(text, "bench.yaml")
    except ScenarioError as exc:
        return time.process_time() - t0, 0.0, time.perf_counter() - w0, f"refused: {exc.first}"
    t1 = time.process_time()
    try:
        parse_scenario(doc)
        outcome = "valid"
    except ScenarioError as exc:
        outcome = f"{len(exc.problems):,} problems, first: {exc.first}"
    return t1 - t0, time.process_time() - t1, time.perf_counter() - w0, outcome


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--unknown", type=int, nargs="*", default=[2000, 20000])
    ap.add_argument("--valid-mb", type=float, nargs="*", default=[])
    args = ap.parse_args()
    print("CPU seconds reading the YAML and checking it (shape, references, suggestions), and wall seconds")
    print(f"{'case':<30} {'read':>7} {'check':>7} {'wall':>7}  outcome")
    cases = [(f"{n:,} unknown references", unknown_refs(n)) for n in args.unknown]
    cases += [(f"valid file, {mb:g} MB", large_valid(mb)) for mb in args.valid_mb]
    for name, text in cases:
        read, rest, wall, outcome = timed(text)
        print(f"{name:<30} {read:7.2f} {rest:7.2f} {wall:7.2f}  {outcome[:80]}")


if __name__ == "__main__":
    main()
