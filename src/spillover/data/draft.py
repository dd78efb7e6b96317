"""A scenario skeleton drafted from the data store: ``spillover draft``.

From the store's SIPRI, GDELT and COW data, for a list of actors and a start date:

* **actors** with their latest CINC (COW NMC) in the description: context, not a model number;
* **transfers**, one per (supplier, recipient, SIPRI armament category) with deliveries among
  the actors: a yearly step schedule in items a day, each step citing the SIPRI file and deals;
* **indicators**, one ``hostility_<A>_<B>`` per dyad with GDELT events, resting at the dyad's
  mention-weighted Goldstein mean ``g`` mapped to 0..1: ``h = (10 - g) / 20``, ``beta = logit(h)``;
* everything the data cannot give (delays, covertness, stocks, time constants, weights) as a
  ``judgment: true`` placeholder noted ``placeholder: set this judgment``.

The file passes ``spillover validate --strict`` as written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import os
import re
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from spillover.data import _draft_sipri as sipri
from spillover.data._draft_sipri import sipri_category
from spillover.data._draft_yaml import PLACEHOLDER, placeholder, render, sourced
from spillover.data.countries import iso3_codes
from spillover.data.dyad import CoverageWarning, dyad_series
from spillover.data.errors import DataError, UnknownActorError
from spillover.data.store import Store, open_store
from spillover.scenario.errors import did_you_mean
from spillover.scenario.load import loads_scenario

__all__ = [
    "GDELT_FILES_CITED",
    "PLACEHOLDER",
    "Draft",
    "build_draft",
    "draft_scenario",
    "sipri_category",
    "write_draft",
]

_EXISTS = "{} exists; spillover draft does not overwrite files, choose another name"

#: More GDELT files than this are cited as one source (a year of exports is 35,000 files).
GDELT_FILES_CITED = 5


@dataclass(frozen=True)
class Draft:
    """A drafted scenario: the YAML text and what went into it.

    Attributes
    ----------
    text : str
        The scenario file.
    actors : tuple of str
        Scenario actor ids, in the order given.
    transfers : tuple of str
        Transfer ids, one per (supplier, recipient, SIPRI category).
    dyads : tuple of (str, str)
        Actor pairs with a GDELT hostility indicator.
    notices : tuple of str
        What a reader should know: fallbacks to earlier data, missing data.
    """

    text: str
    actors: tuple[str, ...]
    transfers: tuple[str, ...]
    dyads: tuple[tuple[str, str], ...]
    notices: tuple[str, ...] = ()


def draft_scenario(
    store: Store | str | os.PathLike[str] | None,
    actors: Sequence[str],
    start: str | dt.date,
    horizon: int = 730,
    out: str | os.PathLike[str] | None = None,
    *,
    end: str | dt.date | None = None,
    name: str | None = None,
) -> str:
    """Draft a scenario skeleton from the data store; write it when ``out`` is given.

    Parameters
    ----------
    store : Store, path or None
        An open store, a database path, or None for the default database.
    actors : sequence of str
        ISO3 codes or ``X-`` ids, e.g. ``["PRK", "RUS", "KOR"]`` (at least two).
    start : str or datetime.date
        Day 0 of the scenario and the first day of the data window.
    horizon : int, default 730
        Days simulated.
    out : path, optional
        File to write; an existing file is never overwritten.
    end : str or datetime.date, optional
        Last day of the data window (default: the last day of the horizon).
    name : str, optional
        The scenario's ``name`` (default: from ``out``, else from the actors).

    Returns
    -------
    str
        The YAML text; it passes ``spillover.loads_scenario(text, strict=True)``.

    Raises
    ------
    UnknownActorError
        For an actor that is neither an ISO3 code nor an actor id of the store.
    DataError
        For a store without SIPRI, GDELT or COW data, fewer than two actors, or bad dates.
    FileExistsError
        When ``out`` exists.

    Examples
    --------
    >>> text = draft_scenario("arms.duckdb", ["PRK", "RUS", "KOR"], "2023-01-01")  # doctest: +SKIP
    >>> list(spillover.loads_scenario(text, strict=True).transfers)  # doctest: +SKIP
    ['prk_rus_artillery', 'prk_rus_missiles']
    """
    return build_draft(store, actors, start, horizon, out, end=end, name=name).text


def write_draft(text: str, out: str | os.PathLike[str]) -> Path:
    """Write a drafted scenario to a new file, never over an existing one.

    Parameters
    ----------
    text : str
        The YAML text.
    out : path
        The file to create.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    FileExistsError
        When ``out`` exists.
    """
    path = Path(out)
    try:
        with path.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        raise FileExistsError(_EXISTS.format(path)) from None
    return path


def build_draft(
    store: Store | str | os.PathLike[str] | None,
    actors: Sequence[str],
    start: str | dt.date,
    horizon: int = 730,
    out: str | os.PathLike[str] | None = None,
    *,
    end: str | dt.date | None = None,
    name: str | None = None,
) -> Draft:
    """Draft a scenario skeleton and say what went into it; parameters as :func:`draft_scenario`.

    Returns
    -------
    Draft
        The text, the actors, transfers and dyads it holds, and notices for the reader.
    """
    if out is not None and Path(out).exists():
        raise FileExistsError(_EXISTS.format(out))
    if name is None and out is not None:
        name = _slug(Path(out).stem) or None
    first = _date(start, "--from")
    if not 1 <= int(horizon) <= 36500:
        raise DataError(f"--horizon must be 1 to 36500 days, got {horizon}")
    last = _date(end, "--to") if end is not None else first + dt.timedelta(days=int(horizon) - 1)
    if last < first:
        raise DataError(f"--to {last} is before --from {first}")
    win = sipri.Window(first, last, int(horizon))
    if isinstance(store, Store):
        result = _Drafter(store, win).draft(actors, name)
    else:
        with open_store(store, read_only=True) as opened:
            result = _Drafter(opened, win).draft(actors, name)
    if out is not None:
        write_draft(result.text, out)
    return result


@dataclass
class _Drafter:
    """One draft: the store, the window, and the sources cited so far."""

    store: Store
    win: sipri.Window
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    key_of: dict[int, str] = field(default_factory=dict)

    def sql(self, query: str, params: dict[str, Any] | None = None) -> pd.DataFrame:
        return self.store.con.execute(query, params or {}).df()

    def draft(self, requested: Sequence[str], name: str | None) -> Draft:
        ids = self.check_actors(requested)
        flows = sipri.transfers(sipri.deliveries(self.store.con, ids), self.win, self.source_key, _id)
        dyads, indicators, dyad_notes, notices = self.indicators(ids, flows.transfers)
        notices = flows.notices + notices
        doc = self.assemble(ids, name, flows, indicators, notices)
        w = self.win
        command = f"spillover draft --actors {','.join(ids)} --from {w.start} --to {w.end} "
        command += f"--horizon {w.horizon}"
        header = (
            f"{doc['name']}: a scenario skeleton drafted from the data store {self.store.path.name} by\n"
            f"  {command}\nNumbers from data cite their source. Numbers the data cannot give are "
            f"judgment placeholders: search for '{PLACEHOLDER}' and set each one, then check the "
            "file with spillover validate FILE --strict. Format: docs/scenario-format.md."
        )
        item_notes = {"transfers": flows.comments, "indicators": dyad_notes}
        text = render(header, doc, _HEAD, _SECTION_NOTES, item_notes)
        loads_scenario(text, "<draft>", strict=True)  # valid by construction; a failure is a bug
        return Draft(text, tuple(doc["actors"]), tuple(flows.transfers), tuple(dyads), tuple(notices))

    def check_actors(self, requested: Sequence[str]) -> list[str]:
        """Upper-cased actor ids; refuses an empty store, unknown ids, repeats, fewer than two."""
        if self.sql("SELECT 1 FROM sources WHERE kind IN ('sipri', 'gdelt', 'nmc') LIMIT 1").empty:
            raise DataError(
                f"the store {self.store.path} holds no SIPRI, GDELT or COW data; import files first "
                "(spillover data import sipri|gdelt|nmc FILE)"
            )
        codes = [str(a).strip().upper() for a in requested if str(a).strip()]
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise DataError(f"--actors lists {', '.join(twice)} more than once")
        if len(codes) < 2:
            raise DataError(f"--actors needs at least two actors, got {', '.join(codes) or 'none'}")
        known = set(self.sql("SELECT DISTINCT actor_id FROM actor_names")["actor_id"])
        bad = [c for c in codes if c not in known and c not in iso3_codes()]
        if bad:
            raise UnknownActorError(
                "unknown actor "
                + ", ".join(f"'{c}'{did_you_mean(c, known)}" for c in bad)
                + ": use ISO3 codes such as PRK or RUS, or X- ids from the actor_names table"
            )
        return codes

    def source_key(self, source_id: int) -> str:
        """The ``sources:`` key of a store source, adding its entry on first use."""
        if source_id not in self.key_of:
            row = self.sql("SELECT * FROM sources WHERE source_id = $id", {"id": source_id}).iloc[0]
            prefix = {"nmc": "cow"}.get(row["kind"], row["kind"])
            key = _unique(f"{prefix}-{_slug(Path(row['file_name']).stem)}", self.sources)
            self.sources[key] = _source_entry(row)
            self.key_of[source_id] = key
        return self.key_of[source_id]

    def indicators(
        self, ids: list[str], transfers: dict[str, dict]
    ) -> tuple[list[tuple[str, str]], dict[str, dict], dict[str, str], list[str]]:
        """One hostility indicator per dyad with GDELT events; its notes and the notices."""
        windows = self.dyad_windows(ids)
        keys = self.gdelt_keys(sorted({s for *_, used in windows for s in used}))
        dyads, indicators, notes, earlier = [], {}, {}, []
        for a, b, lo, hi, used in windows:
            with warnings.catch_warnings():  # the window is the draft's, coverage aside
                warnings.simplefilter("ignore", CoverageWarning)
                series = dyad_series(self.store, a, b, lo, hi, freq="month")
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
            iid = f"hostility_{_id(a)}_{_id(b)}"
            inputs = {
                t: placeholder(0, "weight")
                for t, spec in transfers.items()
                if {spec["supplier"], spec["recipient"]} & {_id(a), _id(b)}
            }
            indicators[iid] = {
                "name": f"Hostility between {self.name(a)} and {self.name(b)}",
                "observer": _id(a),
                "kind": "logistic",
                "tau": placeholder(30, "days"),
                "beta": sourced(
                    round(math.log(h / (1 - h)), 4), cited[0] if len(cited) == 1 else cited, note
                ),
                **({"inputs": inputs} if inputs else {}),
            }
            notes[iid] = f"{a} <-> {b}: rests at h = {h:.3f} (GDELT {lo}..{hi})"
            dyads.append((a, b))
            earlier += [f"{a}-{b}"] if hi < self.win.start else []
        notices = (
            [
                f"no GDELT events from {self.win.start} on for {', '.join(earlier)}: their baselines use "
                "the 365 days up to each dyad's last earlier event"
            ]
            if earlier
            else []
        )
        return dyads, indicators, notes, notices

    def dyad_windows(self, ids: list[str]) -> list[tuple[str, str, dt.date, dt.date, list[int]]]:
        """Per dyad with events: the window (the data window, else the year up to its last
        earlier event) and the GDELT sources of its events there."""
        daily = self.sql(
            """SELECT least(actor1_id, actor2_id) AS a, greatest(actor1_id, actor2_id) AS b,
                      event_date, source_id
               FROM gdelt_events
               WHERE actor1_id IN (SELECT unnest($ids)) AND actor2_id IN (SELECT unnest($ids))
                 AND actor1_id <> actor2_id AND event_date <= $end
               GROUP BY ALL""",
            {"ids": ids, "end": self.win.end},
        )
        daily["event_date"] = pd.to_datetime(daily["event_date"]).dt.date
        out = []
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                pair = daily[(daily["a"] == min(a, b)) & (daily["b"] == max(a, b))]
                lo, hi = self.win.start, self.win.end
                if not pair.empty and max(pair["event_date"]) < lo:
                    hi = max(pair["event_date"])
                    lo = hi - dt.timedelta(days=364)
                used = pair[pair["event_date"] >= lo]
                if not used.empty:
                    out.append((a, b, lo, hi, sorted(int(s) for s in set(used["source_id"]))))
        return out

    def gdelt_keys(self, used: list[int]) -> dict[int, str]:
        """One source per GDELT file, or one for them all beyond :data:`GDELT_FILES_CITED`."""
        if len(used) <= GDELT_FILES_CITED:
            return {s: self.source_key(s) for s in used}
        rows = self.sql(
            "SELECT * FROM sources WHERE source_id IN (SELECT unnest($ids)) ORDER BY generated_at, source_id",
            {"ids": used},
        )
        names = list(rows["file_name"])
        key = _unique(f"gdelt-{_slug(Path(names[0]).stem)}-to-{_slug(Path(names[-1]).stem)}", self.sources)
        digest = hashlib.sha256("\n".join(sorted(rows["sha256"])).encode()).hexdigest()
        self.sources[key] = {
            "citation": f"The GDELT Project, GDELT 2.0 event exports: {len(names)} files, "
            f"{names[0]} to {names[-1]}.",
            "url": "https://www.gdeltproject.org",
            "note": f"store sources {_ranges(used)}; sha256 of their sorted sha256 list: {digest}",
        }
        return dict.fromkeys(used, key)

    def name(self, actor: str) -> str:
        """Short country name (country_converter), else the SIPRI name, else the id."""
        if actor in _short_names():
            return _short_names()[actor]
        names = self.sql(
            "SELECT name FROM actor_names WHERE actor_id = $id AND scheme = 'sipri' ORDER BY name",
            {"id": actor},
        )["name"]
        return str(names.iloc[0]).rstrip("*").strip() if not names.empty else actor

    def actors(self, ids: list[str]) -> dict[str, dict[str, str]]:
        """Each actor's name, and as description its CINC of the year nearest the start."""
        cinc = self.sql(
            """SELECT country_id, year, coalesce(cinc, cinc_recomputed) AS cinc, source_id,
                      (SELECT max(year) FROM nmc) AS last_year
               FROM nmc
               WHERE country_id IN (SELECT unnest($ids)) AND coalesce(cinc, cinc_recomputed) IS NOT NULL
               QUALIFY row_number() OVER (
                   PARTITION BY country_id ORDER BY abs(year - $year), year, source_id DESC
               ) = 1""",
            {"ids": ids, "year": self.win.start.year},
        ).set_index("country_id")
        has_nmc = not self.sql("SELECT 1 FROM sources WHERE kind = 'nmc' LIMIT 1").empty
        out = {}
        for a in ids:
            if a in cinc.index:
                row = cinc.loc[a]
                year, gap = int(row["year"]), self.win.start.year - int(row["year"])
                when = f", {abs(gap)} years {'before' if gap > 0 else 'after'} the start" if gap else ""
                text = (
                    f"CINC {row['cinc']:.4g} in {year}{when} (COW National Material Capabilities, source "
                    f"{self.source_key(int(row['source_id']))}; the COW data end in {int(row['last_year'])})."
                )
            else:
                text = "No CINC: " + (
                    f"COW NMC has no record of {a}." if has_nmc else "no COW NMC file in the store."
                )
            out[_id(a)] = {"name": self.name(a), "description": text}
        return out

    def assemble(
        self,
        ids: list[str],
        name: str | None,
        flows: sipri.Flows,
        indicators: dict,
        notices: list[str],
    ) -> dict[str, Any]:
        """The scenario as plain data, in file order."""
        names = ", ".join(ids)
        doc: dict[str, Any] = {
            "name": name or _slug("draft-" + "-".join(ids)),
            "title": f"Arms transfers among {names} from {self.win.start} (drafted from data)",
            "description": (
                f"Drafted by spillover draft from the data store: SIPRI deliveries among {names} "
                f"({self.win.start.year}-{self.win.end.year}) as transfers, GDELT hostility baselines as "
                "indicators, COW CINC in the actor descriptions. Every judgment is a placeholder until "
                "you set it."
            ),
            "start": self.win.start,
            "horizon": self.win.horizon,
            "sources": self.sources,
            "limitations": _LIMITATIONS + [n[0].upper() + n[1:] + "." for n in notices],
        }
        doc["actors"] = self.actors(ids)  # cites the COW source: after "sources" is bound, same dict
        doc |= {
            "munitions": flows.munitions,
            "stocks": flows.stocks,
            "transfers": flows.transfers,
            "signals": flows.signals,
            "indicators": indicators,
        }
        if flows.transfers:
            doc["levers"] = {
                "transparency": {
                    "kind": "transparency",
                    "transfers": list(flows.transfers),
                    "default": 0,
                    "description": "Declare the transfers: 0 = as they are, 1 = fully declared",
                }
            }
        doc["policies"] = {"status-quo": {"description": "Levers at their defaults", "levers": {}}}
        claim = _example_claim(doc, flows)
        if claim:
            doc["claims"] = {"example": claim}
        return {k: v for k, v in doc.items() if v != {} or k in ("actors", "munitions", "policies")}


