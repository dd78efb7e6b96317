"""The JSON API under ``/api``: scenarios, runs (start, poll, cancel), results and files.

Every route only calls the library (or reads what it wrote); its bodies are the pydantic
models of :mod:`spillover.serve.models`, so ``/openapi.json`` documents all of it.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, Depends, File, Form, HTTPException, Path, Query, UploadFile
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from spillover.scenario.errors import ScenarioError
from spillover.scenario.summary import summarize
from spillover.serve import history as H
from spillover.serve import results as R
from spillover.serve.catalog import problem_dicts
from spillover.serve.context import Context, check_run_numbers, get_ctx
from spillover.serve.manager import Busy
from spillover.serve.models import (
    MAX_TEXT,
    CaseRow,
    ClaimRow,
    Message,
    Progress,
    RunRequest,
    SaveRequest,
    ScenarioOut,
    ValidateRequest,
    Validation,
)
from spillover.serve.paths import (
    DOWNLOADS,
    BadName,
    download_path,
    relative_message,
    run_folder,
    scenario_path,
    sealed,
)
from spillover.serve.results import ensure_report

router = APIRouter(prefix="/api", responses={400: {"model": Message}, 404: {"model": Message}})
Ctx = Annotated[Context, Depends(get_ctx)]
RunId = Annotated[str, Path(max_length=160, description="A run folder name.")]
Ref = Annotated[str, Path(max_length=80, description="Built-in name or file name (name.yaml).")]
Paired = Annotated[str | None, Query(
    max_length=160, description="For a run of the custom setting alone (a lever-only rerun): the earlier "
                                "paired run (same scenario, runs and seed) whose preset to show beside it.")]


class QueryRequest(BaseModel):
    """A yes/no expression over the run's outcomes, e.g. ``miscalc_peak > 0.2``."""

    model_config = ConfigDict(extra="forbid")
    expr: str = Field(..., min_length=1, max_length=1000)


def _counts(sc: Any) -> dict[str, int]:
    return {k: len(getattr(sc, k)) for k in ("actors", "transfers", "indicators", "events", "levers",
                                             "policies", "claims")}


def _validation(ctx: Context, text: str, file_name: str, strict: bool) -> Validation:
    """Check text in the sandbox (a worker process with a time budget: 422 past it, 503 if busy)."""
    checked = ctx.catalog.sandbox.check(text, file_name, strict)
    if checked.scenario is None:
        return Validation.model_validate({"valid": False, "file_name": file_name,
                                          "problems": problem_dicts(checked.problems)})
    return Validation(valid=True, file_name=file_name, counts=_counts(checked.scenario))


# -- scenarios ------------------------------------------------------------------------------
@router.get("/scenarios", response_model=list[ScenarioOut], summary="List the scenarios")
def list_scenarios(ctx: Ctx) -> list[dict[str, Any]]:
    """Built-in scenarios and the YAML files of the scenarios directory, each validated."""
    return [e.to_dict() for e in ctx.catalog.entries()]


@router.get("/scenarios/{ref}", summary="A scenario's summary",
            responses={422: {"model": Message}})
def get_scenario(ref: Ref, ctx: Ctx) -> dict[str, Any]:
    """Everything about a scenario as plain data (``spillover.summarize``): actors, transfers,
    indicators and their channels, events, levers, policies, claims, inputs with sources."""
    try:
        return summarize(ctx.catalog.load(ref))
    except ScenarioError as exc:
        raise HTTPException(422, {"message": "the scenario has problems",
                                  "problems": problem_dicts(exc.problems)}) from None


@router.get("/scenarios/{ref}/text", summary="A scenario's YAML text")
def scenario_text(ref: Ref, ctx: Ctx) -> dict[str, str]:
    ctx.catalog.entry(ref)
    return {"ref": ref, "text": ctx.catalog.text(ref)}


@router.post("/scenarios/validate", response_model=Validation, summary="Validate scenario text",
             responses={422: {"model": Message}, 503: {"model": Message}})
def validate(body: ValidateRequest, ctx: Ctx) -> Validation:
    """Validate YAML text with the CLI's validator; problems carry their line and column.

    The check runs in a worker process with a time budget: text that takes longer is
    answered with 422, and 503 means every worker is busy (try again shortly).
    """
    return _validation(ctx, body.text, body.file_name, body.strict)


@router.post("/scenarios", response_model=Validation, status_code=201, summary="Save a scenario",
             responses={409: {"model": Message}, 422: {"model": Validation}, 503: {"model": Message}})
