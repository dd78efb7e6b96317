"""Display rows for the scenario's own tables: actors, munitions, transfers, … sources."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spillover.report.format import MINUS, is_missing
from spillover.report.names import by_id, name_of

__all__ = [
    "GRADE_WORDS",
    "actor_rows",
    "basis",
    "event_rows",
    "indicator_rows",
    "input_rows",
    "lever_rows",
    "munition_rows",
    "policy_rows",
    "signal_rows",
    "source_rows",
    "transfer_rows",
]


def _yes_no(value: Any) -> str:
    return "yes" if bool(value) else "no"


def actor_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"id": str(a.get("id", "")), "name": str(a.get("name") or a.get("id", ""))}
        for a in summary.get("actors") or []
    ]


def munition_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "id": str(m.get("id", "")),
            "name": str(m.get("name") or m.get("id", "")),
            "unit": str(m.get("unit") or ""),
            "kind": str(m.get("kind") or ""),
        }
        for m in summary.get("munitions") or []
    ]


def transfer_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    actors = by_id(summary.get("actors"))
    munitions = by_id(summary.get("munitions"))
    rows = []
    for t in summary.get("transfers") or []:
        cov = t.get("covertness")
        route = f"{name_of(actors, str(t.get('supplier')))} → {name_of(actors, str(t.get('recipient')))}"
        rows.append(
            {
                "id": str(t.get("id", "")),
                "route": route,
                "munition": name_of(munitions, str(t.get("munition"))),
                "covertness": "—" if is_missing(cov) else f"{float(cov):.2f}",
                "dormant": _yes_no(t.get("dormant")),
                "compensation_for": str(t.get("compensation_for") or ""),
                "description": str(t.get("description") or ""),
            }
        )
    return rows


def signal_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "id": str(s.get("id", "")),
            "description": str(s.get("description") or ""),
            "covert": _yes_no(s.get("covert")),
        }
        for s in summary.get("signals") or []
    ]


def _indicator_input(i: Mapping[str, Any]) -> dict[str, str]:
    sign = i.get("sign", 1)
    try:
        sign_text = "+" if float(sign) >= 0 else MINUS
    except (TypeError, ValueError):
        sign_text = str(sign)
    return {"from": str(i.get("from", "")), "weight": str(i.get("weight", "")), "sign": sign_text}


def indicator_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    actors = by_id(summary.get("actors"))
    rows = []
    for ind in summary.get("indicators") or []:
        threshold = ind.get("threshold")
        rows.append(
            {
                "id": str(ind.get("id", "")),
                "name": str(ind.get("name") or ind.get("id", "")),
                "observer": name_of(actors, str(ind.get("observer", ""))),
                "kind": str(ind.get("kind") or ""),
                "threshold": "—" if is_missing(threshold) else f"{float(threshold):g}",
                "inputs": [_indicator_input(i) for i in ind.get("inputs") or []],
            }
        )
    return rows


def event_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(e.get("id", "")),
            "name": str(e.get("name") or e.get("id", "")),
            "trigger": str(e.get("trigger") or ""),
            "effects": [str(x) for x in e.get("effects") or []],
        }
        for e in summary.get("events") or []
    ]


def lever_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "id": str(lv.get("id", "")),
            "kind": str(lv.get("kind") or ""),
            "description": str(lv.get("description") or ""),
            "default": "—" if is_missing(lv.get("default")) else str(lv.get("default")),
        }
        for lv in summary.get("levers") or []
    ]


def policy_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for p in summary.get("policies") or []:
        levers = p.get("levers") or {}
        rows.append(
            {
                "id": str(p.get("id", "")),
                "description": str(p.get("description") or ""),
                "levers": ", ".join(f"{k} = {v}" for k, v in levers.items()) or "defaults",
            }
        )
    return rows


def _safe_url(url: Any) -> str | None:
    if not url or is_missing(url):
        return None
    text = str(url).strip()
    return text if text.lower().startswith(("https://", "http://")) else None


def input_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each sampled input with its distribution and its source, or the word judgment."""
    sources = by_id(summary.get("sources"))
    rows = []
    for i in summary.get("inputs") or []:
        source = str(i.get("source") or "").strip()
        judgment = bool(i.get("judgment"))
        rows.append(
            {
                "name": str(i.get("name", "")),
                "distribution": str(i.get("distribution") or ""),
                "source": source,
                "source_anchor": f"src-{source}" if source in sources else None,
                "judgment": judgment,
                "unsourced": not judgment and not source,
                "note": str(i.get("note") or ""),
            }
        )
    return rows


GRADE_WORDS = {"A": "completely reliable", "B": "usually reliable", "C": "fairly reliable",
               "D": "not usually reliable", "E": "unreliable", "F": "reliability cannot be judged"}
"""The Admiralty scale's words for a source's grade."""


def _grade(s: Mapping[str, Any]) -> dict[str, str]:
    g = s.get("grade")
    return {"grade": str(g) if g else "ungraded", "grade_words": GRADE_WORDS.get(str(g), "not graded"),
            "grade_note": str(s.get("note") or "").strip().rstrip(".")}


def source_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The bibliography, each source with its grade and the reason given for it; links are kept
    only when they are plain http(s) addresses."""
    return [
        {
            "id": str(s.get("id", "")),
            "anchor": f"src-{s.get('id', '')}",
            "citation": str(s.get("citation") or s.get("id", "")),
            "url": _safe_url(s.get("url")),
            "url_text": str(s.get("url") or ""),
            **_grade(s),
        }
        for s in summary.get("sources") or []
    ]


def basis(summary: Mapping[str, Any]) -> dict[str, Any] | None:
    """What the report rests on, graded: the sources of the claims (the argument modelled), with
    each one's grade and reason, and how many of the other sources have each grade.

    >>> b = basis({"claims": [{"source": "a"}], "sources": [{"id": "a", "grade": "F", "note": "no sources"},
    ...            {"id": "b", "grade": "B"}, {"id": "c", "grade": "B"}, {"id": "d"}]})
    >>> b["argument"][0]["grade"], b["outlets"]
    ('F', '2 B (usually reliable), 1 ungraded')
    """
    sources = {str(s.get("id")): s for s in summary.get("sources") or []}
    cited = dict.fromkeys(str(c["source"]) for c in summary.get("claims") or [] if c.get("source"))
    argument = [{"id": k, "anchor": f"src-{k}", **_grade(sources[k])} for k in cited if k in sources]
    others = [_grade(s)["grade"] for k, s in sources.items() if k not in cited]
    if not argument and not others:
        return None
    order = [*GRADE_WORDS, "ungraded"]
    counts = {g: others.count(g) for g in order if g in others}
    outlets = ", ".join(f"{n} {g}" + (f" ({GRADE_WORDS[g]})" if g in GRADE_WORDS else "")
                        for g, n in counts.items())
    return {"argument": argument, "outlets": outlets, "count": len(others)}
