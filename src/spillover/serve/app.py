"""The app factory: FastAPI routes, guards, static files and the run manager."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

import spillover
from spillover.serve import jsonapi, pages
from spillover.serve.catalog import Catalog, NotFound
from spillover.serve.context import Context
from spillover.serve.manager import RunManager
from spillover.serve.paths import BadName
from spillover.serve.respond import SafeJSONResponse
from spillover.serve.sandbox import Busy as CheckBusy
from spillover.serve.sandbox import OverBudget, Sandbox
from spillover.serve.security import Guard

_STATIC = Path(__file__).with_name("static")
_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                               "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@lru_cache(maxsize=1)
def _plotly_js() -> bytes:
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def create_app(
    runs_dir: str | Path = "runs",
    scenarios_dir: str | Path = "scenarios",
    token: str | None = None,
    *,
    workers: int | None = None,
    max_concurrent: int = 1,
    max_queued: int = 4,
    chunk_size: int = 1000,
    max_runs: int = 100_000,
    max_upload: int = 1_000_000,
    allowed_hosts: Sequence[str] | None = None,
    check_workers: int = 2,
    check_seconds: float = 10.0,
    check_wait: float = 5.0,
    list_wait: float = 5.0,
) -> FastAPI:
    """Build the ``spillover serve`` application.

    Parameters
    ----------
    runs_dir
        Run folders: read for the history, written by runs started from the app.
    scenarios_dir
        The user's scenario files (``*.yaml``), listed beside the built-in ones; uploads
        and edits are saved here.
    token
        When set, every request must carry it (header, bearer, or the cookie set by a
        first visit with ``?token=``).
    workers
        Processes of the warm pool the runs' chunks go to (default: the CPU count; 0 runs
        chunks in the run's own thread).
    max_concurrent, max_queued
        Runs executing at once, and runs allowed to wait (429 beyond).
    chunk_size
        Most runs per chunk: the step of progress and cancellation (a run of fewer runs
        is split evenly over the workers).
    max_runs, max_upload
        Largest ``runs`` per request, and largest scenario upload in bytes.
    allowed_hosts
        Extra host names the app answers to besides loopback ones.
    check_workers, check_seconds, check_wait
        Scenario text is checked in ``check_workers`` worker processes (0: in the request's
        thread, with no budget); a check that takes over ``check_seconds`` is stopped (422),
        and one that finds no free worker within ``check_wait`` seconds is refused (503).
    list_wait
        Seconds the scenario listing waits for files not checked yet; files still being
        checked then are listed as such.

    Examples
    --------
    >>> app = create_app("runs", "scenarios", workers=0)
    >>> "/api/runs/{run_id}/claims" in app.openapi()["paths"]
    True
    """
    runs, scen = Path(runs_dir), Path(scenarios_dir)
    manager = RunManager(runs, max_concurrent=max_concurrent, max_queued=max_queued,
                         workers=(os.cpu_count() or 1) if workers is None else workers, chunk_size=chunk_size)
    checker = Sandbox(check_workers, budget=check_seconds, wait=check_wait)
    ctx = Context(runs, Catalog(scen, checker, list_wait=list_wait), manager, max_runs=max_runs,
                  max_upload=max_upload)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        manager.start()
        ctx.catalog.sandbox.start()
        try:
            yield
        finally:
            ctx.catalog.close()
            manager.close()

    app = FastAPI(title="spillover", version=spillover.__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None, default_response_class=SafeJSONResponse,
                  description="Move the levers of a scenario, rerun it and compare policies. "
                              "Every route calls the spillover library.")
    app.state.ctx = ctx
    app.include_router(jsonapi.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=_STATIC), name="static")
    app.add_api_route("/vendor/plotly.min.js", _plotly, include_in_schema=False)
    _handlers(app)
    app.add_middleware(Guard, token=token, allowed_hosts=allowed_hosts, max_body=max_upload + 200_000)
    app.middleware("http")(_security_headers)
    return app


def _plotly() -> Response:
    return Response(_plotly_js(), media_type="text/javascript",
                    headers={"Cache-Control": "public, max-age=86400"})


async def _security_headers(request: Request, call_next):
    response = await call_next(request)
    for k, v in _HEADERS.items():
        response.headers.setdefault(k, v)
    return response


def _handlers(app: FastAPI) -> None:
    """Map the app's own errors to 4xx answers with a message."""

    @app.exception_handler(BadName)
    async def bad_name(request: Request, exc: BadName) -> Response:
        return _error(request, 400, str(exc))

    @app.exception_handler(CheckBusy)
    async def busy(request: Request, exc: CheckBusy) -> Response:
        return _error(request, 503, str(exc), {"Retry-After": "5"})

    @app.exception_handler(OverBudget)
    async def over_budget(request: Request, exc: OverBudget) -> Response:
        return _error(request, 422, str(exc))

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> Response:
        return _error(request, 404, str(exc.args[0]) if exc.args else "not found")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error(request, exc.status_code, exc.detail, dict(exc.headers) if exc.headers else None)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        return _error(request, 422, _readable(exc))


def _readable(exc: RequestValidationError) -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for err in exc.errors():
        loc = [str(x) for x in err.get("loc", ())]
        out.append({"loc": loc, "msg": str(err.get("msg", "")), "type": str(err.get("type", ""))})
    return out


def _error(request: Request, status: int, detail: object, headers: dict[str, str] | None = None) -> Response:
    if request.url.path.startswith("/api") or "text/html" not in request.headers.get("accept", ""):
        return SafeJSONResponse({"detail": detail}, status_code=status, headers=headers)
    return pages.render("error.html.j2", status=status, title=f"Error {status}", page="error",
                        detail=detail if isinstance(detail, str) else str(detail))
