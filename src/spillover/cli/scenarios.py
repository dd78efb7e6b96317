"""``spillover scenarios list | show | copy | audit``: the built-in scenarios, and any scenario's audit."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from spillover.cli.console import out, plain

__all__ = ["app"]

_HELP = "The built-in scenarios: list, show, copy as a template; audit any scenario's numbers."
app = typer.Typer(help=_HELP,
                  no_args_is_help=True, rich_markup_mode=None)


@app.command("list")
def scenarios_list() -> None:
    """List the built-in scenarios."""
    from spillover.api import scenarios

    for row in scenarios().itertuples():
        typer.echo(f"{row.name}  {row.title}")


@app.command("show")
def scenarios_show(name: Annotated[str, typer.Argument(help="Built-in scenario name.")]) -> None:
    """Print a built-in scenario file (highlighted on a terminal, as it is otherwise)."""
    from spillover.scenario.load import builtin_path

    text = builtin_path(name).read_text(encoding="utf-8")
    if not sys.stdout.isatty():
        plain(text)
        return
    from rich.syntax import Syntax

    out().print(Syntax(text, "yaml", line_numbers=False, word_wrap=True))


@app.command("copy")
def scenarios_copy(
    name: Annotated[str, typer.Argument(help="Built-in scenario name.")],
    dest: Annotated[Path, typer.Argument(help="File or folder to copy it to.")],
) -> None:
    """Copy a built-in scenario to edit as a template."""
    from spillover.scenario.load import copy_builtin

    typer.echo(f"copied {name} to {copy_builtin(name, dest)}")


@app.command("audit")
def scenarios_audit(
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")],
    runs: Annotated[int, typer.Option(
        min=1, help="Runs of the baseline policy behind the claims' attribution.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed: same seed, same attribution.")] = 0,
) -> None:
    """Every number with its tag (sourced or judgment) and its source or rationale, then the share
    of each claim's attribution that rests on judgment."""
    from spillover.api import audit
    from spillover.cli.render import render_audit_claims, render_audit_numbers

    table = audit(scenario, runs=runs, seed=seed)
    out().print(render_audit_numbers(table, scenario))
    out().print(render_audit_claims(table, runs))
