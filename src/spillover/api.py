"""The library's front door: every CLI command is one of these functions."""

from __future__ import annotations

import datetime as dt
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from spillover.analysis.sections import enrich
from spillover.engine.simulate import engine_name
from spillover.ensemble.chunks import ChunkResult, pilot_spec
from spillover.ensemble.design import Design, FileDesign, given_design
from spillover.ensemble.executor import starting_pool
from spillover.ensemble.run import Ensemble, Plan, plan, run_ensemble, run_plan
from spillover.ensemble.variants import add_policies
from spillover.results.assemble import Assembler, canonical
from spillover.results.folder import FolderSink, ResumeRefused, RunFolder
from spillover.results.result import RunResult
from spillover.results.series import series_names
from spillover.results.store import command_line, default_out, versions, write_result
from spillover.scenario.load import builtin_names, builtin_path, load_scenario, resolve
from spillover.scenario.model import Scenario
from spillover.scenario.summary import summarize

Progress = Callable[[int, int], None]
IN_MEMORY_RUNS = 20_000  # a folder run's RunResult.outcomes holds at most these runs


@dataclass(frozen=True)
class ClaimSpec:
    """A claim of a scenario: its id, its sentence and the expression that tests it."""

    id: str
    text: str
    expr: str


def claims_of(sc: Scenario) -> list[ClaimSpec]:
    """The scenario's claims in file order."""
    return [ClaimSpec(c, x.text, x.expr) for c, x in sc.claims.items()]


def key_quantities(sc: Scenario) -> dict[str, str]:
    """The outcomes compared across policies: sustainment, miscalculation, peaks and events."""
    q: dict[str, str] = {}
    pairs = {(a, m) for a, by in sc.demand.items() for m in by}
    for f, t in sc.transfers.items():
        if (t.recipient, t.munition) in pairs:
            q[f"days_of_fire.{f}"] = f"days_of_fire.{f}"
    q["miscalc_peak"] = "miscalc_peak"
    q["miscalc_mean"] = "miscalc_mean"
    q.update({f"peak.{k}": f"peak.{k}" for k in sc.indicators})
    q.update({f"fired.{e}": f"fired.{e}" for e in sc.events})
    return q


def scenarios() -> pd.DataFrame:
    """The built-in scenarios: name, title, file."""
    rows = []
    for name in builtin_names():
        sc = load_scenario(name)
        rows.append({"name": name, "title": sc.title, "file": str(builtin_path(name))})
    return pd.DataFrame(rows, columns=["name", "title", "file"])


def validate(path: str | Path, strict: bool = False) -> Scenario:
    """Validate a scenario file (or built-in name); raises ScenarioError listing every problem."""
    return load_scenario(path, strict=strict)


def analysed_columns(sc: Scenario) -> list[str]:
    """The outcome columns that claims and the policy comparison read."""
    from spillover.analysis.expr import parse

    exprs = [c.expr for c in claims_of(sc)] + list(key_quantities(sc).values())
    return sorted(set().union(*(parse(e).columns() for e in exprs))) if exprs else []


def analyse(sc: Scenario, ens: Ensemble, manifest: dict[str, object],
            full: pd.DataFrame | None = None, claims_table: pd.DataFrame | None = None) -> RunResult:
    """Claims and paired policy comparison on an ensemble's outcomes.

    When ``ens.outcomes`` is only a sample of the runs (large folder runs), ``claims_table``
    holds the claims counted over every run and ``full`` every run's compared columns
    (None with one policy); claims and comparisons always use every run.
    """
    from spillover.analysis.claims import evaluate_claims
    from spillover.analysis.compare import paired_differences

    claims = claims_of(sc)
    every = ens.outcomes if full is None else full
    table = evaluate_claims(every, claims) if claims_table is None else claims_table
    baseline = ens.policies[0]
    if len(ens.policies) > 1:
        comparison = paired_differences(every, baseline, key_quantities(sc), claims)
    else:
        comparison = pd.DataFrame(columns=["policy", "baseline", "quantity", "kind", "n", "mean_diff",
                                           "lo", "hi", "share_lower", "share_higher"])
    return RunResult(
        scenario_summary=summarize(sc), manifest=manifest, experiments=ens.experiments,
        outcomes=ens.outcomes, series=ens.series, claims=table, comparison=comparison,
    )


