"""The report before and after its split into modules per topic: nothing was lost.

``tests/data/report_before_split.json`` is the fingerprint (section ids, every table's
cells, every figure's title, traces and a digest of their data) of the built-in scenario's
report, ``spillover.run("nk-russia-2023", runs=40, seed=1)``, rendered by the report code
before the split (commit b05c77c). The current report of the same run must hold the same
sections, tables and figures; the only differences allowed are the fixes made since, each
checked here for what it may change.

When the engine's results for that run change (the digest of the run's tables differs),
the old report's numbers no longer apply: then only the structure is compared (sections,
table headers and sizes, figure titles and traces). To remake the fingerprint, render the
run with the old code and call :func:`fingerprint` on the page.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import spillover
from spillover.analysis.graph import influence_graph, order_table
from spillover.report.html import render_report
from spillover.scenario.load import load_scenario

BEFORE = Path(__file__).parent / "data" / "report_before_split.json"
LONG = 60  # cells longer than this are kept as a digest of their text


def digest(value: Any) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"))
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _cell(text: str) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= LONG else f"#{digest(text)}"


class _Reader(HTMLParser):
    """Section ids, every table's cells (with the section it is in) and where each plot sits."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.sections: list[str] = []
        self.stack: list[tuple[str, str]] = []
        self.tables: list[dict[str, Any]] = []
        self.table: dict[str, Any] | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.plots: dict[str, str] = {}

    def _section(self) -> str:
        return next((s for _, s in reversed(self.stack) if s), "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("br", "wbr", "meta", "img", "input", "hr", "link"):
            if tag == "br" and self.cell is not None:
                self.cell.append(" ")
            return
        sid = (a.get("id") or "") if tag in ("section", "header") else ""
        if sid:
            self.sections.append(sid)
        self.stack.append((tag, sid))
        if tag == "table":
            self.table = {"section": self._section(), "rows": []}
        elif tag == "tr" and self.table is not None:
            self.row = []
        elif tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif tag == "div" and "plot" in (a.get("class") or "").split() and a.get("id"):
            self.plots[str(a["id"])] = self._section()

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            if self.stack.pop()[0] == tag:
                break
        if tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(_cell("".join(self.cell)))
            self.cell = None
        elif tag == "tr" and self.row is not None and self.table is not None:
            self.table["rows"].append(self.row)
            self.row = None
        elif tag == "table" and self.table is not None:
            self.tables.append(self.table)
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)


def _trace(t: dict[str, Any]) -> dict[str, Any]:
    data = {k: t.get(k) for k in ("x", "y", "x0", "dx", "z", "text", "customdata") if k in t}
    ys = [v for v in (t.get("y") or []) if isinstance(v, int | float)]
    return {"name": t.get("name"), "type": t.get("type", "scatter"), "data": digest(data),
            "constant": bool(ys) and min(ys) == max(ys)}


def fingerprint(page: str) -> dict[str, Any]:
    """Section ids, table cells and figure data of a rendered report."""
    body = re.sub(r"<(script|style)\b.*?</\1>", "", page, flags=re.S)
    reader = _Reader()
    reader.feed(body)
    figures = []
    pattern = r'<script type="application/json" class="fig-data" data-target="([^"]+)">(.*?)</script>'
    for target, blob in re.findall(pattern, page, flags=re.S):
        spec = json.loads(blob)
        title = (spec.get("layout") or {}).get("title") or {}
        figures.append({"section": reader.plots.get(target, ""),
                        "title": title.get("text") if isinstance(title, dict) else title,
                        "traces": [_trace(t) for t in spec.get("data") or []]})
    return {"sections": reader.sections, "tables": reader.tables, "figures": figures}


def inputs_digest(result: Any) -> list[str]:
    """A digest of each table the report is made from (outcomes, series, claims, comparison)."""
    parts = [result.outcomes, result.series, result.claims, result.comparison]
    return [str(int(pd.util.hash_pandas_object(p, index=False).sum() % (1 << 60))) for p in parts]