def _example_claim(doc: dict[str, Any], flows: sipri.Flows) -> dict[str, str] | None:
    prefix = "EXAMPLE, replace it with a claim from the argument you model: "
    names = {a: spec["name"] for a, spec in doc["actors"].items()}
    if flows.transfers:
        tid = max(flows.transfers, key=lambda t: flows.recorded[t])
        spec, half = flows.transfers[tid], math.floor(flows.recorded[tid] / 2)
        what = spec["munition"].replace("_", " ")
        return {
            "text": f"{prefix}{names[spec['supplier']]} delivers at least {half} items ({what}) to "
            f"{names[spec['recipient']]} over the horizon, half the SIPRI record.",
            "expr": f"delivered[{tid}] >= {half}",
            "source": _first(flows.signals[tid]["reference"]["source"]),
        }
    if doc["indicators"]:
        iid, spec = next(iter(doc["indicators"].items()))
        return {
            "text": f"{prefix}{spec['name']} rises above 0.5.",
            "expr": f"peak({iid}) > 0.5",
            "source": _first(spec["beta"]["source"]),
        }
    return None


def _first(source: str | list[str]) -> str:
    return source if isinstance(source, str) else source[0]


_HEAD = ("name", "title", "description", "start", "horizon")

_LIMITATIONS = [
    f"Drafted automatically. Every number noted '{PLACEHOLDER}' is a placeholder, not a judgment: "
    "set each one (and add production, demand, perception and events) before reading any result.",
    "SIPRI's register covers major conventional weapons, counted as items: it does not record shells, "
    "small arms or most ammunition, and dates deliveries by year only. Yearly numbers are spread evenly "
    "over each year; many are SIPRI estimates (see the notes).",
    "For each supplier, recipient and year one SIPRI file is used: the most recently generated one in "
    "the store with deliveries then.",
    "Hostility baselines map GDELT's mention-weighted Goldstein mean (-10 hostile .. +10 cooperative) "
    "linearly onto 0..1. GDELT codes news reports, not verified events, and its coverage varies.",
    "CINC (COW National Material Capabilities) is context in the actor descriptions, not a model input; "
    "the COW data end in 2016.",
]

