"""The web app in headless Chromium: move a lever, run, read the claims, compare two runs."""

from __future__ import annotations

import pytest

from spillover.scenario.load import builtin_names
from tests.e2e.conftest import Server, shot

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]
RUNS = "300"


def run_and_wait(page, previous: str | None) -> str:
    """Click Run and wait until the claims table shows a new run; returns its id."""
    page.click("#run")
    page.wait_for_function(
        "prev => { const f = document.getElementById('explore-form');"
        " return f.dataset.state === 'done' && f.dataset.lastRun && f.dataset.lastRun !== prev; }",
        arg=previous, timeout=120_000)
    return page.get_attribute("#explore-form", "data-last-run")


def custom_claim(page, claim: str) -> float:
    return float(page.get_attribute(f'#claims-table tr[data-claim="{claim}"] td[data-col="custom"]',
                                    "data-probability"))


def custom_mean(page, quantity: str, col: str = "custom") -> float:
    return float(page.get_attribute(f'#outcomes-table tr[data-quantity="{quantity}"] td[data-col="{col}"]',
                                    "data-mean"))


#: Plotly never wraps a title; the page must. Returns the titles that do not fit their figure.
CLIPPED_TITLES = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(plot => {
  const box = plot.getBoundingClientRect();
  return Array.from(plot.querySelectorAll('.gtitle')).filter(t => {
    const r = t.getBoundingClientRect();
    return r.left < box.left - 1 || r.right > box.right + 1 || r.top < box.top - 1;
  }).map(t => t.textContent);
})"""


def test_lever_run_claims_results_and_compare(server: Server, browser_page) -> None:
    page, console = browser_page
    page.goto("/explore")
    page.uncheck("#auto")
    page.fill("#runs", RUNS)
    page.fill("#seed", "7")
    assert page.input_value("#lever-transparency") == "0"
    shot(page, "explore")

    covert = run_and_wait(page, None)
    misled_covert = custom_claim(page, "secrecy_misleads")
    miscalc_covert = custom_mean(page, "miscalc_peak")
    assert misled_covert > 0 and miscalc_covert > 0.05
    assert page.text_content('#claims-table th[data-col="baseline"]') == "status-quo"

    page.focus("#lever-transparency")
    page.keyboard.press("End")  # slide to 1: the transfers are declared
    assert page.input_value("#lever-transparency") == "1"
    assert page.text_content("#out-transparency") == "1.00"
    assert page.get_attribute('button[data-preset="transparent-uncapped"]', "aria-pressed") == "true"
    declared = run_and_wait(page, covert)
    assert declared != covert
    # The claims table updated, and miscalculation moved the expected way: declared flows are
    # seen exactly, so the gap between perceived and true indicators closes.
    assert custom_claim(page, "secrecy_misleads") < misled_covert
    assert custom_mean(page, "miscalc_peak") == 0.0 < custom_mean(page, "miscalc_peak", "baseline")
    assert page.is_visible('#claims-table tr[data-claim="secrecy_misleads"].changed')
    # Only the custom setting ran again; the preset column is the paired run's (same draws).
    assert "status-quo from the paired run" in page.text_content("#status")
    shot(page, "explore-declared")

    page.click("#full-results")  # the declared run: the custom setting alone, paired with the preset
    page.wait_for_selector("body[data-figures='drawn']")
    assert page.locator("#claims-table tbody tr").count() == 6
    assert covert in page.text_content("#paired-note")  # the preset's column comes from the paired run
    assert page.locator("#comparison-table tbody tr").count() > 6  # was: "nothing to compare"
    assert page.locator("#claims-table thead th").count() == 3  # claim, status-quo, custom
    assert page.evaluate(CLIPPED_TITLES) == []
    shot(page, "results-rerun")
    page.goto(f"/runs/{covert}")  # the paired run: custom against status-quo, run by run
    page.wait_for_selector("body[data-figures='drawn']")
    assert page.locator("#comparison-table tbody tr").count() > 6
    assert page.locator("#fans-miscalc .js-plotly-plot").count() >= 1
    assert page.locator("#event-figure.js-plotly-plot, #event-figure .main-svg").count() >= 1
    titles = page.locator(".figs .gtitle")
    assert titles.count() > 10 and page.evaluate(CLIPPED_TITLES) == []  # long titles were cut off
    downloads = page.locator("#downloads a")
    assert {downloads.nth(i).text_content() for i in range(downloads.count())} >= {
        "report.html", "outcomes.parquet", "series.parquet", "comparison.parquet"}
    shot(page, "results")
    assert console.errors == []
    page.fill("#query-expr", "miscalc_peak >> 0.1")  # a bad expression: 422, shown with a caret
    page.click("#query-form button")
    page.wait_for_selector("#query-error:not(:empty)")
    assert "^" in page.text_content("#query-error")
    assert len(console.errors) == 1 and "422" in console.errors[0]  # the browser logs the refusal
    console.errors.clear()

    page.goto("/runs")
    assert page.is_disabled("#compare")
    page.check(f'input.pick[value="{covert}"]')
    page.check(f'input.pick[value="{declared}"]')
    shot(page, "runs")
    page.click("#compare")
    page.wait_for_selector("#compare-claims")
    meta = page.text_content("#compare-meta")
    assert covert in meta and declared in meta and "transparency=1.0" in meta and "transparency=0.0" in meta
    assert page.locator("#compare-claims tbody tr").count() == 12  # 6 claims: custom in both, status-quo in A
    assert page.locator("#compare-claims td.claim-text").count() == 6  # each claim stated once
    shot(page, "compare")
    assert console.errors == []


def test_scenarios_editor_and_cancel(server: Server, browser_page) -> None:
    page, console = browser_page
    page.goto("/scenarios")
    assert page.locator("#scenario-list tbody tr").count() == len(builtin_names()) + 1  # and mini.yaml
    shot(page, "scenarios")
    page.click('a[href="/scenarios/nk-russia-2023"]')
    page.wait_for_selector("#network .main-svg")
    assert page.locator("#inputs tbody tr").count() > 20
    shot(page, "scenario")

    page.goto("/scenarios/mini.yaml/edit")
    text = page.input_value("#scenario-text")
    page.fill("#scenario-text", text.replace("horizon: 120", "horizon: -5"))
    page.click("#validate")
    page.wait_for_selector("#problems li")
    first = page.locator("#problems li").first
    assert first.get_attribute("data-line") == "6"
    assert page.locator('#gutter span.bad[data-line="6"]').count() == 1
    assert "horizon: -5" in page.text_content("#annotated")
    shot(page, "editor")
    page.fill("#file-name", "mini-copy.yaml")
    page.fill("#scenario-text", text)
    page.click("#save")
    page.wait_for_selector("#editor-status a")
    assert (server.scenarios_dir / "mini-copy.yaml").read_text(encoding="utf-8") == text

    page.goto("/explore")
    page.uncheck("#auto")
    page.fill("#runs", "40000")
    page.click("#run")
    page.wait_for_function("() => document.getElementById('progress').value > 0", timeout=120_000)
    page.click("#cancel")
    page.wait_for_function("() => document.getElementById('explore-form').dataset.state === 'cancelled'",
                           timeout=120_000)
    assert "Cancelled" in page.text_content("#status")
    leftovers = [p.name for p in server.runs_dir.iterdir()] if server.runs_dir.exists() else []
    assert not [n for n in leftovers if n.endswith(".partial")]
    assert console.errors == []


def test_runs_box_api_docs_and_a_failed_upload(server: Server, browser_page) -> None:
    page, console = browser_page
    page.goto("/explore")
    assert page.is_checked("#auto")  # a lever move starts a rerun: the same check, and no request
    page.fill("#runs", "0")
    page.focus("#lever-cap")
    page.keyboard.press("Home")
    page.wait_for_function("() => document.getElementById('explore-form').dataset.state === 'invalid'")
    assert page.text_content("#status") == "Runs must be a whole number from 1 to 100,000 (got 0)."
    assert page.get_attribute("#explore-form", "data-last-run") is None
    page.uncheck("#auto")
    for bad, shown in (("0", "0"), ("-5", "-5"), ("200000", "200000"), ("", "nothing")):
        page.fill("#runs", bad)
        page.click("#run")
        status = page.text_content("#status")
        assert status == f"Runs must be a whole number from 1 to 100,000 (got {shown}).", status
        assert page.get_attribute("#runs", "aria-invalid") == "true"
        assert page.get_attribute("#explore-form", "data-state") == "invalid"
    assert "from 1 to 100,000" in page.text_content("label[for=runs]")
    shot(page, "explore-runs-invalid")

    page.goto("/api-docs")
    assert "``" not in page.text_content("#api-table")
    assert "GET /api/runs/{id}" in page.locator("#api-table code").all_text_contents()

    page.goto("/scenarios")
    broken = server.scenarios_dir.joinpath("mini.yaml").read_text(encoding="utf-8")
    broken = broken.replace("horizon: 120", "horizon: 120\nbogus: 1", 1)
    page.set_input_files("#upload-file", files=[{"name": "broken-up.yaml", "mimeType": "text/yaml",
                                                 "buffer": broken.encode("utf-8")}])
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#open-upload")
    assert "line 7, column 1" in page.text_content("#upload-problems")
    assert not (server.scenarios_dir / "broken-up.yaml").exists()
    shot(page, "upload-failed")
    page.click("#open-upload")  # was: no way to open the file in the editor
    page.wait_for_selector("#problems li")
    assert page.input_value("#file-name") == "broken-up.yaml"
    assert page.input_value("#scenario-text") == broken
    assert page.get_attribute("#problems li", "data-line") == "7"
    assert page.locator('#gutter span.bad[data-line="7"]').count() == 1
    shot(page, "upload-editor")
    assert [e for e in console.errors if "422" not in e] == []  # the browser logs the refused upload
