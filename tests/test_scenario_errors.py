"""Every class of scenario error names FILE:LINE:COL and, for references, the closest name."""

from __future__ import annotations

import re

import pytest

from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import load_scenario, loads_scenario
from tests.conftest import MINI

TEXT = MINI.read_text()


def first_error(text: str, strict: bool = False) -> str:
    """Every problem, one per line (the one a test looks for may follow another)."""
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml", strict=strict)
    return str(info.value)


def has_line(msg: str, prefix: str) -> bool:
    return any(line.startswith(prefix) for line in msg.splitlines())


def line_of(text: str, needle: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if needle in line)


def col_of(text: str, needle: str, sub: str) -> int:
    line = text.splitlines()[line_of(text, needle) - 1]
    return line.index(sub) + 1


def edit(old: str, new: str) -> str:
    assert old in TEXT, old
    return TEXT.replace(old, new, 1)


def test_yaml_syntax_error() -> None:
    text = edit("  S: {name: Supplier}", "  S: {name: Supplier")
    msg = first_error(text)
    assert re.match(r"bad\.yaml:\d+:\d+: YAML syntax error", msg)


def test_unknown_key_points_at_the_key() -> None:
    text = edit("    supplier: S\n    recipient: R\n    munition: shell\n    rate:",
                "    supplier: S\n    recipent: R\n    munition: shell\n    rate:")
    msg = first_error(text)
    line = line_of(text, "recipent")
    assert has_line(msg, f"bad.yaml:{line}:5: unknown key 'recipent'"), msg


def test_unknown_top_level_key_suggests() -> None:
    text = TEXT + "polices: {}\n"
    msg = first_error(text)
    assert "unknown key 'polices' (did you mean 'policies'?)" in msg


def test_wrong_type() -> None:
    text = edit("horizon: 120", "horizon: soon")
    msg = first_error(text)
    assert msg.startswith(f"bad.yaml:{line_of(text, 'horizon: soon')}:10:")
    assert "soon" in msg


@pytest.mark.parametrize(("old", "new", "bad", "name", "hint"), [
    ("supplier: S\n", "supplier: SS\n", "SS", "actor 'SS'", "did you mean 'S'?"),
    ("munition: shell\n    rate: {constant", "munition: shel\n    rate: {constant", "shel",
     "munition 'shel'", "did you mean 'shell'?"),
    ("indicator: pressure, theta", "indicator: presure, theta", "presure", "indicator 'presure'",
     "did you mean 'pressure'?"),
    ("  aid: {event: o_helps}", "  aid: {event: o_help}", "o_help", "event 'o_help'",
     "did you mean 'o_helps'?"),
])
def test_unknown_reference_suggests_the_closest_name(old, new, bad, name, hint) -> None:
    text = edit(old, new)
    msg = first_error(text)
    line = line_of(text, new.splitlines()[0])
    assert has_line(msg, f"bad.yaml:{line}:{col_of(text, new.splitlines()[0], bad)}: unknown {name}"), msg
    assert hint in msg


def test_negative_stock() -> None:
    text = edit("R: {shell: {value: 20000, source: test}}", "R: {shell: {value: -5, source: test}}")
    msg = first_error(text)
    assert f"bad.yaml:{line_of(text, 'value: -5')}:" in msg and "must not be negative" in msg


def test_negative_rate_from_a_distribution() -> None:
    text = edit("rate: {value: 50, source: test}", "rate: {normal: [50, 20], source: test}")
    msg = first_error(text)
    assert "must not be negative" in msg and "bounds" in msg


def test_impossible_distribution() -> None:
    text = edit("delay: {uniform: [3, 9], judgment: true}", "delay: {uniform: [9, 3], judgment: true}")
    msg = first_error(text)
    line = line_of(text, "uniform: [9, 3]")
    assert msg.startswith(f"bad.yaml:{line}:") and "uniform needs low < high" in msg


def test_effect_on_a_missing_flow() -> None:
    text = edit("- start: o_r_aid", "- start: o_r_aide")
    msg = first_error(text)
    line = line_of(text, "start: o_r_aide")
    assert has_line(msg, f"bad.yaml:{line}:16: unknown transfer 'o_r_aide' (did you mean 'o_r_aid'?)")


def test_effect_starting_a_flowing_transfer() -> None:
    text = edit("- start: o_r_aid", "- start: s_r_shells")
    assert "mark it dormant" in first_error(text)


def test_claim_syntax_error_points_at_the_column() -> None:
    text = edit('expr: "days_of_fire[s_r_shells] > 30"', 'expr: "days_of_fire[s_r_shells] > > 30"')
    msg = first_error(text)
    line = line_of(text, "> > 30")
    col = text.splitlines()[line - 1].index("> 30") + 1
    assert msg.startswith(f"bad.yaml:{line}:{col}: claim 'lasting'")


def test_claim_unknown_outcome() -> None:
    text = edit('expr: "fired(o_helps)"', 'expr: "fired(o_hepls)"')
    assert "did you mean 'fired.o_helps'" in first_error(text)


def test_empty_policy_set() -> None:
    start = TEXT.index("policies:")
    end = TEXT.index("claims:")
    text = TEXT[:start] + "policies: {}\n" + TEXT[end:]
    msg = first_error(text)
    assert msg.startswith(f"bad.yaml:{line_of(text, 'policies: {}')}:") and "no policy" in msg


def test_strict_mode_refuses_unsourced_numbers() -> None:
    text = edit("R: {shell: {value: 20000, source: test}}", "R: {shell: 20000}")
    loads_scenario(text, "bad.yaml")  # fine when lenient
    msg = first_error(text, strict=True)
    assert msg.startswith(f"bad.yaml:{line_of(text, 'R: {shell: 20000}')}:") and "no source" in msg


def test_unknown_source_key() -> None:
    text = edit("R: {shell: {value: 20000, source: test}}", "R: {shell: {value: 20000, source: tset}}")
    assert "unknown source 'tset' (did you mean 'test'?)" in first_error(text)


def test_duplicate_key() -> None:
    text = edit("  R: {name: Recipient}", "  R: {name: Recipient}\n  R: {name: Again}")
    assert "duplicate key 'R'" in first_error(text)


def test_every_problem_is_reported_in_file_order() -> None:
    text = edit("supplier: S\n", "supplier: SS\n").replace("- start: o_r_aid", "- start: nothing")
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml")
    lines = [p.line for p in info.value.problems]
    assert len(lines) >= 2 and lines == sorted(lines)


def test_missing_file() -> None:
    with pytest.raises(ScenarioError, match="no such file"):
        load_scenario("does/not/exist.yaml")


def test_unknown_builtin_suggests() -> None:
    with pytest.raises(ScenarioError, match="did you mean 'nk-russia-2023'"):
        load_scenario("nk-rusia-2023")


def test_control_character_is_located() -> None:
    msg = first_error(TEXT.replace("title: Three actors", "title: Three\x1f actors"))
    assert f"bad.yaml:{line_of(TEXT, 'title: Three actors')}:" in msg and "U+001F" in msg


def test_alias_bomb_is_refused_quickly() -> None:
    rows = ["a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    for prev, cur in zip("abcdefg", "bcdefgh", strict=True):
        rows.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 10) + "]")
    msg = first_error("\n".join(rows) + "\n")
    assert "aliases make the file expand to more than 1,000,000 values" in msg
