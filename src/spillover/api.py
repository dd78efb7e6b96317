"""The library's front door: every CLI command is one of these functions.

They only connect the layers: a scenario is loaded (:mod:`spillover.scenario`), planned and
executed by the one runner (:func:`spillover.ensemble.runner.execute`) into a sink of
:mod:`spillover.results`, analysed (:mod:`spillover.analysis`) and written with its report
(:mod:`spillover.report`).
"""

from __future__ import annotations

import datetime as dt
import errno
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import BrokenExecutor
from pathlib import Path
from typing import Any

import pandas as pd

from spillover.analysis.cases import CaseRequest
from spillover.analysis.evidence import EvidenceContradicts
from spillover.analysis.evidence_run import EvidenceRun
from spillover.engine.finite import NonFiniteError
from spillover.ensemble.dask_executor import SchedulerUnreachable
from spillover.ensemble.design import DESIGNS, FileDesign, given_runs
from spillover.ensemble.runner import Plan, execute, plan
from spillover.ensemble.settings import Execution
from spillover.ensemble.variants import add_policies
from spillover.results.assemble import Assembler, Ensemble, run_in_memory
from spillover.results.folder import (
    IN_MEMORY_RUNS,
    FolderSink,
    NoSpace,
    ResumeRefused,
    RunFolder,
    WorkerLost,
    no_space,
)
from spillover.results.manifest import build_manifest, peak_rss_mb, versions
from spillover.results.result import RunResult
from spillover.results.store import default_out, write_result
from spillover.scenario.load import builtin_names, builtin_path, load_scenario, resolve
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import claims_read_twins
from spillover.scenario.summary import summarize

__all__ = ["Execution", "analyse", "audit", "outcomes", "resume", "run", "scenarios", "validate", "warmup"]


def scenarios() -> pd.DataFrame:
    """The built-in scenarios: name, title, file."""
    rows = []
    for name in builtin_names():
        sc = load_scenario(name)
        rows.append({"name": name, "title": sc.title, "file": str(builtin_path(name))})
    return pd.DataFrame(rows, columns=["name", "title", "file"])


def outcomes(scenario: str | Path | Scenario = "nk-russia-2023") -> pd.DataFrame:
    """Every outcome column a run of the scenario writes, with what it measures.

    One row per column: ``column``, ``family``, ``group``, ``kind`` (number, day or flag),
    ``counterfactual`` (a ``*_without_transfers`` twin), ``headline``, ``compared``,
    ``prefer`` and ``description``.

    >>> outcomes("nk-russia-2023").iloc[0][["column", "group"]].tolist()
    ['shipped.prk_rus_shells', 'sustainment']
    """
    from spillover.scenario.outcomes import family_of, is_twin, outcome_names

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(resolve(scenario))
    rows = []
    for column in outcome_names(sc):
        fam = family_of(column)
        assert fam is not None
        twin = is_twin(column)
        headline = bool(fam.headline) and (fam.headline == "twin" or not twin)
        note = " In the counterfactual without transfers." if twin else ""
        rows.append({"column": column, "family": fam.name, "group": fam.group, "kind": fam.kind,
                     "counterfactual": twin, "headline": headline, "compared": fam.compared and not twin,
                     "prefer": fam.prefer, "description": fam.describe(_unit_of(sc, column)) + note})
    return pd.DataFrame(rows)


def _unit_of(sc: Scenario, column: str) -> str | None:
    """The unit of the munition a column is keyed by (``fired_total.RUS.drone``: drones)."""
    return next((sc.munitions[p].unit for p in column.split(".")[1:] if p in sc.munitions), None)



