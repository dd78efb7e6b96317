"""The GDELT part of a drafted scenario: one hostility indicator per dyad with events.

Each rests at the dyad's mention-weighted Goldstein mean ``g`` over the data window mapped
to 0..1: ``h = (10 - g) / 20``, ``beta = logit(h)``. A dyad without events in the window
uses the 365 days up to its last earlier event instead, and the draft says so.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from spillover.data._draft_actors import scenario_id
from spillover.data._draft_sipri import Window
from spillover.data._draft_sources import Sources
from spillover.data._draft_yaml import placeholder, sourced
from spillover.data.dyad import CoverageWarning, dyad_series
from spillover.data.store import Store

__all__ = ["Hostility", "hostility"]

#: A dyad's window: actors a, b, first and last day, the GDELT sources of its events.
DyadWindow = tuple[str, str, dt.date, dt.date, list[int]]

_DAILY_SQL = """
SELECT least(actor1_id, actor2_id) AS a, greatest(actor1_id, actor2_id) AS b,
       event_date, source_id
FROM gdelt_events
WHERE actor1_id IN (SELECT unnest($ids)) AND actor2_id IN (SELECT unnest($ids))
  AND actor1_id <> actor2_id AND event_date <= $end
GROUP BY ALL
"""


@dataclass
class Hostility:
    """The hostility indicators of a draft, the dyads they watch, and their notes."""

    dyads: list[tuple[str, str]] = field(default_factory=list)
    indicators: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)


def hostility(
    store: Store,
    win: Window,
    ids: list[str],
    transfers: dict[str, dict],
    sources: Sources,
    name: Callable[[str], str],
) -> Hostility:
    """One hostility indicator per dyad with GDELT events; its notes and the notices."""
    windows = _dyad_windows(store, win, ids)
    keys = sources.gdelt_keys(sorted({s for *_, used in windows for s in used}))
    out, earlier = Hostility(), []
    for a, b, lo, hi, used in windows:
        with warnings.catch_warnings():  # the window is the draft's, coverage aside
            warnings.simplefilter("ignore", CoverageWarning)
            series = dyad_series(store, a, b, lo, hi, freq="month")
        weighted = series[series["mentions"] > 0]
        if weighted.empty:
            continue
        g = float((weighted["tension"] * weighted["mentions"]).sum() / weighted["mentions"].sum())
        h = min(max((10 - g) / 20, 0.01), 0.99)
        cited = sorted({keys[s] for s in used})
        note = (
            f"GDELT {lo}..{hi}: {int(series['events'].sum())} events, "
            f"{int(series['mentions'].sum())} mentions, mention-weighted Goldstein mean g = {g:+.3f}; "
            f"h = (10 - g) / 20 = {h:.3f}, beta = logit(h)"
        )
        iid = f"hostility_{scenario_id(a)}_{scenario_id(b)}"
        beta = sourced(round(math.log(h / (1 - h)), 4), cited[0] if len(cited) == 1 else cited, note)
        out.indicators[iid] = _indicator(a, b, name, beta, transfers)
        out.notes[iid] = f"{a} <-> {b}: rests at h = {h:.3f} (GDELT {lo}..{hi})"
        out.dyads.append((a, b))
        earlier += [f"{a}-{b}"] if hi < win.start else []
    if earlier:
        out.notices.append(
            f"no GDELT events from {win.start} on for {', '.join(earlier)}: their baselines use "
            "the 365 days up to each dyad's last earlier event"
        )
    return out


def _indicator(
    a: str, b: str, name: Callable[[str], str], beta: dict[str, Any], transfers: dict[str, dict]
) -> dict[str, Any]:
    """The indicator of dyad ``a``-``b``: observed by ``a``, with a placeholder weight for
    each transfer to or from either."""
    inputs = {
        t: placeholder(0, "weight")
        for t, spec in transfers.items()
        if {spec["supplier"], spec["recipient"]} & {scenario_id(a), scenario_id(b)}
    }
    return {
        "name": f"Hostility between {name(a)} and {name(b)}",
        "observer": scenario_id(a),
        "kind": "logistic",
        "tau": placeholder(30, "days"),
        "beta": beta,
        **({"inputs": inputs} if inputs else {}),
    }


def _dyad_windows(store: Store, win: Window, ids: list[str]) -> list[DyadWindow]:
    """Per dyad with events: the window (the data window, else the year up to its last
    earlier event) and the GDELT sources of its events there."""
    daily = store.con.execute(_DAILY_SQL, {"ids": ids, "end": win.end}).df()
    daily["event_date"] = pd.to_datetime(daily["event_date"]).dt.date
    out = []
    for i, a in enumerate(ids):
        for b in ids[i + 1 :]:
            pair = daily[(daily["a"] == min(a, b)) & (daily["b"] == max(a, b))]
            lo, hi = win.start, win.end
            if not pair.empty and max(pair["event_date"]) < lo:
                hi = max(pair["event_date"])
                lo = hi - dt.timedelta(days=364)
            used = pair[pair["event_date"] >= lo]
            if not used.empty:
                out.append((a, b, lo, hi, sorted(int(s) for s in set(used["source_id"]))))
    return out
