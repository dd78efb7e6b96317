"""The JSON API of ``spillover serve``: scenarios, runs, results, history (no browser)."""

from __future__ import annotations

import io
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import spillover
from spillover.scenario.load import builtin_names
from spillover.serve import create_app

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # starlette: "install httpx2" (httpx works)
    from fastapi.testclient import TestClient

HERE = Path(__file__).parent
MINI = HERE / "scenarios" / "mini.yaml"
BASE = "http://127.0.0.1"
BROKEN = "name: broken\ntitle: Broken\nstart: 2024-01-01\nhorizon: 30\nactors:\n  A: {name: A}\nbogus: 1\n"


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("serve")
    scenarios = root / "scenarios"
    scenarios.mkdir()
    shutil.copy(MINI, scenarios / "mini.yaml")
    (scenarios / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    return root / "runs", scenarios


@pytest.fixture(scope="module")
def client(dirs: tuple[Path, Path]):
    app = create_app(*dirs, workers=0, max_runs=5000, max_queued=2, list_wait=120)
    with TestClient(app, base_url=BASE) as c:
        yield c


def at_line_7(problems: list[dict]) -> bool:
    """The unknown key of BROKEN is reported at its line and column."""
    return any(p["line"] == 7 and p["col"] == 1 and "unknown key 'bogus'" in p["message"] for p in problems)


def finish(client: TestClient, run_id: str) -> dict:
    client.app.state.ctx.manager.wait(run_id, timeout=120)
    return client.get(f"/api/runs/{run_id}").json()


def start(client: TestClient, **body) -> dict:
    r = client.post("/api/runs", json=body)
    assert r.status_code == 202, r.text
    return r.json()


# -- scenarios ---------------------------------------------------------------------------


def test_scenarios_list_builtin_then_files_with_status(client: TestClient) -> None:
    rows = client.get("/api/scenarios").json()
    by_ref = {r["ref"]: r for r in rows}
    builtins = rows[: len(builtin_names())]  # the built-in scenarios come first, all valid
    assert [r["ref"] for r in builtins] == builtin_names() and "nk-russia-2023" in by_ref
    assert all(r["origin"] == "builtin" and r["valid"] for r in builtins)
    assert by_ref["mini.yaml"]["valid"] and by_ref["mini.yaml"]["name"] == "mini"
    broken = by_ref["broken.yaml"]
    assert not broken["valid"]
    assert at_line_7(broken["problems"])


def test_scenario_summary_and_its_errors(client: TestClient) -> None:
    s = client.get("/api/scenarios/nk-russia-2023").json()
    assert s["name"] == "nk-russia-2023" and len(s["indicators"]) == 10
    assert {lv["id"] for lv in s["levers"]} == {"transparency", "cap", "kor_rus_channel", "chn_rus_channel",
                                               "sanctions"}
    r = client.get("/api/scenarios/nk-rusia-2023")
    assert r.status_code == 404 and "did you mean 'nk-russia-2023'" in r.json()["detail"]
    r = client.get("/api/scenarios/broken.yaml")
    assert r.status_code == 422 and at_line_7(r.json()["detail"]["problems"])
    assert client.get("/api/scenarios/mini.yaml/text").json()["text"] == MINI.read_text(encoding="utf-8")


def test_validate_gives_the_cli_problems_at_line_and_column(client: TestClient) -> None:
    text = MINI.read_text(encoding="utf-8").replace("horizon: 120", "horizon: -5")
    r = client.post("/api/scenarios/validate", json={"text": text, "file_name": "x.yaml"})
    got = r.json()
    assert r.status_code == 200 and got["valid"] is False
    with pytest.raises(spillover.ScenarioError) as err:
        spillover.loads_scenario(text, "x.yaml")
    expected = [{"line": p.line, "col": p.col, "message": p.message} for p in err.value.problems]
    assert got["problems"] == expected
    assert got["problems"][0]["line"] == 6
    ok = client.post("/api/scenarios/validate", json={"text": MINI.read_text(encoding="utf-8")}).json()
    assert ok["valid"] and ok["counts"]["claims"] == 2


def test_save_upload_and_their_refusals(client: TestClient, dirs: tuple[Path, Path]) -> None:
    text = MINI.read_text(encoding="utf-8")
    r = client.post("/api/scenarios", json={"text": text, "file_name": "saved.yaml"})
    assert r.status_code == 201 and r.json()["saved"] == "saved.yaml"
    assert (dirs[1] / "saved.yaml").read_text(encoding="utf-8") == text
    assert client.post("/api/scenarios", json={"text": text, "file_name": "saved.yaml"}).status_code == 409
    bad = client.post("/api/scenarios", json={"text": BROKEN, "file_name": "bad.yaml"})
    assert bad.status_code == 422 and at_line_7(bad.json()["problems"])
    assert not (dirs[1] / "bad.yaml").exists()
    for name in ("../escape.yaml", "x.txt", ".hidden.yaml", "a/b.yaml"):
        r = client.post("/api/scenarios", json={"text": text, "file_name": name})
        assert r.status_code == 400, name
    files = {"file": ("up.yaml", io.BytesIO(text.encode()), "text/yaml")}
    up = client.post("/api/scenarios/upload", files=files)
    assert up.status_code == 201 and (dirs[1] / "up.yaml").exists()
    up = client.post("/api/scenarios/upload", files={"file": ("../../up2.yaml", io.BytesIO(text.encode()))})
    assert up.status_code == 201 and (dirs[1] / "up2.yaml").exists()  # only the base name counts
    latin = client.post("/api/scenarios/upload", files={"file": ("l.yaml", io.BytesIO(b"name: \xe9"))})
    assert latin.status_code == 422 and "UTF-8" in latin.json()["detail"]


def test_upload_size_limit(dirs: tuple[Path, Path]) -> None:
    app = create_app(*dirs, workers=0, max_upload=2000)
    with TestClient(app, base_url=BASE) as c:
        big = b"# " + b"x" * 3000 + b"\n"
        r = c.post("/api/scenarios/upload", files={"file": ("big.yaml", io.BytesIO(big))})
        assert r.status_code == 413
        huge = b"# " + b"x" * 300_000
        r = c.post("/api/scenarios/upload", files={"file": ("huge.yaml", io.BytesIO(huge))})
        assert r.status_code == 413 and "bytes" in r.json()["detail"]


def test_alias_bomb_is_refused_quickly(client: TestClient) -> None:
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 30)]
    r = client.post("/api/scenarios/validate", json={"text": "\n".join(lines)})
    assert r.status_code == 200 and not r.json()["valid"]
    assert "aliases" in r.json()["problems"][0]["message"]


