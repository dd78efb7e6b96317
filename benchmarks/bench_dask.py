"""Benchmark: nk-russia-2023 on a local Dask cluster of 1 and of 2 workers (issue 5, part 5).

Usage::

    python benchmarks/bench_dask.py [--runs 200000] [--chunk-size 5000]

Each run is ``spillover run nk-russia-2023 --executor dask --workers W --out DIR
--no-report`` in its own process, with the client's and each worker's resident memory
sampled every 0.2 s (see ``bench_stream.py``). Prints the wall time of each, the speed-up
of 2 workers over 1 (target at least 1.7×), the peak memory per worker, and whether the
two runs' outcomes are identical.

Each chunk sends the client its outcomes and its share of the daily histograms, whose
size does not depend on the chunk's runs (730 days × 4 policies × 26 series × 128 bins
for nk-russia-2023); chunks of 5,000 keep that traffic small next to the computation,
at about 0.9 GB per worker process.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.bench_stream import measure


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=200_000)
    ap.add_argument("--chunk-size", type=int, default=5_000)
    a = ap.parse_args()
    folders, rows = [], []
    with tempfile.TemporaryDirectory(prefix="spillover-dask-") as tmp:
        for workers in (1, 2):
            keep = Path(tmp) / f"w{workers}"
            keep.mkdir()
            r = measure(a.runs, workers, a.chunk_size, keep, "nk-russia-2023", ("--executor", "dask"))
            rows.append((workers, r))
            folders.append(keep / "run")
            print(f"{workers} worker(s): {r['wall_s']:.1f} s, {r['runs_per_s']:,.0f} runs/s, client peak "
                  f"{r['client_peak_mb']:,.0f} MB, largest worker process {r['worker_peak_mb']:,.0f} MB",
                  flush=True)
        same = [pd.read_parquet(f / "outcomes.parquet").sort_values(["policy", "run"]).reset_index(drop=True)
                for f in folders]
        identical = same[0].equals(same[1])
    speedup = rows[0][1]["wall_s"] / rows[1][1]["wall_s"]
    print(f"2 workers / 1 worker: {speedup:.2f}× (target ≥ 1.7×: {'met' if speedup >= 1.7 else 'MISSED'}); "
          f"outcomes identical: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
