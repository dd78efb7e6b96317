"""Fuzz the JSON API from its OpenAPI schema: no input gets a server error (5xx)."""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from spillover.serve import create_app

# schemathesis reads the schema when the module is collected, so the app is built here (its
# folders are removed at exit). Small runs and a short queue keep the runs the fuzzer starts
# cheap; schemathesis calls the app in-process with the host name "testserver".
_ROOT = Path(tempfile.mkdtemp(prefix="spillover-fuzz-"))
atexit.register(shutil.rmtree, _ROOT, True)
shutil.copy(Path(__file__).parent / "scenarios" / "mini.yaml", _ROOT / "mini.yaml")
(_ROOT / "broken.yaml").write_text("name: broken\nbogus: [\n", encoding="utf-8")
APP = create_app(_ROOT / "runs", _ROOT, workers=0, max_runs=16, max_queued=2, max_upload=20_000,
                 allowed_hosts=["testserver"])
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module", autouse=True)
def _stop_runs() -> Iterator[None]:
    yield
    APP.state.ctx.manager.close()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case: schemathesis.Case) -> None:
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text[:300]}"
