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


def test_round_sig_keeps_gaps_as_gaps_whatever_holds_them() -> None:
    """Missing values as None from a masked array, pandas' nullable types and a finite number
    that rounds to infinity; nested data is refused rather than flattened."""
    import numpy as np
    import pandas as pd
    import pytest

    from spillover.report.embed import plain
    from spillover.report.figures.style import round_sig

    assert round_sig(np.ma.array([1.0, 99.0], mask=[False, True])) == [1.0, None]
    assert round_sig(pd.Series([1.5, pd.NA], dtype="Float64")) == [1.5, None]
    assert round_sig(pd.Series([1, None], dtype="Int64")) == [1.0, None]
    assert round_sig([1.79769e308, -1.79769e308, 5e-324]) == [None, None, 5e-324]
    assert plain([1.79769e308, 2.0]) == [None, 2]
    assert round_sig([]) == [] and round_sig(range(3)) == [0.0, 1.0, 2.0]
    with pytest.raises(TypeError, match="flat sequence"):
        round_sig([[1.0, 2.0], [3.0, 4.0]])
    rng = np.random.default_rng(5)  # the same numbers as formatting each one with "{:.4g}"
    x = rng.normal(size=2000) * 10.0 ** rng.integers(-300, 300, 2000)
    assert round_sig(x) == [float(f"{v:.4g}") for v in x]
