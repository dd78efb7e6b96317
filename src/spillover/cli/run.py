"""``spillover run``: run (or resume) an ensemble with a progress bar, then print the summary.

Imported only when the command runs, so that ``spillover --help`` stays quick.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spillover.cli.console import counted, err, out
from spillover.cli.errors import Fail, Interrupted
from spillover.cli.progress import Ticker, auto_chunk_size, engine_is_compiled, status_bar

__all__ = ["RunOptions", "run_and_print"]


@dataclass
class RunOptions:
    """The options of ``spillover run``, as given on the command line."""

    scenario: str
    runs: int = 1000
    seed: int = 0
    policies: list[str] | None = None
    out: Path | None = None
    workers: int | None = None
    chunk_size: int | None = None
    design: str = "lhs"
    save_series: bool = False
    report: bool | None = True
    """Write report.html; None on ``--resume`` without ``--report``/``--no-report``: as the run chose."""
    executor: str = "local"
    scheduler: str | None = None
    resume: Path | None = None
    posterior: Path | None = None
    case: str | None = None
    cases: bool = True
    evidence: list[Path] | None = None
    as_of: str | None = None
    resample: bool = False
    given: dict[str, Any] = field(default_factory=dict)
    """Options given explicitly (``--resume`` checks them against the interrupted run)."""
    argv: list[str] | None = None
    """The command line, recorded in the run's manifest."""


def _command(argv: list[str] | None) -> str | None:
    """The command line, for the run's manifest."""
    import shlex

    return shlex.join(["spillover", *argv]) if argv is not None else None


def _manifest_of(path: Path) -> dict[str, Any]:
    from spillover.results.folder import RunFolder

    return RunFolder.open(path, lock=False).manifest


def _check_resume_options(path: Path, given: dict[str, Any]) -> dict[str, Any]:
    """With --resume, options must match the interrupted run's (or be left out)."""
    m = _manifest_of(path)
    for key, value in given.items():
        if m.get(key) != value:
            flag = "--" + key.replace("_", "-")
            raise Fail(f"cannot resume {path}: it ran with {flag} {m.get(key)}, not {value}")
    return m


def _workers(opts: RunOptions, total: int, chunk: int) -> int:
    """One worker (a thread, by default) per core, but no more than there are chunks."""
    if opts.workers is not None:
        return opts.workers
    return max(1, min(os.cpu_count() or 1, -(-total // chunk)))


def _say_if_stale() -> None:
    """One line when the engine changed since the step was built ahead of time."""
    from spillover.engine import prebuilt

    if prebuilt.stale():
        err().print("the engine's sources changed since `spillover warmup`: this run uses Numba's step "
                    "(run `spillover warmup` to build it ahead of time again)", markup=False, highlight=False)


def _after(tick: Ticker, show: Callable[[Any], None]) -> Callable[[Any], None]:
    """Print the tables once the bar has given way (the folder and report are still being written)."""
    def shown(result: Any) -> None:
        tick.hold()
        show(result)
        tick.spin()

    return shown


def _resume(opts: RunOptions, show: Callable[[Any], None]) -> Any:
    from spillover import api

    assert opts.resume is not None
    given = {**opts.given, **({"chunk_size": opts.chunk_size} if opts.chunk_size else {})}
    m = _check_resume_options(opts.resume, given)
    total = int(m["runs"])
    workers = _workers(opts, total, int(m["chunk_size"]))
    _say_if_stale()
    with status_bar(f"simulating {opts.resume}", total, cold=not engine_is_compiled(),
                    finishing="summarising the runs, then writing the folder and report…") as tick:
        return api.resume(opts.resume, workers=workers, executor=opts.executor, scheduler=opts.scheduler,
                          report=opts.report, progress=tick, on_analysed=_after(tick, show))


def _run(opts: RunOptions, show: Callable[[Any], None]) -> Any:
    from spillover import api
    from spillover.scenario.load import load_scenario, resolve

    sc = load_scenario(resolve(opts.scenario))
    if opts.out is None:
        from spillover.results.store import default_out

        opts.out = default_out(sc.name)  # chosen here, so that an interruption can name it
    experiments = None
    if opts.posterior is not None:
        from spillover.analysis.abc import posterior_design, read_posterior

        experiments = posterior_design(read_posterior(opts.posterior, sc), sc, opts.runs, opts.seed,
                                       opts.design)
    variants = 2 * len(opts.policies or sc.policies)  # each policy, with and without transfers
    chunk = opts.chunk_size or auto_chunk_size(opts.runs, variants, int(sc.horizon))
    workers = _workers(opts, opts.runs, chunk)
    _say_if_stale()
    with status_bar(f"simulating {sc.name}", opts.runs, cold=not engine_is_compiled(),
                    finishing="summarising the runs, then writing the folder and report…") as tick:
        return api.run(sc, runs=opts.runs, seed=opts.seed, policies=opts.policies,
                       design=opts.design, chunk_size=chunk,
                       workers=workers, out=opts.out, save_series=opts.save_series,
                       report=opts.report is not False, progress=tick, executor=opts.executor,
                       scheduler=opts.scheduler,
                       experiments=experiments, command=_command(opts.argv), on_analysed=_after(tick, show),
                       cases=opts.cases and opts.case is None and opts.posterior is None, case=opts.case,
                       evidence=opts.evidence, as_of=opts.as_of, resample=opts.resample)


def _left_behind(final: Path | None) -> str:
    """What an interrupted run leaves: its unfinished folder and how to finish it, or nothing."""
    import shlex

    from spillover.results.folder import PARTIAL, partial_of

    if final is not None and Path(final).name.endswith(PARTIAL):  # --resume NAME.partial
        final = Path(final).with_name(Path(final).name[:-len(PARTIAL)])
    if final is None or not partial_of(Path(final)).is_dir():
        return "stopped before the run folder was made; nothing was written"
    return (f"the run folder is left as {partial_of(Path(final))}; finish it with "
            f"spillover run --resume {shlex.quote(str(final))}")


def run_and_print(opts: RunOptions) -> None:
    """Run (or resume), then print the claims, key outcomes, comparison and where it all is.

    The tables are printed as soon as the claims are known, while the folder and the
    report are still being written.
    """
    from spillover.cli.render import render_summary

    console = out()
    shown: list[bool] = []

    def show(result: Any) -> None:
        for table in render_summary(result):
            console.print(table)
        shown.append(True)

    try:
        result = _resume(opts, show) if opts.resume is not None else _run(opts, show)
    except KeyboardInterrupt:
        raise Interrupted(_left_behind(opts.resume or opts.out)) from None
    if not shown:
        show(result)
    cond = result.extra.get("evidence")
    if opts.resample and cond is not None and cond.confident and not cond.resampled:
        console.print(f"--resample was not needed: the effective sample size ({cond.ess:,.1f}) is "
                      f"already above the floor of {cond.summary()['ess_floor']:.0f}",
                      markup=False, highlight=False)
    m = result.manifest
    reading = f", case {m['case']}" if m.get("case") else ""
    shape = f"{counted(m['runs'], 'run')} × {counted(len(m['policies']), 'policy', 'policies')}"
    console.print(f"{shape}, seed {m['seed']}{reading}, "
                  f"{m['timings']['total']:.1f} s", markup=False, highlight=False)
    console.print(f"results: {result.path}", markup=False, highlight=False)
    if result.path is not None and (result.path / "report.html").is_file():
        console.print(f"report:  {result.path / 'report.html'}", markup=False, highlight=False)
