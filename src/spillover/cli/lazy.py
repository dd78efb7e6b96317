"""What keeps ``spillover --help`` quick: command groups imported on use, choices read on help.

``spillover --help`` must not import NumPy, pandas, Numba or DuckDB. Every command module
of :mod:`spillover.cli` imports only typer at the top; the ``data`` group is imported only
when ``spillover data ...`` runs (:class:`LazyGroup`), and its commands import
:mod:`spillover.data` (DuckDB, pandas) when they run, so ``spillover data --help`` is quick
too; and a help text naming a registry's choices (``{designs}``, ``{kinds}``) is filled in
only when that command's help is shown (:class:`ChoicesCommand`). ``{kinds}`` reads the
importers' registry, whose format modules import pandas: only ``spillover data import
--help`` pays for it.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from typing import Any, ClassVar

import typer
from typer.core import TyperCommand, TyperGroup

__all__ = ["ChoicesCommand", "LazyGroup"]


class LazyGroup(TyperGroup):
    """A group whose sub-groups in :attr:`lazy` are imported when they are invoked.

    ``lazy`` maps a name to ``("module:attribute", "one-line help")``, the attribute being a
    :class:`typer.Typer`. Help listings show the one-line help without importing it.
    """

    lazy: ClassVar[dict[str, tuple[str, str]]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(super().list_commands(ctx))
        return names + [n for n in self.lazy if n not in names]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and cmd_name in self.lazy:  # a listing: the help line only
            return TyperGroup(name=cmd_name, help=self.lazy[cmd_name][1])
        return cmd

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] in self.lazy and args[0] not in self.commands:
            self.add_command(self._load(args[0]), args[0])
        return super().resolve_command(ctx, args)

    def _load(self, name: str) -> Any:
        target, help_text = self.lazy[name]
        module, _, attr = target.partition(":")
        sub: typer.Typer = getattr(importlib.import_module(module), attr)
        cmd = typer.main.get_command(sub)
        cmd.help = cmd.help or help_text
        _same_help_style(cmd, getattr(self, "rich_markup_mode", None))
        return cmd


def _same_help_style(cmd: Any, mode: Any) -> None:
    """Give a loaded group and its commands the help style of the group it joins."""
    if hasattr(cmd, "rich_markup_mode"):
        cmd.rich_markup_mode = mode
    for sub in getattr(cmd, "commands", {}).values():
        _same_help_style(sub, mode)


#: Placeholders a help text may hold, and where their names come from.
CHOICES: dict[str, Callable[[], str]] = {
    "designs": lambda: ", ".join(importlib.import_module("spillover.ensemble.designs").DESIGNS),
    "methods_n": lambda: _method_units(),
    "kinds": lambda: _or(importlib.import_module("spillover.data.formats").kinds()),
}


def _or(names: tuple[str, ...]) -> str:
    """``a, b or c``."""
    return " or ".join(filter(None, (", ".join(names[:-1]), names[-1])))


def _method_units() -> str:
    """What ``--n`` counts for each sensitivity method (their modules import only NumPy)."""
    from spillover.analysis.sensitivity import METHODS, method

    return "; ".join(f"{m.name}: {m.unit}{m.n_rule} (at least {m.minimum})" for m in map(method, METHODS))


class ChoicesCommand(TyperCommand):
    """A command whose parameters' help may hold a :data:`CHOICES` placeholder, filled in when shown."""

    def format_help(self, ctx: Any, formatter: Any) -> None:
        for param in self.params:
            text = getattr(param, "help", None)
            if text and "{" in text:
                wanted = {k: f() for k, f in CHOICES.items() if "{" + k + "}" in text}
                param.help = text.format(**wanted)  # type: ignore[attr-defined]
        super().format_help(ctx, formatter)
