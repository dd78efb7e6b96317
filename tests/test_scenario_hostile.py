"""Hostile input: the validator never crashes, every refusal has FILE:LINE:COL, and nonsense
that used to pass (NaN thresholds, dates given as numbers, reserved input names) is refused."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml

from spillover.scenario import limits, source
from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import load_scenario, loads_scenario
from tests.conftest import MINI
from tests.test_scenario_errors import col_of, edit, line_of

TEXT = MINI.read_text()
HORIZON = line_of(TEXT, "horizon: 120")


def problems(text: str, strict: bool = False) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        loads_scenario(text, "bad.yaml", strict=strict)
    return [str(p) for p in info.value.problems]


@pytest.fixture(params=["libyaml", "python"])
def loader(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test with libyaml's loader (when PyYAML has it) and with the pure-Python one."""
    if request.param == "python":
        monkeypatch.setattr(source, "_Loader", source.loader_class(yaml.SafeLoader))
    elif not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("PyYAML without libyaml")
    return str(request.param)


def test_a_huge_integer_is_a_located_error() -> None:
    text = edit("R: {shell: {value: 20000,", "R: {shell: {value: 1" + "0" * 400 + ",")
    found = problems(text)
    assert any(p.startswith(f"bad.yaml:{line_of(text, '0000000000')}:") and "within ±1e15" in p
               for p in found), found


@pytest.mark.parametrize("nest", [("[", "]"), ("{a: ", "}")])
def test_deep_nesting_is_a_located_error(loader: str, nest: tuple[str, str]) -> None:
    text = TEXT.replace("horizon: 120", f"horizon: {nest[0] * 5000}1{nest[1] * 5000}")
    found = problems(text)
    assert len(found) == 1 and found[0].startswith(f"bad.yaml:{HORIZON}:"), found
    assert "nest" in found[0], found


@pytest.mark.parametrize("value", ["&a [*a]", "&a {x: *a}", "&a [1, [2, *a]]", "&a {<<: *a}"])
def test_a_recursive_alias_is_a_located_error(loader: str, value: str) -> None:
    text = TEXT.replace("horizon: 120", f"horizon: {value}")
    found = problems(text)
    col = col_of(text, "horizon:", "*a")
    assert found == [f"bad.yaml:{HORIZON}:{col}: the alias '*a' stands inside the value it refers to "
                     f"(anchored at line {HORIZON}, column 10); a recursive alias has no end"]


def test_the_cli_reports_a_recursive_alias_with_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    from spillover.cli.main import main

    path = tmp_path / "bad.yaml"
    path.write_text(TEXT.replace("horizon: 120", "horizon: &a [*a]"))
    monkeypatch.setattr(sys, "argv", ["spillover", "validate", str(path)])
    with pytest.raises(SystemExit) as info:
        main()
    assert info.value.code == 2
    assert capsys.readouterr().err.startswith(f"{path}:{HORIZON}:14: the alias '*a'")


@pytest.mark.parametrize(("value", "message"), [
    ("!!float abc", "cannot read 'abc' as !!float"),
    ("!!int 1.5", "cannot read '1.5' as !!int"),
    ("!!timestamp abc", "cannot read 'abc' as !!timestamp"),
    ("!foo 1", "cannot read this value: could not determine a constructor for the tag '!foo'"),
    ("!!python/object:os.system x", "cannot read this value: could not determine a constructor"),
])
def test_a_value_its_tag_cannot_read_is_located(loader: str, value: str, message: str) -> None:
    found = problems(TEXT.replace("horizon: 120", f"horizon: {value}"))
    assert any(p.startswith(f"bad.yaml:{HORIZON}:10: {message}") for p in found), found


def test_an_undefined_alias_names_itself(loader: str) -> None:
    found = problems(TEXT.replace("horizon: 120", "horizon: *nothing"))
    assert found == [f"bad.yaml:{HORIZON}:10: the alias '*nothing' refers to no anchor; "
                     "write '&nothing' on a value before it"]


