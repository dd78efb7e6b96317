"""Pure formatters for the analysis commands: results → rich renderables. No printing."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
from rich.table import Table
from rich.text import Text

from spillover.cli.render import pct


def num(x: Any, digits: int = 3) -> str:
    """A number in a few significant digits (thousands separated); '–' when missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    x = float(x)
    if abs(x) >= 1e6:
        return f"{x / 1e6:.{digits}g} M"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def small(x: float) -> str:
    """A regret or distance: 0, '<0.001', or two significant digits."""
    if x == 0:
        return "0"
    return "<0.001" if abs(x) < 1e-3 else f"{x:.2g}"


def signed(x: float, pp: bool = False) -> str:
    if x is None or math.isnan(x):
        return "–"
    return f"{100 * x:+.1f} pp" if pp else f"{x:+.3g}"


def _clear(lo: float, hi: float) -> bool:
    return not (math.isnan(lo) or lo <= 0 <= hi)


def render_orders(table: pd.DataFrame) -> Table:
    """Each indicator and event with its order and the transfer it is nearest to."""
    t = Table(title="Orders of effect (shortest path from a transfer)")
    for col, just in (("indicator or event", "left"), ("kind", "left"), ("order", "right"),
                      ("nearest transfer", "left")):
        t.add_column(col, justify=just)  # type: ignore[arg-type]
    for _, r in table.iterrows():
        order = "–" if math.isnan(r["order"]) else f"{r['order']:g}"
        t.add_row(str(r["id"]), str(r["kind"]), order, str(r["from"] or "–"))
    return t


def render_chains(chains: pd.DataFrame, check: pd.DataFrame | None = None) -> Table:
    """The strongest chains, with their cross-check by ablation when given."""
    t = Table(title="Strongest causal chains (product of |nominal weights|)")
    t.add_column("chain")
    t.add_column("|w| product", justify="right")
    t.add_column("sign", justify="center")
    if check is not None and len(check):
        for col in ("removed", "effect on end", "90% interval", "verdict"):
            t.add_column(col, justify="right" if col in ("effect on end", "90% interval") else "left")
    for i, r in enumerate(chains.itertuples()):
        row = [str(r.chain), num(r.strength), "+" if r.sign > 0 else "−"]
        if check is not None and len(check):
            c = check.iloc[i]
            pp = str(c["quantity"]).startswith("fired.")
            row += [f"{c['removed']}\n→ {c['quantity']}", signed(c["mean_diff"], pp),
                    f"{signed(c['lo'], pp)} to {signed(c['hi'], pp)}", str(c["verdict"])]
        t.add_row(*row)
    return t


def render_attribution(effects: pd.DataFrame, policy: str, runs: int) -> Table:
    """Items × claims: the paired change in each claim's probability when the item is removed."""
    claims = effects[effects["quantity_kind"] == "claim"]
    names = list(dict.fromkeys(claims["quantity"]))
    t = Table(title=f"Attribution: change in each claim's probability when removed, in percentage points "
                    f"({policy}, {runs} paired runs; dim = 90% interval includes 0)")
    t.add_column("removed")
    for n in names:
        t.add_column(n, justify="right")
    for item, g in claims.groupby("item", sort=False):
        cells: list[Text | str] = []
        by = {r.quantity: r for r in g.itertuples()}
        for n in names:
            r = by.get(n)
            if r is None:
                cells.append("–")
                continue
            pp = 100 * r.mean_diff
            txt = "0 pp" if pp == 0 else f"{pp:+.1f} pp" if abs(pp) < 1 else f"{pp:+.0f} pp"
            cells.append(Text(txt, style="bold" if _clear(r.lo, r.hi) else "dim"))
        t.add_row(str(item), *cells)
    return t


def render_sensitivity(res: Any, top: int = 15) -> Table:
    """The top inputs with their index, interval and whether each is sourced or judgment."""
    from spillover.analysis.sensitivity import method

    m = method(res.method)
    measure = m.label
    t = Table(title=f"Sensitivity of {res.outcome} under {res.policy}: {res.method}, n={res.n:,} "
                    f"({res.runs:,} runs), {pct(res.level)} intervals")
    for col in ("rank", "input", "basis", measure, "interval"):
        t.add_column(col, justify="right" if col in ("rank", measure, "interval") else "left")
    for _, header in m.shown:
        t.add_column(header, justify="right")
    for _, r in res.table.head(top).iterrows():
        basis = Text(str(r["label"]), style="yellow" if r["label"] in ("judgment", "unsourced") else "cyan")
        row: list[Any] = [str(r["rank"]), str(r["input"]), basis, num(r["index"]),
                          f"{num(r['lo'])} to {num(r['hi'])}"]
        row += [num(r[col]) for col, _ in m.shown]
        t.add_row(*row)
    return t


