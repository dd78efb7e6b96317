"""spillover side by side with EMA Workbench, Mesa and a plain Python loop (``make bench-peers``).

    PYTHONPATH=. python benchmarks/peers/run.py                        # the full comparison
    PYTHONPATH=. python benchmarks/peers/run.py --experiments 20000 --peer-experiments 300

Every harness runs the reference model (``benchmarks/scenarios/richardson7.yaml``) on
spillover's Latin hypercube design of ``--experiments`` runs (``sample_inputs``, fixed
seed): spillover on all of it, Mesa and the plain loop on its first ``--peer-experiments``
rows, and EMA Workbench on its own Latin hypercube of that size (EMA samples for itself).
Each case runs in a fresh subprocess (Mesa sets the multiprocessing start method when it
is imported). The first 20 rows are the shared parameter sets on which every harness must
reproduce spillover's 36 outcomes; EMA is given them as ``Scenario`` objects.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SCENARIO = ROOT / "benchmarks" / "scenarios" / "richardson7.yaml"
SHARED = 20
TOLERANCE = 1e-9
TARGET_EMA, TARGET_MESA, TARGET_FUSED = 150.0, 300.0, 0.8

from benchmarks.make_richardson7 import ACTORS  # noqa: E402
from benchmarks.peers.loop_model import INPUTS, OUTCOMES  # noqa: E402

Shared = dict[str, list[float]]
Timing = tuple[float, float]


def design(n: int, seed: int) -> pd.DataFrame:
    """spillover's experiments table for ``n`` runs of the reference scenario."""
    from spillover.engine.structure import build_structure
    from spillover.ensemble.design import sample_inputs
    from spillover.scenario.load import load_scenario

    st = build_structure(load_scenario(SCENARIO))
    return sample_inputs(st.inputs, n, seed)


def rows_of(exp: pd.DataFrame, n: int) -> list[dict[str, float]]:
    """The first ``n`` parameter sets as plain dicts keyed by input name."""
    return exp.loc[: n - 1, INPUTS].to_dict("records")


def ranges() -> dict[str, tuple[float, float]]:
    """Each input's uniform range, read from the scenario (for EMA's uncertainties)."""
    from spillover.engine.structure import build_structure
    from spillover.scenario.load import load_scenario

    st = build_structure(load_scenario(SCENARIO))
    assert all(i.quantity.kind == "uniform" for i in st.inputs)
    return {i.name: (float(i.quantity.params[0]), float(i.quantity.params[1])) for i in st.inputs}


def shared_of(table: pd.DataFrame | dict[str, np.ndarray]) -> Shared:
    """The 36 outcomes of the first 20 rows, as lists for JSON."""
    return {n: [float(v) for v in np.asarray(table[n])[:SHARED]] for n in OUTCOMES}