_SECTION_NOTES = {
    "sources": "Sources: the store's files this draft read (sha256 in each note).",
    "actors": "Actors. CINC (COW composite index of national capability, a share of the world's) is "
    "context, not a model number.",
    "munitions": "One class per SIPRI armament category delivered among the actors, counted in items.",
    "stocks": "Initial stocks: placeholders. Suppliers start with what their transfers ship over the "
    "horizon, recipients with none.",
    "transfers": "Transfers: SIPRI deliveries, one per supplier, recipient and category. Each yearly "
    "step is the items delivered that year / days in the year; a step after the SIPRI data end is a "
    "placeholder.",
    "signals": "Signals: each transfer's delivered flow over its mean SIPRI rate (1 = a typical day).",
    "indicators": "Indicators: dyad hostility, resting at the GDELT baseline (beta). tau and the input "
    "weights are placeholders; a weight of 0 means the flow has no effect yet.",
    "levers": "Levers and policies: a minimal set. Add caps, channels and sanctions as your argument needs.",
    "claims": "Claims: one example only. Replace it with the claims of the argument you model.",
}


def _id(actor: str) -> str:
    """Scenario id of a store actor id (``X-NATO`` -> ``X_NATO``)."""
    return actor.replace("-", "_")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-.")


def _unique(key: str, taken: dict[str, Any]) -> str:
    out, n = key, 2
    while out in taken:
        out, n = f"{key}-{n}", n + 1
    return out


