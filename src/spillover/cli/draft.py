"""``spillover draft``: write a scenario skeleton from the data store.

No logic lives here: the command calls :func:`spillover.data.draft.build_draft`, writes the
text and prints what went into it. Known errors become one ``error: ...`` line on stderr and
exit code 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``draft`` command to the ``spillover`` app."""
    app.command("draft")(draft)


def draft(
    actors: Annotated[
        str, typer.Option("--actors", help="Comma-separated ISO3 codes or X- ids, e.g. PRK,RUS,KOR.")
    ],
    start: Annotated[str, typer.Option("--from", help="Day 0 of the scenario, YYYY-MM-DD.")],
    out: Annotated[Path, typer.Option("--out", help="Scenario file to write (never overwritten).")],
    end: Annotated[
        str | None,
        typer.Option("--to", help="Last day of the data window (default: the last day of the horizon)."),
    ] = None,
    horizon: Annotated[int, typer.Option(min=1, max=36500, help="Days simulated.")] = 730,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="Database file (default: $SPILLOVER_DB, else the per-user store)."),
    ] = None,
) -> None:
    """Draft a scenario from SIPRI, GDELT and COW data: sourced numbers, judgment placeholders."""
    import duckdb

    from spillover.cli.console import counted
    from spillover.data.draft import PLACEHOLDER, build_draft
    from spillover.data.errors import DataError

    try:
        result = build_draft(db, actors.split(","), start, horizon, out, end=end)
    except (DataError, duckdb.Error, OSError) as exc:
        text = str(exc).strip()
        typer.echo(f"error: {text.splitlines()[0] if text else type(exc).__name__}", err=True)
        raise SystemExit(2) from None
    placeholders = result.text.count(PLACEHOLDER)
    typer.echo(
        f"wrote {out}: {counted(len(result.actors), 'actor')}, {counted(len(result.transfers), 'transfer')} "
        f"(SIPRI), {counted(len(result.dyads), 'dyad')} with a hostility baseline (GDELT), "
        f"{counted(placeholders, 'placeholder')}"
    )
    for notice in result.notices:
        typer.echo(f"  note: {notice}")
    typer.echo(f"next: set each '{PLACEHOLDER}', then: spillover validate {out} --strict")
