"""The analysis sections in the report, enrich(), and sections saved in a run folder."""

from __future__ import annotations

import re

import numpy as np
import pytest

import spillover
from spillover.analysis import enrich
from spillover.analysis.abc import abc
from spillover.analysis.ablation import ablate, check_chains
from spillover.analysis.calibration import Problem, fit_least_squares
from spillover.analysis.discovery import discover
from spillover.analysis.graph import influence_graph, strongest_chains
from spillover.analysis.observed import Observation
from spillover.analysis.sections import (
    ablation_section,
    calibration_section,
    discovery_section,
    orders_section,
    sensitivity_section,
)
from spillover.analysis.sensitivity import sensitivity
from spillover.report.folder import add_section
from spillover.report.html import render_report
from spillover.results.store import read_result, read_sections, write_sections
from tests.test_report import _check, _figures

ANCHORS = ["orders", "attribution", "sensitivity", "discovery", "calibration", "robustness"]


@pytest.fixture(scope="module")
def full(mini):
    res = enrich(spillover.run(mini, runs=40, seed=1), mini)
    ab = ablate(mini, runs=30, seed=1)
    sections = res.extra["analysis"]
    sections["orders"] = orders_section(mini, check=check_chains(strongest_chains(influence_graph(mini)), ab))
    sections["ablation"] = ablation_section(ab)
    sections["sensitivity"] = sensitivity_section(sensitivity(mini, "peak.threat", "morris", n=4, seed=1))
    sections["discovery"] = discovery_section(discover(mini, "days_of_fire.s_r_shells > 60", runs=150))
    days = np.arange(5, 120, 10)
    prob = Problem.build(mini, [Observation("stock.R.shell", days, np.zeros(len(days)))], ["fullness"])
    obs = Observation("stock.R.shell", days, prob.simulate(np.array([[0.7]]))[0][0])
    fit = fit_least_squares(mini, [obs], ["fullness"])
    post = abc(mini, [obs], runs=100, accept=0.1, inputs=["fullness"])
    sections["calibration"] = calibration_section(fit, post, "stock.R.shell")
    return res


@pytest.fixture(scope="module")
def page(full) -> str:
    return render_report(full)


def test_enrich_adds_orders_and_regret(mini) -> None:
    res = enrich(spillover.run(mini, runs=10, seed=1), mini)
    assert set(res.extra["analysis"]) == {"orders", "regret", "drivers", "headline"}  # and the first screen
    one = enrich(spillover.run(mini, runs=10, seed=1, policies=["open"]), mini)
    assert set(one.extra["analysis"]) == {"orders", "drivers", "headline"}  # regret needs two policies


def test_every_section_is_rendered_in_order(page) -> None:
    checker = _check(page)
    assert checker.errors == [] and checker.stack == []
    assert len(checker.ids) == len(set(checker.ids))
    positions = [page.index(f'id="{a}"') for a in ANCHORS]
    assert positions == sorted(positions)
    assert page.index('id="events"') < positions[0] < page.index('id="scenario"')
    for a in ANCHORS:
        assert f'href="#{a}"' in page
    targets = re.findall(r'class="fig-data" data-target="([^"]+)"', page)
    assert all(t in checker.ids for t in targets)
    titles = [f["layout"]["title"]["text"] for f in _figures(page) if "title" in f["layout"]]
    for expected in ("Orders of effect", "Effect of removing each transfer or channel",
                     "What drives peak.threat: Morris μ*", "PRIM: coverage and density of each box",
                     "Calibration: stock.R.shell"):
        assert expected in titles


def test_sections_say_sourced_or_judgment_and_show_chains(page) -> None:
    sens = page[page.index('id="sensitivity"'):page.index('id="discovery"')]
    assert 'class="badge judgment">judgment</span>' in sens
    orders = page[page.index('id="orders"'):page.index('id="attribution"')]
    assert "s_r_shells → threat → pressure" in orders
    assert "confirmed" in orders
    assert "★" in page[page.index('id="robustness"'):]


def test_sections_are_omitted_when_absent(mini) -> None:
    result = spillover.run(mini, runs=10, seed=1)
    assert set(result.extra["analysis"]) == {"orders", "regret", "drivers", "headline"}  # the cheap ones
    result.extra.clear()
    page = render_report(result)
    for a in ANCHORS:
        assert f'id="{a}"' not in page and f'href="#{a}"' not in page


def test_sections_round_trip_through_json(full, page, tmp_path) -> None:
    write_sections(full.extra["analysis"], tmp_path)
    back = read_sections(tmp_path)
    assert set(back) == set(full.extra["analysis"])
    assert back["sensitivity"]["table"]["input"].tolist() == \
        full.extra["analysis"]["sensitivity"]["table"]["input"].tolist()
    saved = full.extra["analysis"]
    try:
        full.extra["analysis"] = back
        again = render_report(full)
    finally:
        full.extra["analysis"] = saved
    assert len(_figures(again)) == len(_figures(page))


def test_add_section_to_a_run_folder(mini, tmp_path) -> None:
    out = tmp_path / "run"
    spillover.run(mini, runs=20, seed=1, out=out)
    sens = sensitivity_section(sensitivity(mini, "peak.threat", "morris", n=4, seed=1))
    report = add_section(out, "sensitivity", sens, mini)
    page = report.read_text(encoding="utf-8")
    for a in ("orders", "sensitivity", "robustness"):
        assert f'id="{a}"' in page
    assert (out / "analysis" / "sensitivity.json").exists()
    assert set(read_result(out).extra["analysis"]) == {"orders", "regret", "sensitivity", "drivers",
                                                       "headline"}
    other = mini.model_copy()
    object.__setattr__(other, "_sha256", "0" * 64)
    with pytest.raises(ValueError, match="another version of scenario 'mini'"):
        add_section(out, "sensitivity", sens, other)


def test_an_order_with_no_source_reads_as_a_dash_not_nan() -> None:
    """An indicator or event no chain reaches has no ``from``: the table said ``nan``."""
    import numpy as np
    import pandas as pd

    from spillover.report.sections.analysis import _order_rows

    table = pd.DataFrame({"id": ["a", "b", "c"], "kind": ["event"] * 3, "name": ["A", "B", "C"],
                          "order": [1.0, np.nan, 2.0], "from": ["x", np.nan, None]})
    assert [r["via"] for r in _order_rows(table)] == ["x", "—", "—"]
    assert [r["order"] for r in _order_rows(table)] == ["1", "—", "2"]
