"""Hostile input to ``spillover serve``: one user's file or request never breaks the app for
the others: no 500, no stall, nothing read from outside its folders, no server path shown."""

from __future__ import annotations

import doctest
import io
import json
import os
import shutil
import threading
import time
import warnings
from pathlib import Path

import pytest

import spillover
from spillover.serve import check as check_module
from spillover.serve import create_app, pages, paths, respond, sandbox
from spillover.serve.check import Checked, check_text
from spillover.serve.sandbox import Busy, OverBudget, Sandbox

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # starlette: "install httpx2" (httpx works)
    from fastapi.testclient import TestClient

HERE = Path(__file__).parent
MINI = HERE / "scenarios" / "mini.yaml"
MINI_TEXT = MINI.read_text(encoding="utf-8")
BASE = "http://127.0.0.1"
#: mini.yaml with a lone surrogate in its title, as the issue reported it.
SURROGATE_TITLE = MINI_TEXT.replace("title: Three actors, one covert transfer paid in technology",
                                    'title: "\\ud800 t"')
#: mini.yaml with a quantity of 10**400.
HUGE = MINI_TEXT.replace("value: 800, source: test", f"value: {10**400}, source: test")


# -- check targets for the sandbox's workers (module level: the workers import them by name) --


def spin_on_marker(text: str, file: str, strict: bool) -> Checked:
    """Loop for ever on text holding ``#SPIN`` (a check that never ends); else check it."""
    while "#SPIN" in text:
        pass
    return check_text(text, file, strict)


def block_on_flag(text: str, file: str, strict: bool) -> Checked:
    """On text starting ``#BLOCK <path>``, wait until that file exists; then check it."""
    if text.startswith("#BLOCK "):
        flag = Path(text.split("\n", 1)[0].split(" ", 1)[1])
        while not flag.exists():
            time.sleep(0.02)
    return check_text(text, file, strict)


# -- fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dirs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("hostile")
    (root / "sc").mkdir()
    shutil.copy(MINI, root / "sc" / "mini.yaml")
    return root / "runs", root / "sc"


@pytest.fixture(scope="module")
def client(dirs: tuple[Path, Path]):
    app = create_app(*dirs, workers=0, max_runs=64, list_wait=120)
    with TestClient(app, base_url=BASE) as c:
        yield c


@pytest.fixture(scope="module")
def a_run(dirs: tuple[Path, Path], client: TestClient) -> str:
    r = client.post("/api/runs", json={"scenario": "mini.yaml", "runs": 16, "seed": 3})
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    client.app.state.ctx.manager.wait(run_id, timeout=120)
    assert client.get(f"/api/runs/{run_id}").json()["state"] == "done"
    return run_id


def listed(client: TestClient) -> dict[str, dict]:
    r = client.get("/api/scenarios")
    assert r.status_code == 200, r.text
    return {e["ref"]: e for e in r.json()}


def pages_answer(client: TestClient) -> None:
    """The shared pages still render for everyone."""
    for path in ("/scenarios", "/runs", "/explore"):
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200, (path, r.text[:300])


# -- lone surrogates ------------------------------------------------------------------------------


def test_a_surrogate_title_is_refused_at_its_place(client: TestClient, dirs) -> None:
    files = {"file": ("sur.yaml", io.BytesIO(SURROGATE_TITLE.encode()))}
    up = client.post("/api/scenarios/upload", files=files)
    assert up.status_code == 422, up.text  # was 201, and every listing 500 from then on
    (problem,) = up.json()["problems"]
    assert problem["line"] == 3 and problem["col"] in (9, 11) and "escape" in problem["message"]
    assert not (dirs[1] / "sur.yaml").exists()
    v = client.post("/api/scenarios/validate", json={"text": SURROGATE_TITLE})
    assert v.status_code == 200 and v.json()["valid"] is False
    assert "sur.yaml" not in listed(client)
    pages_answer(client)


