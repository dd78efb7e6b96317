"""The ``spillover`` command. Each command calls one library function and prints its result.

Only typer is imported here at the top: ``spillover --help`` answers without loading the
engine (see :mod:`spillover.cli.lazy`). Every error, usage errors included, ends as one
line and exit code 2 (see :mod:`spillover.cli.errors`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any, ClassVar

import typer

from spillover import __version__
from spillover.cli.errors import Fail, Interrupted, report
from spillover.cli.lazy import ChoicesCommand, LazyGroup


class _Spillover(LazyGroup):
    lazy: ClassVar[dict[str, tuple[str, str]]] = {
        "data": ("spillover.cli.data:app", "Real data: SIPRI, GDELT, COW in a DuckDB store."),
    }


app = typer.Typer(
    name="spillover",
    help="Run and question models of arms transfers and their spillover into regional escalation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
    cls=_Spillover,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"spillover {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Run and question models of arms transfers and their spillover into regional escalation."""


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was given on the command line (rather than left at its default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name not in ("DEFAULT", "DEFAULT_MAP")


@app.command("run", cls=ChoicesCommand)
def run_cmd(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "nk-russia-2023",
    runs: Annotated[int, typer.Option(min=1, help="Number of runs.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed: same seed, same results.")] = 0,
    policy: Annotated[list[str] | None, typer.Option(
        help="Policy to run (repeatable) [default: all].")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Run folder [default: runs/<scenario>-<UTC time>].")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Threads (or processes) [default: one per core].")] = None,
    chunk_size: Annotated[int | None, typer.Option(
        min=1, help="Runs per chunk; results do not depend on it "
                    "[default: about 2 s of one core's work].")] = None,
    design: Annotated[str, typer.Option(help="Sampling design: {designs}.")] = "lhs",
    save_series: Annotated[bool, typer.Option(help="Also write every run's daily series.")] = False,
    report: Annotated[bool, typer.Option(help="Write report.html.")] = True,
    executor: Annotated[str, typer.Option(
        help="local (threads in this process), processes or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Address of a dask scheduler.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish an interrupted run folder.")] = None,
    posterior: Annotated[Path | None, typer.Option(help="Draw inputs from a calibration posterior.")] = None,
    case: Annotated[str | None, typer.Option(
        help="Run one of the scenario's cases instead of the scenario as written (alone: the other "
        "cases do not run).")] = None,
    cases: Annotated[bool, typer.Option(
        help="Also run the scenario's cases on the same runs.")] = True,
    evidence: Annotated[list[Path] | None, typer.Option(
        metavar="FILE", help="Condition on an evidence file: YAML, a CSV table, or a built-in scenario's "
        "name (repeatable).")] = None,
    as_of: Annotated[str | None, typer.Option(
        help="Use the observations known on this date (YYYY-MM-DD) [default: all].")] = None,
    resample: Annotated[bool, typer.Option(
        help="Below the ESS floor, draw new runs near the surviving ones (resample-move).")] = False,
) -> None:
    """Run a scenario's ensemble under its policies and print the claims."""
    from spillover.cli.run import RunOptions, run_and_print

    if executor not in EXECUTORS:
        raise Fail(f"unknown executor '{executor}' (use {', '.join(EXECUTORS)})")
    if scheduler and executor != "dask":
        raise Fail("--scheduler goes with --executor dask")
    given = {k: v for k, v in (("runs", runs), ("seed", seed), ("design", design)) if _given(ctx, k)}
    if (evidence or as_of) and resume is not None:
        raise Fail("--evidence and --as-of start a new run; they do not go with --resume")
    if as_of is not None and not _iso(as_of):
        raise Fail(f"--as-of takes a date YYYY-MM-DD, got '{as_of}'")
    if case is not None and _given(ctx, "cases"):
        raise Fail("--case runs one case alone; " + ("--no-cases is implied" if not cases
                                                      else "it does not go with --cases"))
    if (as_of is not None or resample) and not evidence:
        raise Fail(f"{'--as-of' if as_of is not None else '--resample'} goes with --evidence FILE")
    opts = RunOptions(scenario=scenario, runs=runs, seed=seed, policies=policy or None, out=out,
                      workers=workers, chunk_size=chunk_size, design=design, save_series=save_series,
                      report=report if resume is None or _given(ctx, "report") else None,
                      executor=executor, scheduler=scheduler, resume=resume,
                      posterior=posterior, case=case, cases=cases, given=given,
                      argv=(ctx.obj or {}).get("argv"),
                      evidence=evidence or None, as_of=as_of, resample=resample)
    run_and_print(opts)  # Ctrl-C: Interrupted, naming the folder left behind


