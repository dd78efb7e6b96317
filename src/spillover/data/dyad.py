"""Dyad series: how hostile two actors have been to each other, per day or month.

The tension index of a period is the Goldstein score of the dyad's events weighted by
how often each event was mentioned::

    tension = sum(GoldsteinScale * NumMentions) / sum(NumMentions)

over the events of the period in **both** directions (A -> B and B -> A), matched on the
canonical ids of the GDELT actor country codes and dated by ``SQLDATE`` (the event date).
It ranges from -10 (most hostile) to +10 (most cooperative) and is empty for a period
without events. Counts by QuadClass come along: verbal cooperation (1), material
cooperation (2), verbal conflict (3), material conflict (4).

A period without events is only "no events" where the store holds GDELT exports for it.
The days the store covers are the days its exports were added (DATEADDED, from
``gdelt_coverage``); when the asked range reaches beyond them, :func:`dyad_series` says
so with a :class:`CoverageWarning` (and in ``frame.attrs["coverage_warning"]``).
"""

from __future__ import annotations

import warnings
from datetime import date, timedelta

import duckdb
import pandas as pd

from spillover.data.countries import iso3_codes
from spillover.data.errors import DataError, UnknownActorError
from spillover.data.store import Store, StoreLike, using_store

__all__ = ["DYAD_COLUMNS", "FREQUENCIES", "CoverageWarning", "covered_days", "dyad_series"]


class CoverageWarning(UserWarning):
    """The dates asked for lie (partly) outside the GDELT exports in the store."""

#: Accepted values of ``freq``.
FREQUENCIES = ("day", "month")

#: Columns of the DataFrame returned by :func:`dyad_series`.
DYAD_COLUMNS = (
    "period", "events", "mentions", "tension", "verbal_cooperation", "material_cooperation",
    "verbal_conflict", "material_conflict", "events_a_to_b", "events_b_to_a",
)  # fmt: skip


def _actor(con_ids: set[str], actor: str) -> str:
    code = actor.strip().upper()
    if code in iso3_codes() or code in con_ids:
        return code
    raise UnknownActorError(
        f"unknown actor {actor!r}: use an ISO3 code such as RUS or KOR, or an X- id "
        "from the actor_names table"
    )


