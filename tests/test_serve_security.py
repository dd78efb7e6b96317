"""Guards of ``spillover serve``: token, same-origin POSTs, hosts, body size, bind address."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from spillover.serve import create_app
from spillover.serve.paths import BadName, check_run_id, download_path, inside, scenario_path
from spillover.serve.security import check_bind, is_loopback

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # starlette: "install httpx2" (httpx works)
    from fastapi.testclient import TestClient

BASE = "http://127.0.0.1"
TOKEN = "s3cret-token"


@pytest.fixture(scope="module")
def open_client(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("guard")
    with TestClient(create_app(root / "runs", root / "sc", workers=0), base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def locked(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("locked")
    app = create_app(root / "runs", root / "sc", token=TOKEN, workers=0)
    with TestClient(app, base_url="http://192.0.2.10:8000", follow_redirects=False) as c:
        yield c


def test_cross_origin_posts_are_refused(open_client: TestClient) -> None:
    body = {"text": "name: x\n"}
    for headers in ({"Origin": "http://evil.example"}, {"Origin": "null"},
                    {"Origin": "http://127.0.0.1:9999"}, {"Sec-Fetch-Site": "cross-site"}):
        r = open_client.post("/api/scenarios/validate", json=body, headers=headers)
        assert r.status_code == 403, headers
    same = open_client.post("/api/scenarios/validate", json=body, headers={"Origin": BASE})
    assert same.status_code == 200
    script = open_client.post("/api/scenarios/validate", json=body)  # curl sends no Origin
    assert script.status_code == 200
    # Reading is allowed from anywhere (no state changes), as for any page.
    assert open_client.get("/api/scenarios", headers={"Origin": "http://evil.example"}).status_code == 200


def test_only_loopback_hosts_without_a_token(open_client: TestClient) -> None:
    assert open_client.get("/api/scenarios", headers={"Host": "evil.example"}).status_code == 421
    assert open_client.get("/api/scenarios", headers={"Host": "localhost:8000"}).status_code == 200
    assert open_client.get("/api/scenarios", headers={"Host": "[::1]:8000"}).status_code == 200


def test_security_headers(open_client: TestClient) -> None:
    r = open_client.get("/scenarios")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


def test_body_size_limit(open_client: TestClient) -> None:
    r = open_client.post("/api/scenarios/validate", content=b"x" * 1_300_000,
                         headers={"content-type": "application/json"})
    assert r.status_code == 413

    def chunks():
        for _ in range(14):
            yield b"x" * 100_000

    json_type = {"content-type": "application/json"}
    r = open_client.post("/api/scenarios/validate", content=chunks(), headers=json_type)
    assert r.status_code == 413
    small = open_client.post("/api/scenarios/validate", content=iter([b'{"text": ', b'"a: 1"}']),
                             headers={"content-type": "application/json"})
    assert small.status_code == 200 and small.json()["valid"] is False


def test_token_is_needed_on_every_request(locked: TestClient) -> None:
    for path in ("/api/scenarios", "/scenarios", "/static/app.css", "/vendor/plotly.min.js", "/openapi.json"):
        assert locked.get(path).status_code == 401, path
    assert locked.get("/api/scenarios", headers={"X-Spillover-Token": "wrong"}).status_code == 401
    assert locked.get("/api/scenarios", headers={"X-Spillover-Token": TOKEN}).status_code == 200
    assert locked.get("/api/scenarios", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_first_visit_with_the_token_sets_a_cookie(locked: TestClient) -> None:
    r = locked.get(f"/scenarios?token={TOKEN}&x=1")
    assert r.status_code == 303 and r.headers["location"] == "/scenarios?x=1"
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
    assert locked.get("/scenarios").status_code == 200  # the cookie now carries it
    locked.cookies.clear()
    assert locked.get("/scenarios?token=nope").status_code == 401


def test_names_stay_inside_their_folder(tmp_path: Path) -> None:
    assert inside(tmp_path, "run-1") == (tmp_path / "run-1").resolve()
    for bad in ("..", "../x", "a/../../b", "/etc", "a/b"):
        with pytest.raises(BadName):
            inside(tmp_path, bad)
    for bad in ("..", ".x", "a..b", "a/b", "x.partial", "", "é"):
        with pytest.raises(BadName):
            check_run_id(bad)
    with pytest.raises(BadName):
        download_path(tmp_path, "run-1", "../../etc/passwd")
    (tmp_path / "link.yaml").symlink_to("/etc/hostname")
    with pytest.raises(BadName):
        scenario_path(tmp_path, "link.yaml")  # a symlink out of the folder is refused


def test_bind_beyond_loopback_needs_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2") and not is_loopback("example.org")
    check_bind("127.0.0.1", None)
    check_bind("0.0.0.0", "secret")
    with pytest.raises(ValueError, match="--token"):
        check_bind("0.0.0.0", None)


def test_cli_refuses_in_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from spillover.cli.main import main

    monkeypatch.setattr(sys, "argv", ["spillover", "serve", "--host", "0.0.0.0"])
    with pytest.raises(SystemExit) as exit_:
        main()
    assert exit_.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "--token" in err
