"""The HTML pages: Scenarios, Scenario, Editor, Explore, Results, Runs and Compare.

Pages are rendered from the same data as the JSON API (the scenario summary, the run's
tables, the report's formatters); the scripts in ``static/`` call the API for the
interactive parts (running, polling, validating).
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from spillover.report import figures as F
from spillover.report import tables as T
from spillover.report.html import figure_json
from spillover.scenario.errors import ScenarioError
from spillover.scenario.summary import summarize
from spillover.serve import history as H
from spillover.serve import results as R
from spillover.serve.catalog import problem_dicts
from spillover.serve.context import Context, get_ctx
from spillover.serve.models import MAX_SEED
from spillover.serve.paths import DOWNLOADS, BadName, relative_message, run_folder
from spillover.serve.respond import SafeHTMLResponse

router = APIRouter(include_in_schema=False)
Ctx = Annotated[Context, Depends(get_ctx)]
_TEMPLATES = Path(__file__).with_name("templates")


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja environment of the pages (autoescaped)."""
    env = Environment(loader=FileSystemLoader(str(_TEMPLATES)), autoescape=select_autoescape(default=True),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = T.fmt_pct
    env.filters["num"] = T.fmt_number
    env.filters["tojson_safe"] = lambda x: json.dumps(x).replace("<", "\\u003c").replace(">", "\\u003e")
    env.filters["rst"] = rst_inline
    return env


_LITERAL = re.compile(r"``(.+?)``", re.DOTALL)


def rst_inline(text: str) -> Markup:
    """A docstring as HTML: escaped, ````literal```` as ``<code>``, blank lines as paragraphs.

    >>> str(rst_inline("Poll ``GET /api/runs/{id}`` <now>.\\n\\nThen read."))
    '<p>Poll <code>GET /api/runs/{id}</code> &lt;now&gt;.</p><p>Then read.</p>'
    """
    html = _LITERAL.sub(lambda m: f"<code>{m.group(1)}</code>", str(escape(text)))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", html) if p.strip()]
    return Markup("".join(f"<p>{p}</p>" for p in paragraphs))


def render(name: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template with the shared context."""
    context.setdefault("plotly", False)
    context.setdefault("scripts", [])
    if context["plotly"]:
        context.setdefault("template_json", R.template_json().replace("<", "\\u003c"))
    html = environment().get_template(name).render(**context)
    return SafeHTMLResponse(html, status_code=status)


@router.get("/")
def home() -> RedirectResponse:
    return RedirectResponse("/scenarios", status_code=303)


@router.get("/scenarios")
def scenarios_page(ctx: Ctx) -> HTMLResponse:
    return render("scenarios.html.j2", title="Scenarios", page="scenarios",
                  entries=[e.to_dict() for e in ctx.catalog.entries()],
                  writable=True, scenarios_dir=shown_dir(ctx.catalog.dir), scripts=["scenarios.js"])


def shown_dir(folder: Path) -> str:
    """A folder as the page shows it: as configured when relative, else its name only.

    >>> shown_dir(Path("scenarios")), shown_dir(Path("/home/ana/work/scenarios"))
    ('scenarios', 'scenarios')
    """
    return str(folder) if not folder.is_absolute() else (folder.name or ".")


@router.get("/scenarios/new")
def new_scenario(ctx: Ctx, base: Annotated[str, Query(max_length=80)] = "nk-russia-2023",
                 upload: bool = False) -> HTMLResponse:
    """The editor on a copy of ``base``; with ``upload``, on the file the Scenarios page just
    failed to upload (the browser hands its text over: it was not saved on the server)."""
    if upload:
        return _editor(ctx, "uploaded.yaml", "", None, from_upload=True)
    text = ctx.catalog.text(base)
    return _editor(ctx, f"my-{base.split('.')[0]}.yaml", text, None)


@router.get("/scenarios/{ref}/edit")
def edit_scenario(ref: str, ctx: Ctx) -> HTMLResponse:
    entry = ctx.catalog.entry(ref)
    name = ref if entry.origin == "file" else f"my-{ref}.yaml"
    return _editor(ctx, name, ctx.catalog.text(ref), entry.to_dict())


def _editor(ctx: Ctx, file_name: str, text: str, entry: dict[str, Any] | None,
            from_upload: bool = False) -> HTMLResponse:
    return render("editor.html.j2", title="Edit scenario", page="editor", file_name=file_name, text=text,
                  entry=entry, max_upload=ctx.max_upload, scripts=["editor.js"], from_upload=from_upload)


@router.get("/scenarios/{ref}")
def scenario_page(ref: str, ctx: Ctx) -> HTMLResponse:
    entry = ctx.catalog.entry(ref)
    if not entry.valid:
        return render("invalid.html.j2", status=422, title=ref, page="scenario", entry=entry.to_dict())
    summary = summarize(ctx.catalog.load(ref))
    tables = {
        "transfers": T.transfer_rows(summary), "indicators": T.indicator_rows(summary),
        "signals": T.signal_rows(summary), "events": T.event_rows(summary),
        "levers": T.lever_rows(summary), "policies": T.policy_rows(summary),
        "inputs": T.input_rows(summary), "sources": T.source_rows(summary),
    }
    return render("scenario.html.j2", title=summary["title"], page="scenario", ref=ref, entry=entry.to_dict(),
                  s=summary, t=tables, network=_network(summary), max_network=MAX_NETWORK_ACTORS,
                  plotly=True)


#: Most actors the Scenario page draws the network of: the layout's cost grows faster than
#: the square of the actors (400 take about 2.5 s of CPU, 800 about 22 s), and a valid file
#: of 1 MB can declare thousands.
MAX_NETWORK_ACTORS = 150


def _network(summary: dict[str, Any]) -> str | None:
    """The network figure's JSON, or None for a scenario of too many actors to lay out."""
    if len(summary.get("actors") or []) > MAX_NETWORK_ACTORS:
        return None
    return figure_json(F.network_figure(summary))


@router.get("/explore")
def explore_page(ctx: Ctx, scenario: Annotated[str, Query(max_length=80)] = "nk-russia-2023",
                 preset: Annotated[str | None, Query(max_length=64)] = None) -> HTMLResponse:
    try:
        summary = summarize(ctx.catalog.load(scenario))
    except ScenarioError as exc:
        entry = ctx.catalog.entry(scenario).to_dict()
        entry["problems"] = problem_dicts(exc.problems)
        return render("invalid.html.j2", status=422, title=scenario, page="explore", entry=entry)
    valid = [e.to_dict() for e in ctx.catalog.entries() if e.valid]
    policies = summary["policies"]
    chosen = preset if preset in {p["id"] for p in policies} else (policies[0]["id"] if policies else None)
    levers = {lv["id"]: lv["default"] for lv in summary["levers"]}
    if chosen is not None:
        levers.update(next(p["levers"] for p in policies if p["id"] == chosen))
    return render("explore.html.j2", title=f"Explore · {summary['title']}", page="explore", ref=scenario,
                  s=summary, scenarios=valid, preset=chosen, values=levers, max_runs=ctx.max_runs,
                  max_seed=MAX_SEED,
                  claims=summary["claims"], scripts=["explore.js"])


@router.get("/runs")
def runs_page(ctx: Ctx) -> HTMLResponse:
    return render("runs.html.j2", title="Runs", page="runs", history=H.history(ctx.runs_dir),
                  jobs=[j.status() for j in ctx.manager.jobs() if j.state != "done"], scripts=["runs.js"])


@router.get("/runs/compare")
def compare_page(ctx: Ctx, a: Annotated[str, Query(max_length=160)],
                 b: Annotated[str, Query(max_length=160)]) -> HTMLResponse:
    try:
        data = H.compare_runs(ctx.runs_dir, a, b)
    except FileNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except BadName:
        raise
    except (ValueError, OSError, duckdb.Error) as exc:  # a damaged run folder: refused with the reason
        what = relative_message(f"{type(exc).__name__}: {exc}".splitlines()[0], ctx.runs_dir)[:200]
        raise HTTPException(422, f"the runs cannot be compared ({what})") from None
    return render("compare.html.j2", title="Compare runs", page="compare", c=data,
                  claim_groups=grouped(data["claims"], "claim"),
                  outcome_groups=grouped(data["outcomes"], "quantity"))


def grouped(rows: list[dict[str, Any]], key: str) -> list[list[dict[str, Any]]]:
    """Consecutive rows with the same ``key`` together (a claim's rows, one per policy), so
    the page states each claim once.

    >>> [len(g) for g in grouped([{"c": 1}, {"c": 1}, {"c": 2}], "c")]
    [2, 1]
    """
    groups: list[list[dict[str, Any]]] = []
    for row in rows:
        if groups and groups[-1][0].get(key) == row.get(key):
            groups[-1].append(row)
        else:
            groups.append([row])
    return groups


@router.get("/runs/{run_id}")
def results_page(run_id: str, ctx: Ctx,
                 paired: Annotated[str | None, Query(max_length=160)] = None) -> HTMLResponse:
    res = ctx.paired(run_id, paired)
    summary, manifest = res.scenario_summary, res.manifest
    policies = R.policies_of(res)
    folder = run_folder(ctx.runs_dir, run_id)
    files = [n for n in DOWNLOADS if (folder / n).exists() or n == "report.html"]
    own = {k: v for k, v in summary.items() if k != "policies"}  # list the run's policies only
    candidates = [] if paired or len(policies) > 1 else \
        H.pairing_candidates(ctx.runs_dir, run_id, manifest, R.PAIRING_KEYS)
    return render("results.html.j2", title=f"Results · {run_id}", page="results", run_id=run_id,
                  s=summary, policies=policies,
                  metadata=[(k, relative_message(str(v), ctx.runs_dir, ctx.catalog.dir))
                            for k, v in T.metadata_rows(manifest, own)],
                  claims=_claim_tables(res, summary, policies), cases=R.case_view(res),
                  judgments=R.judgment_view(res),
                  comparison=R.comparison_view(res), outcomes=R.key_outcomes(res),
                  files=files, plotly=True, scripts=["results.js"], paired=paired or "",
                  candidates=candidates)


def _claim_tables(res: Any, summary: dict[str, Any], policies: list[str]) -> list[dict[str, Any]]:
    """The claims per policy, with both words where an interval crosses a band edge."""
    tables = T.claim_tables(res.claims, summary, policies)
    view = R.case_view(res) or {}
    words = {(r["claim"], r["policy"]): r["words"] for r in view.get("rows") or []}
    table = ((res.extra or {}).get("analysis") or {}).get("headline", {}).get("table")
    if table is not None and not words:
        words = {(str(r.claim), str(r.policy)): str(r.words) for r in table.itertuples()}
    for c in tables:
        for r in c["rows"]:
            r["word"] = words.get((c["id"], r["policy"]), r["word"])
    return tables


@router.get("/api-docs")
def api_docs(request: Request) -> HTMLResponse:
    schema = request.app.openapi()
    ops = [{"method": m.upper(), "path": p, "summary": op.get("summary", ""),
            "description": (op.get("description") or "").strip()}
           for p, item in schema["paths"].items() for m, op in item.items()]
    return render("api.html.j2", title="JSON API", page="api", ops=ops)
