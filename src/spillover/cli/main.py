"""The ``spillover`` command. Each command calls one library function and prints its result."""

from __future__ import annotations

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
console = Console()
err = Console(stderr=True)


class Fail(Exception):
    """A user-facing error: printed as one line, exit code 2."""


@app.command("run")
def run_cmd(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")] = "nk-russia-2023",
    runs: Annotated[int, typer.Option(min=1, help="Number of runs.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed: same seed, same results.")] = 0,
    policy: Annotated[list[str] | None, typer.Option(help="Policy to run (repeatable; default all).")] = None,
    out: Annotated[Path | None, typer.Option(help="Run folder (default runs/<scenario>-<UTC time>).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    chunk_size: Annotated[int, typer.Option(min=1, help="Runs per chunk (bounds memory).")] = 1000,
    design: Annotated[str, typer.Option(help="lhs, sobol or mc.")] = "lhs",
    save_series: Annotated[bool, typer.Option(help="Also write every run's daily series.")] = False,
    report: Annotated[bool, typer.Option(help="Write report.html.")] = True,
) -> None:
    """Run a scenario's ensemble under its policies and print the claims."""
    if design not in ("lhs", "sobol", "mc"):
        raise Fail(f"unknown design '{design}' (use lhs, sobol or mc)")
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as bar:
        task = bar.add_task(f"simulating {scenario}", total=runs)
        result = api.run(scenario, runs=runs, seed=seed, policies=policy or None, design=design,  # type: ignore[arg-type]
                         chunk_size=chunk_size, workers=workers, out=out or "auto",
                         save_series=save_series, report=report,
                         progress=lambda done, total: bar.update(task, completed=done))
    for table in render_summary(result):
        console.print(table)
    m = result.manifest
    console.print(f"{m['runs']} runs × {len(m['policies'])} policies, seed {m['seed']}, "  # type: ignore[arg-type]
                  f"{m['timings']['total']:.1f} s")  # type: ignore[index]
    console.print(f"results: {result.path}")
    if report:
        console.print(f"report:  {result.path / 'report.html'}")  # type: ignore[operator]


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
    for module in ("spillover.cli.analysis", "spillover.cli.serve"):
        try:
            importlib.import_module(module).register(app)
        except ImportError:
            continue


_mount_optional()


def main() -> None:
    """Entry point: run the app, turning known errors into one line and exit code 2."""
    try:
        app(standalone_mode=False)
    except ScenarioError as exc:
        first = exc.problems[0]
        more = len(exc.problems) - 1
        err.print(str(first) + (f" (and {more} more)" if more else ""), markup=False, highlight=False)
        if more and len(sys.argv) > 1 and sys.argv[1] == "validate":
            for p in exc.problems[1:]:
                err.print(str(p), markup=False, highlight=False)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted: no results were written")
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
        if isinstance(exc, Fail | ValueError | FileExistsError | FileNotFoundError | OSError):
            err.print(f"error: {exc}", markup=False, highlight=False)
            sys.exit(2)
        err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False, highlight=False)
        sys.exit(1)
