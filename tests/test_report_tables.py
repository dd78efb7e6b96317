"""Fixes to the report's tables: names in the orders of effect, policy cells, breakable ids."""

from __future__ import annotations

import dataclasses
import html
import re

from spillover.analysis.sections import orders_section
from spillover.report.html import render_report
from spillover.scenario.load import load_scenario
from tests.test_report import make_result, section_html


def test_orders_table_names_each_indicator_and_event() -> None:
    """It showed the row number ("kor_threat 1") where the name belongs."""
    section = orders_section(load_scenario("nk-russia-2023"))
    result = dataclasses.replace(make_result(), extra={"analysis": {"orders": section}})
    orders = section_html(render_report(result), "orders")
    for r in section["table"].itertuples():
        assert re.search(rf"<code>{r.id}</code>\s*{re.escape(html.escape(r.name))}\s*</td>", orders), r.id
    assert not re.search(r"<code>kor_threat</code>\s*\d+\s*</td>", orders)