def audit(scenario: str | Path | Scenario = "nk-russia-2023", runs: int = 1000, seed: int = 0,
          **options: Any) -> pd.DataFrame:
    """Every number of a scenario with its tag, and how much of each claim rests on judgment.

    One row per number written in the file (``kind`` ``number``): its ``path``, the sampled
    ``input`` it belongs to, its ``value`` as written, its range (``low``, ``high``), its
    ``tag`` (``sourced``, ``judgment`` or ``unsourced``), its ``source`` keys and its
    ``rationale`` (the number's note, or the one-line rationale of the claim, policy or
    indicator a plain number belongs to). Then one row per claim (``kind`` ``claim``) with the
    shares of its attribution from judged and from sourced inputs (``judgment_share``,
    ``sourced_share``) and its drivers in ``rationale``, from ``runs`` runs of the baseline
    policy (the attribution the report's headline uses). ``options`` are further
    :class:`~spillover.ensemble.settings.Execution` fields (``workers``, ...).

    >>> t = audit("nk-russia-2023", runs=200, seed=1)
    >>> sorted(set(t["kind"])), t.loc[t["input"] == "rus_fire_rate", "tag"].iloc[0]
    (['claim', 'number'], 'judgment')
    """
    from spillover.analysis.audit import audit_table

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(resolve(scenario))
    result = run(sc, runs=runs, seed=seed, policies=[next(iter(sc.policies))], report=False, **options)
    return audit_table(sc, result)


def warmup(prebuild: bool = True) -> dict[str, Any]:
    """Compile the engine's step once for this machine, so that the first real run starts at
    once: ``spillover warmup``.

    With ``prebuild`` (the default) the step is built ahead of time into a small extension
    module (:mod:`spillover.engine.prebuilt`), which every later run and worker loads
    whatever Numba's cache holds; when it cannot be built here, or with ``prebuild=False``,
    the step is compiled by Numba and cached as before. The small kernel behind the claims'
    drivers (:mod:`spillover.analysis.ks`) is compiled into Numba's cache.

    Returns ``{"compiled": bool, "prebuilt": str | None, "problem": str | None,
    "seconds": float}``: whether anything had to be compiled, the prebuilt step's path (None
    when it was not asked for or runs use Numba's cached step), why it could not be built,
    and how long it all took.
    """
    from spillover.engine import prebuilt
    from spillover.engine.compiled import build_prebuilt, prebuilt_fits, warm
    from spillover.engine.jit import run_days

    t = time.perf_counter()
    before = len(run_days.stats.cache_misses)
    built, problem = False, None
    if prebuild and prebuilt.enabled() and not prebuilt_fits():
        try:
            build_prebuilt()
            built = True
        except RuntimeError as exc:
            problem = str(exc)
    warm(ahead=prebuild)
    _warm_drivers()
    found = prebuilt.prebuilt_path() if prebuild and prebuilt_fits() else None
    return {"compiled": built or len(run_days.stats.cache_misses) > before,
            "prebuilt": str(found) if found else None, "problem": problem,
            "seconds": time.perf_counter() - t}


def _warm_drivers() -> None:
    """Compile (or load from Numba's cache) the kernel behind each claim's drivers."""
    import numpy as np

    from spillover.analysis.drivers import ks_scores

    ks_scores(np.arange(4.0)[:, None], [True, False, True, False])


def validate(path: str | Path, strict: bool = False, evidence: Sequence[str | Path] = ()) -> Scenario:
    """Validate a scenario file (or built-in name) and any evidence files for it; raises
    ScenarioError listing every problem."""
    sc = load_scenario(path, strict=strict)
    if evidence:
        from spillover.scenario.evidence_load import load_evidence

        load_evidence(list(evidence), sc)
    return sc


def analyse(sc: Scenario, ens: Ensemble, manifest: dict[str, Any],
            full: pd.DataFrame | None = None, claims_table: pd.DataFrame | None = None) -> RunResult:
    """Claims and paired policy comparison on an ensemble's outcomes.

    When ``ens.outcomes`` is only a sample of the runs (large folder runs), ``claims_table``
    holds the claims counted over every run and ``full`` every run's compared columns
    (None with one policy); claims and comparisons always use every run.
    """
    from spillover.analysis.claims import claims_of, evaluate_claims
    from spillover.analysis.compare import compare_policies

    every = ens.outcomes if full is None else full
    table = evaluate_claims(every, claims_of(sc)) if claims_table is None else claims_table
    return RunResult(
        scenario_summary=summarize(sc), manifest=manifest, experiments=ens.experiments,
        outcomes=ens.outcomes, series=ens.series, claims=table,
        comparison=compare_policies(every, sc, ens.policies),
    )