def save_scenario(body: SaveRequest, ctx: Ctx) -> Any:
    """Validate text and save it in the scenarios directory (only when it is valid)."""
    return _save(ctx, body.file_name, body.text, body.strict, body.overwrite)


@router.post("/scenarios/upload", response_model=Validation, status_code=201, summary="Upload a scenario",
             responses={409: {"model": Message}, 413: {"model": Message}, 422: {"model": Validation},
                        503: {"model": Message}})
async def upload_scenario(ctx: Ctx, file: Annotated[UploadFile, File()],
                          strict: Annotated[bool, Form()] = False,
                          overwrite: Annotated[bool, Form()] = False) -> Any:
    """Upload a YAML file (size-limited), validate it and save it when valid."""
    data = await file.read(ctx.max_upload + 1)
    if len(data) > ctx.max_upload:
        raise HTTPException(413, f"the file is over {ctx.max_upload} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HTTPException(422, f"not UTF-8 text (byte {exc.start}); save the file as UTF-8") from None
    name = (file.filename or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    return _save(ctx, name, text, strict, overwrite)


def _save(ctx: Context, file_name: str, text: str, strict: bool, overwrite: bool) -> Any:
    scenario_path(ctx.catalog.dir, file_name)  # refuse a bad name before validating
    if len(text) > MAX_TEXT:
        raise HTTPException(413, f"the scenario is over {MAX_TEXT} characters")
    result = _validation(ctx, text, file_name, strict)
    if not result.valid:
        return JSONResponse(result.model_dump(), status_code=422)
    try:
        ctx.catalog.save(file_name, text, overwrite=overwrite)
    except FileExistsError as exc:
        raise HTTPException(409, str(exc)) from None
    result.saved = file_name
    return result


# -- runs -------------------------------------------------------------------------------------
@router.post("/runs", response_model=Progress, status_code=202, summary="Start a run",
             responses={422: {"model": Message}, 429: {"model": Message}})
def start_run(body: RunRequest, ctx: Ctx) -> dict[str, Any]:
    """Run the scenario with the custom lever values (and the baseline preset beside it).

    Returns at once; poll ``GET /api/runs/{id}`` for progress.
    """
    try:
        check_run_numbers(body.runs, body.seed, ctx.max_runs)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        sc = ctx.catalog.load(body.scenario)
    except ScenarioError as exc:
        raise HTTPException(422, {"message": "the scenario has problems",
                                  "problems": problem_dicts(exc.problems)}) from None
    try:
        spec = ctx.run_spec(sc, body)
    except ValueError as exc:
        raise HTTPException(422, str(exc)) from None
    try:
        job = ctx.manager.submit(sc, spec, body.scenario)
    except Busy as exc:
        raise HTTPException(429, str(exc)) from None
    return job.status()


@router.get("/runs", summary="Run history and runs in progress")
def list_runs(ctx: Ctx) -> dict[str, Any]:
    """Finished runs (read from the run folders with DuckDB) and this server's active runs."""
    rows = H.history(ctx.runs_dir)
    jobs = [j.status() for j in ctx.manager.jobs() if j.state != "done"]
    return {"history": rows, "jobs": jobs}


@router.get("/runs/{run_id}", response_model=Progress, summary="Poll a run")
def run_status(run_id: RunId, ctx: Ctx) -> dict[str, Any]:
    folder = run_folder(ctx.runs_dir, run_id)
    job = ctx.manager.job(run_id)
    if job is not None:
        return job.status()
    res = ctx.result(run_id)
    m = res.manifest
    runs = int(m.get("runs", 0))
    seconds = (m.get("timings") or {}).get("total")
    return {"id": folder.name, "scenario": str(m.get("scenario")), "state": "done", "done": runs,
            "total": runs, "seconds": seconds, "policies": list(m.get("policies") or [])}


@router.post("/runs/{run_id}/cancel", response_model=Progress, summary="Cancel a run")
def cancel_run(run_id: RunId, ctx: Ctx) -> dict[str, Any]:
    """Stop a queued or running run after its current chunk; it leaves no folder."""
    run_folder(ctx.runs_dir, run_id)
    job = ctx.manager.cancel(run_id)
    if job is None:
        raise HTTPException(404, f"no run '{run_id}' in progress")
    return job.status()


@router.get("/runs/{run_id}/claims", response_model=list[ClaimRow], summary="Claims of a run")
def run_claims(run_id: RunId, ctx: Ctx, paired: Paired = None) -> list[dict[str, Any]]:
    """Probability of each claim under each policy, with its 90% interval and estimative word."""
    return R.claim_records(ctx.paired(run_id, paired))


@router.get("/runs/{run_id}/cases", response_model=list[CaseRow], summary="Claims of a run per case")
def run_cases(run_id: RunId, ctx: Ctx) -> list[dict[str, Any]]:
    """Each claim's probability per case and policy, on the run's own runs (empty without cases)."""
    return R.case_records(ctx.result(run_id))


@router.get("/runs/{run_id}/comparison", summary="Paired policy comparison")
def run_comparison(run_id: RunId, ctx: Ctx, paired: Paired = None) -> list[dict[str, Any]]:
    """Per-run differences of each policy from the baseline (the run's first policy)."""
    return R.comparison_view(ctx.paired(run_id, paired))


@router.get("/runs/{run_id}/outcomes", summary="Key outcomes per policy")
def run_outcomes(run_id: RunId, ctx: Ctx, paired: Paired = None) -> list[dict[str, Any]]:
    """Mean, median and 5-95% range of miscalculation, days of fire, peaks and events."""
    return R.key_outcomes(ctx.paired(run_id, paired))


@router.get("/runs/{run_id}/figures", summary="Figures of a run (plotly JSON)",
            response_class=Response, responses={200: {"content": {"application/json": {}}}})
def run_figures(run_id: RunId, ctx: Ctx, paired: Paired = None) -> Response:
    """Fan charts of stocks, indicators and miscalculation, and event probability over time."""
    figs = ctx.figures(run_id, paired)
    fans = ",".join(f'{{"name":{_q(f["name"])},"kind":{_q(f["kind"])},"figure":{f["json"]}}}'
                    for f in figs["fans"])
    body = f'{{"fans":[{fans}],"events":{figs["events"] or "null"},"template":{R.template_json()}}}'
    return Response(body, media_type="application/json")


@router.post("/runs/{run_id}/query", response_model=list[ClaimRow], summary="Ask a yes/no question",
             responses={422: {"model": Message}})
def run_query(run_id: RunId, body: QueryRequest, ctx: Ctx, paired: Paired = None) -> list[dict[str, Any]]:
    """Share of runs per policy where an expression holds (safe parser; no eval)."""
    res = ctx.paired(run_id, paired)
    try:
        return R.query(res, body.expr)
    except ValueError as exc:
        column = getattr(exc, "column", None)
        caret = exc.caret() if hasattr(exc, "caret") else str(exc)
        raise HTTPException(422, {"message": str(exc), "column": column, "caret": caret}) from None


@router.get("/runs/{run_id}/files/{name}", summary="Download a file of a run",
            response_class=FileResponse)
def run_file(run_id: RunId, ctx: Ctx,
             name: Annotated[str, Path(max_length=40, description=", ".join(DOWNLOADS))]) -> Response:
    path = download_path(ctx.runs_dir, run_id, name)
    if not sealed(path.parent):  # a folder linking out of the runs directory is no run to serve
        raise HTTPException(404, f"no run '{run_id}' in the runs directory")
    if name == "report.html" and not path.exists() and (path.parent / "manifest.json").is_file():
        ensure_report(path.parent, ctx.result(run_id))
    if path.is_dir():  # a dataset of streamed parts: sent as one Parquet file
        return Response(R.parquet_bytes(path), media_type=DOWNLOADS[name],
                        headers={"Content-Disposition": f'attachment; filename="{run_id}-{name}"'})
    if not path.is_file():
        raise HTTPException(404, f"run '{run_id}' has no {name}")
    return FileResponse(path, media_type=DOWNLOADS[name], filename=f"{run_id}-{name}")


@router.get("/compare", summary="Two runs side by side")
def compare(ctx: Ctx, a: Annotated[str, Query(max_length=160)],
            b: Annotated[str, Query(max_length=160)]) -> dict[str, Any]:
    """Manifests, lever settings, claims and key outcome means of runs ``a`` and ``b``."""
    try:
        return H.compare_runs(ctx.runs_dir, a, b)
    except FileNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except BadName:
        raise
    except (ValueError, OSError, duckdb.Error) as exc:  # a damaged run folder: refused with the reason
        what = relative_message(f"{type(exc).__name__}: {exc}".splitlines()[0], ctx.runs_dir)[:200]
        raise HTTPException(422, f"the runs cannot be compared ({what})") from None


def _q(text: str) -> str:
    return json.dumps(text)
