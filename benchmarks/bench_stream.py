"""Benchmark: a very large run streamed to disk, with the memory of every process sampled.

Usage::

    python benchmarks/bench_stream.py [--runs 10000000] [--workers 2] [--chunk-size 20000]

Runs ``spillover run benchmarks/scenarios/richardson7.yaml --runs N --out DIR --no-report``
as a subprocess (the command a user types), samples the resident memory of the client (the
``spillover`` process) and of each worker process every 0.2 s with psutil, and prints the
wall time, runs per second, the client's and the largest worker's peak RSS, the client's
own high-water mark from the run's manifest, and the size of the run folder. The target
(issue 5): the client's peak RSS under 1 GB for 10,000,000 runs.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "benchmarks" / "scenarios" / "richardson7.yaml"


def _rss(p: psutil.Process) -> float:
    try:
        return p.memory_info().rss / 2**20
    except psutil.Error:
        return 0.0


def measure(runs: int, workers: int, chunk_size: int, keep: Path | None, scenario: str = str(SCENARIO),
            extra: tuple[str, ...] = ()) -> dict[str, float]:
    """Run once; return wall seconds, runs/s and peak RSS figures in MB.

    With ``keep``, the run folder is ``keep/run`` and stays; otherwise it is removed.
    """
    tmp = Path(tempfile.mkdtemp(prefix="spillover-stream-"))
    out = (keep or tmp) / "run"
    cmd = [str(Path(sys.executable).parent / "spillover"), "run", scenario, "--runs", str(runs),
           "--workers", str(workers), "--chunk-size", str(chunk_size), "--seed", "1",
           "--out", str(out), "--no-report", *extra]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    client = psutil.Process(proc.pid)
    peak_client = peak_worker = 0.0
    while proc.poll() is None:
        peak_client = max(peak_client, _rss(client))
        try:
            kids = client.children(recursive=True)
        except psutil.Error:
            kids = []
        peak_worker = max([peak_worker, *(_rss(k) for k in kids)])
        time.sleep(0.2)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"spillover run failed ({proc.returncode}): {proc.stderr.read().strip()}")
    manifest = json.loads((out / "manifest.json").read_text())
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file()) / 2**20
    if keep is None:
        shutil.rmtree(tmp, ignore_errors=True)
    return {"runs": runs, "wall_s": wall, "runs_per_s": runs / wall, "client_peak_mb": peak_client,
            "client_highwater_mb": float(manifest.get("peak_rss_mb", 0.0)),
            "worker_peak_mb": peak_worker, "folder_mb": size}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--chunk-size", type=int, default=20_000)
    ap.add_argument("--keep", type=Path, help="write the run folder here instead of a temporary one")
    a = ap.parse_args()
    r = measure(a.runs, a.workers, a.chunk_size, a.keep)
    print(f"richardson7, {r['runs']:,} runs, {a.workers} workers, chunks of {a.chunk_size:,}: "
          f"{r['wall_s']:.1f} s, {r['runs_per_s']:,.0f} runs/s")
    print(f"client peak RSS {r['client_peak_mb']:,.0f} MB (sampled), {r['client_highwater_mb']:,.0f} MB "
          f"(high-water mark in the manifest); largest worker {r['worker_peak_mb']:,.0f} MB; "
          f"run folder {r['folder_mb']:,.0f} MB")
    verdict = "met" if max(r["client_peak_mb"], r["client_highwater_mb"]) < 1024 else "MISSED"
    print(f"target: client peak RSS under 1 GB: {verdict}")


if __name__ == "__main__":
    main()