def run(
    scenario: str | Path | Scenario = "nk-russia-2023",
    settings: Execution | None = None,
    *,
    policies: Sequence[str] | None = None,
    extra_policies: Mapping[str, Mapping[str, float]] | None = None,
    experiments: pd.DataFrame | None = None,
    counterfactual: bool = True,
    out: str | Path | None = None,
    save_series: bool = False,
    report: bool = True,
    command: str | None = None,
    on_analysed: Callable[[RunResult], None] | None = None,
    cases: bool | Sequence[str] = False,
    case: str | None = None,

    evidence: Sequence[str | Path] | None = None,
    as_of: dt.date | str | None = None,
    resample: bool = False,
    **options: Any,
) -> RunResult:
    """Run a scenario's ensemble under its policies and analyse it.

    Parameters
    ----------
    scenario
        Built-in name, path of a YAML file, or a loaded :class:`Scenario`.
    settings, options
        How to run: an :class:`~spillover.ensemble.settings.Execution`, and/or its fields as
        keywords (``runs``, ``seed``, ``design``, ``chunk_size``, ``workers``, ``executor``,
        ``scheduler``, ``pool``, ``progress``). Results for a seed are identical whatever
        ``chunk_size``, ``workers`` and ``executor``.
    policies
        Policy names to run (default: all, the first is the baseline of comparisons).
    extra_policies
        Policies defined at run time: ``{"half-cap": {"cap": 0.5}}``; unset levers keep
        their defaults. Name them in ``policies`` to run only those.
    experiments
        A given experiments table instead of the design, e.g. a calibration's posterior
        (``spillover.analysis.posterior_design``); the runs are then its rows.
    counterfactual
        Also run every policy without transfers (``*_without_transfers`` outcomes). Always on
        when a claim reads such an outcome, so that the claim can be evaluated.
    out
        Folder to write (``"auto"`` for ``runs/<scenario>-<UTC timestamp>``); ``None``
        keeps everything in memory. Written as ``<out>.partial`` while running, with each
        chunk's outcomes streamed to ``outcomes.parquet/``; see :func:`resume`.
    save_series
        Also write every run's daily series (``series_full/``); needs ``out``.
    report
        Write ``report.html`` into the folder.
    command
        The command line that started the run, for the manifest (default: the Python call).
    on_analysed
        Called with the result as soon as the claims and comparisons are known, before the
        folder's tables and report are written (the command line prints the claims then).
    cases
        Also run the scenario's cases (``True``: every case; or a list of names) on the
        same runs (common random numbers): each claim's probability per case is in
        :attr:`RunResult.cases`, the kept outcomes in ``extra["case_outcomes"]``, and the
        range across cases in the headline. The scenario's own tables are unchanged.
    case
        Run one case instead of the scenario as written: the runs' inputs and the claims as
        that case reads them (the same runs as the case has under ``cases``).

    evidence, as_of
        Evidence files (``*.evidence.yaml`` or ``.csv``; ``[]`` for the scenario's own
        ``evidence:`` alone) to condition the ensemble on, using the observations known on
        ``as_of`` (default: all). Each run gets a weight (``weights.parquet`` in a folder),
        and ``extra["evidence"]`` holds the prior and posterior claims, the inputs the
        evidence moved and each observation's fit (see docs/evidence.md). Without
        ``evidence`` nothing changes.
    resample
        When the evidence leaves an effective sample size below the floor, run
        resample-move (:mod:`spillover.analysis.smc`) until it recovers.

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
    >>> list(res.outcomes["policy"].unique())[:2]
    ['status-quo', 'recommended']
    """
    started = time.perf_counter()
    ex = Execution.of(settings, options)
    if experiments is not None:
        ex = ex.but(runs=given_runs(experiments))
    if save_series and out is None:
        raise ValueError("--save-series needs a run folder (--out)")
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(resolve(scenario))
    if extra_policies:
        sc = add_policies(sc, extra_policies)
    counterfactual = counterfactual or claims_read_twins(sc)
    todo = CaseRequest.of(sc, cases, case, experiments, ex, counterfactual)
    pl = _plan(sc, case, ex.seed, policies, counterfactual, save_series)
    if resample and experiments is not None:
        raise ValueError("--resample draws new runs from the scenario's design; it does not go with "
                         "given experiments (--posterior)")
    ev = EvidenceRun.load(evidence, as_of, pl, resample) if evidence is not None else None
    manifest = build_manifest(pl, ex, command)
    manifest.update({"case": case} if case else {}, cases=todo.names if todo else [])
    manifest.update({"evidence_request": ev.request()} if ev is not None else {})
    if out is None:
        ens = run_in_memory(pl, ex, experiments)
        result = _finish(pl.scenario, ens, manifest, started, cases=todo)
        if ev is not None:
            ev.apply(result, ens, ex)
        if on_analysed is not None:
            on_analysed(result)
        return result
    manifest.update(variants=[v.name for v in pl.batch.variants], save_series=save_series,
                    executor=ex.executor, report=report)
    if experiments is not None:
        manifest["design"] = "given"
    folder = RunFolder.create(default_out(sc.name) if str(out) == "auto" else Path(out), manifest)
    source = FileDesign(folder.path / "design", pl.structure.inputs, ex.runs, ex.seed, ex.design, experiments,
                        parquet=folder.path / "experiments.parquet")
    try:
        return _run_in_folder(pl, folder, source, ex, report, started, on_analysed, todo, ev)
    except SchedulerUnreachable:
        shutil.rmtree(folder.path, ignore_errors=True)  # nothing ran: no folder to resume
        raise


