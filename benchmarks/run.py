"""spillover's benchmarks: runs/s and peak memory, each measured in its own process.

    python benchmarks/run.py            # the full set (nk-russia-2023 at 1k, 10k, 100k runs)
    python benchmarks/run.py --quick    # 1k and 10k only

Prints one table. Each case runs in a fresh subprocess so that its peak RSS is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RICHARDSON = ROOT / "benchmarks" / "scenarios" / "richardson7.yaml"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def case_nk(runs: int, workers: int, chunk: int, evidence: int = 0) -> dict:
    """``evidence``: 1 conditions on the built-in evidence (all of it), as
    ``spillover run nk-russia-2023 --evidence nk-russia-2023`` does."""
    import tempfile

    import spillover
    import spillover.api  # before the clock, as the kernel-only case imports its modules

    t = time.perf_counter()

    out = Path(tempfile.mkdtemp()) / "run"  # as `spillover run` does: a streamed run folder
    res = spillover.run("nk-russia-2023", runs=runs, seed=1, workers=workers, chunk_size=chunk, out=out,
                        evidence=["nk-russia-2023"] if evidence else None)
    wall = time.perf_counter() - t
    shutil.rmtree(out.parent)
    n_pol = res.outcomes["policy"].nunique()
    with_ev = ", with evidence" if evidence else ""
    return {"case": f"nk-russia-2023 {runs:,} runs × {n_pol} policies, {workers} worker(s){with_ev}",
            "wall_s": wall, "runs_per_s": runs / wall, "rss_mb": _rss_mb()}


def case_nk_kernel(runs: int, workers: int, chunk: int) -> dict:
    """The same runs' chunks through the compiled step alone: parameters, draws, the step and the
    outcomes, on the same threads, without the design, daily histograms, assembly, analysis,
    folder or report: what the end-to-end run is measured against."""
    from spillover.ensemble.design import MemoryDesign
    from spillover.ensemble.runner import execute, plan
    from spillover.ensemble.settings import Execution
    from spillover.scenario.load import load_scenario

    class Discard:
        """A sink that keeps nothing."""

        def saved_spec(self):
            return None

        def save_spec(self, spec):
            return None

        def finished(self):
            return set()

        def add(self, res):
            return None

        def close(self):
            return None

    sc = load_scenario("nk-russia-2023")
    pl = plan(sc, 1, series=False)
    source = MemoryDesign(pl.structure.inputs, runs, 1)
    source.prepare()  # the design is made before the clock: only the chunks are timed
    t = time.perf_counter()
    execute(pl, source, Discard(), Execution(runs=runs, seed=1, workers=workers, chunk_size=chunk))
    wall = time.perf_counter() - t
    return {"case": f"nk-russia-2023 {runs:,} runs, kernel only (no series), {workers} worker(s)",
            "wall_s": wall, "runs_per_s": runs / wall, "rss_mb": _rss_mb()}


def _richardson_inputs(runs: int):
    from spillover.engine.structure import build_structure
    from spillover.ensemble.design import sample_inputs
    from spillover.scenario.load import load_scenario

    sc = load_scenario(RICHARDSON)
    st = build_structure(sc)
    return sc, st, sample_inputs(st.inputs, runs, seed=5)


def case_engine(runs: int) -> dict:
    """The generic engine's kernel on the scenario file: outcomes for one policy."""
    from spillover.engine.draws import draw
    from spillover.engine.outcomes import OutcomeWatcher
    from spillover.engine.params import build_params
    from spillover.engine.simulate import simulate

    _sc, st, exp = _richardson_inputs(runs)
    t = time.perf_counter()
    p = build_params(st, {c: exp[c].to_numpy()[:runs] for c in exp.columns if c != 'run'}, runs)
    acc = OutcomeWatcher(st, runs)
    final = simulate(st, p, draw(st, 5, np.arange(runs)), [acc])
    acc.finish(final)
    wall = time.perf_counter() - t
    return {"case": f"richardson7 engine (scenario file), {runs:,} runs",
            "wall_s": wall, "runs_per_s": runs / wall, "rss_mb": _rss_mb()}


def case_hand(runs: int) -> dict:
    from benchmarks.richardson_loop import hand_loop

    _, _, exp = _richardson_inputs(runs)
    t = time.perf_counter()
    hand_loop(exp)
    wall = time.perf_counter() - t
    return {"case": f"richardson7 hand-written NumPy loop, {runs:,} runs",
            "wall_s": wall, "runs_per_s": runs / wall, "rss_mb": _rss_mb()}


def case_ensemble(runs: int) -> dict:
    import spillover

    t = time.perf_counter()
    spillover.run(str(RICHARDSON), runs=runs, seed=5, chunk_size=runs)
    wall = time.perf_counter() - t
    return {"case": f"richardson7 full ensemble (spillover.run), {runs:,} runs",
            "wall_s": wall, "runs_per_s": runs / wall, "rss_mb": _rss_mb()}


CASES = {"nk": case_nk, "kernel": case_nk_kernel, "engine": case_engine, "hand": case_hand,
         "ensemble": case_ensemble}