def structure(fp: dict[str, Any]) -> dict[str, Any]:
    """What does not depend on the numbers: sections, table headers and sizes, figure traces."""
    return {
        "sections": fp["sections"],
        "tables": [(t["section"], t["rows"][0] if t["rows"] else [], len(t["rows"])) for t in fp["tables"]],
        "figures": [(f["section"], f["title"], [(t["name"], t["type"]) for t in f["traces"]])
                    for f in fp["figures"]],
    }


# --------------------------------------------------------------------------- the fixes since


def _fix_orders(tables: list[dict[str, Any]]) -> None:
    """Orders of effect: the name of each indicator and event, not its row number."""
    table = order_table(influence_graph(load_scenario("nk-russia-2023")))
    names = dict(zip(table["id"], table["name"], strict=True))
    for t in tables:
        if t["section"] == "orders" and t["rows"][0][0] == "Indicator or event":
            for row in t["rows"][1:]:
                ident, _, number = row[0].partition(" ")
                assert number.isdigit()
                row[0] = _cell(f"{ident} {names[ident]}")


def _sci(match: re.Match[str]) -> str:
    sign, digits = match.group(1), match.group(2)
    mantissa, _, exponent = f"{float('0.' + digits):.2e}".partition("e")
    sup = str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    return f"{sign}{mantissa}×10{sup}"


def _fix_tiny_numbers(tables: list[dict[str, Any]]) -> None:
    """Numbers below 0.0001 in scientific notation ("0.0000608" became "6.08×10⁻⁵")."""
    for t in tables:
        for row in t["rows"]:
            for i, cell in enumerate(row):
                row[i] = re.sub(r"([−+]?)0\.(0000\d+)", _sci, cell)


def _fix_comparison_policy(tables: list[dict[str, Any]]) -> None:
    """Comparison: with one baseline, "vs <baseline>" is said once, in the header."""
    for t in tables:
        if t["section"] != "comparison":
            continue
        header, rows = t["rows"][0], t["rows"][1:]
        baselines = {cell.rpartition(" vs ")[2] for row in rows for cell in row if " vs " in cell}
        assert len(baselines) == 1
        baseline = baselines.pop()
        header[header.index("Policy")] = f"Policy vs {baseline}"
        for row in rows:
            row[:] = [c.removesuffix(f" vs {baseline}") for c in row]


TABLE_FIXES = (_fix_orders, _fix_tiny_numbers, _fix_comparison_policy)


def _constant(figure: dict[str, Any]) -> bool:
    return figure["section"] == "series" and all(t["constant"] for t in figure["traces"])


def _policy_of(name: str) -> tuple[str, str]:
    """``"status-quo q05" -> ("status-quo", "q05")``; a median line is named by its policy alone."""
    policy, _, part = name.rpartition(" ")
    return (policy, part) if part in ("q05", "q25", "q75", "q95") else (name, "q50")


def _merge_identical(figure: dict[str, Any]) -> None:
    """Policies whose lines are identical: the first one's lines kept, its median named ``a = b``."""
    lines: dict[str, list[str]] = {}
    for t in figure["traces"]:
        lines.setdefault(_policy_of(t["name"])[0], []).append(t["data"])
    same: dict[tuple[str, ...], list[str]] = {}
    for policy, data in lines.items():
        same.setdefault(tuple(data), []).append(policy)
    first = {p: g[0] for g in same.values() for p in g}
    names = {g[0]: " = ".join(g) for g in same.values()}
    kept = []
    for t in figure["traces"]:
        policy, part = _policy_of(t["name"])
        if first[policy] == policy:
            kept.append({**t, "name": names[policy]} if part == "q50" else t)
    figure["traces"] = kept