def test_a_file_with_a_surrogate_already_there_is_listed_invalid(client: TestClient, dirs) -> None:
    path = dirs[1] / "placed.yaml"
    path.write_text(SURROGATE_TITLE, encoding="utf-8")
    try:
        entry = listed(client)["placed.yaml"]  # was: 500 for everyone until the file was deleted
        assert entry["valid"] is False and entry["problems"][0]["line"] == 3
        pages_answer(client)
        html = client.get("/scenarios", headers={"Accept": "text/html"}).text
        assert "placed.yaml" in html and "Unicode character escape" in html
        page = client.get("/scenarios/placed.yaml", headers={"Accept": "text/html"})
        assert page.status_code == 422 and "/scenarios/placed.yaml/edit" in page.text
        assert client.get("/api/scenarios/placed.yaml").status_code == 422
        r = client.post("/api/runs", json={"scenario": "placed.yaml", "runs": 8})
        assert r.status_code == 422
    finally:
        path.unlink()


def test_raw_surrogates_in_requests_get_4xx_with_a_message(client: TestClient, dirs) -> None:
    raw = MINI_TEXT.replace("title: Three", "title: \ud800 Three")  # JSON can carry a lone surrogate
    headers = {"content-type": "application/json"}
    for path, payload in [("/api/scenarios/validate", {"text": raw}),
                          ("/api/scenarios", {"text": raw, "file_name": "raw.yaml"}),
                          ("/api/scenarios/validate", {"text": "a: 1", "file_name": "\udfff.yaml"}),
                          ("/api/runs", {"levers": {"\ud800": 1}, "runs": 8}),
                          ("/api/runs", {"scenario": "\ud800.yaml", "runs": 8}),
                          ("/api/runs", {"baseline": "\ud800", "runs": 8})]:
        r = client.post(path, content=json.dumps(payload), headers=headers)  # ASCII: "\ud800" escaped
        assert r.status_code == 422, (payload, r.status_code)
        assert "unicode" in json.dumps(r.json())  # valid JSON in valid UTF-8, saying why
    assert not (dirs[1] / "raw.yaml").exists()
    # The check refuses them too (text from elsewhere than a JSON body), at their place.
    (problem,) = check_text(raw, "raw.yaml").problems
    assert (problem.line, problem.col) == (3, 8) and "U+D800" in problem.message


def test_responses_scrub_what_cannot_be_encoded() -> None:
    r = respond.SafeJSONResponse({"t": "a\ud800", "x": float("nan")})
    assert json.loads(r.body) == {"t": "a\ufffd", "x": None}
    assert respond.SafeHTMLResponse("<p>\ud800</p>").body == "<p>\ufffd</p>".encode()


# -- validator failures -----------------------------------------------------------------------


def test_a_huge_number_is_a_problem_at_its_place(client: TestClient) -> None:
    r = client.post("/api/scenarios/validate", json={"text": HUGE})
    assert r.status_code == 200, r.text  # was 500 (OverflowError)
    (problem,) = r.json()["problems"]
    assert problem["line"] == 26 and problem["col"] in (36, 44) and "1e15" in problem["message"]
    up = client.post("/api/scenarios/upload", files={"file": ("huge.yaml", io.BytesIO(HUGE.encode()))})
    assert up.status_code == 422


def test_any_validator_error_becomes_a_problem(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args, **kwargs):
        raise KeyError("internal")

    monkeypatch.setattr(check_module, "loads_scenario", broken)
    got = Sandbox(workers=0).check(MINI_TEXT, "m.yaml")
    assert got.scenario is None
    assert "the validator could not check this file (KeyError: 'internal')" in got.problems[0].message


# -- the time budget ----------------------------------------------------------------------------


def test_a_check_over_its_budget_is_stopped_and_its_worker_replaced() -> None:
    box = Sandbox(workers=1, budget=1.0, target=spin_on_marker)
    try:
        with pytest.raises(OverBudget, match="took over 1 s"):
            box.check("#SPIN\n" + MINI_TEXT, "spin.yaml")
        assert box.stopped == 1
        assert box.check(MINI_TEXT, "mini.yaml").valid  # a fresh worker answers
    finally:
        box.close()


