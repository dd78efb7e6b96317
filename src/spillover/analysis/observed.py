"""Observed series for calibration: a CSV table mapped to an indicator or a stock.

Three layouts are read as they are, the first row naming the columns:

* ``date,value``, one observation a row;
* the CSV that ``spillover data dyad --out`` writes (``period,events,...,tension,...``):
  the ``tension`` column is the value, and a period without events (an empty tension)
  holds no observation;
* a ``spillover data sql --csv`` result: a date column (``date``, ``period``, ``day``,
  ``month`` or ``week``) and the value column, named with ``column`` when there are
  several others; empty cells (SQL NULL) hold no observation.

A measurement model maps the data's units onto the target's: the data read
``offset + scale × target`` (for instance a tension from −10 to +10 onto a 0–1
indicator), so each value is stored as ``(value − offset) / scale``. Every problem in the
file is reported at its line and column (``FILE:LINE:COL: message``): a header without
a date or value column, a missing or unreadable date, a date given twice, a value that
is not a number, a date outside the scenario's horizon.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from spillover.scenario.errors import Problem, ScenarioError, did_you_mean
from spillover.scenario.model import Scenario

__all__ = ["DATE_COLUMNS", "NOISE_FLOOR", "Observation", "parse_observations", "read_observations"]

DATE_COLUMNS = ("date", "period", "day", "month", "week")
"""Names a date column may have (the first one present is used)."""
NOISE_FLOOR = 0.01
"""Smallest observation noise assumed, as a share of the series' largest magnitude."""


@dataclass(frozen=True)
class Observation:
    """An observed series of one target (``indicator.<id>`` or ``stock.<actor>.<munition>``).

    ``days`` count from the scenario's start: the value on a date is the target's value at
    the end of that day. ``noise`` is the observation noise (a standard deviation in the
    target's units), when known.
    """

    target: str
    days: np.ndarray
    values: np.ndarray
    source: str = "<memory>"
    noise: float | None = None

    def on(self, start: dt.date) -> list[dt.date]:
        """The observation dates, given the scenario's start."""
        return [start + dt.timedelta(days=int(d)) for d in self.days]

    def noise_sd(self) -> float:
        """The observation noise: ``noise`` when given, else estimated from the data.

        The estimate is the scatter between successive points, √(mean(Δy²)/2), which is
        the noise's standard deviation for a series that changes slowly between
        observations (and larger for one that jumps); it is never below
        :data:`NOISE_FLOOR` of the series' largest magnitude, so that a series given
        exactly (no scatter) is taken as known to 1%.

        >>> round(Observation("indicator.x", np.arange(4), np.array([0.7, 0.7, 0.7, 0.7])).noise_sd(), 6)
        0.007
        >>> Observation("indicator.x", np.arange(3), np.array([1.0, 2.0, 3.0]), noise=0.5).noise_sd()
        0.5
        """
        if self.noise is not None:
            return float(self.noise)
        v = np.asarray(self.values, dtype=float)
        scatter = math.sqrt(float(np.mean(np.diff(v) ** 2)) / 2) if len(v) > 1 else 0.0
        return max(scatter, NOISE_FLOOR * float(np.max(np.abs(v), initial=0.0)), 1e-12)


@dataclass(frozen=True)
class _Layout:
    """Where the date and the value are in each row, and whether a blank value is skipped."""

    names: list[str]
    date: int
    value: int
    skip_blank: bool


def _field_col(line: str, index: int) -> int:
    """1-based column where the ``index``-th comma-separated field of ``line`` starts."""
    col = 1
    for _ in range(index):
        nxt = line.find(",", col - 1)
        if nxt < 0:
            return len(line) + 1
        col = nxt + 2
    return col


_EXPECTED = (f"a header naming a date column ({', '.join(DATE_COLUMNS[:-1])} or {DATE_COLUMNS[-1]}) and a "
             "value column, as in "
             "'date,value', the CSV of 'spillover data dyad --out' or of 'spillover data sql --csv'")


def _value_column(head: list[str], date: int, column: str | None, raw: list[str], name: str
                  ) -> int | Problem:
    if column is not None:
        if column.strip().lower() in head:
            return head.index(column.strip().lower())
        return Problem(name, 1, 1, f"no column '{column}' in the header "
                                   f"'{','.join(raw)}'{did_you_mean(column, raw)}")
    if "value" in head:
        return head.index("value")
    if "tension" in head and "period" in head:  # spillover data dyad
        return head.index("tension")
    others = [i for i in range(len(head)) if i != date]
    if len(others) == 1:
        return others[0]
    cols = ", ".join(raw[i] for i in others) or "none"
    return Problem(name, 1, 1, "cannot tell which column holds the values (a 'value' column, or 'tension' "
                               f"in a dyad CSV); the other columns are {cols}: name one with --column")


def _header(rows: list[list[str]], name: str, column: str | None) -> tuple[list[Problem], _Layout | None]:
    if not rows:
        return [Problem(name, 1, 1, f"the file is empty; expected {_EXPECTED}, and rows")], None
    raw = [c.strip() for c in rows[0]]
    head = [c.lower() for c in raw]
    date = next((head.index(c) for c in DATE_COLUMNS if c in head), None)
    if date is None:
        return [Problem(name, 1, 1, f"expected {_EXPECTED}; got '{','.join(rows[0])}'")], None
    value = _value_column(head, date, column, raw, name)
    if isinstance(value, Problem):
        return [value], None
    if len(rows) == 1:
        return [Problem(name, 2, 1, f"no data rows after the header '{','.join(raw)}'")], None
    return [], _Layout(raw, date, value, skip_blank=head != ["date", "value"])


