"""``spillover data ...``: import real data into the DuckDB store and look inside.

No logic lives here: each command calls one public function of :mod:`spillover.data` and
prints what it returns. Known errors become one ``error: ...`` line on stderr and exit
code 2, never a traceback. :mod:`spillover.data` (DuckDB, pandas, NumPy) is imported by
the commands, so that ``spillover data --help`` answers at once.
"""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from spillover.cli.lazy import ChoicesCommand

if TYPE_CHECKING:
    import pandas as pd

app = typer.Typer(
    help="Real data: SIPRI, GDELT, COW in a DuckDB store.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)

DbOption = Annotated[
    Path | None,
    typer.Option(
        "--db",
        help="Database file (default: $SPILLOVER_DB, else $XDG_DATA_HOME/spillover/"
        "spillover.duckdb, else ~/.local/share/spillover/spillover.duckdb).",
    ),
]


@contextmanager
def _one_line_errors() -> Iterator[None]:
    """Turn data-layer, DuckDB and file errors into one ``error: ...`` line, exit code 2.

    ``SystemExit`` (rather than ``typer.Exit``) keeps the code 2 also when the group is
    mounted in an app run with ``standalone_mode=False``, which returns ``typer.Exit``
    codes instead of exiting with them.
    """
    import duckdb

    from spillover.data.errors import DataError

    try:
        yield
    except (DataError, duckdb.Error, OSError) as exc:
        text = str(exc).strip()
        line = text.splitlines()[0] if text else type(exc).__name__
        err.print(f"error: {line}", markup=False, highlight=False, soft_wrap=True)
        raise SystemExit(2) from None


#: Short headers for the dyad table on an 80-column terminal (the CSV keeps full names).
_DYAD_HEADERS = {
    "verbal_cooperation": "vcoop",
    "material_cooperation": "mcoop",
    "verbal_conflict": "vconf",
    "material_conflict": "mconf",
    "events_a_to_b": "a>b",
    "events_b_to_a": "b>a",
}


def _frame_table(
    frame: pd.DataFrame,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    caption: str | None = None,
) -> Table:
    table = Table(
        title=title, caption=caption, box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True
    )
    cells = [[_format(v) for v in row] for row in frame.itertuples(index=False)]
    from pandas.api.types import is_numeric_dtype

    for index, column in enumerate(frame.columns):
        numeric = is_numeric_dtype(frame[column])
        header = (headers or {}).get(str(column), str(column))
        widest = max((len(row[index]) for row in cells), default=0)
        table.add_column(header, justify="right" if numeric else "left", min_width=min(widest, 12))
    for row in cells:
        table.add_row(*row)
    return table


def _line(text: str, style: str | None = None) -> None:
    """Print one unwrapped line of plain text."""
    console.print(text, markup=False, highlight=False, soft_wrap=True, style=style)


def _format(value: object) -> str:
    import numpy as np
    import pandas as pd

    if isinstance(value, list | tuple | np.ndarray):
        return ", ".join(_format(v) for v in value)
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
    return str(value)


def _bytes_bar() -> Progress:
    """A progress bar over the bytes of the files, on stderr, gone when done."""
    return Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), DownloadColumn(),
        TimeElapsedColumn(), console=err, transient=True,
    )  # fmt: skip


@app.command("import", cls=ChoicesCommand)
def import_cmd(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="What the files are: {kinds}.")],
    files: Annotated[
        list[Path],
        typer.Argument(metavar="FILE", help="Files to import (GDELT: .CSV or .CSV.zip)."),
    ],
    db: DbOption = None,
) -> None:
    """Import files, each all or nothing; re-importing a file (same sha256) is a no-op."""
    from spillover import data
    from spillover.data import formats

    with _one_line_errors():
        if kind not in formats.kinds():
            raise data.DataError(f"unknown kind {kind!r}; choose {', '.join(formats.kinds())}")
    sizes = [path.stat().st_size if path.is_file() else 0 for path in files]
    with _one_line_errors(), data.open_store(db) as store, _bytes_bar() as bar:
        task = bar.add_task("importing", total=sum(sizes) or None)
        before = 0
        for path, size in zip(files, sizes, strict=True):
            bar.update(task, description=f"importing {path.name}", completed=before)

            def tick(done: int, total: int, start: int = before, size: int = size) -> None:
                bar.update(task, completed=start + size * done / max(total, 1))

            result = data.import_file(store, kind, path, progress=tick)
            before += size
            _line(f"{path.name}: {result.summary()}")
            for note in result.notes:
                _line(f"  {note}", style="dim")
            if result.unmapped:
                _line(
                    f"  unmapped names (kept with X- ids): {', '.join(result.unmapped)}", "yellow"
                )


@app.command("tables")
def tables_cmd(db: DbOption = None) -> None:
    """List the store's tables with their row counts."""
    from spillover import data

    with _one_line_errors():
        frame = data.tables(db)
    console.print(_frame_table(frame))


@app.command("sql")
def sql_cmd(
    query: Annotated[
        str, typer.Argument(metavar="SQL", help="SELECT statement(s); the last result is printed.")
    ],
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
    db: DbOption = None,
) -> None:
    """Run your own read-only SQL against the store."""
    from spillover import data

    with _one_line_errors():
        frame = data.query(query, db)
    if csv:
        frame.to_csv(sys.stdout, index=False)
    else:
        console.print(_frame_table(frame))
        _line(f"{len(frame)} rows", style="dim")


@app.command("dyad")
def dyad_cmd(
    a: Annotated[str, typer.Argument(metavar="A", help="First actor, ISO3 (e.g. RUS).")],
    b: Annotated[str, typer.Argument(metavar="B", help="Second actor, ISO3 (e.g. KOR).")],
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD.")],
    freq: Annotated[str, typer.Option("--freq", help="day or month.")] = "day",
    out: Annotated[Path | None, typer.Option("--out", help="Also write the series as CSV.")] = None,
    db: DbOption = None,
) -> None:
    """Tension index (mention-weighted Goldstein, both directions) and QuadClass counts.

    When the range reaches beyond the days the store's GDELT exports cover, a warning on
    stderr names the days covered.
    """
    from spillover import data

    exists = "{} exists; spillover data dyad does not overwrite files, choose another name"
    with _one_line_errors(), warnings.catch_warnings():
        if out is not None and (out.exists() or out.is_symlink()):
            raise data.DataError(exists.format(out))
        warnings.simplefilter("ignore", data.CoverageWarning)  # printed below instead
        frame = data.dyad_series(db, a, b, start, end, freq=freq)
        if out is not None:
            try:
                with open(out, "x", encoding="utf-8", newline="") as f:  # made meanwhile: still refused
                    frame.to_csv(f, index=False)
            except FileExistsError:
                raise data.DataError(exists.format(out)) from None
    if frame.attrs.get("coverage_warning"):
        err.print(
            f"warning: {frame.attrs['coverage_warning']}",
            markup=False, highlight=False, soft_wrap=True,
        )  # fmt: skip
    title = f"{a.upper()} <-> {b.upper()}, {start} to {end}, by {freq}"
    caption = (
        "tension: mention-weighted Goldstein (-10 hostile .. +10 cooperative); "
        "vcoop/mcoop/vconf/mconf: events in QuadClass 1-4; a>b, b>a: events by direction"
    )
    console.print(_frame_table(frame, title=title, headers=_DYAD_HEADERS, caption=caption))
    active = int((frame["events"] > 0).sum())
    _line(f"{len(frame)} periods, {active} with events", style="dim")
    if out is not None:
        _line(f"written to {out}", style="dim")
