"""The two consoles of the command line, made on first use (rich loads only when printing)."""

from __future__ import annotations

import sys
from functools import cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["counted", "err", "out", "plain"]


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and the noun, singular for one.

    >>> counted(1, "policy", "policies"), counted(2, "policy", "policies"), counted(0, "run")
    ('1 policy', '2 policies', '0 runs')
    """
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


@cache
def out() -> Console:
    """Standard output: the terminal's width, or 160 columns when piped."""
    from rich.console import Console

    return Console() if sys.stdout.isatty() else Console(width=160)


@cache
def err() -> Console:
    """Standard error, for progress bars."""
    from rich.console import Console

    return Console(stderr=True, soft_wrap=True)


def plain(text: str) -> None:
    """Write ``text`` to standard output as it is: no markup, wrapping or padding."""
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    sys.stdout.flush()
