"""Cases in the web app: run them from the API, read them back, see them where the claims are."""

from __future__ import annotations

import warnings
from pathlib import Path

import pandas as pd
import pytest

import spillover
from spillover.scenario.load import load_scenario
from spillover.serve import create_app
from tests.test_cases import CASES
from tests.test_serve_api import BASE, MINI, finish, start

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)
    from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("serve-cases")
    (root / "scenarios").mkdir()
    (root / "scenarios" / "cases.yaml").write_text(MINI.read_text() + CASES, encoding="utf-8")
    (root / "scenarios" / "mini.yaml").write_text(MINI.read_text(), encoding="utf-8")
    app = create_app(root / "runs", root / "scenarios", workers=0, max_runs=5000, max_queued=2, list_wait=120)
    with TestClient(app, base_url=BASE) as c:
        yield c


def test_a_run_with_cases_counts_their_runs_and_matches_the_library(client: TestClient) -> None:
    job = start(client, scenario="cases.yaml", levers={"transparency": 1}, runs=48, seed=3, cases=True)
    status = finish(client, job["id"])
    assert status["state"] == "done"
    assert status["total"] == status["done"] == 48 * 3  # the scenario, then its two cases that change inputs
    got = pd.DataFrame(client.get(f"/api/runs/{job['id']}/cases").json())
    ref = spillover.run(Path(client.app.state.ctx.catalog.dir) / "cases.yaml", runs=48, seed=3,
                        policies=["status-quo", "custom"], extra_policies={"custom": {"transparency": 1}},
                        counterfactual=False, cases=True)
    cols = ["case", "claim", "policy", "k", "n"]
    pd.testing.assert_frame_equal(got[cols], ref.cases[cols], check_dtype=False)
    page = client.get(f"/runs/{job['id']}").text
    assert 'id="cases-table"' in page and "month-and-a-half" in page and 'id="key-judgments"' in page


def test_a_run_without_cases_has_none(client: TestClient) -> None:
    job = start(client, scenario="cases.yaml", levers={}, runs=16, seed=1)
    assert finish(client, job["id"])["total"] == 16
    assert client.get(f"/api/runs/{job['id']}/cases").json() == []
    assert 'id="cases-table"' not in client.get(f"/runs/{job['id']}").text


def test_explore_offers_the_cases(client: TestClient) -> None:
    page = client.get("/explore?scenario=cases.yaml").text
    assert 'id="cases"' in page and "Also run the 4 cases" in page and 'id="cases-block"' in page
    declared = len(load_scenario("nk-russia-2023").cases)
    assert f"Also run the {declared} cases" in client.get("/explore?scenario=nk-russia-2023").text
    plain = client.get("/explore?scenario=mini.yaml")  # a scenario without cases offers none
    assert plain.status_code == 200 and "Also run the" not in plain.text