def _ranges(ids: list[int]) -> str:
    """``1-3, 7`` for ``[1, 2, 3, 7]``."""
    runs: list[list[int]] = []
    for i in ids:
        if runs and i == runs[-1][-1] + 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return ", ".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def _date(value: str | dt.date, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DataError(f"{label} must be a date like 2023-01-31, got {value!r}") from None


@cache
def _short_names() -> dict[str, str]:
    """ISO3 -> short country name, from country_converter's table read as plain text."""
    from country_converter import country_converter as coco_module

    table = pd.read_csv(coco_module.COUNTRY_DATA_FILE, sep="\t", dtype=str, keep_default_na=False)
    return dict(zip(table["ISO3"], table["name_short"], strict=True))


def _source_entry(row: pd.Series) -> dict[str, Any]:
    when = pd.Timestamp(row["generated_at"]) if pd.notna(row["generated_at"]) else None
    note = f"sha256 {row['sha256']}; source {int(row['source_id'])} of the spillover data store"
    if row["kind"] == "sipri":
        fmt = "new export format" if row["format"] == "sipri-new" else "classic export"
        made = f", data generated {when:%d %b %Y}" if when is not None else ""
        citation = (
            f"SIPRI Arms Transfers Database, trade register ({fmt}), file {row['file_name']}{made}. "
            "Source: SIPRI Arms Transfers Database (c) SIPRI."
        )
        return {
            "citation": citation,
            "url": "https://www.sipri.org/databases/armstransfers",
            "note": note,
        }
    if row["kind"] == "gdelt":
        made = f" ({when:%d %b %Y %H:%M} UTC)" if when is not None else ""
        citation = f"The GDELT Project, GDELT 2.0 event export {row['file_name']}{made}."
        return {"citation": citation, "url": "https://www.gdeltproject.org", "note": note}
    citation = (
        f"Correlates of War Project, National Material Capabilities, file {row['file_name']} "
        "(Singer, Bremer and Stuckey 1972)."
    )
    return {"citation": citation, "url": "https://correlatesofwar.org", "note": note}
