"""Bad input for the format's new features: each is refused at its place (FILE:LINE:COL), with a
suggestion where one fits; a transfer whose supplier never holds its munition is a warning, and
an error under strict validation."""

from __future__ import annotations

from pathlib import Path

import pytest

from spillover.scenario.errors import Problem, ScenarioError
from spillover.scenario.load import loads_scenario

HEAD = """\
name: bad
title: bad input
start: 2024-01-01
horizon: 100
actors: {A: {name: A}, D: {name: D}, S: {name: S}, L: {name: L}}
munitions: {drone: {name: drone}, interceptor: {name: interceptor}, kit: {name: kit}}
stocks:
  A: {drone: {value: 100, judgment: true}}
  S: {drone: {value: 100, judgment: true}}
"""
POLICIES = "policies: {status-quo: {}}\n"


def refused(body: str, marker: str, strict: bool = False) -> Problem:
    """The one problem of HEAD + body, which must sit on the line holding ``marker``."""
    text = HEAD + body + ("" if "policies:" in body else POLICIES)
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml", strict=strict)
    problems = info.value.problems
    assert len(problems) == 1, [str(p) for p in problems]
    p = problems[0]
    lines = text.splitlines()
    assert marker in lines[p.line - 1], (str(p), lines[p.line - 1])
    assert str(p).startswith(f"bad.yaml:{p.line}:{p.col}: ")
    return p


TRANSFER = """\
transfers:
  s_a: {supplier: S, recipient: A, munition: drone, rate: {value: 5, judgment: true}}
levers:
  cap: {kind: cap, transfers: [s_a]}
"""


def test_a_lever_window_whose_from_is_after_its_to() -> None:
    p = refused(TRANSFER + """\
policies:
  pause: {levers: {cap: [{from: 2024-03-01, to: 2024-02-01, value: 0}]}}  # here
""", "# here")
    assert "after its to" in p.message and "swap them" in p.message


def test_overlapping_lever_windows() -> None:
    p = refused(TRANSFER + """\
policies:
  pause:
    levers:
      cap:
        - {from: 2024-01-10, to: 2024-02-10, value: 0}
        - {from: 2024-02-01, to: 2024-03-01, value: 0.5}  # here
""", "# here")
    assert "overlaps" in p.message and "end one before the next begins" in p.message


def test_a_dated_event_outside_the_horizon() -> None:
    p = refused("""\
events:
  late:
    name: late
    trigger: {on: 2025-01-01}  # here
""", "# here")
    assert "2025-01-01" in p.message and "outside the run" in p.message and "horizon" in p.message
    assert "date is 2025-01-01" in p.message and "can be" not in p.message  # a fixed date is, not can be


def test_an_uncertain_date_that_can_fall_outside_the_horizon() -> None:
    p = refused("""\
events:
  late:
    name: late
    trigger: {on: {uniform: [2024-03-01, 2024-05-01], judgment: true}}  # here
""", "# here")
    assert "outside the run" in p.message and "date can be 2024-05-01" in p.message


@pytest.mark.parametrize("dates", ["uniform: [2024-03-05, 2024-03-01]",
                                   "triangular: [2024-03-05, 2024-03-01, 2024-03-20]"])
def test_uncertain_dates_out_of_order_are_shown_as_dates(dates: str) -> None:
    p = refused(f"""\
events:
  swapped:
    name: swapped
    trigger: {{on: {{{dates}, judgment: true}}}}  # here
""", "# here")
    assert "2024-03-05" in p.message and "2024-03-01" in p.message, p.message
    assert "7389" not in p.message  # no day numbers


def test_a_coupled_demand_that_follows_itself() -> None:
    p = refused("""\
demand:
  A:
    drone:
      constant: {value: 2, judgment: true}
      follows: {fired: {actor: A, munition: drone}}  # here
""", "# here")
    assert "cannot follow its own fire" in p.message and "follow another actor's fire" in p.message