def render_tradeoff(d: Any, rows: int = 8) -> Table:
    """A thinned PRIM trajectory, the chosen box's step marked."""
    traj = d.prim.trajectory
    step = max(1, len(traj) // rows)
    keep = sorted(set(range(0, len(traj), step)) | {d.prim.chosen, len(traj) - 1})
    t = Table(title="PRIM peeling trajectory (coverage/density trade-off)")  # the box says the pruning
    for col in ("step", "coverage", "density", "runs in box", "inputs limited"):
        t.add_column(col, justify="right")
    for i in keep:
        r = traj.iloc[i]
        mark = " ◀ chosen" if i == d.prim.chosen else ""
        t.add_row(f"{int(r['step'])}{mark}", pct(r["coverage"]), pct(r["density"]), f"{int(r['n']):,}",
                  str(int(r["restricted"])))
    return t


def render_box(d: Any) -> Table:
    """The chosen box's restricted inputs, saying when pruning dropped some of its limits."""
    p = d.prim
    origin = (f"step {p.chosen} pruned to the {len(p.box)} of its {p.peeled} limits the data support "
              f"(quasi-p ≤ {p.max_qp:g})" if p.pruned else f"step {p.chosen}")
    t = Table(title=f"PRIM box, {origin}: coverage {pct(p.coverage)}, density {pct(p.density)} "
                    f"({p.n:,} runs; base rate {pct(d.share)})")
    for col in ("input", "basis", "from", "to", "range in runs", "quasi-p"):
        t.add_column(col, justify="left" if col in ("input", "basis") else "right")
    for r in p.box.itertuples():
        t.add_row(str(r.input), d.labels.get(r.input, ""), num(r.lo), num(r.hi),
                  f"{num(r.min)} to {num(r.max)}", f"{r.qp:.2g}")
    return t


def render_tree(tree: pd.DataFrame, top: int = 5) -> Table:
    """The densest leaves of the classification tree."""
    t = Table(title="Classification tree (CART): densest leaves")
    for col in ("leaf", "runs", "density", "coverage"):
        t.add_column(col, justify="left" if col == "leaf" else "right")
    for r in tree.head(top).itertuples():
        t.add_row(str(r.rule), f"{r.n:,}", pct(r.density), pct(r.coverage))
    return t


def render_fit(fit: Any) -> Table:
    """Least-squares estimates with their intervals."""
    t = Table(title=f"Least squares: {fit.points} points, RMS scaled residual {fit.rmse:.3g}, "
                    f"{pct(fit.level)} intervals")
    for col in ("input", "basis", "fitted", "interval", "started at", "allowed range"):
        t.add_column(col, justify="left" if col in ("input", "basis") else "right")
    for r in fit.table.itertuples():
        name = f"{r.input} (at a bound)" if r.at_bound else str(r.input)
        t.add_row(name, str(r.label), num(r.estimate, 4), f"{num(r.lo, 4)} to {num(r.hi, 4)}", num(r.start),
                  f"{num(r.min)} to {num(r.max)}")
    return t


def render_posterior(post: Any, top: int = 10) -> Table:
    """ABC: prior and posterior 5–95% ranges, most narrowed first; the closest runs when none fit."""
    fits = getattr(post, "fits", True)
    head = "ABC rejection" if fits else "ABC rejection, NO FIT (the closest runs, not a posterior)"
    t = Table(title=f"{head}: {len(post.posterior):,} of {post.runs:,} runs kept "
                    f"(distance ≤ {post.epsilon:.3g})")
    kept = "posterior 5–95%" if fits else "closest runs 5–95%"
    for col in ("input", "basis", "prior 5–95%", kept, "narrowed"):
        t.add_column(col, justify="left" if col in ("input", "basis") else "right")
    for r in post.summary.head(top).itertuples():
        t.add_row(str(r.input), str(r.label), f"{num(r.prior_lo)} to {num(r.prior_hi)}",
                  f"{num(r.post_lo)} to {num(r.post_hi)}", pct(max(r.narrowing, 0.0)) if fits else "—")
    return t


def render_regret(table: pd.DataFrame) -> Table:
    """Per outcome: each policy's share of runs where it is best, mean and max regret; ★ minimax."""
    policies = list(dict.fromkeys(table["policy"]))
    t = Table(title="Regret per outcome: best in % of runs · mean regret · max regret "
                    "(★ = minimax regret; ★ tie: tied)")
    t.add_column("outcome")
    for p in policies:
        t.add_column(p, justify="right")
    unscored: list[str] = []
    for q, g in table.groupby("quantity", sort=False):
        cells = []
        if g["better"].iloc[0] == "undeclared":  # listed, not scored
            unscored.append(str(q))
            continue
        tie = int(g["minimax"].sum()) > 1
        for p in policies:
            r = g[g["policy"] == p].iloc[0]
            star = (" ★ tie" if tie else " ★") if r["minimax"] else ""
            text = f"{pct(r['best_share'])} · {small(r['mean_regret'])} · {small(r['max_regret'])}{star}"
            cells.append(Text(text, style="bold" if r["minimax"] else ""))
        arrow = "↑" if g["better"].iloc[0] == "higher" else "↓"
        t.add_row(f"{q} {arrow}", *cells)
    if unscored:
        t.caption = f"Not scored, no declared direction (prefer:): {', '.join(unscored)}"
    return t


def render_regret_summary(summary: pd.DataFrame, n: int) -> Table:
    t = Table(title="Minimax-regret choice")
    for col in ("policy", "minimax for", "best most often for"):
        t.add_column(col, justify="left" if col == "policy" else "right")
    for r in summary.itertuples():
        t.add_row(str(r.policy), f"{r.minimax} of {n}", f"{r.most_often_best} of {n}")
    return t