# -- runs ----------------------------------------------------------------------------------


def test_run_matches_the_library_and_pairs_custom_with_the_baseline(client: TestClient, dirs) -> None:
    job = start(client, scenario="mini.yaml", levers={"transparency": 1, "channel": 1}, runs=96, seed=4)
    assert job["policies"] == ["status-quo", "custom"] and job["total"] == 96
    status = finish(client, job["id"])
    assert status["state"] == "done" and status["done"] == 96
    claims = pd.DataFrame(client.get(f"/api/runs/{job['id']}/claims").json())
    ref = spillover.run(MINI, runs=96, seed=4, policies=["status-quo", "custom"],
                        extra_policies={"custom": {"transparency": 1, "channel": 1}}, counterfactual=False)
    cols = ["claim", "policy", "k", "n"]
    pd.testing.assert_frame_equal(claims[cols], ref.claims[cols], check_dtype=False)
    comparison = client.get(f"/api/runs/{job['id']}/comparison").json()
    assert {r["baseline"] for r in comparison} == {"status-quo"}
    assert {r["policy"] for r in comparison} == {"custom"}
    folder = dirs[0] / job["id"]
    assert (folder / "manifest.json").is_file() and (folder / "outcomes.parquet").exists()


def test_declared_transfers_remove_miscalculation(client: TestClient) -> None:
    job = start(client, levers={"transparency": 1}, runs=64, seed=2)
    assert finish(client, job["id"])["state"] == "done"
    rows = client.get(f"/api/runs/{job['id']}/outcomes").json()
    peak = {r["policy"]: r for r in rows if r["quantity"] == "miscalc_peak"}
    assert peak["custom"]["mean"] == 0.0  # declared flows are seen exactly
    assert peak["status-quo"]["mean"] > 0.05
    claims = {(c["claim"], c["policy"]): c for c in client.get(f"/api/runs/{job['id']}/claims").json()}
    assert claims[("secrecy_misleads", "custom")]["probability"] == 0.0  # no misreading: no miscalculation
    assert claims[("secrecy_misleads", "status-quo")]["probability"] > 0.0


