"""The first hour with ``spillover serve``: the runs box, results after a lever-only rerun,
the compare page, the API docs and a failed upload (the pages, without a browser)."""

from __future__ import annotations

import doctest
import re
import shutil
import warnings
from pathlib import Path

import pandas as pd
import pytest

import spillover
from spillover.serve import context as context_module
from spillover.serve import create_app, pages

with warnings.catch_warnings():
    warnings.simplefilter("ignore", UserWarning)  # starlette: "install httpx2" (httpx works)
    from fastapi.testclient import TestClient

MINI = Path(__file__).parent / "scenarios" / "mini.yaml"
BASE = "http://127.0.0.1"
HTML = {"Accept": "text/html"}
RUNS, SEED = 64, 11


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("firsthour")
    (root / "sc").mkdir()
    shutil.copy(MINI, root / "sc" / "mini.yaml")
    app = create_app(root / "runs", root / "sc", workers=0, max_runs=5000, list_wait=120)
    with TestClient(app, base_url=BASE) as c:
        yield c


def run(client: TestClient, **body) -> str:
    r = client.post("/api/runs", json={"scenario": "mini.yaml", "runs": RUNS, "seed": SEED, **body})
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    client.app.state.ctx.manager.wait(run_id, timeout=120)
    assert client.get(f"/api/runs/{run_id}").json()["state"] == "done"
    return run_id


@pytest.fixture(scope="module")
def explore_session(client: TestClient) -> tuple[str, str]:
    """What the Explore page does: a paired run, then (only a lever moved) the setting alone."""
    pair = run(client, levers={"transparency": 0})
    alone = run(client, levers={"transparency": 1, "cap": 0.5}, compare=False)
    return pair, alone


# -- the runs box -------------------------------------------------------------------------------


def test_the_explore_page_states_the_ranges(client: TestClient) -> None:
    html = client.get("/explore?scenario=mini.yaml", headers=HTML).text
    assert "a whole number from 1 to 5,000" in html and "a whole number from 0 to 4,294,967,295" in html
    form = re.search(r'<form[^>]*id="explore-form"[^>]*>', html).group()
    assert "novalidate" in form and 'data-max-runs="5000"' in form  # the page checks and says why


@pytest.mark.parametrize("runs", [0, -5, 200000])
def test_runs_out_of_range_are_refused_with_the_range(client: TestClient, runs: int) -> None:
    r = client.post("/api/runs", json={"scenario": "mini.yaml", "runs": runs})
    assert r.status_code == 422
    assert r.json()["detail"] == f"runs must be a whole number from 1 to 5,000 (got {runs:,})"


# -- results after a lever-only rerun --------------------------------------------------------------


def test_a_lever_only_rerun_is_compared_with_the_paired_preset(client: TestClient, explore_session) -> None:
    pair, alone = explore_session
    levers = {"transparency": 1, "cap": 0.5}
    got = pd.DataFrame(client.get(f"/api/runs/{alone}/comparison", params={"paired": pair}).json())
    assert set(got["baseline"]) == {"status-quo"} and set(got["policy"]) == {"custom"}
    # The known answer: the same setting run paired with the preset in one call.
    ref = spillover.run(MINI, runs=RUNS, seed=SEED, policies=["status-quo", "custom"],
                        extra_policies={"custom": levers}, counterfactual=False)
    want = pd.DataFrame(pages.R.comparison_view(ref))
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want.reset_index(drop=True))
    claims = pd.DataFrame(client.get(f"/api/runs/{alone}/claims", params={"paired": pair}).json())
    cols = ["claim", "policy", "k", "n"]
    pd.testing.assert_frame_equal(claims[cols], ref.claims[cols], check_dtype=False)


def test_full_results_of_a_lever_only_rerun_compare(client: TestClient, explore_session) -> None:
    pair, alone = explore_session
    page = client.get(f"/runs/{alone}", params={"paired": pair}, headers=HTML)
    assert page.status_code == 200
    assert "nothing to compare" not in page.text and 'id="comparison-table"' in page.text
    assert 'id="paired-note"' in page.text and f'href="/runs/{pair}"' in page.text
    assert f'data-paired="{pair}"' in page.text  # the figures and questions ask for both too
    figs = client.get(f"/api/runs/{alone}/figures", params={"paired": pair}).json()
    names = {t["name"] for f in figs["fans"] for t in f["figure"]["data"] if t.get("name")}
    assert {"status-quo", "custom"} <= names
    q = client.post(f"/api/runs/{alone}/query", params={"paired": pair}, json={"expr": "miscalc_peak > 0.01"})
    assert {r["policy"] for r in q.json()} == {"status-quo", "custom"}


def test_a_lever_only_rerun_without_its_pair_offers_it(client: TestClient, explore_session) -> None:
    pair, alone = explore_session
    page = client.get(f"/runs/{alone}", headers=HTML).text
    assert 'id="pair-offer"' in page and f'href="/runs/{alone}?paired={pair}"' in page


def test_runs_that_cannot_pair_are_refused_with_the_reason(client: TestClient, explore_session) -> None:
    pair, alone = explore_session
    other_seed = run(client, levers={"transparency": 0}, seed=SEED + 1)
    r = client.get(f"/api/runs/{alone}/comparison", params={"paired": other_seed})
    assert r.status_code == 422 and "differs in seed" in r.json()["detail"]
    r = client.get(f"/api/runs/{pair}/comparison", params={"paired": alone})
    assert r.status_code == 422 and "holds its own comparison" in r.json()["detail"]
    assert client.get(f"/api/runs/{alone}/claims", params={"paired": "../x"}).status_code == 400


# -- the compare page and the API docs ---------------------------------------------------------------


def test_the_compare_page_states_each_claim_once(client: TestClient, explore_session) -> None:
    pair, alone = explore_session
    html = client.get("/runs/compare", params={"a": pair, "b": alone}, headers=HTML).text
    table = html[html.index('id="compare-claims"'):html.index('id="compare-outcomes"')]
    texts = ["The transfers buy more than a month of fire.", "The observer helps the recipient&#39;s enemy."]
    for text in texts:
        assert table.count(text) == 1, text  # was once per policy
    assert table.count("<tr data-claim=") == 4  # two claims, each under status-quo and custom
    assert table.count('rowspan="2"') == 2
    outcomes = html[html.index('id="compare-outcomes"'):]
    assert outcomes.count("<code class=\"muted\">miscalc_peak</code>") == 1


def test_the_api_docs_show_literals_as_code(client: TestClient) -> None:
    html = client.get("/api-docs", headers=HTML).text
    assert "``" not in html  # the docstrings' RST literals were shown as they are
    assert "<code>GET /api/runs/{id}</code>" in html and "<code>spillover.summarize</code>" in html


def test_the_editor_takes_a_failed_upload(client: TestClient) -> None:
    page = client.get("/scenarios/new", params={"upload": "true"}, headers=HTML)
    assert page.status_code == 200 and 'data-from-upload="1"' in page.text
    assert "nk-russia-2023" not in page.text.split('id="scenario-text"', 1)[1][:200]  # no copy of a built-in


@pytest.mark.parametrize("module", [pages, context_module])
def test_doctests(module) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0
