"""Fuzz the JSON API from its OpenAPI schema: no input gets a server error (5xx)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from spillover.serve import create_app

_ROOT = Path(tempfile.mkdtemp(prefix="spillover-fuzz-"))
shutil.copy(Path(__file__).parent / "scenarios" / "mini.yaml", _ROOT / "mini.yaml")
(_ROOT / "broken.yaml").write_text("name: broken\nbogus: [\n", encoding="utf-8")
# Small runs and a short queue keep the runs the fuzzer starts cheap; schemathesis calls the
# app in-process with the host name "testserver".
APP = create_app(_ROOT / "runs", _ROOT, workers=0, max_runs=16, max_queued=2, max_upload=20_000,
                 allowed_hosts=["testserver"])
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _cleanup() -> Iterator[None]:
    yield
    APP.state.ctx.manager.close()
    shutil.rmtree(_ROOT, ignore_errors=True)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