def _plan(sc: Scenario, case: str | None, seed: int, policies: Sequence[str] | None, counterfactual: bool,
          save_series: bool) -> Plan:
    """The plan of the scenario as written, or of one of its cases."""
    if case is None:
        return plan(sc, seed, policies, counterfactual=counterfactual, save_series=save_series)
    from spillover.analysis.cases import plan_case

    return plan_case(sc, case, seed, policies, counterfactual=counterfactual, save_series=save_series)


def resume(path: str | Path, settings: Execution | None = None, *, report: bool | None = None,
           on_analysed: Callable[[RunResult], None] | None = None, **options: Any) -> RunResult:
    """Finish an interrupted run: only its missing chunks run, with the same results.

    ``report`` writes ``report.html`` (default: as the interrupted run chose).

    ``settings``/``options`` may set how it runs (``workers``, ``executor``,
    ``scheduler``, ``progress``); what it computes comes from the folder's manifest.
    Refused (``ResumeRefused``) when the scenario file changed, or the run was started by
    another version of spillover. A run with evidence applies it again (refused when an
    evidence file changed).
    """
    folder = RunFolder.open(Path(path))
    try:
        pl, source, ex = _resumable(folder, Execution.of(settings, options))
        ev = EvidenceRun.resumed(folder, pl)
    except BaseException:
        folder.unlock()
        raise
    m = folder.manifest
    base = load_scenario(resolve(m["scenario_file"])) if m.get("cases") else None
    todo = CaseRequest(base, list(m["cases"]), ex, any("|" in n for n in m["variants"])) if base else None
    write = bool(m.get("report", True)) if report is None else report
    m.setdefault("resumed", []).append({  # the manifest's workers, command and created stay the start's
        "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "workers": ex.workers,
        "executor": ex.executor, "chunks_done_before": len(folder.finished)})
    return _run_in_folder(pl, folder, source, ex, write, time.perf_counter(), on_analysed, todo, ev)