def test_coupled_demands_in_a_cycle() -> None:
    p = refused("""\
demand:
  A:
    drone: {constant: {value: 1, judgment: true}, follows: {fired: {actor: D, munition: interceptor}}}
  D:
    interceptor: {constant: {value: 1, judgment: true}, follows: {fired: {actor: A, munition: drone}}}  # here
""", "drone: {constant")
    assert "cycle (A.drone → D.interceptor → A.drone)" in p.message


def test_a_coupled_demand_following_an_undeclared_demand() -> None:
    p = refused("""\
demand:
  D:
    interceptor: {constant: {value: 1, judgment: true}, follows: {fired: {actor: A, munition: drone}}}  # here
""", "# here")
    assert "A has no demand for drone" in p.message and "add demand:" in p.message


def test_a_production_input_nobody_holds() -> None:
    p = refused("""\
production:
  L:
    drone:
      constant: {value: 5, judgment: true}
      input: {munition: kit, per_unit: {value: 1, judgment: true}}  # here
""", "# here")
    assert "'L' never holds 'kit'" in p.message and "add a transfer or stock of kit to L" in p.message


def test_a_production_input_that_is_unknown_gets_a_suggestion() -> None:
    p = refused("""\
production:
  L:
    drone:
      constant: {value: 5, judgment: true}
      input: {munition: kits, per_unit: {value: 1, judgment: true}}  # here
""", "# here")
    assert "did you mean 'kit'" in p.message


SHIPS_NOTHING = """\
transfers:
  d_a: {supplier: D, recipient: A, munition: interceptor, rate: {value: 5, judgment: true}}  # here
"""


def test_a_supplier_that_never_holds_its_munition_is_a_warning() -> None:
    text = HEAD + SHIPS_NOTHING + POLICIES
    sc = loads_scenario(text, "bad.yaml")
    (w,) = sc.warnings
    line = text.splitlines()[w.line - 1]
    assert "# here" in line and line[w.col - 1:].startswith("D, recipient")
    assert "'D' never holds 'interceptor'" in w.message and "ships nothing" in w.message
    assert "add a stock or production" in w.message


def test_a_supplier_that_never_holds_its_munition_is_an_error_under_strict() -> None:
    p = refused(SHIPS_NOTHING, "# here", strict=True)
    assert p.message.endswith("(strict mode)")


def test_a_supplier_fed_by_another_transfer_holds_the_munition() -> None:
    sc = loads_scenario(HEAD + """\
transfers:
  s_d: {supplier: S, recipient: D, munition: drone, rate: {value: 5, judgment: true}}
  d_a: {supplier: D, recipient: A, munition: drone, rate: {value: 5, judgment: true}}
""" + POLICIES, "ok.yaml", strict=True)
    assert sc.warnings == ()


def test_a_leaked_signal_on_a_demand_that_follows_nothing() -> None:
    p = refused("""\
demand:
  D: {interceptor: {value: 3, judgment: true}}
signals:
  through: {leaked: {actor: D, munition: interceptor}, reference: {value: 3, judgment: true}}  # here
""", "# here")
    assert "follows nothing" in p.message


def test_a_windowed_claim_with_its_dates_swapped() -> None:
    p = refused("""\
demand:
  A: {drone: {value: 3, judgment: true}}
claims:
  c: {text: t, expr: "shortfall_days(A, drone, 2024-03-01, 2024-02-01) > 3"}  # here
""", "# here")
    assert "swap them" in p.message


def test_a_plain_on_key_is_the_dated_trigger_not_yaml_true() -> None:
    sc = loads_scenario(HEAD + POLICIES + """\
events:
  strike: {name: strike, trigger: {on: 2024-02-01}}
  later:
    name: later
    trigger:
      on: {uniform: [2024-02-01, 2024-03-01], judgment: true}
""", "on.yaml", strict=True)
    assert sc.events["strike"].trigger.on.describe() == "2024-02-01"
    assert sc.events["strike"].trigger.on.params == (31.0,)  # day 31 of the run
    assert sc.events["later"].trigger.on.uncertain


def test_a_misspelt_trigger_key_is_shown_as_written() -> None:
    p = refused("""\
events:
  strike: {name: strike, trigger: {yes: 2024-02-01}}  # here
""", "# here")
    assert "unknown key 'yes'" in p.message


