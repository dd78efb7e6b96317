"""``spillover scenarios list | show | copy``: the built-in scenarios."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from spillover.cli.console import out, plain

__all__ = ["app"]

app = typer.Typer(help="The built-in scenarios: list, show, copy as a template.", no_args_is_help=True,
                  rich_markup_mode=None)


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