def expected_now(before: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint before the split with each fix made since applied to it.

    Fan charts that were constant are left out (the page names them instead), and
    policies whose fan-chart lines were identical are drawn once.
    """
    now = copy.deepcopy(before)
    for fix in TABLE_FIXES:
        fix(now["tables"])
    now["figures"] = [f for f in now["figures"] if not _constant(f)]
    for f in now["figures"]:
        if f["section"] == "series":
            _merge_identical(f)
    return now


# --------------------------------------------------------------------------- tables added since


def _claims_at_a_glance(before: dict[str, Any]) -> list[list[str]]:
    """The value cells of the claims summary, from the claims tables: "52% roughly even chance"."""
    rows = []
    for t in before["tables"]:
        if t["section"] == "claims":
            rows.append([f"{r[1].split(' (')[0]} {r[2]}" for r in t["rows"][1:]])
    return rows


def _blocks(rows: list[list[str]]) -> list[list[list[str]]]:
    """Outcome table rows cut into one block per quantity (its first row has the quantity cell)."""
    blocks: list[list[list[str]]] = []
    for row in rows:
        if len(row) == 6:
            blocks.append([])
        blocks[-1].append(row)
    return blocks


def take_added_tables(now: dict[str, Any], before: dict[str, Any]) -> None:
    """Check the two tables added since, and remove them from ``now``.

    The claims summary at the top must say what the claims tables say; the headline outcomes
    table must be made of whole quantities copied from the outcome groups, in their order.
    """
    glance = now["tables"].pop(0)
    assert glance["section"] == "overview" and glance["rows"][0][0] == "Claim"
    assert [r[1:] for r in glance["rows"][1:]] == _claims_at_a_glance(before)
    i = next(i for i, t in enumerate(now["tables"]) if t["section"] == "outcomes")
    headline = now["tables"].pop(i)
    old = [b for t in before["tables"] if t["section"] == "outcomes" for b in _blocks(t["rows"][1:])]
    picked = _blocks(headline["rows"][1:])
    assert picked and all(b in old for b in picked)
    assert [old.index(b) for b in picked] == sorted(old.index(b) for b in picked)


@pytest.fixture(scope="module")
def rendered() -> tuple[str, list[str]]:
    result = spillover.run("nk-russia-2023", runs=40, seed=1)
    result.manifest["created"] = "2024-01-01T00:00:00Z"
    result.manifest["timings"] = {"total": 1.0}
    return render_report(result), inputs_digest(result)


@pytest.fixture(scope="module")
def builtin(rendered, before) -> tuple[dict[str, Any], list[str]]:
    """The fingerprint of the current report, without the tables added since (checked here)."""
    page, inputs = rendered
    now = fingerprint(page)
    if inputs == before["inputs"]:
        take_added_tables(now, before)
    else:
        now["tables"] = [t for t in now["tables"] if t["rows"][0][0] != "Claim"]
        outcomes = [i for i, t in enumerate(now["tables"]) if t["section"] == "outcomes"]
        del now["tables"][outcomes[0]]
    return now, inputs


@pytest.fixture(scope="module")
def before() -> dict[str, Any]:
    return json.loads(BEFORE.read_text(encoding="utf-8"))


def test_same_sections(builtin, before) -> None:
    now, _ = builtin
    assert now["sections"] == before["sections"]


def test_same_structure(builtin, before) -> None:
    now, _ = builtin
    assert structure(now) == structure(expected_now(before))


def test_same_tables_and_figures(builtin, before) -> None:
    now, inputs = builtin
    if inputs != before["inputs"]:
        pytest.skip("the engine's results for this run changed; test_same_structure still applies")
    expected = expected_now(before)
    for old, new in zip(expected["tables"], now["tables"], strict=True):
        assert new == old
    for old, new in zip(expected["figures"], now["figures"], strict=True):
        assert new == old


def test_charts_left_out_are_named(rendered, before) -> None:
    page, inputs = rendered
    if inputs != before["inputs"]:
        pytest.skip("the engine's results for this run changed")
    series = page[page.index('<section id="series"') :]
    series = re.sub(r"\s+", " ", series[: series.index("</section>")])
    left_out = [f["title"] for f in before["figures"] if _constant(f)]
    assert left_out == ["Miscalculation: Military pressure on Ukraine"]
    for title in left_out:
        note = rf"Not drawn, the same on every day under every policy: [^<]*{re.escape(title)} \("
        assert re.search(note, series)
