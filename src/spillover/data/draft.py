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
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spillover.data import _draft_sipri as sipri
from spillover.data._draft_actors import actor_entries, actor_name, check_actors, scenario_id
from spillover.data._draft_gdelt import Hostility, hostility
from spillover.data._draft_sipri import sipri_category
from spillover.data._draft_sources import GDELT_FILES_CITED, Sources, slug
from spillover.data._draft_text import HEAD, LIMITATIONS, SECTION_NOTES
from spillover.data._draft_yaml import PLACEHOLDER, render
from spillover.data.errors import DataError
from spillover.data.store import Store, open_store
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
        name = slug(Path(out).stem) or None
    first = _date(start, "--from")
    if not 1 <= int(horizon) <= 36500:
        raise DataError(f"--horizon must be 1 to 36500 days, got {horizon}")
    last = _date(end, "--to") if end is not None else first + dt.timedelta(days=int(horizon) - 1)
    if last < first:
        raise DataError(f"--to {last} is before --from {first}")
    win = sipri.Window(first, last, int(horizon))
    if isinstance(store, Store):
        result = _Drafter(store, win, Sources(store.con)).draft(actors, name)
    else:
        with open_store(store, read_only=True) as opened:
            result = _Drafter(opened, win, Sources(opened.con)).draft(actors, name)
    if out is not None:
        write_draft(result.text, out)
    return result


@dataclass
class _Drafter:
    """One draft: the store, the window, and the sources cited so far."""

    store: Store
    win: sipri.Window
    sources: Sources
    names: dict[str, str] = field(default_factory=dict)

    def draft(self, requested: Sequence[str], name: str | None) -> Draft:
        con = self.store.con
        ids = check_actors(con, self.store.path, requested)
        flows = sipri.transfers(sipri.deliveries(con, ids), self.win, self.sources.key, scenario_id)
        found = hostility(self.store, self.win, ids, flows.transfers, self.sources, self.name)
        notices = flows.notices + found.notices
        doc = self.assemble(ids, name, flows, found, notices)
        w = self.win
        command = f"spillover draft --actors {','.join(ids)} --from {w.start} --to {w.end} "
        command += f"--horizon {w.horizon}"
        header = (
            f"{doc['name']}: a scenario skeleton drafted from the data store {self.store.path.name} by\n"
            f"  {command}\nNumbers from data cite their source. Numbers the data cannot give are "
            f"judgment placeholders: search for '{PLACEHOLDER}' and set each one, then check the "
            "file with spillover validate FILE --strict. Format: docs/scenario-format.md."
        )
        item_notes = {"transfers": flows.comments, "indicators": found.notes}
        text = render(header, doc, HEAD, SECTION_NOTES, item_notes)
        loads_scenario(text, "<draft>", strict=True)  # valid by construction; a failure is a bug
        return Draft(
            text, tuple(doc["actors"]), tuple(flows.transfers), tuple(found.dyads), tuple(notices)
        )

    def name(self, actor: str) -> str:
        """The actor's name (see :func:`~spillover.data._draft_actors.actor_name`)."""
        if actor not in self.names:
            self.names[actor] = actor_name(self.store.con, actor)
        return self.names[actor]

    def assemble(
        self,
        ids: list[str],
        name: str | None,
        flows: sipri.Flows,
        found: Hostility,
        notices: list[str],
    ) -> dict[str, Any]:
        """The scenario as plain data, in file order."""
        names = ", ".join(ids)
        doc: dict[str, Any] = {
            "name": name or slug("draft-" + "-".join(ids)),
            "title": f"Arms transfers among {names} from {self.win.start} (drafted from data)",
            "description": (
                f"Drafted by spillover draft from the data store: SIPRI deliveries among {names} "
                f"({self.win.start.year}-{self.win.end.year}) as transfers, GDELT hostility baselines as "
                "indicators, COW CINC in the actor descriptions. Every judgment is a placeholder until "
                "you set it."
            ),
            "start": self.win.start,
            "horizon": self.win.horizon,
            "sources": self.sources.entries,
            "limitations": LIMITATIONS + [n[0].upper() + n[1:] + "." for n in notices],
        }
        # cites the COW source: after "sources" is bound, same dict
        doc["actors"] = actor_entries(self.store.con, ids, self.win.start.year, self.sources.key)
        doc |= {
            "munitions": flows.munitions,
            "stocks": flows.stocks,
            "transfers": flows.transfers,
            "signals": flows.signals,
            "indicators": found.indicators,
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


def _date(value: str | dt.date, label: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise DataError(f"{label} must be a date like 2023-01-31, got {value!r}") from None