def cpu_seconds() -> float:
    """User + system CPU time of this process and of its finished children (pool workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def timed(fn: Callable[[], object]) -> tuple[object, Timing]:
    """Call ``fn``; return its result and (wall seconds, CPU seconds across processes)."""
    t, c = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, (time.perf_counter() - t, cpu_seconds() - c)


# ---- the cases, each run in its own process ------------------------------------------------

def case_spillover(a: argparse.Namespace) -> tuple[Timing, Shared]:
    import scipy.stats  # noqa: F401  imports before the clock, as for the peers (spillover loads lazily)

    import spillover
    import spillover.api

    given = design(a.experiments, a.seed).iloc[: a.n] if a.n != a.experiments else None
    res, took = timed(lambda: spillover.run(str(SCENARIO), runs=a.n, seed=a.seed, counterfactual=False,
                                            workers=a.processes, chunk_size=a.chunk_size, experiments=given))
    exp = res.experiments.sort_values("run").reset_index(drop=True)
    want = design(a.experiments, a.seed)
    pd.testing.assert_frame_equal(exp.loc[: SHARED - 1, INPUTS], want.loc[: SHARED - 1, INPUTS])
    out = res.outcomes.sort_values("run").reset_index(drop=True)
    return took, shared_of(out)


def case_reference(a: argparse.Namespace) -> tuple[Timing, Shared]:
    """spillover.run with the NumPy step (SPILLOVER_ENGINE=numpy) on the first rows of the design."""
    os.environ["SPILLOVER_ENGINE"] = "numpy"
    return case_spillover(a)


def case_kernel(a: argparse.Namespace) -> tuple[Timing, Shared]:
    """The engine alone: parameters, the daily step and the outcome accumulator, chunk by chunk."""
    from spillover.engine.draws import draw
    from spillover.engine.outcomes import OutcomeWatcher
    from spillover.engine.params import build_params
    from spillover.engine.simulate import simulate
    from spillover.engine.structure import build_structure
    from spillover.scenario.load import load_scenario

    st = build_structure(load_scenario(SCENARIO))
    exp = design(a.experiments, a.seed).iloc[: a.n]

    def kernel() -> list[dict[str, np.ndarray]]:
        parts = []
        for lo in range(0, a.n, a.chunk_size):
            runs = np.arange(lo, min(lo + a.chunk_size, a.n))
            p = build_params(st, {c: exp[c].to_numpy()[runs] for c in exp.columns if c != "run"}, len(runs))
            acc = OutcomeWatcher(st, len(runs))
            parts.append(acc.finish(simulate(st, p, draw(st, a.seed, runs), [acc])))
        return parts

    parts, took = timed(kernel)
    return took, shared_of(parts[0])  # type: ignore[index]


def case_fused(a: argparse.Namespace) -> tuple[Timing, Shared]:
    """One compiled kernel of the reference model, prange over runs on every core: the limit."""
    from benchmarks.peers.fused_model import fused

    exp = design(a.experiments, a.seed).iloc[: a.n]
    fused(exp.iloc[:64])  # compiled (or loaded from Numba's cache) before the clock
    out, took = timed(lambda: fused(exp))
    return took, shared_of(out)  # type: ignore[arg-type]


def case_numpy(a: argparse.Namespace) -> tuple[Timing, Shared]:
    """The hand-written vectorised NumPy loop of ``benchmarks/richardson_loop.py``, chunk by chunk."""
    from benchmarks.richardson_loop import hand_loop

    exp = design(a.experiments, a.seed).iloc[: a.n]
    chunks = [exp.iloc[lo: lo + a.chunk_size] for lo in range(0, a.n, a.chunk_size)]
    parts, took = timed(lambda: [hand_loop(c) for c in chunks])
    return took, shared_of(parts[0])  # type: ignore[index]


def case_ema(a: argparse.Namespace) -> tuple[Timing, Shared]:
    from benchmarks.peers import ema_model

    model = ema_model.build_model(ranges())
    given = ema_model.run_given(model, rows_of(design(a.experiments, a.seed), SHARED), a.processes)
    (experiments, outcomes), took = timed(lambda: ema_model.run_sampled(model, a.n, a.processes))  # type: ignore[misc]
    assert len(experiments) == a.n and all(len(v) == a.n for v in outcomes.values())
    return took, shared_of(given)


def case_mesa(a: argparse.Namespace) -> tuple[Timing, Shared]:
    from benchmarks.peers import mesa_model

    rows = rows_of(design(a.experiments, a.seed), a.n)
    table, took = timed(lambda: mesa_model.run_batch(rows, a.processes))
    return took, shared_of(table)  # type: ignore[arg-type]


def case_loop(a: argparse.Namespace) -> tuple[Timing, Shared]:
    from benchmarks.peers import loop_model

    rows = rows_of(design(a.experiments, a.seed), a.n)
    out, took = timed(lambda: loop_model.run_many(rows))
    return took, shared_of(pd.DataFrame(out))


CASES: dict[str, Callable[[argparse.Namespace], tuple[Timing, Shared]]] = {
    "spillover": case_spillover, "reference": case_reference, "kernel": case_kernel, "fused": case_fused,
    "numpy": case_numpy,
    "ema": case_ema, "mesa": case_mesa, "loop": case_loop,
}


def label(case: str, processes: int) -> str:
    """How a case is named in the table."""
    return {
        "spillover": f"spillover.run, workers={processes}",
        "reference": f"spillover.run, NumPy engine, workers={processes}",
        "kernel": "spillover engine kernel, 1 process",
        "fused": f"fused compiled kernel (prange), {processes} threads",
        "numpy": "hand-written NumPy over runs, 1 process",
        "ema": ("EMA SequentialEvaluator" if processes == 1
                else f"EMA MultiprocessingEvaluator(n_processes={processes})"),
        "mesa": f"Mesa batch_run(number_processes={processes})",
        "loop": "plain Python loop, 1 process",
    }[case]


def plan(a: argparse.Namespace) -> list[tuple[str, int, int]]:
    """(case, processes, experiments) in the order they run."""
    big, small = a.experiments, a.peer_experiments
    part = min(big, 100_000)  # the engine-only cases: enough to time, without minutes of NumPy
    cores = os.cpu_count() or 1
    every = [("spillover", 1, big), ("spillover", cores, big), ("fused", cores, big),
             ("reference", 1, small * 10), ("kernel", 1, part), ("numpy", 1, part),
             ("ema", 1, small),
             ("ema", 2, small), ("mesa", 1, small), ("mesa", 2, small), ("loop", 1, small)]
    return [c for c in every if c[0] in a.cases]


def run_case(a: argparse.Namespace, case: str, processes: int, n: int) -> dict:
    cmd = [sys.executable, __file__, "--one", case, "--processes", str(processes), "--n", str(n),
           "--experiments", str(a.experiments), "--seed", str(a.seed), "--chunk-size", str(a.chunk_size)]
    load = os.getloadavg()[0]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    res = json.loads(out.stdout.strip().splitlines()[-1])
    return {"case": case, "processes": processes, "n": n, "load": load, **res}


# ---- agreement and the printed table ---------------------------------------------------------

def differences(got: Shared, ref: Shared) -> tuple[float, float]:
    """Largest relative and absolute difference over the shared sets and all outcomes."""
    rel = ab = 0.0
    for name in OUTCOMES:
        x, y = np.asarray(got[name]), np.asarray(ref[name])
        d = np.abs(x - y)
        scale = np.maximum(np.abs(x), np.abs(y))
        rel = max(rel, float(np.max(np.where(d == 0, 0.0, d / np.where(scale == 0, 1.0, scale)))))
        ab = max(ab, float(np.max(d)))
    return rel, ab


def find(rows: list[dict], case: str, processes: int) -> dict | None:
    return next((r for r in rows if r["case"] == case and r["processes"] == processes), None)


def speed(rows: list[dict], case: str, processes: int, per: str = "wall") -> float | None:
    """Experiments per wall second (``per="wall"``) or per CPU second (``per="cpu"``)."""
    r = find(rows, case, processes)
    return r["n"] / r[per] if r else None


def table(rows: list[dict]) -> str:
    """The speed table: experiments/s and how many times faster spillover.run is."""
    lines = [f"{'harness':<45} {'experiments':>11} {'wall s':>7} {'CPU s':>7} {'exp/s':>9} "
             f"{'exp/CPU-s':>9} {'spillover ×':>11} {'load':>5}"]
    for r in rows:
        per_s, per_cpu = r["n"] / r["wall"], r["n"] / r["cpu"]
        ref = speed(rows, "spillover", r["processes"])
        ratio = f"{ref / per_s:,.1f}" if ref else "-"
        name = label(r["case"], r["processes"])
        lines.append(f"{name:<45} {r['n']:>11,} {r['wall']:>7.2f} {r['cpu']:>7.2f} {per_s:>9,.1f} "
                     f"{per_cpu:>9,.1f} {ratio:>11} {r['load']:>5.2f}")
    lines.append("spillover × = spillover.run's experiments/s with the same number of processes ÷ this row's."
                 "\nCPU s = user + system time of all the case's processes; load = 1-min load average at"
                 " its start.")
    return "\n".join(lines)


def targets(rows: list[dict]) -> str:
    """The issue's targets, on wall-clock throughput, with the CPU-time ratio beside them."""
    lines = []
    cores = os.cpu_count() or 1
    limit, ours_all = speed(rows, "fused", cores), speed(rows, "spillover", cores)
    if limit and ours_all:
        verdict = "met" if ours_all / limit >= TARGET_FUSED else "MISSED"
        lines.append(f"spillover.run workers={cores} ÷ {label('fused', cores)}: {ours_all / limit:.2f}× "
                     f"(target ≥ {TARGET_FUSED}×: {verdict})")
    checks = [("ema", 2, TARGET_EMA), ("mesa", 1, TARGET_MESA), ("mesa", 2, TARGET_MESA)]
    for case, procs, target in checks:
        peer, ours = speed(rows, case, procs), speed(rows, "spillover", procs)
        if peer and ours:
            cpu = speed(rows, "spillover", procs, "cpu") / speed(rows, case, procs, "cpu")  # type: ignore[operator]
            verdict = "met" if ours / peer >= target else "MISSED"
            lines.append(f"spillover.run workers={procs} ÷ {label(case, procs)}: {ours / peer:,.1f}× "
                         f"(target ≥ {target:.0f}×: {verdict}; per CPU second {cpu:,.1f}×)")
    return "\n".join(lines)