def _iso(text: str) -> bool:
    import datetime as dt

    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


EXECUTORS = ("local", "processes", "dask")
"""The executors' names (spillover.ensemble.executors.EXECUTORS, checked by a test; not
imported here, so that --help stays quick)."""


@app.command("outcomes")
def outcomes_cmd(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "nk-russia-2023",
) -> None:
    """List every outcome column of a scenario, with what it measures."""
    from rich.table import Table

    from spillover.api import outcomes
    from spillover.cli.console import out

    table = Table(title=f"Outcomes of {scenario} (claims refer to these columns)")
    for col in ("column", "group", "what it measures"):
        table.add_column(col, overflow="fold")
    for row in outcomes(scenario).itertuples():
        table.add_row(str(row.column), str(row.group), str(row.description))
    out().print(table)


@app.command("warmup")
def warmup_cmd(
    prebuild: Annotated[bool, typer.Option(help="Build the step ahead of time for this machine "
                                                "(else only fill Numba's cache).")] = True,
) -> None:
    """Compile the engine once for this install (or load it), so runs start at once."""
    from spillover.cli.console import err
    from spillover.engine import prebuilt

    say = None
    if prebuild and not prebuilt.enabled():
        say = "the prebuilt step is off (SPILLOVER_PREBUILT): filling Numba's cache only"
    elif prebuild and not prebuilt.looks_ready():
        say = "building the engine's step ahead of time for this machine (once per install)…"
    elif not _cache_warm():
        say = "compiling the engine (once per install)…"
    if say:
        err().print(say, markup=False, highlight=False)
    from spillover.api import warmup

    try:
        done = warmup(prebuild=prebuild)
    except KeyboardInterrupt:
        raise Interrupted("warmup stopped: nothing half-built is kept; run it again") from None
    if done["problem"]:
        err().print(f"{done['problem']}; runs use the step Numba compiles and caches", markup=False,
                    highlight=False)
    what = "ready" if done["problem"] else "compiled" if done["compiled"] else "already compiled; loaded"
    where = f"built ahead of time: {done['prebuilt']}" if done["prebuilt"] else "in Numba's cache"
    typer.echo(f"engine {what} in {done['seconds']:.1f} s ({where})")


def _cache_warm() -> bool:
    from spillover.cli.progress import engine_is_compiled

    return engine_is_compiled()


@app.command("validate")
def validate_cmd(
    file: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
    strict: Annotated[bool, typer.Option(help="Refuse numbers without source or judgment.")] = False,
    evidence: Annotated[list[Path] | None, typer.Option(
        metavar="FILE", help="Also check an evidence file for the scenario (repeatable).")] = None,
) -> None:
    """Check a scenario file; every problem is printed as FILE:LINE:COL: message."""
    from spillover.api import validate

    sc = validate(file, strict=strict, evidence=evidence or [])
    for warning in sc.warnings:
        typer.echo(str(warning), err=True)
    mode = "strict" if strict else "lenient"
    from spillover.cli.console import counted

    parts = [counted(len(sc.actors), "actor"), counted(len(sc.transfers), "transfer"),
             counted(len(sc.indicators), "indicator"), counted(len(sc.events), "event"),
             counted(len(sc.policies), "policy", "policies"), counted(len(sc.claims), "claim")]
    typer.echo(f"{sc.origin}: valid ({mode}): {', '.join(parts)}")


def _mount() -> None:
    """Add the command groups of the other faces: scenarios, analysis, serve, draft (data is lazy)."""
    from spillover.cli import analysis, backtest, draft, scenarios, serve

    app.add_typer(scenarios.app, name="scenarios")
    for module in (analysis, serve, draft, backtest):
        module.register(app)


_mount()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app; every error becomes one line (see :mod:`spillover.cli.errors`)."""
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code: Any = app(args=args, prog_name="spillover", standalone_mode=False, obj={"argv": args})
    except BaseException as exc:  # the command line never shows a traceback
        sys.exit(report(exc, args))
    if isinstance(code, int) and code:
        sys.exit(code)
