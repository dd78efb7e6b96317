"""The page's length and its first screen: long sections collapsed, the claims up top."""

from __future__ import annotations

import dataclasses
import re

import pytest

from spillover.report.html import render_report
from spillover.report.outcome_labels import is_headline
from spillover.results.result import RunResult
from tests.test_report import _visible_text, make_result, section_html


@pytest.fixture(scope="module")
def result() -> RunResult:
    return make_result()


@pytest.fixture(scope="module")
def page(result: RunResult) -> str:
    return render_report(result)


def _groups(html: str) -> list[tuple[bool, str]]:
    """(open, title) of each <details> whose summary is a heading."""
    return [(bool(o), t) for o, t in re.findall(r"<details( open)?>\s*<summary><h3>([^<]+)</h3>", html)]


def test_headline_outcomes_first_and_every_group_collapsed(page: str) -> None:
    """The page was 59,000 px tall; "Key outcomes" alone about 22 screens."""
    outcomes = section_html(page, "outcomes")
    headline = _visible_text(outcomes[: outcomes.index("<details")])
    for label in ("Days of fire supplied: North Korea → Russia", "First shortfall (day): Russia",
                  "Peak miscalculation, any indicator",
                  "Fires within the horizon: South Korea arms Ukraine directly"):
        assert label in headline
    for label in ("Delivered: ", "First shortfall without transfers", "Peak: ", "Date it fires",
                  "Peak miscalculation: South Korean"):
        assert label not in headline
    groups = ("Sustainment", "Escalation", "Miscalculation", "Events")
    assert _groups(outcomes) == [(False, g) for g in groups]


def test_scenario_tables_collapsed_but_on_the_page(page: str) -> None:
    scenario = section_html(page, "scenario")
    titles = ["Actors", "Munitions and goods", "Transfers", "Signals", "Indicators", "Events", "Levers",
              "Policies", "Uncertain inputs", "Bibliography"]
    assert _groups(scenario) == [(False, t) for t in titles]
    assert 'id="src-perera-2024"' in scenario  # the links to sources still have a target
    assert "lognormal(median=20000, sigma=0.45)" in _visible_text(scenario)


def test_series_groups_after_the_first_are_collapsed(page: str) -> None:
    assert _groups(section_html(page, "series")) == [(True, "Stocks"), (False, "Indicators"),
                                                     (False, "Miscalculation")]


def test_links_into_a_closed_section_open_it(page: str) -> None:
    script = page[page.rindex("<script>") :]
    assert 'addEventListener("hashchange", reveal)' in script
    assert 'closest("details:not([open])")' in script  # figures there wait until it opens


def test_first_screen_summarises_the_claims(page: str, result: RunResult) -> None:
    head = page[page.index('<header class="report-head"') : page.index("</header>")]
    summary = head[head.index('id="claims-summary"') : head.index("</table>")]
    for claim in result.claims.itertuples():
        row = re.search(rf'<tr><td><a href="#claim-{claim.claim}">.*?</tr>', summary, flags=re.S)
        assert row, claim.claim
    assert head.index("<h1>") < head.index('id="claims-summary"') < head.index('class="description"')
    assert re.search(r'<details class="about">\s*<summary>About this run</summary>\s*<dl class="meta">', head)


def test_claims_summary_says_what_the_claims_section_says(page: str, result: RunResult) -> None:
    head = page[page.index('id="claims-summary"') : page.index("</header>")]
    text = _visible_text(head)
    for claim in result.claims.itertuples():
        assert f"{round(claim.probability * 100)}% {claim.word}" in text


def test_policies_missing_from_a_claim_show_a_dash(result: RunResult) -> None:
    claims = result.claims[~((result.claims.claim == "sustain") & (result.claims.policy == "cap"))]
    page = render_report(dataclasses.replace(result, claims=claims))
    row = re.search(r'<tr><td><a href="#claim-sustain">.*?</tr>', page, flags=re.S)
    assert row and row.group(0).count("<td") == 4 and row.group(0).endswith('<td class="num">—</td></tr>')


@pytest.mark.parametrize(
    ("column", "headline"),
    [
        ("days_of_fire.prk_rus_shells", True),
        ("first_shortfall.RUS.shell152", True),
        ("first_shortfall_without_transfers.RUS.shell152", True),  # the shortfall without the transfers
        ("fired_without_transfers.kor_arms_ukraine", False),
        ("miscalc_peak", True),
        ("miscalc_mean", True),
        ("miscalc_peak.kor_threat", False),
        ("fired.kor_arms_ukraine", True),
        ("fired_day.kor_arms_ukraine", False),
        ("days_of_fire", False),
        ("shipped.prk_rus_shells", False),
    ],
)
def test_headline_outcomes(column: str, headline: bool) -> None:
    assert is_headline(column) is headline
