"""Charts that say nothing new: identical policies drawn once, constant charts left out."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pandas as pd
import pytest

from spillover.report import figures as F
from spillover.report.figures.fans import constant_value, identical_policies
from spillover.report.html import render_report
from spillover.results.result import RunResult
from tests.test_report import POLICIES, START, _figures, _visible_text, make_result, section_html


@pytest.fixture(scope="module")
def result() -> RunResult:
    return make_result()


def _with_twin(result: RunResult, policy: str = "status-quo", twin: str = "twin") -> RunResult:
    """The result with one more policy whose series are a copy of ``policy``'s."""
    s = result.series
    copy = s[s.policy == policy].assign(policy=twin)
    manifest = dict(result.manifest, policies=[*POLICIES, twin])
    return dataclasses.replace(result, series=pd.concat([s, copy], ignore_index=True), manifest=manifest)


def test_identical_policies_are_drawn_once_under_one_legend_entry(result: RunResult) -> None:
    """Identical policies drew over each other, with no note."""
    twin = _with_twin(result)
    fig = F.fan_chart(twin.series, "stock.RUS.shell152", START, policies=[*POLICIES, "twin"])
    legend = [t.name for t in fig.data if t.showlegend]
    assert legend == ["status-quo = twin", "transparency", "cap"]
    assert len([t for t in fig.data if t.fill == "tonexty"]) == 3  # one 50% band each
    pairs = identical_policies(twin.series, "stock.RUS.shell152", [*POLICIES, "twin"])
    assert pairs == [["status-quo", "twin"]]
    assert identical_policies(result.series, "stock.RUS.shell152", POLICIES) == []


def test_a_difference_beyond_the_drawn_digits_still_counts_as_identical(result: RunResult) -> None:
    twin = _with_twin(result)
    s = twin.series.copy()
    s.loc[s.policy == "twin", "q50"] *= 1 + 1e-9  # invisible at four significant digits
    assert identical_policies(s, "stock.RUS.shell152") == [["status-quo", "twin"]]
    s.loc[(s.policy == "twin") & (s.day == 100), "q50"] *= 1.01  # visible
    assert identical_policies(s, "stock.RUS.shell152") == []


def test_identical_policies_are_named_under_the_chart(result: RunResult) -> None:
    series = section_html(render_report(_with_twin(result)), "series")
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", series, flags=re.S)
    assert len(captions) == 8  # every chart
    assert all(c == "status-quo and twin give the same series: drawn once, in the colour of status-quo."
               for c in captions)
    assert "<figcaption>" not in section_html(render_report(result), "series")


def test_constant_chart_is_not_drawn_but_named(result: RunResult) -> None:
    """A miscalculation chart that is a flat zero was still drawn."""
    s = result.series.copy()
    s.loc[s.series == "miscalc.kor_threat", ["q05", "q25", "q50", "q75", "q95", "mean"]] = 0.0
    assert constant_value(s, "miscalc.kor_threat") == 0.0
    assert constant_value(s, "miscalc.jpn_threat") is None
    page = render_report(dataclasses.replace(result, series=s))
    titles = [f["layout"]["title"]["text"] for f in _figures(page) if "title" in f["layout"]]
    assert "Miscalculation: South Korean threat perception" not in titles
    assert "Miscalculation: Japanese threat perception" in titles
    text = _visible_text(section_html(page, "series"))
    assert re.search(r"Not drawn, the same on every day under every policy: "
                     r"Miscalculation: South Korean threat perception \(0\)\.", text)


def test_no_drawn_chart_is_constant(result: RunResult) -> None:
    for fig in _figures(render_report(result)):
        ys = [y for t in fig["data"] for y in (t.get("y") or []) if y is not None]
        if ys:
            assert min(ys) < max(ys), fig["layout"].get("title")


def test_event_histogram_is_not_drawn_when_nothing_fired(result: RunResult) -> None:
    outcomes = result.outcomes.copy()
    outcomes["fired_day.kor_arms_ukraine"] = np.nan
    outcomes["fired.kor_arms_ukraine"] = 0.0
    page = render_report(dataclasses.replace(result, outcomes=outcomes))
    titles = [f["layout"]["title"]["text"] for f in _figures(page) if "title" in f["layout"]]
    assert "When it fires: South Korea arms Ukraine directly" not in titles
    assert "When it fires: Open China–Russia friction" in titles
    text = _visible_text(section_html(page, "events"))
    assert "No run fired South Korea arms Ukraine directly within the horizon, under any policy" in text


def test_a_fan_chart_is_what_plotly_makes_of_it_with_every_check(result: RunResult) -> None:
    """Fan charts are built without plotly checking each property (ten times faster): the same
    figure as plotly's checked construction, and checked again for any later change."""
    import plotly.graph_objects as go

    fig = F.fan_chart(result.series, "stock.RUS.shell152", START, policies=POLICIES, y_title="rounds")
    spec = fig.to_plotly_json()
    checked = go.Figure(data=spec["data"], layout=spec["layout"])  # every property validated
    assert checked.to_plotly_json() == spec
    assert [t.type for t in fig.data] == ["scatter"] * len(fig.data)
    assert fig.layout.yaxis.title.text == "rounds"
    with pytest.raises(ValueError, match="not_a_property"):
        fig.update_layout(not_a_property=1)


def test_a_constant_series_is_named_by_its_rounded_value() -> None:
    frame = pd.DataFrame({"series": "s", "policy": "p", "day": np.arange(4.0), "q05": 2.00001,
                          "q25": 2.0, "q50": 1.99999, "q75": 2.00004, "q95": [2.0, np.nan, np.inf, 2.0]})
    assert constant_value(frame, "s") == 2.0  # all round to 2 at four significant digits
    assert constant_value(frame.assign(q95=2.001), "s") is None  # 2.001 does not
    gaps = frame.assign(q05=np.nan, q25=np.nan, q50=np.nan, q75=np.inf, q95=-np.inf)
    assert constant_value(gaps, "s") is None
