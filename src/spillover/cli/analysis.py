"""The analysis commands: explain, sensitivity, discover, calibrate, robust.

Each command calls one library function of :mod:`spillover.analysis` and prints its
findings with the pure formatters of :mod:`spillover.cli.analysis_render`. With
``--into RUN_FOLDER`` the findings also become a section of that run's report.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from spillover.analysis.sensitivity import METHODS
from spillover.cli.console import out
from spillover.cli.errors import Fail
from spillover.cli.lazy import ChoicesCommand

if TYPE_CHECKING:
    from spillover.scenario.model import Scenario

Scenario_ = Annotated[str, typer.Argument(help="Built-in name or YAML file.")]
Seed = Annotated[int, typer.Option(min=0, help="Seed: same seed, same results.")]
PolicyOpt = Annotated[str | None, typer.Option(help="Policy to analyse [default: the first].")]
Workers = Annotated[int, typer.Option(min=1, help="Worker processes.")]
def _finished_folder(folder: Path | None) -> Path | None:
    """Refuse an ``--into`` folder that does not hold a finished run, before the analysis runs."""
    if folder is None:
        return None
    from spillover.report.folder import check_finished

    try:
        return check_finished(folder)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


Into = Annotated[Path | None, typer.Option(help="Run folder whose report gets this section.",
                                           callback=_finished_folder)]


def _scenario(name: str) -> Scenario:
    from spillover.scenario.load import load_scenario, resolve

    return load_scenario(resolve(name))


@contextmanager
def _bar(label: str) -> Iterator[Callable[[int, int], None]]:
    """A progress bar on stderr (a terminal only); yields the callback ``(done, total)``."""
    from spillover.cli.progress import engine_is_compiled, status_bar

    with status_bar(label, None, cold=not engine_is_compiled()) as tick:
        yield tick


@contextmanager
def _caret() -> Iterator[None]:
    """An expression's mistake as one line that names its column and quotes the expression."""
    from spillover.scenario.expr import ExprError

    try:
        yield
    except ExprError as exc:
        if exc.column is None or not exc.text:
            raise
        raise Fail(expr_line(exc)) from None


def expr_line(exc: Any) -> str:
    """``--where: unknown outcome 'x' at column 1 of 'x > 3' (did you mean ...)``: the column
    and the expression go before a suggestion or a list of the valid names.

    >>> from spillover.scenario.expr import ExprError
    >>> expr_line(ExprError("unknown outcome 'x' (did you mean 'y'?)", 1, "x > 3", "--where"))
    "--where: unknown outcome 'x' at column 1 of 'x > 3' (did you mean 'y'?)"
    """
    message, at = exc.message, f" at column {exc.column} of '{exc.text}'"
    cuts = [i for i in (message.find(" (did you mean"), message.find("; ")) if i >= 0]
    cut = min(cuts, default=len(message))
    message = message[:cut] + at + message[cut:]
    return f"{exc.source}: {message}" if exc.source else message


def _into(folder: Path | None, sections: dict[str, dict[str, Any]], sc: Scenario) -> None:
    """Add the sections to the report of the run in ``folder`` and say where it is, once."""
    if folder is None or not sections:
        return
    from spillover.report.folder import add_section

    for name, data in sections.items():
        report = add_section(folder, name, data, sc)
    out().print(f"report: {report}", markup=False, highlight=False)


def _names(text: str | None) -> list[str] | None:
    return [n.strip() for n in text.split(",") if n.strip()] if text else None


def explain_cmd(
    scenario: Scenario_ = "nk-russia-2023",
    runs: Annotated[int, typer.Option(min=0, help="Runs for the ablation (0: the graph only).")] = 200,
    seed: Seed = 0,
    policy: PolicyOpt = None,
    top: Annotated[int, typer.Option(min=1, help="Chains to list.")] = 8,
    workers: Workers = 1,
    into: Into = None,
) -> None:
    """Orders of effect, the strongest chains, and what each transfer and channel causes."""
    from spillover.analysis.ablation import ablate, check_chains
    from spillover.analysis.graph import influence_graph, order_table, strongest_chains
    from spillover.analysis.sections import ablation_section, orders_section
    from spillover.cli.analysis_render import render_attribution, render_chains, render_orders

    sc = _scenario(scenario)
    g = influence_graph(sc)
    out().print(render_orders(order_table(g)))
    chains = strongest_chains(g, top=top)
    check, ab = None, None
    if runs:
        with _bar(f"ablating every transfer and channel of {sc.name}") as tick:
            ab = ablate(sc, runs=runs, seed=seed, policy=policy, workers=workers, progress=tick)
        check = check_chains(chains, ab)
    section = orders_section(sc, top=top, check=check)
    out().print(render_chains(section["chains"], check))
    sections: dict[str, dict[str, Any]] = {}
    if ab is not None:
        out().print(render_attribution(ab.effects, ab.policy, ab.runs))
        out().print(f"{len(ab.items)} items ablated on {ab.runs} paired runs in {ab.seconds:.1f} s")
        sections["ablation"] = ablation_section(ab)
    _into(into, {**sections, "orders": section}, sc)