def test_a_worker_that_died_while_idle_is_replaced() -> None:
    box = Sandbox(workers=1, budget=60.0)
    try:
        assert box.check(MINI_TEXT, "mini.yaml").valid
        (idle,) = box._idle
        idle.proc.kill()  # e.g. the system's out-of-memory killer
        idle.proc.join(10)
        assert box.check(MINI_TEXT, "mini.yaml").valid and box.stopped == 0
    finally:
        box.close()


def test_a_check_over_budget_is_answered_422(dirs) -> None:
    app = create_app(*dirs, workers=0, list_wait=120)
    app.state.ctx.catalog.sandbox = Sandbox(workers=1, budget=1.0, target=spin_on_marker)
    with TestClient(app, base_url=BASE) as c:
        r = c.post("/api/scenarios/validate", json={"text": "#SPIN\n" + MINI_TEXT})
        assert r.status_code == 422 and "the server's limit" in r.json()["detail"]
        files = {"file": ("spin.yaml", io.BytesIO(b"#SPIN\n" + MINI.read_bytes()))}
        up = c.post("/api/scenarios/upload", files=files)
        assert up.status_code == 422 and not (dirs[1] / "spin.yaml").exists()
        assert c.post("/api/scenarios/validate", json={"text": MINI_TEXT}).json()["valid"]
    app.state.ctx.catalog.sandbox.close()


def test_a_slow_check_does_not_stall_other_requests(dirs, tmp_path: Path) -> None:
    flag = tmp_path / "release"
    app = create_app(*dirs, workers=0, list_wait=120)
    app.state.ctx.catalog.sandbox = Sandbox(workers=2, budget=120.0, target=block_on_flag)
    answers: list[int] = []
    with TestClient(app, base_url=BASE) as c:
        slow = threading.Thread(target=lambda: answers.append(c.post(
            "/api/scenarios/validate", json={"text": f"#BLOCK {flag}\n" + MINI_TEXT}).status_code))
        slow.start()
        try:
            assert listed(c)["mini.yaml"]["valid"]
            pages_answer(c)
            assert c.post("/api/scenarios/validate", json={"text": MINI_TEXT}).json()["valid"]
            assert slow.is_alive() and answers == []  # all the above was answered meanwhile
        finally:
            flag.touch()
            slow.join(120)
    assert answers == [200]
    app.state.ctx.catalog.sandbox.close()


def test_checks_beyond_the_workers_wait_then_get_503(dirs, tmp_path: Path) -> None:
    flag = tmp_path / "release"
    app = create_app(*dirs, workers=0, list_wait=120)
    app.state.ctx.catalog.sandbox = Sandbox(workers=1, budget=120.0, wait=0.2, target=block_on_flag)
    with TestClient(app, base_url=BASE) as c:
        slow = threading.Thread(target=lambda: c.post("/api/scenarios/validate",
                                                      json={"text": f"#BLOCK {flag}\n" + MINI_TEXT}))
        slow.start()
        try:
            while app.state.ctx.catalog.sandbox.in_progress == 0:
                time.sleep(0.01)
            r = c.post("/api/scenarios/validate", json={"text": MINI_TEXT})
            assert r.status_code == 503 and r.headers["retry-after"] == "5"
            assert "try again" in r.json()["detail"]
        finally:
            flag.touch()
            slow.join(120)
    app.state.ctx.catalog.sandbox.close()


def test_busy_is_raised_by_the_sandbox_itself(tmp_path: Path) -> None:
    flag = tmp_path / "release"
    box = Sandbox(workers=1, budget=120.0, wait=0.1, target=block_on_flag)
    t = threading.Thread(target=box.check, args=(f"#BLOCK {flag}\nname: x\n", "x.yaml"))
    t.start()
    try:
        while box.in_progress == 0:
            time.sleep(0.01)
        with pytest.raises(Busy):
            box.check("name: x\n", "x.yaml")
    finally:
        flag.touch()
        t.join(120)
        box.close()


