"""The README and the docs name only policies, cases, claims and outcomes the built-in
scenarios have: the tables pasted from real output and the names quoted in the prose."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

import spillover

ROOT = Path(__file__).resolve().parents[1]
# The pages that show the built-in scenarios' runs (scenario-format.md, data.md, draft.md and
# bench-peers.md use their own example files).
PAGES = ["README.md", "docs/analysis.md", "docs/serve.md", "docs/evidence.md"]
BUILTIN = ("nk-russia-2023", "nk-russia-2025", "iran-russia-2022")
# Names the built-in scenarios used to have; no page may show them any more.
GONE = ("transparent-limited", "misread-at-", "nuclear-debate-at-", "miscalc_peak(kor")


@cache
def names() -> dict[str, set[str]]:
    got: dict[str, set[str]] = {"policy": set(), "case": set(), "claim": set(), "outcome": set()}
    for name in BUILTIN:
        sc = spillover.load_scenario(name)
        got["policy"] |= set(sc.policies)
        got["case"] |= set(sc.cases or {})
        got["claim"] |= set(sc.claims)
        got["outcome"] |= set(spillover.outcomes(sc)["column"])
    return got


def _blocks(text: str) -> list[str]:
    return re.findall(r"```(?:console|text)\n(.*?)```", text, flags=re.S)


def _rich_tables(block: str) -> list[tuple[list[str], list[list[str]]]]:
    """Each rich table of a pasted output: its header cells and its rows' cells."""
    tables, header, rows = [], None, []
    for line in block.splitlines():
        if line.startswith("┃"):
            header = [c.strip() for c in line.strip("┃").split("┃")]
            rows = []
            tables.append((header, rows))
        elif line.startswith("│") and header is not None:
            rows.append([c.strip() for c in line.strip("│").split("│")])
        elif line.startswith("└"):
            header = None
    return tables


def _cell_name(cell: str) -> str:
    """A cell's name without the direction arrow or the minimax star."""
    return re.sub(r"\s*[↓↑★].*$", "", cell).strip()


# column header -> the kind of name its cells hold, and the words that are not names
COLUMNS = {"reading": ("case", {"as written", "range"}), "case": ("case", set()),
           "policy": ("policy", set()), "claim": ("claim", set())}


def _table_names(header: list[str], rows: list[list[str]]) -> list[tuple[str, str]]:
    found = []
    for col, (kind, words) in COLUMNS.items():
        if col in header:
            i = header.index(col)
            found += [(kind, _cell_name(r[i])) for r in rows
                      if len(r) == len(header) and r[i] and _cell_name(r[i]) not in words]
    if header and header[0] == "outcome":  # the regret table: outcomes by policy
        found += [("policy", h) for h in header[1:]]
        found += [("claim|outcome", _cell_name(r[0])) for r in rows if len(r) == len(header) and r[0]]
    if header and header[0] == "reading":  # claims by case: claims as columns
        found += [("claim", h) for h in header[1:]]
    return found


PROSE = [(r"--policy ([a-z][a-z0-9-]+)", "policy"), (r"--case ([a-z][a-z0-9.]*-[a-z0-9.-]+)", "case"),
         (r"case=\"([a-z][a-z0-9.-]+)\"", "case"), (r"under `([a-z][a-z0-9-]+)`", "policy"),
         (r"--where ([a-z_]+)\b", "claim"),
         (r"`([a-z_]+)` under (?:status-quo|`status-quo`)", "claim")]


def _case_tables(text: str) -> list[tuple[str, str]]:
    """The first column of each markdown table headed ``| case |``."""
    found = []
    for table in re.findall(r"^\| case \|.*?\n((?:\|.*\n)+)", text, flags=re.M):
        found += [("case", m) for m in re.findall(r"^\| `([^`]+)`", table, flags=re.M)]
    return found


def _prose_names(text: str) -> list[tuple[str, str]]:
    return [(kind, m) for pattern, kind in PROSE
            for m in re.findall(pattern, text, flags=re.M)] + _case_tables(text)


def _known(kind: str, name: str) -> bool:
    """A name of that kind; a cell cut short to fit ("transparent-uncapp…") is a known name's start."""
    pool = set().union(*(names()[k] for k in kind.split("|")))
    if name.endswith("…"):
        return any(n.startswith(name[:-1]) for n in pool)
    return name in pool


def _unknown(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(kind, name) for kind, name in found if name and not _known(kind, name)]


@pytest.mark.parametrize("page", PAGES)
def test_the_pasted_outputs_name_only_what_the_scenarios_have(page: str) -> None:
    found = [n for b in _blocks((ROOT / page).read_text()) for t in _rich_tables(b)
             for n in _table_names(*t)]
    assert _unknown(found) == []


@pytest.mark.parametrize("page", PAGES)
def test_the_prose_names_only_what_the_scenarios_have(page: str) -> None:
    assert _unknown(_prose_names((ROOT / page).read_text())) == []


@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_a_name_the_scenarios_dropped(page: str) -> None:
    text = (ROOT / page).read_text()
    assert [g for g in GONE if g in text] == []


def test_the_checks_catch_a_stale_name() -> None:
    """The parsing finds names: a dropped policy, case or claim in a table or the prose fails."""
    block = ("┏━━━┓\n┃ reading ┃ guns_over_a_year ┃ old_claim ┃\n┡━━━┩\n"
             "│ as written │ 90% │ 1% │\n│ misread-at-0.02 │ 90% │ 1% │\n└───┘\n")
    assert sorted(_unknown(_table_names(*_rich_tables(block)[0]))) == [
        ("case", "misread-at-0.02"), ("claim", "old_claim")]
    regret = "┃ outcome ┃ status-quo ┃ transparent-limited ┃\n│ peak.kor_threat ↓ │ a │ b │\n└┘"
    assert _unknown(_table_names(*_rich_tables(regret)[0])) == [("policy", "transparent-limited")]
    cut = ("┃ outcome ┃ transparent-uncapp… ┃ transparent-limi… ┃\n"
           "│ days_of_fire.prk_ru… │ a │ b │\n│ ↓ │ │ │\n└┘")
    assert _unknown(_table_names(*_rich_tables(cut)[0])) == [("policy", "transparent-limi…")]
    prose = ("run `--policy recommended` and `--case misread-at-0.10`; 0% under `transparent-limited`\n"
             "\n| case | reads |\n|---|---|\n| `fire-rate-rusi` | RUSI |\n| `nuclear-debate-at-0.20` | x |\n")
    assert sorted(_unknown(_prose_names(prose))) == [
        ("case", "misread-at-0.10"), ("case", "nuclear-debate-at-0.20"), ("policy", "transparent-limited")]
