"""One error path for the ``spillover`` command: every failure is one line on stderr.

Usage errors (an unknown option, a bad value, a missing argument) and the errors of the
library (an unknown policy, a file that exists, an extra that is not installed) all end
the same way: ``error: ...`` on one line and exit code 2. A bug ends as one ``internal
error: ...`` line and exit code 1 (``SPILLOVER_TRACEBACK=1`` shows the traceback).

Works with the click that typer uses, whichever it is: typer < 0.29 raises the exceptions
of the ``click`` package, typer >= 0.29 those of its own copy of click (and a core install
has no ``click`` at all). Both are found through :class:`typer.BadParameter`.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import typer

__all__ = ["USAGE", "Fail", "Interrupted", "Outcome", "outcome_of", "report"]

USAGE = 2
"""Exit code of every user-facing error."""
BUG = 1
"""Exit code of an internal error (a bug in spillover)."""
INTERRUPTED = 130


class Fail(Exception):
    """A user-facing error: printed as one line, exit code 2."""


class Interrupted(Exception):
    """Ctrl-C during a command: its message says what was left behind; exit code 130."""


@dataclass(frozen=True)
class Outcome:
    """How the command ends: the lines for stderr (or stdout) and the exit code."""

    code: int
    lines: tuple[str, ...] = ()
    stdout: bool = False


@cache
def _click_classes() -> dict[str, type[BaseException]]:
    """The exception classes of the click that typer runs on (its own copy, or click)."""
    found: dict[str, type[BaseException]] = {}
    for cls in typer.BadParameter.__mro__:
        found.setdefault(cls.__name__, cls)
    module = sys.modules[found["ClickException"].__module__]
    for name in ("Exit", "Abort", "NoArgsIsHelpError"):
        if hasattr(module, name):
            found[name] = getattr(module, name)
    return found


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _is(exc: BaseException, name: str) -> bool:
    cls = _click_classes().get(name)
    return cls is not None and isinstance(exc, cls)


def _usage(exc: BaseException) -> Outcome:
    """A click usage error: its message, and where to read the command's help."""
    ctx = getattr(exc, "ctx", None)
    if _is(exc, "NoArgsIsHelpError") and ctx is not None:  # `spillover` alone: its help
        return Outcome(0, (ctx.get_help(),), stdout=True)
    message = exc.format_message()  # type: ignore[attr-defined]
    hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
    return Outcome(USAGE, (f"error: {_one_line(message)}{hint}",))


def _scenario(exc: BaseException, argv: list[str]) -> Outcome:
    problems = exc.problems  # type: ignore[attr-defined]
    more = len(problems) - 1
    if argv[:1] == ["validate"] and problems[0].line:  # every problem (and warning), one per line
        warnings = getattr(exc, "warnings", ())
        return Outcome(USAGE, (*(str(p) for p in problems), *(str(w) for w in warnings)))
    data = _values(argv, "--data")
    if any(p.file == d or Path(p.file) == Path(d) for p in problems for d in data):
        return Outcome(USAGE, tuple(str(p) for p in problems))  # no other command checks a --data file
    noun = "problem" if more == 1 else "problems"
    hint = f" (and {more} more {noun}: {_validate_line(argv)} lists them all)"
    first = str(problems[0]) if problems[0].line else f"error: {problems[0]}"  # no place: no location
    return Outcome(USAGE, (first + (hint if more else ""),))


def _values(argv: list[str], flag: str) -> list[str]:
    """The values given to ``flag`` (``--flag X`` or ``--flag=X``) in the command line."""
    out = [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == flag]
    return out + [a.split("=", 1)[1] for a in argv if a.startswith(flag + "=")]


_FILE_FLAGS = ("--evidence", "--data", "--out", "--posterior", "--into", "--json")


def _names_a_scenario(arg: str) -> bool:
    """True for a scenario file (``*.yaml`` but not ``*.evidence.yaml``) or a built-in's name."""
    from spillover.scenario.load import builtin_names

    if arg.startswith("-"):
        return False
    if arg.endswith((".yaml", ".yml")):
        return not arg.endswith(".evidence.yaml")
    return arg in builtin_names()


def _validate_line(argv: list[str]) -> str:
    """The validate command that lists every problem of this command's scenario and evidence."""
    found = (a for i, a in enumerate(argv) if _names_a_scenario(a) and argv[i - 1] not in _FILE_FLAGS)
    scenario = next(found, "SCENARIO")
    evidence = "".join(f" --evidence {e}" for e in _values(argv, "--evidence"))
    return f"spillover validate {scenario}{evidence}"


def outcome_of(exc: BaseException, argv: list[str] | None = None) -> Outcome:
    """The line(s) and exit code for an exception raised by a command."""
    from spillover.scenario.errors import ScenarioError

    if isinstance(exc, SystemExit):
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else USAGE)
        return Outcome(code)
    if isinstance(exc, typer.Exit) or _is(exc, "Exit"):
        return Outcome(int(getattr(exc, "exit_code", 0)))
    if isinstance(exc, Interrupted):
        return Outcome(INTERRUPTED, (f"interrupted: {_one_line(str(exc))}",))
    if isinstance(exc, KeyboardInterrupt):
        return Outcome(INTERRUPTED, ("interrupted",))
    if isinstance(exc, typer.Abort) or _is(exc, "Abort"):
        return Outcome(INTERRUPTED, ("aborted",))
    if _is(exc, "ClickException"):
        return _usage(exc)
    if isinstance(exc, ScenarioError):
        return _scenario(exc, argv or [])
    from concurrent.futures import BrokenExecutor

    if isinstance(exc, BrokenExecutor):  # a run folder's command says which folder to resume
        return Outcome(USAGE, ("error: a worker process died (killed, or out of memory?); "
                               "run the command again",))
    if isinstance(exc, Fail | ValueError | OSError | ImportError):
        return Outcome(USAGE, (f"error: {_one_line(str(exc)) or type(exc).__name__}",))
    return Outcome(BUG, (f"internal error: {type(exc).__name__}: {_one_line(str(exc))}",))


def report(exc: BaseException, argv: list[str] | None = None) -> int:
    """Print what :func:`outcome_of` says and return the exit code."""
    if os.environ.get("SPILLOVER_TRACEBACK") and not isinstance(exc, SystemExit):
        import traceback

        traceback.print_exception(exc)
    out = outcome_of(exc, argv)
    stream = sys.stdout if out.stdout else sys.stderr
    for line in out.lines:
        stream.write(line.rstrip("\n") + "\n")
    stream.flush()
    return out.code