def test_files_still_being_checked_are_listed_as_such(tmp_path: Path) -> None:
    flag, sc = tmp_path / "release", tmp_path / "sc"
    sc.mkdir()
    (sc / "slow.yaml").write_text(f"#BLOCK {flag}\n" + MINI_TEXT, encoding="utf-8")
    app = create_app(tmp_path / "runs", sc, workers=0, list_wait=0.2)
    app.state.ctx.catalog.sandbox = Sandbox(workers=1, budget=120.0, target=block_on_flag)
    with TestClient(app, base_url=BASE) as c:
        try:
            row = listed(c)["slow.yaml"]
            assert row["checking"] and not row["valid"]  # the listing did not wait for it
            page = c.get("/scenarios", headers={"Accept": "text/html"})
            assert page.status_code == 200 and "checking…" in page.text
        finally:
            flag.touch()
        for _ in range(600):
            row = listed(c)["slow.yaml"]
            if not row["checking"]:
                break
            time.sleep(0.1)
        assert row["valid"] and row["title"].startswith("Three actors")


# -- files in the scenarios folder -----------------------------------------------------------


def test_bad_files_are_listed_invalid_with_their_reason(client: TestClient, dirs, tmp_path: Path) -> None:
    sc = dirs[1]
    made = {
        "latin.yaml": lambda p: p.write_bytes(b"name: caf\xe9\n"),
        "huge.yaml": lambda p: p.write_text(HUGE, encoding="utf-8"),
        "big.yaml": lambda p: p.write_bytes(b"#" * 1_000_001),
    }
    for name, make in made.items():
        make(sc / name)
    (sc / "folder.yaml").mkdir()
    outside = tmp_path / "outside.yaml"
    outside.write_text(MINI_TEXT, encoding="utf-8")
    (sc / "link.yaml").symlink_to(outside)
    try:
        rows = listed(client)
        assert "UTF-8" in rows["latin.yaml"]["problems"][0]["message"]
        assert "1e15" in rows["huge.yaml"]["problems"][0]["message"]
        assert "over 1,000,000 bytes" in rows["big.yaml"]["problems"][0]["message"]
        assert not any(rows[n]["valid"] for n in made)
        assert "folder.yaml" not in rows and "link.yaml" not in rows  # not files inside the folder
        assert rows["mini.yaml"]["valid"]
        pages_answer(client)
        assert client.get("/api/scenarios/link.yaml").status_code == 400
    finally:
        for name in made:
            (sc / name).unlink()
        (sc / "folder.yaml").rmdir()
        (sc / "link.yaml").unlink()


@pytest.mark.parametrize("name", ["x.yaml\n", "x.yml\n", "mini.yaml\n"])
def test_file_names_are_matched_whole(client: TestClient, dirs, name: str) -> None:
    r = client.post("/api/scenarios", json={"text": MINI_TEXT, "file_name": name, "overwrite": True})
    assert r.status_code == 400, r.text  # "x.yaml\n" was saved: the pattern's $ allowed the newline
    up = client.post("/api/scenarios/upload", files={"file": (name, io.BytesIO(MINI_TEXT.encode()))})
    assert up.status_code == 400
    assert sorted(p.name for p in dirs[1].iterdir() if "\n" in p.name) == []
    assert client.get("/api/scenarios/x.yaml%0A").status_code in (400, 404)
    for pattern, good in ((paths.SCENARIO_FILE, "x.yaml"), (paths.RUN_ID, "run-1"),
                          (paths.BUILTIN_NAME, "nk")):
        assert pattern.match(good) and not pattern.match(good + "\n")


def test_paths_are_relative_to_the_configured_folders(client: TestClient, dirs) -> None:
    text = client.get("/api/scenarios").text
    for folder in dirs:
        assert str(folder.resolve()) not in text and str(folder) not in text
    assert str(Path(spillover.__file__).parent) not in text
    rows = listed(client)
    assert rows["nk-russia-2023"]["file"] == "builtin/nk-russia-2023.yaml"
    assert rows["mini.yaml"]["file"] == "mini.yaml"
    html = client.get("/scenarios", headers={"Accept": "text/html"}).text
    assert str(dirs[1].resolve()) not in html and f"<code>{dirs[1].name}</code>" in html
    r = client.get("/api/scenarios/nope.yaml")
    assert r.status_code == 404 and str(dirs[1]) not in r.text
    assert pages.shown_dir(Path("/srv/x/scenarios")) == "scenarios"