def coverage(shared: Shared, rates: np.ndarray) -> str:
    """What the shared sets exercise: shortfalls, a transfer cut by the supplier's stock, the race."""
    sh = {k: np.asarray(v) for k, v in shared.items()}
    short = np.column_stack([sh[f"first_shortfall.{a}.arms"] < 365 for a in ACTORS])
    cut = sh["delivered.t01"] < 365 * rates * (1 - 1e-12)
    above = np.column_stack([sh[f"days_above.x_{a}"] > 0 for a in ACTORS])
    return (f"  (in the shared sets: {int(short.any(axis=1).sum())} see an actor run short "
            f"({int(short.sum())} actor-sets), {int(cut.sum())} have the transfer cut by A0's stock, "
            f"{int(above.any(axis=1).sum())} cross the threshold; final.x_A0 spans "
            f"{sh['final.x_A0'].min():.3f} to {sh['final.x_A0'].max():.3f})")


def agreement(rows: list[dict], rates: np.ndarray) -> str:
    ref = next((r for r in rows if r["case"] == "spillover" and r["processes"] == 1), rows[0])
    lines = [f"agreement on {SHARED} shared parameter sets × {len(OUTCOMES)} outcomes, against "
             f"{label(ref['case'], ref['processes'])} (tolerance {TOLERANCE:g} relative):",
             coverage(ref["shared"], rates)]
    worst = 0.0
    for r in rows:
        if r is ref:
            continue
        rel, ab = differences(r["shared"], ref["shared"])
        worst = max(worst, rel)
        name = label(r["case"], r["processes"])
        lines.append(f"  {name:<48} max rel diff {rel:.2e}   max abs diff {ab:.2e}")
    verdict = "yes" if worst <= TOLERANCE else "NO"
    lines.append(f"  all agree: {verdict} (largest relative difference {worst:.2e})")
    return "\n".join(lines)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--experiments", type=int, default=400_000,
                    help="spillover.run's and the fused kernel's runs (default 400,000; the other "
                         "engine-only cases at most 100,000)")
    ap.add_argument("--peer-experiments", type=int, default=2_000,
                    help="experiments for each peer: EMA, Mesa and the loop (default 2,000)")
    ap.add_argument("--chunk-size", type=int, default=10_000, help="spillover's chunk size (default 10,000)")
    ap.add_argument("--seed", type=int, default=20240101)
    ap.add_argument("--cases", default=",".join(CASES),
                    help="comma-separated subset of: " + ", ".join(CASES))
    ap.add_argument("--json", type=Path, help="also write every case's figures to this file")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    a.cases = [c.strip() for c in a.cases.split(",") if c.strip()]
    unknown = sorted(set(a.cases) - set(CASES))
    if unknown:
        ap.error(f"unknown case(s) {', '.join(unknown)} (choose from {', '.join(CASES)})")
    if min(a.experiments, a.peer_experiments) < SHARED:
        ap.error(f"--experiments and --peer-experiments must be at least {SHARED} (the shared sets)")
    return a


def main() -> None:
    a = parse()
    if a.one:
        (wall, cpu), shared = CASES[a.one](a)
        print(json.dumps({"wall": wall, "cpu": cpu, "shared": shared}))
        return
    print(f"reference model: {SCENARIO.relative_to(ROOT)} (7 actors, 365 days, 18 inputs, "
          f"LHS seed {a.seed}); {os.cpu_count()} CPUs; Python {sys.version.split()[0]}", flush=True)
    rows = []
    for case, procs, n in plan(a):
        print(f"  running {label(case, procs)} on {n:,} experiments …", flush=True)
        rows.append(run_case(a, case, procs, n))
    print()
    print(table(rows))
    print()
    print(targets(rows))
    print()
    rates = design(a.experiments, a.seed).loc[: SHARED - 1, "transfer_rate"].to_numpy()
    print(agreement(rows, rates))
    if a.json:
        a.json.write_text(json.dumps(rows))


if __name__ == "__main__":
    main()
