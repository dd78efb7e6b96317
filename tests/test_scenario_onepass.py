"""One pass: shape, references, strict checks and claims are reported together, with
suggestions at every level, and warnings for mistakes that still let a scenario run."""

from __future__ import annotations

import pytest

from spillover.scenario.errors import ScenarioError, ScenarioWarning
from spillover.scenario.load import loads_scenario
from tests.conftest import MINI
from tests.test_scenario_errors import col_of, edit, line_of

TEXT = MINI.read_text()


def problems(text: str, strict: bool = False) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml", strict=strict)
    return [str(p) for p in info.value.problems]


def test_three_kinds_of_typo_in_one_pass() -> None:
    """A wrong key, a wrong source with a missing judgment, and a claim typo: one run shows all."""
    text = (edit("    loss: {value: 0.05, source: test}", "    los: {value: 0.05, source: test}")
            .replace("reserve: {value: 5000, source: test}", "reserve: {value: 5000, source: tset}")
            .replace("delay: {value: 2, source: test}", "delay: 2")
            .replace('expr: "fired(o_helps)"', 'expr: "fired(o_hepls)"'))
    found = problems(text, strict=True)
    assert any(f"bad.yaml:{line_of(text, 'los:')}:5: unknown key 'los' (did you mean 'loss'?)" == p
               for p in found), found
    assert any("unknown source 'tset' (did you mean 'test'?)" in p for p in found), found
    assert any(f"bad.yaml:{line_of(text, 'delay: 2')}:" in p and "no source" in p for p in found), found
    assert any("claim 'helps'" in p and "fired.o_helps" in p for p in found), found


def test_a_shape_error_does_not_hide_an_unknown_source() -> None:
    text = (edit("R: {shell: {value: 20000, source: test}}", "R: {shell: {value: -5, source: test}}")
            .replace("O: {shell: {value: 1000, source: test}}", "O: {shell: {value: 1000, source: tests}}"))
    found = problems(text)
    assert any("must not be negative" in p for p in found), found
    assert any("unknown source 'tests' (did you mean 'test'?)" in p for p in found), found


def test_a_shape_error_does_not_hide_a_reference_in_the_same_entry() -> None:
    text = edit("    supplier: S\n    recipient: R\n    munition: shell\n    rate: {constant",
                "    supplier: SS\n    recipient: R\n    munition: shell\n    rate: {constant")
    text = text.replace("delay: {uniform: [3, 9]", "delay: {uniform: [9, 3]")
    found = problems(text)
    assert any("uniform needs low < high" in p for p in found), found
    assert any(f"bad.yaml:{line_of(text, 'supplier: SS')}:15: unknown actor 'SS' (did you mean 'S'?)" == p
               for p in found), found


def test_a_misspelt_nested_key_is_one_problem_with_a_suggestion() -> None:
    text = edit("    supplier: S\n    recipient: R", "    suplier: S\n    recipient: R")
    found = problems(text)
    line = line_of(text, "suplier")
    assert found == [f"bad.yaml:{line}:5: unknown key 'suplier' (did you mean 'supplier'?)"]


@pytest.mark.parametrize(("old", "new", "hint"), [
    ("    delay: {uniform: [3, 9]", "    delai: {uniform: [3, 9]",
     "unknown key 'delai' (did you mean 'delay'?)"),
    ("loss: {value: 0.05, source: test}", "loss: {value: 0.05, sorce: test}",
     "unknown key 'sorce' in a number (did you mean 'source'?)"),
    ("    shell:\n      piecewise:", "    shell:\n      piecewse:",
     "unknown key 'piecewse' in a schedule (did you mean 'piecewise'?)"),
    ("  O: {bias: {uniform", "  O: {bais: {uniform", "unknown key 'bais' (did you mean 'bias'?)"),
    ("trigger: {hazard: {indicator: pressure", "trigger: {hazzard: {indicator: pressure",
     "unknown key 'hazzard' (did you mean 'hazard'?)"),
])
def test_unknown_keys_get_suggestions_at_every_level(old: str, new: str, hint: str) -> None:
    text = edit(old, new)
    bad_key = hint.split("'")[1]
    line = line_of(text, bad_key)
    found = problems(text)
    col = col_of(text, bad_key, bad_key)
    assert any(p.startswith(f"bad.yaml:{line}:{col}: {hint}") for p in found), found


def test_a_bad_lever_kind_reads_like_the_others() -> None:
    text = edit("cap: {kind: cap,", "cap: {kind: capp,")
    found = problems(text)
    line = line_of(text, "kind: capp")
    col = col_of(text, "kind: capp", "capp")
    assert f"bad.yaml:{line}:{col}: unknown kind 'capp' (did you mean 'cap'?)" in found, found
    assert not any("Input should be" in p for p in found), found


