"""How the report writes very small numbers."""

from __future__ import annotations

import dataclasses

import pytest

from spillover.report import tables as T
from spillover.report.html import render_report
from tests.test_report import _visible_text, make_result, section_html


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (3.92e-8, "3.92×10⁻⁸"),
        (-6.08e-5, "−6.08×10⁻⁵"),
        (0.0000999, "9.99×10⁻⁵"),
        (0.00009999, "1.00×10⁻⁴"),
        (1e-12, "1.00×10⁻¹²"),
        (0.0001, "0.000100"),
        (0.000139, "0.000139"),
        (0.00332, "0.00332"),
    ],
)
def test_tiny_numbers_in_scientific_notation(x: float, expected: str) -> None:
    """'0.0000000392' was printed in full."""
    assert T.fmt_number(x) == expected


def test_tiny_differences_keep_their_sign() -> None:
    assert T.fmt_signed(-6.08e-5) == "−6.08×10⁻⁵"
    assert T.fmt_signed(3.92e-8) == "+3.92×10⁻⁸"
    assert T.fmt_signed(0.0) == "0"


def test_tiny_outcomes_in_the_page() -> None:
    result = make_result()
    outcomes = result.outcomes.copy()
    outcomes["miscalc_mean"] = 3.92e-8
    page = render_report(dataclasses.replace(result, outcomes=outcomes))
    text = _visible_text(section_html(page, "outcomes"))
    assert "3.92×10⁻⁸" in text
    assert "0.0000000392" not in page
