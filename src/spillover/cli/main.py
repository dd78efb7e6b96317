"""The ``spillover`` command. Each command calls one library function and prints its result."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.syntax import Syntax

from spillover import api
from spillover.cli.render import render_summary
from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import builtin_path, copy_builtin

app = typer.Typer(
    name="spillover",
    help="Run and question models of arms transfers and their spillover into regional escalation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
scenarios_app = typer.Typer(help="The built-in scenarios: list, show, copy as a template.",
                            no_args_is_help=True)
app.add_typer(scenarios_app, name="scenarios")
console = Console() if sys.stdout.isatty() else Console(width=140)
err = Console(stderr=True, soft_wrap=True)  # one error, one line


class Fail(Exception):
    """A user-facing error: printed as one line, exit code 2."""


@app.command("run")
def run_cmd(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "nk-russia-2023",
    runs: Annotated[int | None, typer.Option(min=1, help="Number of runs [default: 1000].")] = None,
    seed: Annotated[int | None, typer.Option(min=0, help="Seed [default: 0].")] = None,
    policy: Annotated[list[str] | None, typer.Option(help="Policy to run (repeatable; default all).")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (default runs/<scenario>-<UTC time>).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Threads or processes [default: cores].")] = None,
    chunk_size: Annotated[int | None, typer.Option(min=1, help="Runs per chunk [default: 1000].")] = None,
    design: Annotated[str | None, typer.Option(help="lhs, sobol or mc [default: lhs].")] = None,
    save_series: Annotated[bool, typer.Option(help="Also write every run's daily series.")] = False,
    report: Annotated[bool, typer.Option(help="Write report.html.")] = True,
    executor: Annotated[str, typer.Option(help="local (threads), processes or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Address of a dask scheduler.")] = None,
    resume: Annotated[Path | None, typer.Option(help="Finish an interrupted run folder.")] = None,
    posterior: Annotated[Path | None, typer.Option(help="Draw inputs from a calibration posterior.")] = None,
) -> None:
    """Run a scenario's ensemble under its policies and print the claims."""
    from spillover.ensemble.executors import EXECUTORS

    if executor not in EXECUTORS:
        raise Fail(f"unknown executor '{executor}' (use {', '.join(EXECUTORS)})")
    if scheduler and executor != "dask":
        raise Fail("--scheduler goes with --executor dask")
    if design not in (None, "lhs", "sobol", "mc"):
        raise Fail(f"unknown design '{design}' (use lhs, sobol or mc)")
    total = runs or 1000
    if workers is None:  # one per core, but no more than there are chunks
        workers = max(1, min(os.cpu_count() or 1, -(-total // (chunk_size or 1000))))
    if resume is not None:
        _check_resume_options(resume, runs=runs, seed=seed, chunk_size=chunk_size, design=design)
        total = _manifest_of(resume)["runs"]
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"simulating {scenario if resume is None else resume}", total=total)

        def tick(done: int, all_runs: int) -> None:
            bar.update(task, completed=done, total=all_runs)

        if resume is not None:
            result = api.resume(resume, workers=workers, executor=executor, scheduler=scheduler,
                                report=report, progress=tick)
        else:
            experiments = None
            if posterior is not None:
                experiments = _posterior(scenario, posterior, total, seed or 0, design or "lhs")
            result = api.run(scenario, runs=total, seed=seed or 0, policies=policy or None,
                             design=design or "lhs", chunk_size=chunk_size or 1000,  # type: ignore[arg-type]
                             workers=workers, out=out or "auto", save_series=save_series, report=report,
                             progress=tick, executor=executor, scheduler=scheduler, experiments=experiments,
                             command=command_line())
    for table in render_summary(result):
        console.print(table)
    m = result.manifest
    console.print(f"{m['runs']} runs × {len(m['policies'])} policies, seed {m['seed']}, "  # type: ignore[arg-type]
                  f"{m['timings']['total']:.1f} s")  # type: ignore[index]
    console.print(f"results: {result.path}")
    if report:
        console.print(f"report:  {result.path / 'report.html'}")  # type: ignore[operator]


def command_line() -> str:
    """The ``spillover …`` command this process runs, for the run's manifest."""
    import shlex

    return shlex.join(["spillover", *sys.argv[1:]])


def _posterior(scenario: str, path: Path, runs: int, seed: int, design: str) -> object:
    """An experiments table whose calibrated inputs come from a posterior file."""
    from spillover.analysis.abc import posterior_design, read_posterior
    from spillover.scenario.load import load_scenario, resolve

    sc = load_scenario(resolve(scenario))
    return posterior_design(read_posterior(path, sc), sc, runs, seed, design)  # type: ignore[arg-type]


def _manifest_of(path: Path) -> dict:
    from spillover.results.folder import RunFolder

    return RunFolder.open(path, lock=False).manifest


def _check_resume_options(path: Path, **given: object) -> None:
    """With --resume, options must match the interrupted run's (or be left out)."""
    m = _manifest_of(path)
    for key, value in given.items():
        if value is not None and m.get(key) != value:
            flag = "--" + key.replace("_", "-")
            raise Fail(f"cannot resume {path}: it ran with {flag} {m.get(key)}, not {value}")


@app.command("validate")
def validate_cmd(
    file: Annotated[str, typer.Argument(help="Scenario file or built-in name.")],
    strict: Annotated[bool, typer.Option(help="Refuse numbers without source or judgment.")] = False,
) -> None:
    """Check a scenario file; every problem is printed as FILE:LINE:COL: message."""
    sc = api.validate(file, strict=strict)
    mode = "strict" if strict else "lenient"
    console.print(f"{sc.origin}: valid ({mode}): {len(sc.actors)} actors, {len(sc.transfers)} transfers, "
                  f"{len(sc.indicators)} indicators, {len(sc.events)} events, {len(sc.policies)} policies, "
                  f"{len(sc.claims)} claims")


@app.command("outcomes")
def outcomes_cmd(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "nk-russia-2023",
) -> None:
    """List every outcome column of a scenario, with what it measures."""
    from rich.table import Table

    table = Table(title=f"Outcomes of {scenario} (claims refer to these columns)")
    for col in ("column", "group", "what it measures"):
        table.add_column(col, overflow="fold")
    for row in api.outcomes(scenario).itertuples():
        table.add_row(str(row.column), str(row.group), str(row.description))
    console.print(table)


@scenarios_app.command("list")
def scenarios_list() -> None:
    """List the built-in scenarios."""
    for row in api.scenarios().itertuples():
        console.print(f"[bold]{row.name}[/bold]  {row.title}")


@scenarios_app.command("show")
def scenarios_show(name: Annotated[str, typer.Argument(help="Built-in scenario name.")]) -> None:
    """Print a built-in scenario file."""
    text = builtin_path(name).read_text(encoding="utf-8")
    console.print(Syntax(text, "yaml", line_numbers=False, word_wrap=True))


@scenarios_app.command("copy")
def scenarios_copy(
    name: Annotated[str, typer.Argument(help="Built-in scenario name.")],
    dest: Annotated[Path, typer.Argument(help="File or folder to copy it to.")],
) -> None:
    """Copy a built-in scenario to edit as a template."""
    console.print(f"copied {name} to {copy_builtin(name, dest)}")


def _mount_optional() -> None:
    """Mount the command groups of the other faces (data, analysis, serve) when present."""
    import importlib

    try:
        from spillover.cli.data import app as data_app

        app.add_typer(data_app, name="data", help="Real data: SIPRI, GDELT, COW in a DuckDB store.")
    except ImportError:
        pass
    for module in ("spillover.cli.analysis", "spillover.cli.serve", "spillover.cli.draft"):
        try:
            importlib.import_module(module).register(app)
        except ImportError:
            continue


_mount_optional()


def main() -> None:
    """Entry point: run the app, turning known errors into one line and exit code 2."""
    try:
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except ScenarioError as exc:
        first = exc.problems[0]
        more = len(exc.problems) - 1
        err.print(str(first) + (f" (and {more} more)" if more else ""), markup=False, highlight=False)
        if more and len(sys.argv) > 1 and sys.argv[1] == "validate":
            for p in exc.problems[1:]:
                err.print(str(p), markup=False, highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted: the run folder is left as <name>.partial; finish it with "
                  "spillover run --resume <name>")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        err.print("aborted")
        sys.exit(130)
    except Exception as exc:  # the CLI never shows a traceback
        import click

        if isinstance(exc, click.ClickException):
            err.print(f"error: {exc.format_message()}", markup=False, highlight=False)
            sys.exit(2)
        if isinstance(exc, Fail | ValueError | FileExistsError | FileNotFoundError | OSError | ImportError):
            err.print(f"error: {exc}", markup=False, highlight=False)
            sys.exit(2)
        err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(1)
