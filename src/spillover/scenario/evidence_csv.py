"""Evidence in CSV: series of dated values, and tables of observations.

A *series* (``series:`` in an evidence file) reads one value per row from a date column
and a value column: ``spillover data dyad --out`` writes ``period`` and ``tension``
(empty in a period without events: no observation), a ``spillover data sql --csv`` result
has the columns its query names. A *table* (a ``.csv`` given to ``--evidence``) holds one
observation per row with the columns ``id, date, measures, source, grade`` and those of
its form: ``value`` with ``normal`` or ``lognormal`` (its error), ``more_than``,
``less_than``, or ``low`` and ``high``; optionally ``window_end``, ``since``,
``published``, ``unit`` and ``note``. Every problem is located at its line and column.
"""

from __future__ import annotations

import calendar
import csv
import datetime as dt
import io
import math
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spillover.scenario import limits
from spillover.scenario.errors import Problem, Suggestions, did_you_mean
from spillover.scenario.evidence import Evidence, Observation, Series
from spillover.scenario.source import SourceDoc

TABLE_COLUMNS = ("id", "date", "measures", "source", "grade", "value", "normal", "lognormal", "more_than",
                 "less_than", "low", "high", "window_end", "since", "published", "unit", "note")
Row = tuple[str, Observation, str, int]


def _columns_at(line: str) -> list[int]:
    """1-based column where each comma-separated field of ``line`` starts (quotes aside)."""
    starts, inside = [1], False
    for i, ch in enumerate(line):
        if ch == '"':
            inside = not inside
        elif ch == "," and not inside:
            starts.append(i + 2)
    return starts


Read = tuple[list[str], list[tuple[int, list[str], list[int]]], list[Problem]]


def _text(path: Path) -> tuple[str | None, Problem | None]:
    """The file's text, or the problem that stops it being read (too large, not UTF-8)."""
    size = path.stat().st_size
    if size > limits.MAX_BYTES:
        return None, Problem(str(path), 1, 1, f"the file is {size / 1e6:,.1f} MB; spillover reads evidence "
                             f"tables of up to {limits.MAX_BYTES / 1e6:.0f} MB")
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, Problem(str(path), line, col, f"byte 0x{data[exc.start]:02x} is not UTF-8 text; save "
                             "the file as UTF-8 (most spreadsheets offer 'CSV UTF-8')")


def _read(path: Path) -> Read:
    """The header, the rows that hold something (line, fields, columns) and any problem reading it."""
    text, problem = _text(path)
    if text is None:
        return [], [], [problem] if problem else []
    lines = text.splitlines()
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as exc:
        return [], [], [Problem(str(path), reader.line_num, 1, f"not a readable CSV here: {exc}")]
    if not rows:
        return [], [], []
    out = [(n, r, _columns_at(lines[n - 1]) if n - 1 < len(lines) else [1])
           for n, r in enumerate(rows[1:], start=2) if r and "".join(r).strip()]
    return [c.strip() for c in rows[0]], out, []


def _date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def _month_end(d: dt.date) -> dt.date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def series_observations(sc: Any, sid: str, ser: Series, base: Path, at: Problem) -> tuple[list[Row],
                                                                                         list[Problem]]:
    """One observation per row of the series' file that has a value (see the module doc)."""
    path = base / ser.file
    if not path.is_file():
        return [], [Problem(at.file, at.line, at.col, f"no such file '{path}'")]
    header, rows, unread = _read(path)
    if unread:
        return [], unread
    missing = [c for c in (ser.date_column, ser.value_column) if c not in header]
    if missing:
        return [], [Problem(str(path), 1, 1, f"no column '{missing[0]}' (series '{sid}' reads it)"
                            f"{did_you_mean(missing[0], header)}")]
    di, vi = header.index(ser.date_column), header.index(ser.value_column)
    last = sc.start + dt.timedelta(days=sc.horizon - 1)
    out: list[Row] = []
    problems: list[Problem] = []
    base_fields = {k: getattr(ser, k) for k in ("source", "grade", "measures", "unit", "scale", "offset",
                                                "error", "note")}
    for n, fields, cols in rows:
        text = fields[di] if di < len(fields) else ""
        date, raw = _date(text), fields[vi].strip() if vi < len(fields) else ""
        dcol = cols[min(di, len(cols) - 1)]
        if date is None:
            problems.append(Problem(str(path), n, dcol, f"'{text}' is not a date (use YYYY-MM-DD)"))
            continue
        if not raw or (ser.start and date < ser.start) or (ser.end and date > ser.end):
            continue  # no value in this period (a dyad period without events), or outside from/to
        col = cols[min(vi, len(cols) - 1)]
        try:
            value = float(raw)
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(Problem(str(path), n, col, f"'{raw}' is not a number"))
            continue
        if not sc.start <= date <= last:
            problems.append(Problem(str(path), n, dcol, f"date {date} lies outside the "
                                    f"scenario's horizon ({sc.start} to {last}); limit series '{sid}' with "
                                    "from: and to:"))
            continue
        when = {"date": date} if ser.period == "day" else {"window": (date, min(_month_end(date), last))}
        obs = Observation.model_validate({**base_fields, **when, "value": value})
        out.append((f"{sid}[{date.isoformat()}]", obs, str(path), n))
    return out, problems