def sensitivity_cmd(
    scenario: Scenario_ = "nk-russia-2023",
    outcome: Annotated[str, typer.Option(help="Outcome, expression or claim id.")] = "",
    method: Annotated[str, typer.Option(help=f"Method: {', '.join(METHODS)}.")] = "sobol",
    n: Annotated[int, typer.Option(help="What it counts depends on the method: {methods_n}.")] = 1024,
    seed: Seed = 0,
    policy: PolicyOpt = None,
    inputs: Annotated[str | None, typer.Option(help="Only vary these inputs (comma-separated).")] = None,
    randomness: Annotated[bool, typer.Option(help="Vary each run's random draws as one more factor.")] = True,
    top: Annotated[int, typer.Option(min=1, help="Inputs to list.")] = 15,
    workers: Workers = 1,
    into: Into = None,
) -> None:
    """Global sensitivity (SALib) of one outcome to the uncertain inputs, under one policy."""
    from spillover.analysis.sections import sensitivity_section
    from spillover.analysis.sensitivity import sensitivity
    from spillover.cli.analysis_render import render_sensitivity

    if not outcome:
        raise typer.BadParameter("name the outcome to explain, e.g. --outcome peak.chn_rus_friction "
                                 "or --outcome seoul_arms_kyiv (a claim)", param_hint="--outcome")
    sc = _scenario(scenario)
    with _caret(), _bar(f"{method} on {sc.name}") as tick:
        res = sensitivity(sc, outcome, method, n, seed, policy, _names(inputs), randomness, top=top,
                          workers=workers, progress=tick)
    out().print(render_sensitivity(res, top))
    for w in res.warnings:
        out().print(f"[yellow]{w}[/yellow]")
    out().print(f"{res.runs:,} runs in {res.seconds:.1f} s")
    _into(into, {"sensitivity": sensitivity_section(res)}, sc)


def discover_cmd(
    scenario: Scenario_ = "nk-russia-2023",
    where: Annotated[str, typer.Option(help="Yes/no condition on the outcomes, or a claim id.")] = "",
    runs: Annotated[int, typer.Option(help="Runs of the ensemble.")] = 1000,
    seed: Seed = 0,
    policy: PolicyOpt = None,
    min_coverage: Annotated[float, typer.Option(help="Coverage the chosen PRIM box keeps.")] = 0.5,
    alpha: Annotated[float, typer.Option(help="Share peeled at each PRIM step.")] = 0.05,
    depth: Annotated[int, typer.Option(min=1, help="Depth of the classification tree.")] = 3,
    workers: Workers = 1,
    into: Into = None,
) -> None:
    """Scenario discovery: the input regions where a condition holds (PRIM and CART)."""
    from spillover.analysis.discovery import Limits, discover
    from spillover.analysis.sections import discovery_section
    from spillover.cli.analysis_render import render_box, render_tradeoff, render_tree

    if not where:
        raise typer.BadParameter("give the condition, e.g. --where \"fired('kor_arms_ukraine')\"",
                                 param_hint="--where")
    sc = _scenario(scenario)
    with _caret(), _bar(f"running {sc.name}") as tick:
        d = discover(sc, where, runs=runs, seed=seed, policy=policy, workers=workers, progress=tick,
                     limits=Limits(alpha=alpha, min_coverage=min_coverage, max_depth=depth))
    out().print(f"{d.where}: holds in {d.share:.1%} of {d.runs:,} runs under {d.policy}")
    for w in d.warnings:
        out().print(f"[yellow]{w}[/yellow]")
    for table in (render_tradeoff(d), render_box(d), render_tree(d.tree)):
        out().print(table)
    _into(into, {"discovery": discovery_section(d)}, sc)