def test_a_scenario_of_many_actors_is_shown_without_its_network(client: TestClient, dirs) -> None:
    """The network layout of 800 actors took 22 s of the request's CPU; a valid 1 MB file can
    declare thousands. The page lists them and skips the drawing."""
    extra = "".join(f"  X{i}: {{name: Extra {i}}}\n" for i in range(400))
    text = MINI_TEXT.replace("  O: {name: Observer}\n", "  O: {name: Observer}\n" + extra, 1)
    (dirs[1] / "crowd.yaml").write_text(text, encoding="utf-8")
    try:
        page = client.get("/scenarios/crowd.yaml", headers={"Accept": "text/html"})
        assert page.status_code == 200 and 'id="network-skipped"' in page.text
        assert "this one has 403" in page.text and 'data-figure="network"' not in page.text
        small = client.get("/scenarios/mini.yaml", headers={"Accept": "text/html"}).text
        assert 'data-figure="network"' in small
    finally:
        (dirs[1] / "crowd.yaml").unlink()


# -- run folders ------------------------------------------------------------------------------------


def _copy_run(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest


def test_the_run_listing_stays_inside_the_runs_dir(client: TestClient, dirs, a_run: str,
                                                   tmp_path: Path) -> None:
    runs = dirs[0]
    outside = _copy_run(runs / a_run, tmp_path / "elsewhere")
    (runs / "linked-out").symlink_to(outside, target_is_directory=True)
    manifest_out = _copy_run(runs / a_run, runs / "manifest-out")
    (manifest_out / "manifest.json").unlink()
    (manifest_out / "manifest.json").symlink_to(outside / "manifest.json")
    part_out = _copy_run(runs / a_run, runs / "part-out")
    (part_out / "claims.json").unlink()
    (part_out / "claims.json").symlink_to(outside / "claims.json")
    sneaky = ("linked-out", "manifest-out", "part-out")
    try:
        history = client.get("/api/runs").json()["history"]
        ids = {r["id"] for r in history}
        assert a_run in ids and not ids & set(sneaky)  # linked-out was listed, its manifest served
        html = client.get("/runs", headers={"Accept": "text/html"}).text
        assert a_run in html and not any(s in html for s in sneaky)
        for s in sneaky:
            for path in (f"/api/runs/{s}", f"/api/runs/{s}/claims", f"/api/runs/{s}/files/manifest.json"):
                assert client.get(path).status_code in (400, 404), path
            assert client.get("/api/compare", params={"a": a_run, "b": s}).status_code in (400, 404)
    finally:
        (runs / "linked-out").unlink()
        shutil.rmtree(manifest_out)
        shutil.rmtree(part_out)


def test_damaged_run_folders_are_refused_not_500(client: TestClient, dirs, a_run: str) -> None:
    runs = dirs[0]
    odd = _copy_run(runs / a_run, runs / "odd-manifest")
    manifest = json.loads((odd / "manifest.json").read_text(encoding="utf-8"))
    manifest["runs"] = {"not": "a number"}
    (odd / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    broken = _copy_run(runs / a_run, runs / "broken-parquet")
    target = broken / "outcomes.parquet"
    if target.is_dir():
        shutil.rmtree(target)
    else:
        target.unlink()
    target.write_bytes(b"PAR1 this is not parquet")
    try:
        r = client.get("/api/runs")
        assert r.status_code == 200
        rows = {row["id"]: row for row in r.json()["history"]}
        assert a_run in rows and rows["odd-manifest"]["damaged"] == ["runs"]  # listed as damaged
        assert rows["odd-manifest"]["runs"] is None and rows["odd-manifest"]["seed"] == rows[a_run]["seed"]
        pages_answer(client)
        claims = client.get("/api/runs/broken-parquet/claims")
        assert claims.status_code == 422 and "cannot be read" in claims.json()["detail"]
        assert str(runs.resolve()) not in claims.text
        page = client.get("/runs/broken-parquet", headers={"Accept": "text/html"})
        assert page.status_code == 422
    finally:
        shutil.rmtree(odd)
        shutil.rmtree(broken)
        client.app.state.ctx.manager._results.clear()


def test_a_failed_run_shows_no_server_path(dirs, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runs = tmp_path / "runs"

    def broken(result, folder, *args, **kwargs):
        raise OSError(f"cannot write {Path(folder).resolve()}/outcomes.parquet")

    monkeypatch.setattr("spillover.api.write_result", broken)
    app = create_app(runs, dirs[1], workers=0)
    with TestClient(app, base_url=BASE) as c:
        job = c.post("/api/runs", json={"scenario": "mini.yaml", "runs": 8}).json()
        app.state.ctx.manager.wait(job["id"], timeout=120)
        error = c.get(f"/api/runs/{job['id']}").json()["error"]
    assert error.startswith("OSError: cannot write ") and str(tmp_path) not in error
    assert "outcomes.parquet" in error


@pytest.mark.parametrize("module", [check_module, sandbox, respond, paths, pages])
def test_doctests(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_no_checking_process_is_left_behind(dirs) -> None:
    app = create_app(*dirs, workers=0)
    with TestClient(app, base_url=BASE) as c:
        assert c.post("/api/scenarios/validate", json={"text": MINI_TEXT}).json()["valid"]
        procs = [w.proc for w in app.state.ctx.catalog.sandbox._live.values()]
        assert procs and all(p.is_alive() for p in procs)
    assert not any(p.is_alive() for p in procs)  # stopped with the app
    assert os.getpid() not in [p.pid for p in procs]


def test_one_odd_manifest_changes_only_its_own_row(client: TestClient, dirs, a_run: str) -> None:
    runs = dirs[0]
    odd = _copy_run(runs / a_run, runs / "odd-types")
    manifest = json.loads((odd / "manifest.json").read_text(encoding="utf-8"))
    manifest.update(scenario={"a": 1}, created=12345, policies=[1, 2], timings="soon")
    (odd / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    try:
        rows = {row["id"]: row for row in client.get("/api/runs").json()["history"]}
        good = json.loads((runs / a_run / "manifest.json").read_text(encoding="utf-8"))
        assert rows[a_run]["scenario"] == good["scenario"] and rows[a_run]["created"] == good["created"]
        assert rows[a_run]["damaged"] == [] and rows[a_run]["policies"] == good["policies"]
        assert rows["odd-types"]["damaged"] == ["scenario", "created", "policies"]
        assert rows["odd-types"]["scenario"] is None and rows["odd-types"]["runs"] == good["runs"]
        html = client.get("/runs", headers={"Accept": "text/html"}).text
        assert f'<td>{good["scenario"]}</td>' in html and '"' + good["scenario"] + '"' not in html
        assert "damaged manifest: scenario, created, policies" in html
        for path in ("/runs/odd-types", "/api/runs/odd-types", "/api/runs/odd-types/claims"):
            assert client.get(path, headers={"Accept": "text/html"}).status_code < 500, path
    finally:
        shutil.rmtree(odd)


def test_misnamed_files_are_listed_as_invalid_and_files_are_distinct(client: TestClient, dirs) -> None:
    made = [dirs[1] / "my scenario.yaml", dirs[1] / "nk-russia-2023.yaml"]
    made[0].write_text(MINI_TEXT, encoding="utf-8")
    made[1].write_text(MINI_TEXT, encoding="utf-8")
    try:
        rows = listed(client)
        bad = rows["my scenario.yaml"]
        assert not bad["valid"] and "rename the file" in bad["problems"][0]["message"] and bad["misnamed"]
        assert rows["nk-russia-2023.yaml"]["valid"] and rows["nk-russia-2023"]["origin"] == "builtin"
        files = [e["file"] for e in client.get("/api/scenarios").json()]
        assert len(files) == len(set(files))
        html = client.get("/scenarios", headers={"Accept": "text/html"}).text
        assert "my scenario.yaml" in html and 'href="/scenarios/my scenario.yaml"' not in html
    finally:
        for p in made:
            p.unlink()