def _date(text: str) -> dt.date | None:
    """A date written YYYY-MM-DD, or a timestamp at midnight (as SQL results print dates)."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        pass
    try:
        stamp = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return stamp.date() if stamp.time() == dt.time(0) else None


def _row_date(sc: Scenario, name: str, n: int, col: int, text: str, seen: dict[dt.date, int]
              ) -> tuple[list[Problem], dt.date | None]:
    if not text:
        return [Problem(name, n, col, "missing date")], None
    date = _date(text)
    if date is None:
        return [Problem(name, n, col, f"'{text}' is not a date (use YYYY-MM-DD)")], None
    if date in seen:
        return [Problem(name, n, col, f"date {date} is given twice (first on line {seen[date]})")], None
    seen[date] = n
    if not 0 <= (date - sc.start).days < sc.horizon:
        last = sc.start + dt.timedelta(days=sc.horizon - 1)
        return [Problem(name, n, col, f"date {date} lies outside the scenario ({sc.start} to {last})")], None
    return [], date


def _row_value(name: str, n: int, col: int, text: str) -> tuple[list[Problem], float]:
    if not text:
        return [Problem(name, n, col, "missing value")], math.nan
    try:
        value = float(text)
    except ValueError:
        return [Problem(name, n, col, f"'{text}' is not a number")], math.nan
    if not math.isfinite(value):
        return [Problem(name, n, col, f"'{text}' is not a finite number")], math.nan
    return [], value


def _row(sc: Scenario, name: str, n: int, raw: str, fields: list[str], layout: _Layout,
         seen: dict[dt.date, int]) -> tuple[list[Problem], tuple[int, float] | None]:
    """One data row: its (day, value), None for a blank value that holds no observation."""
    if len(fields) != len(layout.names):
        return [Problem(name, n, 1, f"expected {len(layout.names)} fields ({','.join(layout.names)}), "
                                    f"got {len(fields)}")], None
    v_txt = fields[layout.value].strip()
    if layout.skip_blank and not v_txt:
        return [], None
    p_date, date = _row_date(sc, name, n, _field_col(raw, layout.date), fields[layout.date].strip(), seen)
    p_value, value = _row_value(name, n, _field_col(raw, layout.value), v_txt)
    if p_date or p_value or date is None:
        return p_date + p_value, None
    return [], ((date - sc.start).days, value)


def _rows(sc: Scenario, name: str, text: str, rows: list[list[str]], layout: _Layout
          ) -> tuple[list[Problem], list[int], list[float]]:
    lines = text.splitlines()
    seen: dict[dt.date, int] = {}
    problems: list[Problem] = []
    days, values = [], []
    for n, fields in enumerate(rows[1:], start=2):
        if not fields or not "".join(fields).strip():
            continue
        probs, got = _row(sc, name, n, lines[n - 1] if n - 1 < len(lines) else "", fields, layout, seen)
        problems += probs
        if got is not None:
            days.append(got[0])
            values.append(got[1])
    if not problems and not days:
        problems.append(Problem(name, 2, 1, f"no values in the column '{layout.names[layout.value]}': "
                                            "every row leaves it empty"))
    return problems, days, values


def parse_observations(text: str, target: str, sc: Scenario, name: str = "<memory>", *,
                       column: str | None = None, scale: float = 1.0, offset: float = 0.0,
                       noise: float | None = None) -> Observation:
    """Read an observed series from CSV ``text``; raises ScenarioError listing every bad line.

    ``column`` names the value column (see the module's doc for the layouts read without
    it). The data read ``offset + scale × target``: values are stored in the target's
    units, ``(value − offset) / scale``, and ``noise`` (the data's standard deviation, in
    the data's units) as ``noise / |scale|``.

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

    A dyad series, its tension (−10 hostile .. +10 cooperative) read as 0.5 − tension/20:

    >>> dyad = "period,events,tension\\n2023-08-11,3,-4.0\\n2023-08-12,0,\\n2023-08-13,1,2.0\\n"
    >>> obs = parse_observations(dyad, "indicator.kor_threat", sc, scale=-20, offset=10)
    >>> obs.days.tolist(), obs.values.tolist()
    ([10, 12], [0.7, 0.4])
    """
    if not (math.isfinite(scale) and scale != 0 and math.isfinite(offset)):
        raise ValueError(f"the measurement model needs a finite, non-zero scale and a finite offset, "
                         f"got scale {scale} and offset {offset}")
    if noise is not None and not (math.isfinite(noise) and noise > 0):
        raise ValueError(f"the observation noise must be a positive number, got {noise}")
    rows = list(csv.reader(io.StringIO(text)))
    problems, layout = _header(rows, name, column)
    days: list[int] = []
    values: list[float] = []
    if layout is not None:
        problems, days, values = _rows(sc, name, text, rows, layout)
    if problems:
        raise ScenarioError(problems)
    order = np.argsort(days)
    vals = (np.asarray(values, dtype=float)[order] - offset) / scale
    return Observation(target, np.asarray(days, dtype=np.int64)[order], vals, name,
                       None if noise is None else noise / abs(scale))


def read_observations(path: str | Path, target: str, sc: Scenario, *, column: str | None = None,
                      scale: float = 1.0, offset: float = 0.0, noise: float | None = None) -> Observation:
    """Read an observed series from a CSV file (see :func:`parse_observations`)."""
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"no such file: {p}")
    if not p.is_file():
        raise ValueError(f"{p} is {'a folder' if p.is_dir() else 'not a regular file'}; give a CSV file")
    return parse_observations(p.read_text(encoding="utf-8-sig"), target, sc, str(p), column=column,
                              scale=scale, offset=offset, noise=noise)