@pytest.mark.parametrize("dates", ["2024-04-01, 2024-05-01, 2024-06-15",
                                   "2024-02-01, 2024-02-15, 2030-03-15"])
def test_an_uncertain_step_date_that_can_fall_outside_the_run_is_located(tmp_path, dates: str) -> None:
    from spillover.scenario.load import load_scenario

    features = Path(__file__).parent / "scenarios" / "features.yaml"
    old = "{triangular: [2024-02-01, 2024-02-15, 2024-03-15], judgment: true}"
    text = features.read_text()
    assert old in text
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace(old, "{triangular: [" + dates + "], judgment: true}"))
    with pytest.raises(ScenarioError, match="every date it can take must fall within the run"):
        load_scenario(bad)


def all_problems(body: str) -> list[Problem]:
    """Every problem of HEAD + body, in one pass."""
    text = HEAD + body + ("" if "policies:" in body else POLICIES)
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml")
    return info.value.problems


def test_a_misspelt_key_under_follows_does_not_hide_a_self_referring_demand() -> None:
    found = all_problems("""\
demand:
  A:
    drone:
      constant: {value: 2, judgment: true}
      follows: {fired: {actor: A, munition: drone}, stop: 0.5}
""")
    messages = [p.message for p in found]
    assert any("unknown key 'stop' (did you mean 'stops'?)" in m for m in messages), messages
    assert any("cannot follow its own fire" in m for m in messages), messages


def test_a_demand_with_a_shape_error_still_counts_as_declared() -> None:
    """D follows A's drones; A's demand has a misspelt key: one problem, not also 'no demand'."""
    found = all_problems("""\
demand:
  A: {drone: {constant: {value: 1, judgment: true}, judgement: true}}
  D:
    interceptor: {constant: {value: 1, judgment: true}, follows: {fired: {actor: A, munition: drone}}}
""")
    assert [p.message.split(" (")[0] for p in found] == ["unknown key 'judgement'"], found


def test_a_reversed_lever_window_does_not_hide_an_overlap_or_a_bad_value() -> None:
    found = all_problems(TRANSFER + """\
policies:
  pause:
    levers:
      cap:
        - {from: 2024-01-10, to: 2024-02-10, value: 0}
        - {from: 2024-02-01, to: 2024-03-01, value: 0.5}
        - {from: 2024-03-20, to: 2024-03-10, value: 0.5}
        - {from: 2024-04-01, to: 2024-04-10, value: 1.5}
""")
    lines = (HEAD + TRANSFER).count("\n") + 5
    got = {(p.line - lines, p.message.split(";")[0].split(",")[0]) for p in found}
    assert got == {(1, "this window (0.5 from 2024-02-01 to 2024-03-01) overlaps the one before "
                       "(0 from 2024-01-10 to 2024-02-10)"),
                   (2, "this window's from (2024-03-20) is after its to (2024-03-10)"),
                   (3, "lever values lie between 0 and 1")}, got


def test_an_unknown_key_does_not_hide_the_other_problems_of_its_entry() -> None:
    found = all_problems("""\
production:
  L:
    drone:
      constant: {value: 5, judgment: true}
      input: {munition: drone, per_unit: {value: 1, judgment: true}, per_unt: 2}
""")
    messages = [p.message for p in found]
    assert any("unknown key 'per_unt'" in m for m in messages), messages
    assert any("cannot consume its own output" in m for m in messages), messages


def test_a_broken_schedule_does_not_make_its_names_unknown_elsewhere(tmp_path: Path) -> None:
    """A schedule refused for its dates left its demand out of the partial scenario, and the
    cases and prefer: then called the inputs and outcomes it declares unknown."""
    from spillover.scenario.load import builtin_path, load_scenario

    text = builtin_path("nk-russia-2023").read_text(encoding="utf-8")
    broken = text.replace("uniform: [2023-10-01, 2023-12-01]", "uniform: [2023-10-01, 2024-03-01]", 1)
    assert broken != text
    path = tmp_path / "nk.yaml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    messages = [p.message for p in info.value.problems]
    assert len(messages) == 1 and "strictly increasing" in messages[0], messages
