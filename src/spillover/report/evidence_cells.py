"""How the report and the terminal show an observation: what was reported, where it falls
among the runs (its predictive percentile), and which evidence file it came from."""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

BOUNDS = ("more_than", "less_than")


def stands_out(form: str, percentile: float) -> bool:
    """A reported number outside 1–99%; a bound that (nearly) every run breaks.

    >>> stands_out("number", 0.004), stands_out("number", 0.01), stands_out("more_than", 0.004)
    (True, False, False)
    """
    if math.isnan(percentile):
        return False
    if form == "more_than":
        return percentile > 0.99
    if form == "less_than":
        return percentile < 0.01
    return not 0.01 <= percentile <= 0.99


def reported_text(form: str, value: float) -> str:
    """``2,000``, ``> 2,000`` for a lower bound, ``yes``/``no`` for a yes/no report.

    >>> reported_text("more_than", 2000.0), reported_text("flag", 0.0), reported_text("number", 0.25)
    ('> 2,000', 'no', '0.25')
    """
    if math.isnan(value):
        return "–"
    if form == "flag":
        return "yes" if value else "no"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"
    return {"more_than": "> ", "less_than": "< "}.get(form, "") + text


def percentile_text(form: str, percentile: float) -> str:
    """The percentile (``<1%``/``>99%`` at the edges, flagged ``!``); a bound is not scored
    by a percentile, and is flagged ``!`` when (nearly) every run breaks it.

    >>> percentile_text("number", 0.004), percentile_text("number", 0.5), percentile_text("less_than", 0.3)
    ('<1% !', '50%', 'not scored')
    """
    if math.isnan(percentile):
        return "–"
    flag = " !" if stands_out(form, percentile) else ""
    if form in BOUNDS:
        return "runs break it !" if flag else "not scored"
    text = "<1%" if percentile < 0.01 else ">99%" if percentile > 0.99 else f"{100 * percentile:.0f}%"
    return text + flag


def shown_file(path: str) -> str:
    """A built-in evidence file by its name, another file relative to the working folder."""
    builtin = Path(str(resources.files("spillover.scenario.builtin").joinpath("x"))).parent
    p = Path(path)
    if p.parent == builtin:
        return f"{p.name.removesuffix('.evidence.yaml')} (built-in)"
    try:
        rel = os.path.relpath(p)
    except ValueError:
        return path
    return rel if not rel.startswith("../../") else path


def shown_where(where: str) -> str:
    """``FILE:LINE`` with the file as :func:`shown_file` shows it."""
    file, sep, line = where.rpartition(":")
    return f"{shown_file(file)}{sep}{line}" if sep and line.isdigit() else shown_file(where)


Format = Callable[[str, float], str]


def input_formatter(summary: Mapping[str, Any], number: Callable[[float], str]) -> Format:
    """Formats an input's value: a date input (days of the run) as its date, others by ``number``.

    >>> f = input_formatter({"start": "2024-01-01", "inputs": [{"name": "d", "date": True}]}, str)
    >>> f("d", 59.6), f("x", 2.5)
    ('2024-03-01', '2.5')
    """
    start = dt.date.fromisoformat(str(summary["start"])) if summary.get("start") else None
    dates = {i["name"] for i in summary.get("inputs", []) if i.get("date")}

    def fmt(name: str, value: float) -> str:
        if start is None or name not in dates or math.isnan(value):
            return number(value)
        return (start + dt.timedelta(days=round(value))).isoformat()

    return fmt