def _date(value: str | date, label: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise DataError(f"{label} must be a date like 2023-01-31, got {value!r}") from None


def dyad_series(
    store: StoreLike,
    a: str,
    b: str,
    start: str | date,
    end: str | date,
    freq: str = "day",
) -> pd.DataFrame:
    """Daily or monthly tension index and event counts between two actors.

    Parameters
    ----------
    store : Store, path or None
        Open store, database path, or None for the default database.
    a, b : str
        Actors as ISO3 codes (``"RUS"``, ``"KOR"``) or ``X-`` ids; case-insensitive.
    start, end : str or datetime.date
        First and last day, inclusive (``"2023-01-01"``).
    freq : {"day", "month"}
        Period length. Months are calendar months, labelled by their first day.

    Returns
    -------
    pandas.DataFrame
        One row per period from ``start`` to ``end``, also when there were no events
        (counts 0, ``tension`` NaN). Columns :data:`DYAD_COLUMNS`.
        ``attrs["coverage_warning"]`` is None, or the text of the warning below.

    Warns
    -----
    CoverageWarning
        When days from ``start`` to ``end`` lie outside the days the store's GDELT
        exports cover (:func:`covered_days`): their zeros mean no data, not no events.
        The message names the days covered.

    Raises
    ------
    UnknownActorError
        For an actor that is neither an ISO3 code nor a known ``X-`` id.
    DataError
        For a bad date, ``start`` after ``end``, an unknown ``freq`` or ``a == b``.
    """
    if freq not in FREQUENCIES:
        raise DataError(f"freq must be one of {', '.join(FREQUENCIES)}, got {freq!r}")
    first, last = _date(start, "--from"), _date(end, "--to")
    if first > last:
        raise DataError(f"--from {first} is after --to {last}")
    read_only = not isinstance(store, Store)
    with using_store(store, read_only=read_only) as opened:
        con = opened.con
        known = {r[0] for r in con.execute("SELECT DISTINCT actor_id FROM actor_names").fetchall()}
        actor_a, actor_b = _actor(known, a), _actor(known, b)
        if actor_a == actor_b:
            raise DataError(f"a dyad needs two different actors, got {actor_a} twice")
        frame = con.execute(
            _SQL,
            {"a": actor_a, "b": actor_b, "first": first, "last": last, "unit": freq},
        ).df()
        message = coverage_warning(covered_days(con), first, last)
    frame["period"] = pd.to_datetime(frame["period"]).dt.date
    counts = [c for c in DYAD_COLUMNS if c not in ("period", "tension")]
    frame[counts] = frame[counts].fillna(0).astype("int64")
    frame["tension"] = frame["tension"].astype(float)
    frame = frame[list(DYAD_COLUMNS)]
    frame.attrs["coverage_warning"] = message
    if message is not None:
        warnings.warn(message, CoverageWarning, stacklevel=2)
    return frame


def covered_days(con: duckdb.DuckDBPyConnection) -> list[tuple[date, date]]:
    """The days the store's GDELT exports cover, as sorted, disjoint ``(first, last)``.

    A day is covered when an export added events that day (DATEADDED); an export
    spanning days covers every day from its first to its last.
    """
    try:
        spans = con.execute(
            "SELECT first_added::DATE, last_added::DATE FROM gdelt_coverage WHERE events > 0"
        ).fetchall()
    except duckdb.CatalogException:  # a read-only store of schema 2
        spans = con.execute(
            "SELECT min(date_added)::DATE, max(date_added)::DATE FROM gdelt_events GROUP BY source_id"
        ).fetchall()
    merged: list[tuple[date, date]] = []
    for low, high in sorted(spans):
        if merged and low <= merged[-1][1] + timedelta(days=1):
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def coverage_warning(covered: list[tuple[date, date]], first: date, last: date) -> str | None:
    """The warning for ``first..last`` against the ``covered`` days, or None."""
    if not covered:
        return (
            "the store holds no GDELT events: every period is empty for want of data; "
            "import GDELT exports first (spillover data import gdelt FILE...)"
        )
    outside, day = [], first
    for low, high in covered:
        if high < day or low > last:
            continue
        if low > day:
            outside.append((day, low - timedelta(days=1)))
        day = max(day, high + timedelta(days=1))
    if day <= last:
        outside.append((day, last))
    if not outside:
        return None
    return (
        f"the store's GDELT exports cover {_spans(covered)} (the days they were added); "
        f"{_spans(outside)} of the range asked for lie outside: zeros there mean no data, "
        "not no events"
    )


def _spans(spans: list[tuple[date, date]]) -> str:
    """``2019-10-24``, ``2019-10-20 to 2019-10-23``, joined; many as one range."""
    if len(spans) > 3:
        return f"{len(spans)} stretches of days from {spans[0][0]} to {spans[-1][1]}"
    parts = [str(a) if a == b else f"{a} to {b}" for a, b in spans]
    return " and ".join([", ".join(parts[:-1]), parts[-1]] if len(parts) > 1 else parts)


_SQL = """
WITH periods AS (
    SELECT CAST(p AS DATE) AS period
    FROM generate_series(
        date_trunc($unit, $first::DATE), date_trunc($unit, $last::DATE),
        CASE WHEN $unit = 'day' THEN INTERVAL 1 DAY ELSE INTERVAL 1 MONTH END
    ) AS t(p)
),
events AS (
    SELECT CAST(date_trunc($unit, event_date) AS DATE) AS period, actor1_id, quad_class,
           goldstein_scale, num_mentions
    FROM gdelt_events
    WHERE event_date BETWEEN $first::DATE AND $last::DATE
      AND ((actor1_id = $a AND actor2_id = $b) OR (actor1_id = $b AND actor2_id = $a))
),
summary AS (
    SELECT period,
           count(*) AS events,
           sum(num_mentions) AS mentions,
           sum(goldstein_scale * num_mentions) / nullif(sum(num_mentions), 0) AS tension,
           count(*) FILTER (WHERE quad_class = 1) AS verbal_cooperation,
           count(*) FILTER (WHERE quad_class = 2) AS material_cooperation,
           count(*) FILTER (WHERE quad_class = 3) AS verbal_conflict,
           count(*) FILTER (WHERE quad_class = 4) AS material_conflict,
           count(*) FILTER (WHERE actor1_id = $a) AS events_a_to_b,
           count(*) FILTER (WHERE actor1_id = $b) AS events_b_to_a
    FROM events GROUP BY period
)
SELECT p.period, s.* EXCLUDE (period)
FROM periods p LEFT JOIN summary s USING (period)
ORDER BY p.period
"""