def _resumable(folder: RunFolder, settings: Execution) -> tuple[Plan, FileDesign, Execution]:
    """Check an interrupted run against its scenario and repair it; its plan, design and settings."""
    m = folder.manifest
    sc = load_scenario(resolve(m["scenario_file"]))
    if any(p not in sc.policies for p in m["policies"]):
        extra = [p for p in m["policies"] if p not in sc.policies]
        raise ResumeRefused(f"cannot resume {folder.path}: it ran policies set at run time "
                            f"({', '.join(extra)}), which the scenario file does not hold")
    given = m["design"] not in DESIGNS
    ex = settings.but(runs=m["runs"], seed=m["seed"], chunk_size=m["chunk_size"],
                      design="lhs" if given else m["design"])
    pl = _plan(sc, m.get("case"), ex.seed, m["policies"], any("|" in n for n in m["variants"]),
               m.get("save_series", False))
    folder.check_resume({"scenario_sha256": sc.sha256, "variants": [v.name for v in pl.batch.variants],
                         "versions": versions(), "engine": pl.batch.engine})
    source = FileDesign(folder.path / "design", pl.structure.inputs, ex.runs, ex.seed, ex.design,
                        parquet=folder.path / "experiments.parquet")
    if given and not source.complete():
        raise ResumeRefused(f"cannot resume {folder.path}: its experiments were given, and their copy in "
                            f"{folder.path / 'design'} is incomplete; run it again")
    from spillover.engine.series import series_names

    folder.counts_shape = (pl.structure.T, len(pl.batch.policy_blocks), len(series_names(pl.structure)))
    folder.reconcile()
    folder.repair()
    folder.discard_unfinished_parts()
    return pl, source, ex


def _run_in_folder(pl: Plan, folder: RunFolder, source: FileDesign, ex: Execution, report: bool,
                   started: float, on_analysed: Callable[[RunResult], None] | None = None,
                   cases: CaseRequest | None = None, ev: EvidenceRun | None = None) -> RunResult:
    """Design on disk, chunks streamed as parts, checkpoints, then the analysis and the rename.

    A full disk at any step raises :class:`~spillover.results.folder.NoSpace`, naming the
    folder to resume once there is room; a dead worker process
    :class:`~spillover.results.folder.WorkerLost`, naming the folder to resume.
    """
    try:
        return _fill_folder(pl, folder, source, ex, report, started, on_analysed, cases, ev)
    except (EvidenceContradicts, NonFiniteError):
        # no folder that looks like a result, nor one to resume: the same inputs fail again
        shutil.rmtree(folder.path, ignore_errors=True)
        raise
    except BrokenExecutor as exc:
        raise WorkerLost(f"a worker process died (killed, or out of memory?) while writing {folder.path}; "
                         f"finish the run with: spillover run --resume {folder.final}") from exc
    except OSError as exc:
        if no_space(exc, folder.path):
            raise NoSpace(errno.ENOSPC, f"no space left on device while writing {folder.path}; free some "
                          f"space, then finish the run with: spillover run --resume {folder.final}") from exc
        raise
    finally:
        folder.unlock()


def _fill_folder(pl: Plan, folder: RunFolder, source: FileDesign, ex: Execution, report: bool,
                 started: float, on_analysed: Callable[[RunResult], None] | None,
                 cases: CaseRequest | None = None, ev: EvidenceRun | None = None) -> RunResult:
    from spillover.engine.series import series_names

    asm = Assembler(pl.batch)
    names = series_names(pl.structure) if pl.batch.save_series else None
    timings = execute(pl, source, FolderSink(folder, asm, pl.policies, names), ex)
    t = time.perf_counter()
    sample = ex.runs > IN_MEMORY_RUNS
    experiments, outcomes = folder.sample(IN_MEMORY_RUNS if sample else None, pl.policies)
    ens = Ensemble(structure=pl.structure, experiments=experiments, outcomes=outcomes,
                   series=asm.series(pl.scenario.start), policies=pl.policies, observed=asm.observed_table())
    ens.timings = {**timings, "assemble": time.perf_counter() - t}
    full = table = None
    if sample:  # claims are counted part by part; comparisons read only their columns
        from spillover.analysis.claims import claims_of, claims_over
        from spillover.analysis.compare import analysed_columns

        table = claims_over(folder.outcomes_dataset(), claims_of(pl.scenario), pl.policies)
        if len(pl.policies) > 1:
            full = folder.columns(analysed_columns(pl.scenario), pl.policies)
    count = None
    if sample and cases is not None:
        from spillover.analysis.claims import claims_over

        def count(claims: Sequence[Any]) -> pd.DataFrame:
            return claims_over(folder.outcomes_dataset(), claims, pl.policies)

    result = _finish(pl.scenario, ens, folder.manifest, started, full, table, cases, count)
    if sample:
        result.extra["outcomes_sample_runs"] = IN_MEMORY_RUNS
    if ev is not None:
        ev.apply(result, ens, ex, folder if sample else None)
    if on_analysed is not None:
        on_analysed(result)
    write_result(result, folder.path, outcomes=False)
    if "case_outcomes" in result.extra:
        from spillover.results.store import write_table

        write_table(folder.path / "case_outcomes.parquet", result.extra["case_outcomes"])

    if ev is not None:
        ev.write(result, folder.path)
    if report:
        from spillover.report.html import write_report

        write_report(result, folder.path / "report.html")
    result.path = folder.complete()
    return result


