"""Observed series for calibration: a CSV of ``date,value`` mapped to an indicator or a stock.

Every problem in the file is reported at its line and column (``FILE:LINE:COL:
message``): a missing or unreadable date, a date given twice, a value that is missing or
not a number, a date outside the scenario's horizon.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spillover.scenario.errors import Problem, ScenarioError
from spillover.scenario.model import Scenario

__all__ = ["Observation", "parse_observations", "read_observations"]


@dataclass(frozen=True)
class Observation:
    """An observed series of one target (``indicator.<id>`` or ``stock.<actor>.<munition>``).

    ``days`` count from the scenario's start: the value on a date is the target's value at
    the end of that day.
    """

    target: str
    days: np.ndarray
    values: np.ndarray
    source: str = "<memory>"

    def on(self, start: dt.date) -> list[dt.date]:
        """The observation dates, given the scenario's start."""
        return [start + dt.timedelta(days=int(d)) for d in self.days]


def _field_col(line: str, index: int) -> int:
    """1-based column where the ``index``-th comma-separated field of ``line`` starts."""
    col = 1
    for _ in range(index):
        nxt = line.find(",", col - 1)
        if nxt < 0:
            return len(line) + 1
        col = nxt + 2
    return col


def _header(rows: list[list[str]], name: str) -> list[Problem]:
    if not rows:
        return [Problem(name, 1, 1, "the file is empty; expected a header 'date,value' and rows")]
    head = [c.strip().lower() for c in rows[0]]
    if head[:2] != ["date", "value"] or len(head) != 2:
        return [Problem(name, 1, 1, f"expected the header 'date,value', got '{','.join(rows[0])}'")]
    if len(rows) == 1:
        return [Problem(name, 2, 1, "no data rows after the header 'date,value'")]
    return []


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def _row(sc: Scenario, name: str, n: int, raw: str, fields: list[str], seen: dict[dt.date, int]
         ) -> tuple[list[Problem], tuple[int, float] | None]:
    probs: list[Problem] = []
    if len(fields) != 2:
        return [Problem(name, n, 1, f"expected 2 fields (date,value), got {len(fields)}")], None
    d_txt, v_txt = fields[0].strip(), fields[1].strip()
    date = _date(d_txt) if d_txt else None
    if not d_txt:
        probs.append(Problem(name, n, 1, "missing date"))
    elif date is None:
        probs.append(Problem(name, n, 1, f"'{d_txt}' is not a date (use YYYY-MM-DD)"))
    elif date in seen:
        probs.append(Problem(name, n, 1, f"date {date} is given twice (first on line {seen[date]})"))
    else:
        seen[date] = n
        day = (date - sc.start).days
        if not 0 <= day < sc.horizon:
            last = sc.start + dt.timedelta(days=sc.horizon - 1)
            probs.append(Problem(name, n, 1, f"date {date} lies outside the scenario ({sc.start} to {last})"))
    col = _field_col(raw, 1)
    value = math.nan
    if not v_txt:
        probs.append(Problem(name, n, col, "missing value"))
    else:
        try:
            value = float(v_txt)
        except ValueError:
            probs.append(Problem(name, n, col, f"'{v_txt}' is not a number"))
        else:
            if not math.isfinite(value):
                probs.append(Problem(name, n, col, f"'{v_txt}' is not a finite number"))
    if probs or date is None:
        return probs, None
    return [], ((date - sc.start).days, value)


def parse_observations(text: str, target: str, sc: Scenario, name: str = "<memory>") -> Observation:
    """Read ``date,value`` rows from ``text``; raises ScenarioError listing every bad line.

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> sc = load_scenario("nk-russia-2023")
    >>> text = "date,value\\n2023-08-11,0.1\\n2023-09-01,0.2\\n"
    >>> obs = parse_observations(text, "indicator.kor_threat", sc)
    >>> obs.days.tolist(), obs.values.tolist()
    ([10, 31], [0.1, 0.2])
    >>> parse_observations("date,value\\n2023-08-11,high\\n", "indicator.kor_threat", sc, "obs.csv")
    Traceback (most recent call last):
    ...
    spillover.scenario.errors.ScenarioError: obs.csv:2:12: 'high' is not a number
    """
    lines = text.splitlines()
    rows = list(csv.reader(io.StringIO(text)))
    problems = _header(rows, name)
    seen: dict[dt.date, int] = {}
    days, values = [], []
    if not problems:
        for n, fields in enumerate(rows[1:], start=2):
            if not fields or not "".join(fields).strip():
                continue
            probs, got = _row(sc, name, n, lines[n - 1] if n - 1 < len(lines) else "", fields, seen)
            problems += probs
            if got is not None:
                days.append(got[0])
                values.append(got[1])
    if problems:
        raise ScenarioError(problems)
    order = np.argsort(days)
    return Observation(target, np.asarray(days, dtype=np.int64)[order], np.asarray(values)[order], name)


def read_observations(path: str | Path, target: str, sc: Scenario) -> Observation:
    """Read an observed series from a CSV file (see :func:`parse_observations`)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if not p.is_file():
        raise ValueError(f"{p} is {'a folder' if p.is_dir() else 'not a regular file'}; give a CSV file")
    return parse_observations(p.read_text(encoding="utf-8-sig"), target, sc, str(p))
