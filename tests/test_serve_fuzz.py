"""Fuzz the JSON API: no input gets a server error (5xx), and no input breaks the app for others.

Two fuzzers, both seeded: schemathesis generates requests from the OpenAPI schema, and
hypothesis builds hostile scenarios and names (the inputs of the "hostile input" issue
and variations of them: lone surrogates, numbers too large for a float, thousands of
unknown references, alias bombs, deep nesting, names with a trailing newline), uploads
them or puts them in the scenarios folder by hand, and checks that every page still
answers for everyone, with the bad files listed as invalid and no server path shown.
"""

from __future__ import annotations

import atexit
import io
import re
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import spillover
from spillover.serve import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # starlette: "install httpx2" (httpx works)
    from fastapi.testclient import TestClient

MINI_TEXT = (Path(__file__).parent / "scenarios" / "mini.yaml").read_text(encoding="utf-8")
HOSTILE_SEED = 20261204

# schemathesis reads the schema when the module is collected, so the app is built here (its
# folders are removed at exit). Small runs and a short queue keep the runs the fuzzer starts
# cheap; schemathesis calls the app in-process with the host name "testserver".
_ROOT = Path(tempfile.mkdtemp(prefix="spillover-fuzz-"))
atexit.register(shutil.rmtree, _ROOT, True)
shutil.copy(Path(__file__).parent / "scenarios" / "mini.yaml", _ROOT / "mini.yaml")
(_ROOT / "broken.yaml").write_text("name: broken\nbogus: [\n", encoding="utf-8")
# Checks run in the request's thread here: schemathesis starts and stops the app around
# every call, and the checking processes are exercised by the hostile fuzzer below.
APP = create_app(_ROOT / "runs", _ROOT, workers=0, max_runs=16, max_queued=2, max_upload=20_000,
                 check_workers=0, allowed_hosts=["testserver"])
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


# -- seeded hostile scenarios ---------------------------------------------------------------


def unknown_references(n: int) -> str:
    """mini.yaml with ``n`` declared signals and ``n`` references to unknown ones: the validator's
    suggestions for them were quadratic (2,000 took 9 s of CPU, 11,000 over three minutes)."""
    sigs = "".join(f"  sg{i:05d}: {{lever: channel}}\n" for i in range(n))
    refs = "".join(f"      zq{i:05d}x: {{value: 1, source: test}}\n" for i in range(n))
    text = MINI_TEXT.replace("  channel: {lever: channel}\n", "  channel: {lever: channel}\n" + sigs, 1)
    return text.replace("      payment: {value: 1.5, source: test}\n",
                        "      payment: {value: 1.5, source: test}\n" + refs, 1)


_SURROGATES = st.sampled_from(["\\ud800", "\\udfff", "\\udbff\\udc00", "\\U0000d834", "a\\ud800b"])
_QUOTED_FIELDS = ["title: Three actors, one covert transfer paid in technology",
                  "text: The transfers buy more than a month of fire.",
                  "name: Observer threat perception"]


@st.composite
def hostile_texts(draw: st.DrawFn) -> str:
    """A scenario text built to hurt the server (each kind from the issue, varied)."""
    kind = draw(st.sampled_from(["surrogate", "huge", "unknown", "alias", "deep", "raw"]))
    if kind == "surrogate":
        field = draw(st.sampled_from(_QUOTED_FIELDS))
        key = field.split(":", 1)[0]
        return MINI_TEXT.replace(field, f'{key}: "{draw(_SURROGATES)} x"', 1)
    if kind == "huge":
        digits = draw(st.integers(309, 2000))
        where = draw(st.sampled_from(["value: 800,", "value: 700,", "value: 20000,"]))
        return MINI_TEXT.replace(where, f"value: {'9' * digits},", 1)
    if kind == "unknown":
        return unknown_references(draw(st.integers(1, 300)))
    if kind == "alias":
        depth = draw(st.integers(5, 30))
        lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
        lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, depth)]
        return "\n".join(lines)
    if kind == "deep":
        n = draw(st.integers(100, 20_000))
        return "title: " + "[" * n + "]" * n
    return draw(st.text(min_size=0, max_size=300))