class _RowDoc(SourceDoc):
    """Locates ``("observations", id, field, ...)`` at a table row's column for that field."""

    def __init__(self, file: str, line: int, columns: dict[str, int]) -> None:
        super().__init__(file=file, text="", data={})
        self.line, self.columns = line, columns

    def where(self, path: tuple[str | int, ...], key: bool = False) -> tuple[int, int]:
        name = str(path[2]) if len(path) > 2 else "id"
        name = {"window": "date", "between": "low", "error": "normal"}.get(name, name)
        return self.line, self.columns.get(name, 1)


def _row_fields(rec: dict[str, str]) -> dict[str, Any]:
    """A table row as the fields of an :class:`Observation`."""
    out: dict[str, Any] = {k: rec[k] for k in ("measures", "source", "grade", "unit", "note", "since",
                                               "published") if rec.get(k)}
    out["window" if rec.get("window_end") else "date"] = [rec["date"], rec["window_end"]] \
        if rec.get("window_end") else rec.get("date")
    value = rec.get("value", "")
    if value.lower() in ("true", "false"):
        out["value"] = value.lower() == "true"
    elif value:
        out["value"] = _number(value)
    for form in ("more_than", "less_than"):
        if rec.get(form):
            out[form] = _number(rec[form])
    if rec.get("low") or rec.get("high"):
        out["between"] = [_number(rec.get("low", "")), _number(rec.get("high", ""))]
    for kind in ("normal", "lognormal"):
        if rec.get(kind):
            out["error"] = {kind: _number(rec[kind])}
    return out


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # the schema reports it at its column


def _row_problem(doc: SourceDoc, rec: dict[str, str], e: Any, where: dict[str, int]) -> Problem:
    """A row's schema problem at its column; a missing field names its column."""
    from spillover.scenario.shape import _message

    field = str(e["loc"][0]) if e["loc"] else ""
    if e["type"] == "missing" and field:
        col = where.get(field, 1)
        return Problem(doc.file, doc.where(())[0], col, f"no value in column '{field}' (an evidence table "
                       f"needs id, date, measures, source and grade in every row)")
    return doc.problem(("observations", rec["id"], *e["loc"]), _message(e))


def read_table(path: Path, sc: Any) -> tuple[list[Any], list[Problem]]:
    """The observations of a CSV table (see the module doc), compiled, and every problem."""
    from spillover.scenario.evidence_check import EvidenceChecker, Names, scenario_names
    from spillover.scenario.evidence_obs import compile_obs

    header, rows, unread = _read(path)
    if unread:
        return [], unread
    problems = [Problem(str(path), 1, 1, f"unknown column '{c}'{did_you_mean(c, TABLE_COLUMNS)}")
                for c in header if c not in TABLE_COLUMNS]
    need = [c for c in ("id", "date", "measures", "source", "grade") if c not in header]
    if need or not rows:
        what = f"the column '{need[0]}'" if need else "rows after the header"
        return [], [*problems, Problem(str(path), 1, 1, f"an evidence table needs {what} "
                                       "(id, date, measures, source, grade, and value with normal or "
                                       "lognormal, more_than, less_than, or low and high)")]
    out = []
    known = scenario_names(sc)  # once for the table, not per row
    for n, fields, cols in rows:
        rec = {h: (fields[i].strip() if i < len(fields) else "") for i, h in enumerate(header)}
        where = {h: cols[min(i, len(cols) - 1)] for i, h in enumerate(header)}
        doc = _RowDoc(str(path), n, where)
        try:
            obs = Observation.model_validate(_row_fields(rec))
        except ValidationError as exc:
            problems += [_row_problem(doc, rec, e, where) for e in exc.errors()]
            continue
        ev = Evidence(observations={rec["id"]: obs}) if rec["id"].isidentifier() else None
        if ev is None:
            problems.append(Problem(str(path), n, 1, f"'{rec['id']}' is not an id (letters, digits, _)"))
            continue
        names = Names.of(sc, ev, known)
        bad = EvidenceChecker(ev, sc, doc, (), Suggestions(), names).run()
        problems += bad
        if not bad:
            out.append(compile_obs(sc, ev, rec["id"], obs, str(path), n, names=names))
    return out, problems
