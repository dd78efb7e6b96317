"""``spillover backtest``: forecast later observations from what was known at each origin."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from spillover.cli.console import out
from spillover.cli.errors import Fail


def register(app: typer.Typer) -> None:
    """Add the ``backtest`` command to the ``spillover`` app."""
    app.command("backtest")(backtest)


def _origins(text: str) -> list[dt.date]:
    days = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            days.append(dt.date.fromisoformat(part))
        except ValueError:
            raise Fail(f"--origins takes dates YYYY-MM-DD separated by commas, got '{part}'") from None
    if not days:
        raise Fail("--origins needs at least one date")
    return days


def _num(x: Any) -> str:
    import math

    return "–" if x is None or (isinstance(x, float) and math.isnan(x)) else \
        (f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}")


def _skill(x: Any) -> str:
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    return "0.00" if round(x, 2) == 0 else f"{x:+.2f}"  # never "-0.00"


def render_scorecard(card: Any) -> Any:
    """Mean scores per origin, unit and method (lower CRPS and Brier are better)."""
    from rich.table import Table

    t = Table(title="Backtest: forecasts of the later observations (mean CRPS per unit; CRPS skill "
                    "= 1 − CRPS / climatology's, below 0 is worse than climatology; coverage of the 50% and "
                    "90% intervals)")
    for col in ("origin", "unit", "method", "targets", "CRPS", "skill", "in 50%", "in 90%", "Brier"):
        t.add_column(col, justify="left" if col in ("origin", "unit", "method") else "right")
    for row in card.itertuples():
        t.add_row(str(row.origin), str(row.unit), str(row.method), str(row.targets), _num(row.crps),
                  _skill(row.skill), _num(row.in50), _num(row.in90), _num(row.brier))
    return t


def backtest(
    ctx: typer.Context,
    scenario: Annotated[str, typer.Argument(help="Built-in name or YAML file.")],
    evidence: Annotated[list[Path], typer.Option(
        metavar="FILE", help="Evidence file (repeatable); a built-in scenario's name works.")],
    origins: Annotated[str, typer.Option(help="Forecast origins, YYYY-MM-DD separated by commas.")],
    runs: Annotated[int, typer.Option(min=1, help="Number of runs.")] = 1000,
    seed: Annotated[int, typer.Option(min=0, help="Seed: same seed, same results.")] = 0,
    out_dir: Annotated[Path | None, typer.Option("--out", help="Folder for backtest.parquet "
                                                 "[default: runs/<scenario>-backtest-<UTC time>].")] = None,
) -> None:
    """Condition on what was known at each origin and score the forecasts of what came later."""
    import shlex

    from spillover.api import backtest as run_backtest

    days = _origins(origins)
    argv = (ctx.obj or {}).get("argv")
    res = run_backtest(scenario, evidence, days, runs=runs, seed=seed, out=out_dir or "auto",
                       command=shlex.join(["spillover", *argv]) if argv else None)
    console = out()
    from spillover.analysis.backtest import fixed_targets, worse_than_climatology

    console.print(render_scorecard(res["scorecard"]))
    for line in [*worse_than_climatology(res["scorecard"]), *fixed_targets(res["table"])]:
        console.print(line, markup=False, highlight=False)
    console.print(f"results: {res['path'] / 'backtest.parquet'}", markup=False, highlight=False)
    console.print(f"report:  {res['path'] / 'backtest.html'}", markup=False, highlight=False)