def test_custom_only_run_and_presets_by_name(client: TestClient) -> None:
    job = start(client, scenario="mini.yaml", levers={"cap": 0.5}, runs=32, compare=False)
    assert job["policies"] == ["custom"]
    assert finish(client, job["id"])["state"] == "done"
    job = start(client, scenario="mini.yaml", levers={}, baseline="capped", runs=32)
    assert job["policies"] == ["capped", "custom"]
    finish(client, job["id"])


@pytest.mark.parametrize(("body", "needle"), [
    ({"levers": {"transparancy": 1}}, "did you mean 'transparency'"),
    ({"levers": {"transparency": 1.5}}, "less than or equal to 1"),
    ({"levers": {"cap": -0.1}}, "greater than or equal to 0"),
    ({"levers": {"cap": "half"}}, "valid number"),
    ({"baseline": "status-qo"}, "did you mean 'status-quo'"),
    ({"runs": 0}, "runs must be a whole number from 1 to 5,000 (got 0)"),
    ({"runs": -5}, "runs must be a whole number from 1 to 5,000 (got -5)"),
    ({"runs": 200000}, "runs must be a whole number from 1 to 5,000 (got 200,000)"),
    ({"runs": 10**9}, "from 1 to 5,000"),
    ({"runs": 2.5}, "valid integer"),
    ({"runs": True}, "valid integer"),
    ({"runs": "200"}, "valid integer"),
    ({"seed": "7"}, "valid integer"),
    ({"seed": -1}, "seed must be a whole number from 0 to 4,294,967,295 (got -1)"),
    ({"seed": 2**32}, "seed must be a whole number from 0 to 4,294,967,295"),
    ({"colour": "red"}, "Extra inputs"),
    ({"scenario": "../../etc/passwd"}, "not a valid name"),
])
def test_bad_run_requests_get_4xx_with_a_message(client: TestClient, body: dict, needle: str) -> None:
    r = client.post("/api/runs", json={"runs": 8, **body})
    assert 400 <= r.status_code < 500
    assert needle in r.text


def test_malformed_json_and_non_finite_numbers_are_4xx(client: TestClient) -> None:
    for raw in (b"{not json", b'{"levers": {"cap": NaN}}', b'{"levers": {"cap": Infinity}}', b"[]", b"null"):
        r = client.post("/api/runs", content=raw, headers={"content-type": "application/json"})
        assert r.status_code == 422, raw