def _finish(sc: Scenario, ens: Ensemble, manifest: dict[str, Any], started: float,
            full: pd.DataFrame | None = None, claims_table: pd.DataFrame | None = None,
            cases: CaseRequest | None = None,
            count: Callable[[Sequence[Any]], pd.DataFrame] | None = None) -> RunResult:
    from spillover.analysis.headline import headline_sections
    from spillover.analysis.sections import enrich

    manifest["policies"] = ens.policies
    timings = dict(ens.timings)
    t = time.perf_counter()
    result = analyse(sc, ens, manifest, full, claims_table)
    enrich(result, sc)  # orders of effect and the regret table: cheap, in every report
    done = None
    if cases is not None:
        done = cases.run(ens, count)
        result.extra["case_outcomes"] = done.outcomes
        timings["cases"] = sum(done.seconds.values())
    result.extra["analysis"].update(headline_sections(result, done))  # drivers and the first screen
    timings["analyse"] = time.perf_counter() - t - timings.get("cases", 0.0)
    timings["total"] = time.perf_counter() - started
    manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
    manifest["peak_rss_mb"] = peak_rss_mb()
    return result


def backtest(scenario: str | Path | Scenario, evidence: Sequence[str | Path], origins: Sequence[Any],
             settings: Execution | None = None, *, out: str | Path | None = None, command: str | None = None,
             report: bool = True, **options: Any) -> dict[str, Any]:
    """Forecast every observation dated after each origin from what was known at the origin.

    Returns ``{"table": ..., "scorecard": ..., "manifest": ..., "path": ...}``: one row
    per (origin, observation, method) with CRPS, 50%/90% coverage and PIT for numbers,
    Brier and log score for yes/no reports (see :mod:`spillover.analysis.backtest`); and
    the mean scores per origin, unit and method. With ``out``, ``backtest.parquet``,
    ``scorecard.parquet``, ``manifest.json`` and (``report``) ``backtest.html``, a plot of
    each method's CRPS by origin with the scorecard, are written there.
    """
    from spillover.analysis.backtest import check_targets, checked_origins, run_backtest, scorecard
    from spillover.scenario.evidence_load import load_evidence

    started = time.perf_counter()
    ex = Execution.of(settings, options)
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(resolve(scenario))
    days = checked_origins(sc.start, sc.horizon, origins)
    evset = load_evidence(list(evidence), sc)
    check_targets(evset.observations, days)
    table, timings = run_backtest(sc, evset, days, ex)
    card = scorecard(table)
    manifest = {"scenario": sc.name, "scenario_sha256": sc.sha256, "seed": ex.seed, "runs": ex.runs,
                "design": ex.design, "origins": [d.isoformat() for d in days], "policy": evset.policy,
                "evidence": evset.files, "versions": versions(), "command": command,
                "timings": {**{k: round(v, 3) for k, v in timings.items()},
                            "total": round(time.perf_counter() - started, 3)}}
    path = None
    if out is not None:
        from spillover.results.store import write_json, write_table

        path = default_out(f"{sc.name}-backtest") if str(out) == "auto" else Path(out)
        path.mkdir(parents=True, exist_ok=True)
        write_table(path / "backtest.parquet", table)
        write_table(path / "scorecard.parquet", card)
        write_json(path / "manifest.json", manifest)
        if report:
            from spillover.report.backtest import write_backtest_report

            write_backtest_report(table, card, manifest, path / "backtest.html")
    return {"table": table, "scorecard": card, "manifest": manifest, "path": path}