_NAMES = st.one_of(
    st.sampled_from(["x.yaml\n", "x.yml\n", "../x.yaml", "a/b.yaml", ".x.yaml", "x.yaml ", "x.yaml\x00",
                     "\u00e9.yaml", "x" * 70 + ".yaml", "nul.yaml", "CON.yaml"]),
    st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,8}\.ya?ml\n?", fullmatch=True),
)


@pytest.fixture(scope="module")
def hostile_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    root = tmp_path_factory.mktemp("hostile-fuzz")
    (root / "sc").mkdir()
    (root / "sc" / "mini.yaml").write_text(MINI_TEXT, encoding="utf-8")
    app = create_app(root / "runs", root / "sc", workers=0, max_runs=16, check_workers=1, check_seconds=3,
                     check_wait=60, list_wait=60)
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c


def _everyone_is_answered(c: TestClient, placed: str | None = None, valid: bool = False) -> None:
    """The shared pages answer, the placed file is listed as valid or not as its text
    validated (with its reason when not), and no server path shows."""
    r = c.get("/api/scenarios")
    assert r.status_code == 200, r.text[:300]
    rows = {e["ref"]: e for e in r.json()}
    assert rows["mini.yaml"]["valid"]
    if placed is not None:
        row = rows[placed]
        assert not row["checking"] and row["valid"] == valid and (valid or row["problems"]), row
    root = str(c.app.state.ctx.catalog.dir.resolve().parent)
    assert root not in r.text and str(Path(spillover.__file__).parent) not in r.text
    for path in ("/scenarios", "/explore", "/runs"):
        assert c.get(path, headers={"Accept": "text/html"}).status_code == 200, path


@seed(HOSTILE_SEED)
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(text=hostile_texts(), name=_NAMES)
def test_hostile_scenarios_never_break_the_app(hostile_client: TestClient, text: str, name: str) -> None:
    c = hostile_client
    v = c.post("/api/scenarios/validate", json={"text": text})
    assert v.status_code in (200, 422), v.text[:300]
    up = c.post("/api/scenarios/upload", files={"file": (name, io.BytesIO(text.encode("utf-8")))},
                data={"overwrite": "true"})
    assert up.status_code in (201, 400, 409, 413, 422), up.text[:300]
    if up.status_code == 201:
        assert v.status_code == 200 and v.json()["valid"]  # only valid text is saved
    base = name.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]  # an upload keeps only the base name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}\.ya?ml", base):
        assert up.status_code == 400, (name, up.status_code)  # names are matched whole
    folder = c.app.state.ctx.catalog.dir
    placed = folder / "placed-by-hand.yaml"  # as if written there outside the app
    placed.write_text(text, encoding="utf-8")
    try:
        _everyone_is_answered(c, placed.name, v.status_code == 200 and v.json()["valid"])
        page = c.get(f"/scenarios/{placed.name}", headers={"Accept": "text/html"})
        assert page.status_code in (200, 422), page.text[:300]
        assert c.get(f"/api/scenarios/{placed.name}").status_code in (200, 422)
    finally:
        placed.unlink()
        for p in folder.iterdir():
            if p.name != "mini.yaml":
                p.unlink()


def test_thousands_of_unknown_references_cost_at_most_the_budget(hostile_client: TestClient) -> None:
    """2,000 unknown references took 9 s of server CPU; the check is now stopped at its budget
    (3 s here) with a 422, or answered sooner once the validator is fast."""
    r = hostile_client.post("/api/scenarios/validate", json={"text": unknown_references(2000)})
    if r.status_code == 422:
        assert "the server's limit" in r.json()["detail"]
    else:
        assert r.status_code == 200 and not r.json()["valid"]
    _everyone_is_answered(hostile_client)