def _sub(name: str, *args: int, cold: bool = False, prebuilt: bool = True) -> dict:
    """Run one case in a fresh process; ``cold``: with an empty Numba cache (the first run on a
    machine: it uses the step ``make`` built ahead of time); without ``prebuilt`` too, the run
    compiles the step itself (a first run where the step was not built at install)."""
    import tempfile

    cmd = [sys.executable, __file__, "--one", name, *map(str, args)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if not prebuilt:
        env["SPILLOVER_PREBUILT"] = "0"
    with tempfile.TemporaryDirectory() as cache:
        if cold:
            env["NUMBA_CACHE_DIR"] = cache
        out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT, env=env)
    row = json.loads(out.stdout.strip().splitlines()[-1])
    if cold:
        row["case"] += ", cold (empty Numba cache)" if prebuilt else ", cold, not prebuilt (compiles)"
    return row


def evidence_pairs(reps: int = 3) -> tuple[dict, dict]:
    """The 10,000-run run without and with the built-in evidence, alternated ``reps`` times in
    fresh processes; the fastest of each (a shared machine only ever slows a run down)."""
    plain, cond = [], []
    for _ in range(reps):
        plain.append(_sub("nk", 10_000, 2, 1000))
        cond.append(_sub("nk", 10_000, 2, 1000, 1))
    return min(plain, key=lambda r: r["wall_s"]), min(cond, key=lambda r: r["wall_s"])


def kernel_pairs(reps: int = 3) -> tuple[dict, dict]:
    """The 10,000-run run end to end and its chunks through the step alone, alternated ``reps``
    times in fresh processes; the fastest of each (a shared machine only ever slows a run down)."""
    whole, kernel = [], []
    for _ in range(reps):
        whole.append(_sub("nk", 10_000, 2, 1000))
        kernel.append(_sub("kernel", 10_000, 2, 1000))
    return min(whole, key=lambda r: r["wall_s"]), min(kernel, key=lambda r: r["wall_s"])


def _target(ratio: float, limit: float, note: str = "") -> str:
    """``(target ≤ limit×: met)`` or ``…: MISSED``, as ``make bench-peers`` says it."""
    return f"(target ≤ {limit}×{note}: {'met' if ratio <= limit else 'MISSED'})"


def _evidence_line(plain: dict, cond: dict) -> str:
    ratio = cond["wall_s"] / plain["wall_s"]
    return (f"conditioned on evidence / plain run (10,000 runs, fastest of each): "
            f"{cond['wall_s']:.2f} s / {plain['wall_s']:.2f} s = {ratio:.3f}× {_target(ratio, 1.1)}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--one", nargs="+")
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--evidence", action="store_true", help="only the cost of conditioning on evidence")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(CASES[args.one[0]](*map(int, args.one[1:]))))
        return
    if args.evidence:
        print(_evidence_line(*evidence_pairs()))
        return
    reps = 1 if args.quick else 3
    ten, kernel = kernel_pairs(reps)  # the 10,000-run rows: the fastest of ``reps`` each
    fastest = f" (fastest of {reps})" if reps > 1 else ""
    ten["case"] += fastest
    kernel["case"] += fastest
    rows = [_sub("nk", 1_000, 2, 1000), ten, *([] if args.quick else [_sub("nk", 100_000, 2, 1000)])]
    rows.append(_sub("nk", 10_000, 1, 1000))
    cold = _sub("nk", 10_000, 2, 1000, cold=True)
    compiles = _sub("nk", 10_000, 2, 1000, cold=True, prebuilt=False)
    plain, evidence = evidence_pairs(reps)
    rows += [kernel, cold, compiles, evidence]
    eng, hand = _sub("engine", 10_000), _sub("hand", 10_000)
    rows += [eng, hand, _sub("ensemble", 10_000)]
    # The workers are threads of the case's one process: its peak RSS is the whole run's.
    print(f"{'case':<66} {'wall s':>8} {'runs/s':>10} {'peak RSS MB':>12}")
    for r in rows:
        print(f"{r['case']:<66} {r['wall_s']:>8.2f} {r['runs_per_s']:>10,.0f} {r['rss_mb']:>12,.0f}")
    vs_hand, e2e = eng["wall_s"] / hand["wall_s"], ten["wall_s"] / kernel["wall_s"]
    first = cold["wall_s"] / ten["wall_s"]
    print(f"\nengine / hand-written loop (wall): {vs_hand:.2f}× {_target(vs_hand, 1.25)}")
    how = " (fastest of each, alternated)" if reps > 1 else " (one of each)"
    print(f"nk-russia-2023 10,000 runs end to end / kernel only{how}: "
          f"{ten['wall_s']:.2f} s / {kernel['wall_s']:.2f} s = {e2e:.2f}× {_target(e2e, 1.3)}")
    print(f"cold first run / warm run (10,000 runs): {first:.2f}× "
          f"{_target(first, 1.5, '; the step built by `spillover warmup`, an empty Numba cache')}")
    print(f"  without the prebuilt step (the run compiles it): {compiles['wall_s'] / ten['wall_s']:.2f}×")
    print(_evidence_line(plain, evidence))
    if not args.quick:
        big = next(r for r in rows if "100,000" in r["case"] and "2 worker" in r["case"])
        mem = big["rss_mb"] / ten["rss_mb"]
        print(f"peak memory 100k / 10k runs: {mem:.2f}× (one process: the workers are threads) "
              f"{_target(mem, 1.5)}")


if __name__ == "__main__":
    main()
