"""How the report writes numbers, probabilities, differences and dates.

Pure functions of plain values that return text; missing values give an em dash.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

__all__ = [
    "EN_DASH",
    "MINUS",
    "fmt_count",
    "fmt_date",
    "fmt_number",
    "fmt_pct",
    "fmt_prob_interval",
    "fmt_signed",
    "is_missing",
    "pct_number",
    "to_date",
]

EN_DASH = "–"
MINUS = "−"
_LARGE = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
_TINY = 1e-4  # below this, numbers are written as 3.92×10⁻⁸
_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def is_missing(x: Any) -> bool:
    """None, NaN or NA (anything pandas calls missing)."""
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def pct_number(p: float) -> str:
    """A probability as a percentage without the sign: 0.372 -> "37"."""
    pct = float(p) * 100.0
    if pct == 0:
        return "0"
    if pct == 100:
        return "100"
    if pct < 0.1:
        return "<0.1"
    if pct > 99.9:
        return ">99.9"
    if pct < 1 or pct > 99:
        # Keep one decimal near the ends so 0.4% and 99.6% do not read as 0% and 100%.
        text = f"{pct:.1f}"
        return text[:-2] if text.endswith(".0") else text
    return f"{round(pct):d}"


def fmt_pct(p: Any) -> str:
    """Format a probability in [0, 1] as a percentage: ``0.372 -> "37%"``.

    Values strictly between 0 and 1 % (or 99 and 100 %) keep one decimal; missing
    values give an em dash.
    """
    if is_missing(p):
        return "—"
    return f"{pct_number(p)}%"


def fmt_prob_interval(p: Any, lo: Any, hi: Any) -> str:
    """A probability with its interval: ``(0.37, 0.31, 0.43) -> "37% (31–43%)"``."""
    if is_missing(p):
        return "—"
    if is_missing(lo) or is_missing(hi):
        return fmt_pct(p)
    return f"{pct_number(p)}% ({pct_number(lo)}{EN_DASH}{pct_number(hi)}%)"


def _sig(x: float, digits: int) -> str:
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def _scientific(x: float, digits: int) -> str:
    """``3.92e-08 -> "3.92×10⁻⁸"``."""
    mantissa, _, exponent = f"{x:.{digits - 1}e}".partition("e")
    return f"{mantissa.replace('-', MINUS)}×10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def fmt_number(x: Any, digits: int = 3) -> str:
    """A number for a table: thousands separators, about ``digits`` significant digits.

    Millions and more are written in words (``8660552 -> "8.66 million"``); from 100
    (with ``digits=3``) to a million, whole numbers (``123456.7 -> "123,457"``); smaller
    values keep ``digits`` significant digits (``0.45231 -> "0.452"``), and values below
    0.0001 are written in scientific notation (``3.92e-08 -> "3.92×10⁻⁸"``).
    """
    if is_missing(x):
        return "—"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else f"{MINUS}∞"
    if x == 0:
        return "0"
    if abs(x) < _TINY:
        return _scientific(x, digits)
    for scale, word in _LARGE:
        if abs(x) >= scale:
            return f"{_sig(x / scale, digits)} {word}".replace("-", MINUS)
    text = f"{x:,.0f}" if abs(x) >= 10 ** (digits - 1) else _sig(x, digits)
    if text in ("-0", "0", "-0.0"):
        return "0"
    return text.replace("-", MINUS)


def fmt_count(x: Any) -> str:
    """A whole count with thousands separators: ``1234.0 -> "1,234"``."""
    if is_missing(x):
        return "—"
    return f"{round(float(x)):,d}".replace("-", MINUS)


def _points(x: float) -> str:
    pp = x * 100.0
    text = f"{abs(pp):.1f}" if 0 < abs(pp) < 9.95 else f"{abs(pp):.0f}"
    if text.endswith(".0"):
        text = text[:-2]
    if text in ("0", "0.0"):
        return "0 pp"
    return f"{'+' if pp > 0 else MINUS}{text} pp"


def fmt_signed(x: Any, *, percentage_points: bool = False, digits: int = 3) -> str:
    """A difference with an explicit sign: ``+12 pp`` or ``−1,234``.

    With ``percentage_points`` the value is a difference of probabilities in [−1, 1]
    and is shown in percentage points.
    """
    if is_missing(x):
        return "—"
    x = float(x)
    if percentage_points:
        return _points(x)
    body = fmt_number(abs(x), digits=digits)
    if body == "0":
        return "0"
    return f"{'+' if x > 0 else MINUS}{body}"


def to_date(start: Any) -> date:
    """A start date given as a date, a datetime or ISO text."""
    if isinstance(start, datetime):
        return start.date()
    if isinstance(start, date):
        return start
    return pd.Timestamp(str(start)).date()


def fmt_date(start: Any, day: Any) -> str:
    """The calendar date ``day`` days after ``start`` (ISO ``YYYY-MM-DD``); fractions floor."""
    if is_missing(day):
        return "—"
    return (to_date(start) + timedelta(days=math.floor(float(day)))).isoformat()