class _SeriesWriter:
    """Writes each chunk's per-run daily series as a Parquet part (``--save-series``)."""

    def __init__(self, folder: Path, policies: list[str], names: list[str]) -> None:
        self.folder, self.policies, self.names = folder, policies, names
        folder.mkdir(exist_ok=True)

    def __call__(self, res: ChunkResult) -> None:
        if res.series is None:
            return
        T, rows, _ = res.series.shape
        n = len(res.runs)
        day = np.repeat(np.arange(T), rows)
        policy = np.tile(np.repeat(np.array(self.policies, dtype=object), n), T)
        run = np.tile(res.runs, len(self.policies) * T)
        cols = {"run": run, "policy": policy, "day": day}
        cols.update({name: res.series[:, :, j].ravel() for j, name in enumerate(self.names)})
        pq.write_table(pa.table(cols), self.folder / f"part-{int(res.runs[0]):012d}.parquet")


def run(
    scenario: str | Path | Scenario = "nk-russia-2023",
    runs: int = 1000,
    seed: int = 0,
    policies: Sequence[str] | None = None,
    design: Design = "lhs",
    chunk_size: int = 1000,
    workers: int = 1,
    out: str | Path | None = None,
    save_series: bool = False,
    report: bool = True,
    progress: Progress | None = None,
    extra_policies: Mapping[str, Mapping[str, float]] | None = None,
    counterfactual: bool = True,
    pool: Executor | None = None,
    executor: str = "local",
    scheduler: str | None = None,
    experiments: pd.DataFrame | None = None,
) -> RunResult:
    """Run a scenario's ensemble under its policies and analyse it.

    Parameters
    ----------
    scenario
        Built-in name, path of a YAML file, or a loaded :class:`Scenario`.
    runs, seed, design
        Number of runs, the seed (results are identical for a seed whatever ``chunk_size``,
        ``workers`` and ``executor``) and the design: ``lhs`` (default), ``sobol`` or ``mc``.
    policies
        Policy names to run (default: all, the first is the baseline of comparisons).
    out
        Folder to write (``"auto"`` for ``runs/<scenario>-<UTC timestamp>``); ``None``
        keeps everything in memory. Written as ``<out>.partial`` while running, with each
        chunk's outcomes streamed to ``outcomes.parquet/``; see :func:`resume`.
    save_series
        Also write every run's daily series (``series_full/``); needs ``out``.
    extra_policies
        Policies defined at run time: ``{"half-cap": {"cap": 0.5}}``; unset levers keep
        their defaults. Name them in ``policies`` to run only those.
    counterfactual
        Also run every policy without transfers (``*_without_transfers`` outcomes).
    pool
        An existing executor to run chunks on (a server's warm process pool).
    executor, scheduler
        ``local`` or ``dask``; with ``dask``, the address of an existing scheduler, or
        ``None`` for a local cluster of ``workers`` processes.
    experiments
        A given experiments table instead of the design, e.g. a calibration's posterior
        (``spillover.analysis.posterior_design``); ``runs`` is then its length.

    Returns
    -------
    RunResult
        Aligned pandas tables: experiments, outcomes, series, claims, comparison. A run
        folder of more than 20,000 runs keeps its first 20,000 runs in ``outcomes`` and
        ``experiments`` (``extra["outcomes_sample_runs"]``), so that memory does not grow
        with the runs; claims and comparisons always use every run, and the full tables are
        in the folder (``pandas.read_parquet(res.path / "outcomes.parquet")`` or DuckDB).

    Examples
    --------
    >>> import spillover
    >>> res = spillover.run("nk-russia-2023", runs=64, seed=1)
    >>> sorted(res.outcomes["policy"].unique())[:2]
    ['covert-limited', 'status-quo']
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(resolve(scenario))
    if extra_policies:
        sc = add_policies(sc, extra_policies)
    started = time.perf_counter()
    if save_series and out is None:
        raise ValueError("--save-series needs a run folder (--out)")
    if experiments is not None:
        runs = len(experiments)
    tick = _ticker(runs, progress)
    if out is None:
        ens = run_ensemble(sc, runs, seed, policies, design, chunk_size, workers, on_chunk=tick,
                           counterfactual=counterfactual, pool=pool, executor=executor, scheduler=scheduler,
                           experiments=experiments)
        return _finish(sc, ens, _manifest(sc, ens.policies, runs, seed, design, chunk_size, workers), started)
    pl = plan(sc, runs, seed, policies, design, chunk_size, counterfactual=counterfactual,
              save_series=save_series)
    final = default_out(sc.name) if str(out) == "auto" else Path(out)
    manifest = _manifest(sc, pl.policies, runs, seed, design, chunk_size, workers)
    manifest.update(variants=[v.name for v in pl.batch.variants], save_series=save_series,
                    executor=executor)
    if experiments is not None:
        given = given_design(pl.structure.inputs, experiments)
        manifest["design"] = "given"
    folder = RunFolder.create(final, manifest)
    if experiments is not None:
        FileDesign(folder.path / "design", pl.structure.inputs, runs).write_table(given)
    return _run_in_folder(sc, pl, folder, workers, executor, scheduler, pool, tick, report, started)


def resume(
    path: str | Path,
    workers: int = 1,
    executor: str = "local",
    scheduler: str | None = None,
    report: bool = True,
    progress: Progress | None = None,
) -> RunResult:
    """Finish an interrupted run: only its missing chunks run, with the same results.

    Refused (``ResumeRefused``) when the scenario file changed, or the run was started by
    another version of spillover.
    """
    folder = RunFolder.open(Path(path))
    m = folder.manifest
    sc = load_scenario(resolve(m["scenario_file"]))
    pol_names = [n for n in m["variants"] if "|" not in n]
    extra = {p: {} for p in pol_names if p not in sc.policies}
    if extra:
        raise ResumeRefused(f"cannot resume {folder.path}: it ran policies set at run time "
                            f"({', '.join(extra)}), which the scenario file does not hold")
    pl = plan(sc, m["runs"], m["seed"], m["policies"], m["design"], m["chunk_size"],
              counterfactual=any("|" in n for n in m["variants"]), save_series=m.get("save_series", False))
    expected = {"scenario_sha256": sc.sha256, "variants": [v.name for v in pl.batch.variants],
                "versions": versions(), "engine": engine_name()}
    folder.check_resume(expected)
    folder.reconcile()
    folder.discard_unfinished_parts()
    return _run_in_folder(sc, pl, folder, workers, executor, scheduler, None, _ticker(pl.runs, progress),
                          report, time.perf_counter())


def _ticker(total: int, progress: Progress | None) -> Callable[[ChunkResult], None]:
    done = [0]

    def tick(res: ChunkResult) -> None:
        done[0] += len(res.runs)
        if progress:
            progress(done[0], total)

    return tick


def _manifest(sc: Scenario, policies: list[str], runs: int, seed: int, design: str, chunk_size: int,
              workers: int) -> dict[str, object]:
    return {
        "scenario": sc.name, "scenario_file": sc.origin, "scenario_sha256": sc.sha256, "seed": seed,
        "design": design, "runs": runs, "policies": policies, "chunk_size": chunk_size,
        "workers": workers, "engine": engine_name(), "versions": versions(),
        "command": command_line(f"spillover.run({sc.name!r}, runs={runs}, seed={seed}, design={design!r}, "
                                f"policies={policies!r}, chunk_size={chunk_size})"),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def _run_in_folder(sc: Scenario, pl: Plan, folder: RunFolder, workers: int, executor: str,
                   scheduler: str | None, pool: Executor | None, tick: Callable[[ChunkResult], None],
                   report: bool, started: float) -> RunResult:
    """Design on disk, chunks streamed as parts, checkpoints, then the analysis and the rename."""
    t0 = time.perf_counter()
    with starting_pool(workers, executor, pool) as pool:  # workers start while the design is made
        source = FileDesign(folder.path / "design", pl.structure.inputs, pl.runs)
        if not source.complete():
            source.write(pl.seed, pl.design)
        if not (folder.path / "experiments.parquet").exists():
            source.write_parquet(folder.path / "experiments.parquet")
        t1 = time.perf_counter()
        spec = folder.load_spec()
        if spec is None:
            spec = pilot_spec(pl.batch, source)
            folder.save_spec(spec)
        pl.batch.spec = spec
        t2 = time.perf_counter()
        asm = Assembler(pl.batch)
        sink = FolderSink(folder, asm)
        hooks = [tick]
        if pl.batch.save_series:
            names = series_names(pl.structure)
            hooks.insert(0, _SeriesWriter(folder.path / "series_full", pl.policies, names))
        run_plan(pl, source, sink, skip=folder.finished, workers=workers, executor=executor,
                 scheduler=scheduler, pool=pool, on_chunk=lambda r: [h(r) for h in hooks])
    sink.flush()
    t3 = time.perf_counter()
    data = folder.outcomes_dataset()
    sample = pl.runs > IN_MEMORY_RUNS
    kept = ds.field("run") < IN_MEMORY_RUNS if sample else None
    ens = Ensemble(structure=pl.structure,
                   experiments=_read(folder.path / "experiments.parquet", max_runs=IN_MEMORY_RUNS),
                   outcomes=canonical(folder.outcomes_dataset(IN_MEMORY_RUNS if sample else None)
                                      .to_table(filter=kept).to_pandas(), pl.policies),
                   series=asm.series(sc.start), policies=pl.policies)
    full = table = None
    if sample:  # claims are counted part by part; comparisons read only their columns
        table = _claims_over(data, sc, pl.policies)
        if len(pl.policies) > 1:
            cols = ["run", "policy", *analysed_columns(sc)]
            full = canonical(_dictionary_policy(data.to_table(columns=cols)).to_pandas(), pl.policies)
    ens.timings = {"design": t1 - t0, "pilot": t2 - t1, "simulate": t3 - t2,
                   "assemble": time.perf_counter() - t3}
    m = folder.manifest
    result = _finish(sc, ens, m, started, full, table)
    if sample:
        result.extra["outcomes_sample_runs"] = IN_MEMORY_RUNS
    write_result(result, folder.path, outcomes=False)
    if report:
        from spillover.report.html import write_report

        write_report(result, folder.path / "report.html")
    result.path = folder.complete()
    return result


def _claims_over(data: ds.Dataset, sc: Scenario, policies: list[str]) -> pd.DataFrame:
    """The claims table counted over every run of a folder's outcomes, a batch at a time."""
    from spillover.analysis.claims import claim_counts, claims_table
    from spillover.analysis.expr import parse

    claims = claims_of(sc)
    cols = sorted(set().union(*(parse(c.expr).columns() for c in claims))) if claims else []
    n = np.zeros(len(policies), dtype=np.int64)
    k = np.zeros((len(claims), len(policies)), dtype=np.int64)
    for batch in data.to_batches(columns=["policy", *cols], batch_size=1 << 16):
        if batch.num_rows == 0:
            continue
        seen, nb, kb = claim_counts(batch.to_pandas(), claims)
        at = [policies.index(p) for p in seen]
        n[at] += nb
        k[:, at] += kb
    return claims_table(claims, policies, n, k)


def _dictionary_policy(table: pa.Table) -> pa.Table:
    """The policy column dictionary-encoded: a category in pandas, not a string per row."""
    i = table.schema.get_field_index("policy")
    return table.set_column(i, "policy", table.column(i).dictionary_encode())


def _read(path: Path, max_runs: int) -> pd.DataFrame:
    return pq.read_table(path, filters=[("run", "<", max_runs)]).to_pandas()
def _finish(sc: Scenario, ens: Ensemble, manifest: dict[str, object], started: float,
            full: pd.DataFrame | None = None, claims_table: pd.DataFrame | None = None) -> RunResult:
    manifest["policies"] = ens.policies
    timings = dict(ens.timings)
    t = time.perf_counter()
    result = analyse(sc, ens, manifest, full, claims_table)
    enrich(result, sc)  # orders of effect and the regret table: cheap, in every report
    timings["analyse"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
    manifest["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result