def test_a_file_over_the_size_limit_says_so(tmp_path: Path) -> None:
    text = TEXT + "# " + "x" * limits.MAX_BYTES + "\n"
    found = problems(text)
    assert found == [f"bad.yaml:1:1: the file is {len(text) / 1e6:,.1f} MB; spillover reads scenario files "
                     "of up to 10 MB (a large scenario is well under 1 MB)"]
    path = tmp_path / "big.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError, match=r"big\.yaml:1:1: the file is 10\.0 MB"):
        load_scenario(path)


def test_a_file_with_too_many_values_and_no_alias_says_so(loader: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_VALUES", 400)
    found = problems(TEXT + "extra: [" + ", ".join(["1"] * 400) + "]\n")
    assert len(found) == 1 and "values (and no aliases)" in found[0], found
    assert "nested aliases" not in found[0], found


def test_the_value_limit_is_exact(monkeypatch: pytest.MonkeyPatch) -> None:
    events = yaml.parse(TEXT, Loader=yaml.SafeLoader)
    count = sum(isinstance(e, yaml.ScalarEvent | yaml.CollectionStartEvent) for e in events)
    monkeypatch.setattr(limits, "MAX_VALUES", count)
    loads_scenario(TEXT, "ok.yaml")
    monkeypatch.setattr(limits, "MAX_VALUES", count - 1)
    assert "values (and no aliases)" in problems(TEXT)[0]


@pytest.mark.parametrize("threshold", [".nan", ".inf", "-.inf"])
def test_an_indicator_threshold_must_be_finite(threshold: str) -> None:
    text = edit("    kind: linear\n", f"    kind: linear\n    threshold: {threshold}\n")
    found = problems(text)
    assert any(p.startswith(f"bad.yaml:{line_of(text, 'threshold:')}:16: Input should be a finite number")
               for p in found), found


@pytest.mark.parametrize(("where", "value"), [
    ("default: 0}", "default: .nan}"),
    ("open: {levers: {transparency: 1,", "open: {levers: {transparency: .nan,"),
])
def test_lever_values_must_be_finite(where: str, value: str) -> None:
    found = problems(edit(where, value))
    assert any("finite number" in p or "between 0 and 1" in p for p in found), found


@pytest.mark.parametrize("start", ["0", "1700000000", "2024-01-01T00:00:00", "'20240101'", "10000-01-01"])
def test_a_date_is_written_as_a_date(start: str) -> None:
    found = problems(TEXT.replace("start: 2024-01-01", f"start: {start}"))
    line = line_of(TEXT, "start: 2024-01-01")
    assert any(p.startswith(f"bad.yaml:{line}:8: a date is written YYYY-MM-DD, from 0001-01-01 to 9999-12-31")
               for p in found), found


def test_an_impossible_date_says_why() -> None:
    found = problems(TEXT.replace("start: 2024-01-01", "start: 2024-02-30"))
    assert any("'2024-02-30' is not a date: day is out of range for month" in p for p in found), found


def test_a_schedule_date_past_9999_is_refused() -> None:
    found = problems(edit("- {from: 2024-03-01, rate:", "- {from: 10000-03-01, rate:"))
    assert any("a date is written YYYY-MM-DD" in p for p in found), found


def test_a_run_must_end_by_9999() -> None:
    text = TEXT.replace("start: 2024-01-01", "start: 9999-10-01")
    found = problems(text)
    assert found[0] == (f"bad.yaml:{HORIZON}:10: the run would end after 9999-12-31 (start 9999-10-01 plus "
                        "120 days); choose an earlier start or a shorter horizon")


@pytest.mark.parametrize("name", ["run", "policy"])
def test_an_input_may_not_take_a_reserved_column_name(name: str) -> None:
    text = edit("name: fullness}", f"name: {name}}}")
    found = problems(text)
    line = line_of(text, f"name: {name}}}")
    col = col_of(text, f"name: {name}}}", name)
    assert f"bad.yaml:{line}:{col}: the input name '{name}' is reserved (a column of the experiments and " \
           "outcomes tables); choose another name" in found, found


@pytest.mark.parametrize("escape", ['"\\ud800"', '"a\\udfffb"'])
def test_a_lone_surrogate_escape_is_refused_at_its_place(loader: str, escape: str) -> None:
    text = TEXT.replace("title: Three actors, one covert transfer paid in technology", f"title: {escape}")
    found = problems(text)
    line = line_of(text, "title:")
    assert any(p.startswith(f"bad.yaml:{line}:") for p in found), found
    assert all(p.encode("utf-8") for p in found)  # printable: the surrogate is not in any message


def test_a_lone_surrogate_character_is_refused_at_its_place() -> None:
    text = TEXT.replace("title: Three actors", "title: Three \ud800actors")
    line = line_of(TEXT, "title:")
    expected = f"bad.yaml:{line}:14: a lone surrogate U+D800 is not allowed in YAML; remove it"
    assert problems(text) == [expected]


def test_an_escaped_control_character_is_refused(loader: str) -> None:
    found = problems(TEXT.replace("title: Three actors, one covert transfer paid in technology",
                                  'title: "\\0Three actors"'))
    assert any("U+0000" in p for p in found), found


def test_a_file_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(TEXT.replace("title: Three actors", "title: Thr\xe9e actors").encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    p = info.value.first
    assert (p.line, p.col) == (line_of(TEXT, "title:"), 11) and "not UTF-8" in p.message


def test_a_newline_in_a_name_stays_on_one_line() -> None:
    found = problems(edit("supplier: S\n", 'supplier: "S\\nS"\n'))
    assert any("unknown actor 'S\\nS'" in p for p in found), found


@pytest.mark.parametrize(("written", "number"), [("2e4", 2e4), ("2.0e4", 2e4), ("2E4", 2e4), ("2.0e+4", 2e4),
                                                  ("20_000e0", 2e4), ("3e-3", 3e-3)])
def test_numbers_in_exponent_notation_are_numbers(loader: str, written: str, number: float) -> None:
    assert source.read_yaml(f"a: {written}\n").data == {"a": number}
    sc = loads_scenario(edit("R: {shell: {value: 20000,", f"R: {{shell: {{value: {written},"), "ok.yaml")
    assert sc.stocks["R"]["shell"].params == (number,)


@pytest.mark.parametrize("text", ["e9", "1e", "1.2.3e4", "0x1e3"])
def test_words_that_only_look_like_exponents_stay_as_they_are(loader: str, text: str) -> None:
    assert not isinstance(source.read_yaml(f"a: {text}\n").data["a"], float)


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("S: {shell: {uniform: [50000, 80000],", "S: {shell: {uniform: [1.0e+307, 1.0e+308],", "[1.0e+307"),
    ("{constant: {value: 700,", "{constant: {value: 1e308,", "1e308"),
    ("delay: {uniform: [3, 9],", "delay: {uniform: [0, 1.0e+18],", "[0, 1.0e+18"),
])
def test_a_number_beyond_the_bound_on_quantities_is_located(old: str, new: str, needle: str) -> None:
    text = edit(old, new)
    found = problems(text)
    where = f"bad.yaml:{line_of(text, needle)}:"
    assert any(p.startswith(where) and "within ±1e15" in p for p in found), found


def test_the_bound_on_quantities_itself_is_allowed() -> None:
    loads_scenario(edit("R: {shell: {value: 20000,", "R: {shell: {value: 1.0e+15,"), "ok.yaml")


def test_a_delay_beyond_the_horizon_runs_as_never_delivered_within_the_run() -> None:
    from tests.conftest import ensemble

    def outcomes(delay: str):
        sc = loads_scenario(edit("delay: {uniform: [3, 9],", f"delay: {{{delay},"), "ok.yaml")
        return ensemble(sc, runs=12, seed=2).outcomes

    import pandas as pd

    far = outcomes("uniform: [1.0e+14, 1.0e+15]")  # was "array is too big" (a ring of 1e15 days)
    pd.testing.assert_frame_equal(far, outcomes("uniform: [1.0e+3, 1.0e+4]"))  # both past the 120-day horizon