def test_a_compensation_for_itself_is_named_as_such() -> None:
    text = edit("compensation: {for: s_r_shells", "compensation: {for: r_s_payment")
    found = problems(text)
    assert any("transfer 'r_s_payment' cannot be the payment for itself" in p for p in found), found
    assert not any("unknown transfer" in p for p in found), found


def test_a_supplier_that_never_holds_its_munition_warns_or_fails_when_strict() -> None:
    text = edit("  O: {shell: {value: 1000, source: test}}\n", "")
    sc = loads_scenario(text, "bad.yaml")
    line = line_of(text, "supplier: O")
    assert [str(w) for w in sc.warnings] == [
        f"bad.yaml:{line}:15: warning: 'O' never holds 'shell' (no stock, production or incoming transfer "
        "of it), so transfer 'o_r_aid' ships nothing; add a stock or production, or make the munition "
        "kind: good"]
    assert all(isinstance(w, ScenarioWarning) for w in sc.warnings)
    found = problems(text, strict=True)
    assert any(p.startswith(f"bad.yaml:{line}:15: 'O' never holds 'shell'") and p.endswith("(strict mode)")
               for p in found), found


def test_goods_and_stocked_suppliers_do_not_warn() -> None:
    assert loads_scenario(TEXT, "ok.yaml").warnings == ()  # R pays in tech (a good) it never stocks


def test_warnings_travel_with_the_error_too() -> None:
    text = edit("  O: {shell: {value: 1000, source: test}}\n", "").replace("horizon: 120", "horizon: soon")
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml")
    assert [w.message[:22] for w in info.value.warnings] == ["'O' never holds 'shell"]


def test_a_schedule_step_after_the_horizon_is_an_error() -> None:
    text = edit("- {from: 2024-03-01, rate:", "- {from: 2024-06-01, rate:")
    found = problems(text)
    line = line_of(text, "from: 2024-06-01")
    col = col_of(text, "from: 2024-06-01", "2024-06-01")
    assert any(p.startswith(f"bad.yaml:{line}:{col}: this step starts on 2024-06-01, after the horizon's "
                            "last day 2024-04-29") for p in found), found


def test_an_unclosed_bracket_is_located_where_it_opened() -> None:
    text = edit("  R: {name: Recipient}", "  R: {name: Recipient")
    found = problems(text)
    opened = line_of(text, "R: {name: Recipient")
    assert len(found) == 1, found
    assert found[0].startswith(f"bad.yaml:{opened}:6: YAML syntax error: the '{{' opened here is still open "
                               f"at line {opened + 1}"), found


def test_an_unclosed_quote_is_located_where_it_opened() -> None:
    text = edit("title: Three actors", 'title: "Three actors')
    found = problems(text)
    closed = line_of(text, 'citation: "Made-up')  # where the next quote closes it
    line = line_of(text, "title:")
    assert found == [f"bad.yaml:{line}:8: YAML syntax error: the text in \"quotes\" opened "
                     f"here runs on to line {closed}, where the reader stopped (did not find expected key); "
                     "is its closing \" missing?"]


def test_a_quote_left_open_to_the_end_is_located_where_it_opened() -> None:
    text = TEXT + 'extra: "no end\n'
    found = problems(text)
    line = line_of(text, "extra:")
    assert found[0].startswith(f"bad.yaml:{line}:8: YAML syntax error: the '\"' opened here is still open "
                               "at line"), found


def test_problems_come_once_per_place_in_file_order() -> None:
    text = (edit("supplier: S\n", "supplier: SS\n").replace("- start: o_r_aid", "- start: nothing")
            .replace("horizon: 120", "horizon: -1"))
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml")
    found = info.value.problems
    places = [(p.line, p.col) for p in found]
    assert places == sorted(set(places))
    assert [p.message.split(" (")[0] for p in found] == [
        "Input should be greater than 0", "unknown actor 'SS'", "dormant transfer 'o_r_aid' is started by no "
        "event; add an effect 'start: o_r_aid' to an event or drop dormant", "unknown transfer 'nothing'"]


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("actors:", "actros:", ["unknown key 'actros' (did you mean 'actors'?)"]),
    ("transfers:", "transfer:", ["unknown key 'transfer' (did you mean 'transfers'?)"]),
    ("actors:", "actors: 5\nold_actors:", ["Input should be a valid dictionary (got 5)",
                                           "unknown key 'old_actors' (did you mean 'actors'?)"]),
])
def test_a_broken_section_does_not_flood_the_report(old: str, new: str, expected: list[str]) -> None:
    """A misspelt section still declares its names; one that is not a mapping is not checked against."""
    found = problems(edit(old, new))
    assert [p.split(": ", 1)[1] for p in found] == expected


def test_a_transfer_at_rate_zero_does_not_warn() -> None:
    text = edit("  O: {shell: {value: 1000, source: test}}\n", "").replace(
        "rate: {value: 50, source: test}\n    dormant", "rate: {value: 0, source: test}\n    dormant")
    assert loads_scenario(text, "ok.yaml").warnings == ()
