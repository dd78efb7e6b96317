"""The library's front door: every CLI command is one of these functions."""

from __future__ import annotations

import datetime as dt
import resource
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from spillover.ensemble.chunks import ChunkResult
from spillover.ensemble.design import Design
from spillover.ensemble.run import Ensemble, run_ensemble
from spillover.ensemble.variants import add_policies
from spillover.results.result import RunResult
from spillover.results.series import series_names
from spillover.results.store import command_line, default_out, staging, versions, write_result
from spillover.scenario.load import builtin_names, builtin_path, load_scenario, resolve
from spillover.scenario.model import Scenario
from spillover.scenario.summary import summarize

Progress = Callable[[int, int], None]


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


def analyse(sc: Scenario, ens: Ensemble, manifest: dict[str, object]) -> RunResult:
    """Claims and paired policy comparison on an ensemble's outcomes."""
    from spillover.analysis.claims import evaluate_claims
    from spillover.analysis.compare import paired_differences

    claims = claims_of(sc)
    table = evaluate_claims(ens.outcomes, claims)
    baseline = ens.policies[0]
    if len(ens.policies) > 1:
        comparison = paired_differences(ens.outcomes, baseline, key_quantities(sc), claims)
    else:
        comparison = pd.DataFrame(columns=["policy", "baseline", "quantity", "kind", "n", "mean_diff",
                                           "lo", "hi", "share_lower", "share_higher"])
    return RunResult(
        scenario_summary=summarize(sc), manifest=manifest, experiments=ens.experiments,
        outcomes=ens.outcomes, series=ens.series, claims=table, comparison=comparison,
    )


class _SeriesWriter:
    """Writes each chunk's per-run daily series as a Parquet part (``--save-series``)."""

    def __init__(self, folder: Path, ens_policies: list[str], names: list[str]) -> None:
        self.folder, self.policies, self.names = folder, ens_policies, names
        folder.mkdir()

    def __call__(self, res: ChunkResult) -> None:
        if res.series is None:
            return
        T, rows, _ = res.series.shape
        n = len(res.runs)
        day = pd.Series(range(T)).repeat(rows).to_numpy()
        policy = [p for p in self.policies for _ in range(n)] * T
        run = list(res.runs) * (len(self.policies) * T)
        cols = {"run": run, "policy": policy, "day": day}
        cols.update({name: res.series[:, :, j].ravel() for j, name in enumerate(self.names)})
        pq.write_table(pa.table(cols), self.folder / f"part-{int(res.runs[0]):09d}.parquet")


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
) -> RunResult:
    """Run a scenario's ensemble under its policies and analyse it.

    Parameters
    ----------
    scenario
        Built-in name, path of a YAML file, or a loaded :class:`Scenario`.
    runs, seed, design
        Number of runs, the seed (results are identical for a seed whatever ``chunk_size``
        and ``workers``) and the design: ``lhs`` (default), ``sobol`` or ``mc``.
    policies
        Policy names to run (default: all, the first is the baseline of comparisons).
    out
        Folder to write (``"auto"`` for ``runs/<scenario>-<UTC timestamp>``); ``None``
        keeps everything in memory.
    save_series
        Also write every run's daily series (``series_full/``); needs ``out``.
    extra_policies
        Policies defined at run time: ``{"half-cap": {"transfer_cap": 0.5}}``; unset
        levers keep their defaults. Name them in ``policies`` to run only those.
    counterfactual
        Also run every policy without transfers (``*_without_transfers`` outcomes).
    pool
        An existing executor to run chunks on (a server's warm process pool).

    Returns
    -------
    RunResult
        Aligned pandas tables: experiments, outcomes, series, claims, comparison.

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
    manifest: dict[str, object] = {
        "scenario": sc.name, "scenario_file": sc.origin, "scenario_sha256": sc.sha256, "seed": seed,
        "design": design, "runs": runs, "policies": list(policies or sc.policies),
        "chunk_size": chunk_size, "workers": workers, "versions": versions(),
        "command": command_line(), "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    done = [0]

    def tick(res: ChunkResult) -> None:
        done[0] += len(res.runs)
        if progress:
            progress(done[0], runs)

    if out is None:
        ens = run_ensemble(sc, runs, seed, policies, design, chunk_size, workers, on_chunk=tick,
                           counterfactual=counterfactual, pool=pool)
        return _finish(sc, ens, manifest, started)
    final = default_out(sc.name) if str(out) == "auto" else Path(out)
    with staging(final) as tmp:
        hooks = [tick]
        if save_series:
            from spillover.engine.structure import build_structure

            names = series_names(build_structure(sc))
            hooks.insert(0, _SeriesWriter(tmp / "series_full", list(policies or sc.policies), names))
        ens = run_ensemble(sc, runs, seed, policies, design, chunk_size, workers,
                           on_chunk=lambda r: [h(r) for h in hooks], save_series=save_series,
                           counterfactual=counterfactual, pool=pool)
        result = _finish(sc, ens, manifest, started)
        write_result(result, tmp)
        if report:
            from spillover.report.html import write_report

            write_report(result, tmp / "report.html")
    result.path = final
    return result


def _finish(sc: Scenario, ens: Ensemble, manifest: dict[str, object], started: float) -> RunResult:
    manifest["policies"] = ens.policies
    timings = dict(ens.timings)
    t = time.perf_counter()
    result = analyse(sc, ens, manifest)
    timings["analyse"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    manifest["timings"] = {k: round(v, 3) for k, v in timings.items()}
    manifest["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    return result