def test_cancel_stops_between_chunks_and_leaves_no_folder(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    app = create_app(tmp_path / "runs", dirs[1], workers=0, chunk_size=8, max_queued=1)
    with TestClient(app, base_url=BASE) as c:
        running = start(c, scenario="mini.yaml", runs=4000)
        queued = start(c, scenario="mini.yaml", runs=4000)
        busy = c.post("/api/runs", json={"scenario": "mini.yaml", "runs": 8})
        assert busy.status_code == 429 and "queued or running" in busy.json()["detail"]
        assert c.post(f"/api/runs/{queued['id']}/cancel").json()["state"] == "cancelled"
        assert c.post(f"/api/runs/{running['id']}/cancel").status_code == 200
        assert finish(c, running["id"])["state"] == "cancelled"
        assert finish(c, queued["id"])["state"] == "cancelled"
        assert app.state.ctx.manager.job(running["id"]).done < 4000  # (0 when cancelled as the runs start)
        assert c.get(f"/api/runs/{running['id']}/claims").status_code == 404
    left = list((tmp_path / "runs").iterdir()) if (tmp_path / "runs").exists() else []
    assert left == []


def test_failed_run_shows_its_error_and_leaves_no_folder(dirs, tmp_path: Path, monkeypatch) -> None:
    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("spillover.api.write_result", broken)
    app = create_app(tmp_path / "runs", dirs[1], workers=0)
    with TestClient(app, base_url=BASE) as c:
        job = start(c, scenario="mini.yaml", runs=16)
        status = finish(c, job["id"])
        assert status["state"] == "failed" and status["error"] == "OSError: disk full"
        listed = c.get("/api/runs").json()
        assert listed["history"] == [] and listed["jobs"][0]["error"] == "OSError: disk full"
    assert list((tmp_path / "runs").iterdir()) == []  # the staging folder was removed


def test_pool_run_equals_in_thread_run(dirs: tuple[Path, Path], tmp_path: Path) -> None:
    app = create_app(tmp_path / "runs", dirs[1], workers=1, chunk_size=16)
    with TestClient(app, base_url=BASE) as c:
        job = start(c, scenario="mini.yaml", levers={"cap": 0.25}, runs=48, seed=9)
        assert finish(c, job["id"])["state"] == "done"
        pooled = pd.DataFrame(c.get(f"/api/runs/{job['id']}/claims").json())
    ref = spillover.run(MINI, runs=48, seed=9, policies=["status-quo", "custom"],
                        extra_policies={"custom": {"cap": 0.25}}, counterfactual=False)
    assert pooled["k"].tolist() == ref.claims["k"].tolist()


# -- results, files, history -----------------------------------------------------------------


@pytest.fixture(scope="module")
def two_runs(client: TestClient) -> tuple[str, str]:
    a = start(client, scenario="mini.yaml", levers={"transparency": 0}, runs=64, seed=1)
    b = start(client, scenario="mini.yaml", levers={"transparency": 1}, runs=64, seed=1)
    assert finish(client, a["id"])["state"] == finish(client, b["id"])["state"] == "done"
    return a["id"], b["id"]


def test_downloads_are_the_run_folder_files(client: TestClient, two_runs, dirs) -> None:
    a = two_runs[0]
    r = client.get(f"/api/runs/{a}/files/outcomes.parquet")
    assert r.status_code == 200
    key = ["policy", "run"]
    got = pd.read_parquet(io.BytesIO(r.content)).sort_values(key, ignore_index=True)
    on_disk = pd.read_parquet(dirs[0] / a / "outcomes.parquet").sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(got, on_disk)
    assert len(got) == 128
    report = client.get(f"/api/runs/{a}/files/report.html")
    assert report.status_code == 200 and report.text.startswith("<!DOCTYPE html>")
    assert client.get(f"/api/runs/{a}/files/secrets.txt").status_code == 400


def test_figures_are_plotly_json(client: TestClient, two_runs) -> None:
    figs = client.get(f"/api/runs/{two_runs[0]}/figures").json()
    kinds = {f["kind"] for f in figs["fans"]}
    assert kinds == {"stock", "indicator", "miscalc"}
    assert figs["events"]["data"] and figs["template"]["layout"]


def test_query_uses_the_safe_parser(client: TestClient, two_runs) -> None:
    a = two_runs[0]
    r = client.post(f"/api/runs/{a}/query", json={"expr": "days_of_fire[s_r_shells] > 30"})
    claims = client.get(f"/api/runs/{a}/claims").json()
    direct = {c["policy"]: c["k"] for c in claims if c["claim"] == "lasting"}
    assert {row["policy"]: row["k"] for row in r.json()} == direct
    for expr in ("__import__('os').system('true')", "miscalc_peak >> 1", "nosuch > 1"):
        bad = client.post(f"/api/runs/{a}/query", json={"expr": expr})
        assert bad.status_code == 422 and bad.json()["detail"]["message"], expr


def test_history_and_side_by_side_comparison(client: TestClient, two_runs) -> None:
    a, b = two_runs
    history = {r["id"]: r for r in client.get("/api/runs").json()["history"]}
    assert history[a]["runs"] == 64 and history[a]["rows"] == 128 and history[a]["scenario"] == "mini"
    assert history[a]["policies"] == ["status-quo", "custom"]
    c = client.get("/api/compare", params={"a": a, "b": b}).json()
    assert c["a"]["levers"]["custom"]["transparency"] == 0 and c["b"]["levers"]["custom"]["transparency"] == 1
    same = [r for r in c["claims"] if r["policy"] == "status-quo"]
    assert same and all(r["probability_a"] == r["probability_b"] for r in same)  # same seed, same preset
    misc = {r["policy"]: r for r in c["outcomes"] if r["quantity"] == "miscalc_peak"}
    assert misc["custom"]["mean_b"] == 0.0 < misc["custom"]["mean_a"]
    assert client.get("/api/compare", params={"a": a, "b": "nope"}).status_code == 404


@pytest.mark.parametrize("run_id", ["..", ".hidden", "a..b", "a/b", "x" * 200, "%2e%2e"])
def test_run_ids_cannot_leave_the_runs_dir(client: TestClient, run_id: str) -> None:
    base = f"/api/runs/{run_id}"
    for path in (base, f"{base}/claims", f"{base}/files/manifest.json"):
        r = client.get(path)
        assert r.status_code in (400, 404, 422), (path, r.status_code)
    r = client.get("/api/compare", params={"a": "../" + run_id, "b": run_id})
    assert r.status_code in (400, 404, 422)


def test_pages_render(client: TestClient, two_runs) -> None:
    a, b = two_runs
    html = {"Accept": "text/html"}
    for path, needle in [("/scenarios", "broken.yaml"),
                         ("/scenarios/nk-russia-2023", "Every number and its source"),
                         ("/explore", 'id="claims-table"'),
                         ("/explore?scenario=mini.yaml&preset=open", "mini"),
                         ("/runs", a), (f"/runs/{a}", "Paired comparison"),
                         (f"/runs/compare?a={a}&b={b}", "side by side"), ("/api-docs", "/api/runs"),
                         ("/scenarios/new", "scenario-text"), ("/scenarios/mini.yaml/edit", "mini.yaml")]:
        r = client.get(path, headers=html)
        assert r.status_code == 200 and needle in r.text, path
    r = client.get("/scenarios/broken.yaml", headers=html)
    assert r.status_code == 422 and "line 7, column 1" in r.text
    r = client.get("/runs/no-such-run", headers=html)
    assert r.status_code == 404 and "<html" in r.text
    assert client.get("/").status_code == 200  # redirected to the scenarios


def test_a_custom_only_rerun_matches_the_paired_run(client: TestClient) -> None:
    """The Explore page reuses the preset of a paired run while only the levers move: the
    custom setting alone, same runs and seed, gives the same rows as in the pair."""
    levers = {"transparency": 0.5, "cap": 0.75}
    pair = start(client, scenario="mini.yaml", levers=levers, runs=64, seed=11)
    alone = start(client, scenario="mini.yaml", levers=levers, runs=64, seed=11, compare=False)
    assert finish(client, pair["id"])["state"] == finish(client, alone["id"])["state"] == "done"
    in_pair = [c for c in client.get(f"/api/runs/{pair['id']}/claims").json() if c["policy"] == "custom"]
    assert client.get(f"/api/runs/{alone['id']}/claims").json() == in_pair
    paired_rows = client.get(f"/api/runs/{pair['id']}/outcomes").json()
    means = {(r["quantity"], r["policy"]): r["mean"] for r in paired_rows}
    for r in client.get(f"/api/runs/{alone['id']}/outcomes").json():
        assert r["mean"] == means[(r["quantity"], "custom")]


def test_a_run_after_an_idle_worker_was_killed_is_retried_on_a_fresh_pool(dirs: tuple[Path, Path],
                                                                          tmp_path: Path) -> None:
    import os
    import signal

    app = create_app(tmp_path / "runs", dirs[1], workers=1, chunk_size=16)
    with TestClient(app, base_url=BASE) as c:
        first = start(c, scenario="mini.yaml", runs=16, seed=1)
        assert finish(c, first["id"])["state"] == "done"
        pool = c.app.state.ctx.manager._pool
        for proc in list(pool._processes.values()):  # e.g. the system's out-of-memory killer
            os.kill(proc.pid, signal.SIGKILL)
            proc.join(10)
        job = start(c, scenario="mini.yaml", runs=32, seed=2)
        status = finish(c, job["id"])
        assert status["state"] == "done", status
        assert c.app.state.ctx.manager._pool is not pool
