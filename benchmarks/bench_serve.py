"""The web app's speed: from a lever change to the updated claims table.

    python benchmarks/bench_serve.py                  # 2,000 runs of nk-russia-2023, 5 changes
    python benchmarks/bench_serve.py --paired-every-time --chunk-size 500 --trials 8

Starts a real server (uvicorn, warm process pool) in a subprocess, as ``spillover serve``
does, and waits for it. Then it does what the Explore page does: a first run pairs the
custom setting with the status-quo preset; each later lever change reruns the custom
setting alone (the preset's runs and draws do not depend on the levers, so the page keeps
its column). For each change it moves one lever through the JSON API (``POST /api/runs``),
polls the run as the page does and fetches the claims table. Prints the time from the POST
to the claims per change, the median, and the server's own timings (the run's manifest).
``--paired-every-time`` reruns the preset too at every change.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

POLL = 0.05


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _call(url: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method="GET" if body is None else "POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as r:
        return json.loads(r.read())


def _start(root: Path, port: int, workers: int, chunk: int) -> subprocess.Popen[bytes]:
    code = (
        "import uvicorn; from spillover.serve import create_app; "
        f"uvicorn.run(create_app({str(root / 'runs')!r}, {str(root / 'scenarios')!r}, workers={workers}, "
        f"chunk_size={chunk}), host='127.0.0.1', port={port}, log_level='warning')"
    )
    return subprocess.Popen([sys.executable, "-c", code], start_new_session=True)


def _wait_up(base: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            _call(base + "/api/scenarios")
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def lever_to_claims(base: str, levers: dict[str, float], runs: int, compare: bool) -> tuple[float, dict]:
    """Seconds from the POST that moves a lever to the claims table, and the run's status."""
    t0 = time.perf_counter()
    job = _call(base + "/api/runs", {"levers": levers, "runs": runs, "seed": 1, "compare": compare})
    while job["state"] in ("queued", "running"):
        time.sleep(POLL)
        job = _call(f"{base}/api/runs/{job['id']}")
    if job["state"] != "done":
        raise SystemExit(f"run {job['id']} {job['state']}: {job.get('error')}")
    claims = _call(f"{base}/api/runs/{job['id']}/claims")
    elapsed = time.perf_counter() - t0
    assert claims, "no claims"
    return elapsed, job


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--chunk-size", type=int, default=1000)
    ap.add_argument("--paired-every-time", action="store_true",
                    help="rerun the status-quo preset beside the custom setting at every change")
    args = ap.parse_args()
    root = Path(tempfile.mkdtemp(prefix="spillover-bench-serve-"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(root, port, args.workers, args.chunk_size)
    try:
        _wait_up(base, proc)
        first, _ = lever_to_claims(base, {"transparency": 0.0}, args.runs, True)  # the page's first run
        print(f"first run (custom + status-quo, pool warming up): claims after {first:.2f} s")
        times = []
        for i in range(args.trials):
            value = round(0.1 + 0.8 * i / max(args.trials - 1, 1), 2)
            t, job = lever_to_claims(base, {"transparency": value}, args.runs, args.paired_every_time)
            manifest = json.loads((root / "runs" / job["id"] / "manifest.json").read_text())
            times.append(t)
            print(f"transparency={value:.2f}: claims after {t:.2f} s (server: run {job['seconds']:.2f} s, "
                  f"spillover.run {manifest['timings']['total']:.2f} s: "
                  + ", ".join(f"{k} {v:.2f}" for k, v in manifest["timings"].items() if k != "total") + ")")
        pols = "custom + status-quo each time" if args.paired_every_time else "custom rerun, status-quo kept"
        print(f"{args.runs} runs of nk-russia-2023 ({pols}), {args.workers} workers, chunks of "
              f"{args.chunk_size}: median {statistics.median(times):.2f} s, min {min(times):.2f} s, "
              f"max {max(times):.2f} s over {args.trials} lever changes (load {os.getloadavg()[0]:.1f})")
    finally:
        proc.send_signal(signal.SIGINT)  # uvicorn stops and shuts the pool down
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


if __name__ == "__main__":
    main()