def calibrate_cmd(
    scenario: Scenario_ = "nk-russia-2023",
    data: Annotated[Path | None, typer.Option(help="CSV: date,value; or what 'spillover data dyad --out' or "
                                                   "'spillover data sql --csv' writes.")] = None,
    target: Annotated[str, typer.Option(help="indicator.<id> or stock.<actor>.<munition>.")] = "",
    column: Annotated[str | None, typer.Option(help="The data's value column (default: value; tension "
                                                    "for a dyad CSV; the only one beside the date).")] = None,
    scale: Annotated[float, typer.Option(help="Measurement model: data = offset + scale × target.")] = 1.0,
    offset: Annotated[float, typer.Option(help="Measurement model: see --scale.")] = 0.0,
    noise: Annotated[float | None, typer.Option(help="The data's noise (a standard deviation in their units; "
                                                     "default: their scatter between points).")] = None,
    inputs: Annotated[str | None, typer.Option(help="Inputs to fit (comma-separated).")] = None,
    method: Annotated[str, typer.Option(help="ls (least squares), abc, or both.")] = "both",
    runs: Annotated[int, typer.Option(help="Prior runs for ABC.")] = 2000,
    accept: Annotated[float, typer.Option(help="Share of runs ABC keeps.")] = 0.05,
    posterior: Annotated[Path | None, typer.Option(help="Write ABC's posterior sample (Parquet).")] = None,
    seed: Seed = 0,
    policy: PolicyOpt = None,
    into: Into = None,
) -> None:
    """Fit uncertain inputs to an observed series: least squares and ABC rejection.

    A fit that misses the data by more than their noise is said first, and ABC then
    writes no posterior.
    """
    from spillover.analysis.abc import abc, write_posterior
    from spillover.analysis.calibration import fit_least_squares
    from spillover.analysis.observed import read_observations
    from spillover.analysis.sections import calibration_section
    from spillover.cli.analysis_render import render_fit, render_posterior

    if method not in ("ls", "abc", "both"):
        raise typer.BadParameter(f"unknown method '{method}' (use ls, abc or both)", param_hint="--method")
    if data is None or not target:
        raise typer.BadParameter("give --data FILE.csv and --target (e.g. indicator.kor_threat)")
    sc = _scenario(scenario)
    obs = [read_observations(data, target, sc, column=column, scale=scale, offset=offset, noise=noise)]
    fit = post = None
    if method in ("ls", "both"):
        with _bar("least squares"):
            fit = fit_least_squares(sc, obs, _names(inputs) or [], policy)
    if method in ("abc", "both"):
        with _bar(f"ABC over {runs:,} runs") as tick:
            post = abc(sc, obs, runs, accept, seed, policy, _names(inputs), progress=tick)
        if posterior is not None and not post.fits:
            raise ValueError(f"{post.warning} No posterior written to {posterior}.")
    for warning in (fit.warning if fit else None, post.warning if post else None):
        if warning:
            out().print(f"[bold red]{warning}[/bold red]")
    if fit is not None:
        out().print(render_fit(fit))
    if post is not None:
        out().print(render_posterior(post))
        if posterior is not None:
            out().print(f"posterior: {write_posterior(post, posterior)} ({len(post.posterior)} runs)")
    _into(into, {"calibration": calibration_section(fit, post, target)}, sc)


def robust_cmd(
    scenario: Scenario_ = "nk-russia-2023",
    runs: Annotated[int, typer.Option(min=1, help="Runs of the ensemble.")] = 500,
    seed: Seed = 0,
    outcome: Annotated[list[str] | None, typer.Option(help="Outcome to compare (repeatable; default: "
                                                           "miscalculation, peaks, events).")] = None,
    higher_is_better: Annotated[list[str] | None, typer.Option(help="Outcome where more is better.")] = None,
    lower_is_better: Annotated[list[str] | None, typer.Option(
        help="Outcome where less is better (one with no declared direction is listed, not scored).")] = None,
    run_folder: Annotated[Path | None, typer.Option("--from", help="Use a finished run's outcomes.")] = None,
    workers: Workers = 1,
    into: Into = None,
) -> None:
    """The regret table: which policy is best in how many runs, and the minimax-regret choice."""
    from spillover.analysis.robustness import regret_summary, robust
    from spillover.analysis.sections import regret_section
    from spillover.cli.analysis_render import render_regret, render_regret_summary

    sc = _scenario(scenario)
    outcomes = None
    if run_folder is not None:
        from spillover.results.store import read_result

        outcomes = read_result(run_folder).outcomes
    with _bar(f"running {sc.name}") as tick, _caret():
        table = robust(sc, outcomes=outcomes, quantities={o: o for o in outcome} if outcome else None,
                       higher_is_better=higher_is_better or None, lower_is_better=lower_is_better or None,
                       runs=runs, seed=seed, workers=workers,
                       progress=tick)
    out().print(render_regret(table))
    scored = table[table["better"] != "undeclared"]
    out().print(render_regret_summary(regret_summary(table), scored["quantity"].nunique()))
    _into(into, {"regret": regret_section(table)}, sc)


def register(app: typer.Typer) -> None:
    """Add the analysis commands to the ``spillover`` app."""
    app.command("explain")(explain_cmd)
    app.command("sensitivity", cls=ChoicesCommand)(sensitivity_cmd)
    app.command("discover")(discover_cmd)
    app.command("calibrate")(calibrate_cmd)
    app.command("robust")(robust_cmd)
