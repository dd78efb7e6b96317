"""Fixes to the report's tables: names in the orders of effect, policy cells, breakable ids."""

from __future__ import annotations

import dataclasses
import html
import re

import pytest

from spillover.analysis.sections import orders_section
from spillover.report.html import breakable_id, render_report
from spillover.results.result import RunResult
from spillover.scenario.load import load_scenario
from tests.test_report import _check, _visible_text, make_result, section_html


@pytest.fixture(scope="module")
def result() -> RunResult:
    return make_result()


@pytest.fixture(scope="module")
def page(result: RunResult) -> str:
    return render_report(result)


def test_orders_table_names_each_indicator_and_event() -> None:
    """It showed the row number ("kor_threat 1") where the name belongs."""
    section = orders_section(load_scenario("nk-russia-2023"))
    result = dataclasses.replace(make_result(), extra={"analysis": {"orders": section}})
    orders = section_html(render_report(result), "orders")
    for r in section["table"].itertuples():
        ident = str(breakable_id(r.id))
        assert re.search(rf"<code>{ident}</code>\s*{re.escape(html.escape(r.name))}\s*</td>", orders), r.id
    assert not re.search(r"<code>kor_<wbr>threat</code>\s*\d+\s*</td>", orders)


def test_comparison_policy_cells_hold_only_the_policy(page: str, result: RunResult) -> None:
    """The policy column wrapped onto three lines: "transparent- / limited vs / status-quo"."""
    comparison = section_html(page, "comparison")
    cells = re.findall(r'<td class="policy">(.*?)</td>', comparison, flags=re.S)
    assert len(cells) == len(result.comparison)
    assert all("vs" not in _visible_text(c) for c in cells)
    assert '<th>Policy <span class="note">vs status-quo</span></th>' in comparison


def test_comparison_with_two_baselines_names_each(result: RunResult) -> None:
    c = result.comparison.copy()
    c.loc[c.policy == "cap", "baseline"] = "transparency"
    comparison = section_html(render_report(dataclasses.replace(result, comparison=c)), "comparison")
    assert "<th>Policy</th>" in comparison
    assert '<span class="note vs">vs transparency</span>' in comparison
    assert '<span class="note vs">vs status-quo</span>' in comparison


def test_policy_cells_do_not_wrap(page: str) -> None:
    css = page[page.index("<style>") : page.index("</style>")]
    assert re.search(r"td\.policy\s*\{[^}]*white-space:\s*nowrap", css)
    for sid in ("claims", "comparison", "outcomes"):
        cells = re.findall(r"<td([^>]*)>\s*<span class=\"swatch\"", section_html(page, sid))
        assert cells and all('class="policy"' in c for c in cells), sid


def test_ids_break_only_between_their_parts(page: str) -> None:
    """Input ids broke mid-word ('rus_production_2 024')."""
    scenario = section_html(page, "scenario")
    assert "<code>demand.<wbr>RUS.<wbr>shell152</code>" in scenario
    assert "<code>noise.<wbr>kor</code>" in scenario
    assert "<code>prk_<wbr>rus_<wbr>shells</code>" in scenario
    css = page[page.index("<style>") : page.index("</style>")]
    assert re.search(r"td code, td \.mono\s*\{[^}]*word-break:\s*normal", css)
    assert _check(page).errors == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rus_production_2024", "rus_<wbr>production_<wbr>2024"),
        ("stocks.UKR.shell155", "stocks.<wbr>UKR.<wbr>shell155"),
        ("trailing_", "trailing_"),
        ("<b>_x", "&lt;b&gt;_<wbr>x"),
        ("plain", "plain"),
    ],
)
def test_breakable_id(text: str, expected: str) -> None:
    assert str(breakable_id(text)) == expected


def test_every_outcome_of_a_real_run_has_a_group_and_a_readable_label() -> None:
    """The report groups and names outcomes from the catalogue: nothing left under "Other"
    or shown by its raw column name, twins beside their own column."""
    import spillover
    from spillover.report.outcome_labels import group_columns, outcome_label

    res = spillover.run("nk-russia-2023", runs=8, seed=1)
    columns = [c for c in res.outcomes.columns if c not in ("run", "policy")]
    groups = group_columns(columns)
    shown = [c for _, cols in groups for c in cols]
    assert sorted(shown) == sorted(columns) and len(shown) == len(set(shown))
    assert "Other" not in dict(groups)
    for c in columns:
        label = outcome_label(res.scenario_summary, c)
        assert label != c and "{" not in label, c
    sustain = dict(groups)["Sustainment"]
    at = sustain.index("first_shortfall.RUS.shell152")
    assert sustain[at + 1] == "first_shortfall_without_transfers.RUS.shell152"
    twin = outcome_label(res.scenario_summary, sustain[at + 1])
    assert twin.startswith("First shortfall (day) without transfers:")
