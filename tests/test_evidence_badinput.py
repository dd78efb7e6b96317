"""Bad evidence: every problem as FILE:LINE:COL with exit 2, all in one pass."""

from __future__ import annotations

from pathlib import Path

import pytest

from spillover.cli.main import main
from spillover.scenario.errors import ScenarioError
from spillover.scenario.evidence import grade_rule
from spillover.scenario.evidence_load import load_evidence
from spillover.scenario.load import load_scenario

KNOWN = Path(__file__).parent / "evidence" / "known.yaml"
HEAD = "sources:\n  count: {citation: A count}\nobservations:\n"
ENTRY = ("  o:\n    date: {date}\n    source: {source}\n    grade: {grade}\n    measures: {measures}\n"
         "    {form}\n")
GOOD = dict(date="2024-02-19", source="count", grade="A1", measures="shipped(b_a)",
            form="value: 10\n    error: {normal: 1}")
CASES = {
    "unknown transfer": (dict(measures="shipped(b_aa)"), 8, 15,
                         "measures: unknown quantity or input 'shipped.b_aa' (did you mean 'shipped.b_a'"),
    "date outside the horizon": (dict(date="2025-02-19"), 5, 11,
                                 "date 2025-02-19 lies outside the scenario's horizon "
                                 "(2024-01-01 to 2024-04-09)"),
    "negative count": (dict(form="value: -10\n    error: {normal: 1}"), 9, 12, "a count cannot be negative"),
    "interval low > high": (dict(form="between: [30, 20]"), 9, 14,
                            "an interval needs low <= high, got 30 > 20"),
    "grade letter": (dict(grade="G2"), 7, 12,
                     "a grade is a letter A-F (source reliability) then a digit 1-6"),
    "grade digit": (dict(grade="B7"), 7, 12, "got 'B7'"),
    "unknown source": (dict(source="cont"), 6, 13, "unknown source 'cont' (did you mean 'count'?)"),
}


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    got = capsys.readouterr()
    return int(done.value.code or 0), got.err + got.out


def _file(tmp_path: Path, **change: str) -> Path:
    path = tmp_path / "bad.evidence.yaml"
    path.write_text(HEAD + ENTRY.format(**{**GOOD, **change}))
    return path


@pytest.mark.parametrize("case", CASES)
def test_each_bad_input_is_located_with_exit_2(case: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    change, line, col, message = CASES[case]
    path = _file(tmp_path, **change)
    code, output = _cli(capsys, "run", str(KNOWN), "--runs", "5", "--no-report", "--out", str(tmp_path / "r"),
                        "--evidence", str(path))
    assert code == 2
    first = output.strip().splitlines()[0]
    assert first.startswith(f"{path}:{line}:{col}: "), first
    assert message in first
    assert not (tmp_path / "r").exists() and not (tmp_path / "r.partial").exists()


def test_the_good_file_passes(tmp_path: Path) -> None:
    ev = load_evidence([_file(tmp_path)], load_scenario(KNOWN))
    assert [o.id for o in ev.observations] == ["o"] and ev.requests() == [("shipped.b_a", 49)]


def test_every_problem_of_a_file_is_listed_at_once(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "many.evidence.yaml"
    path.write_text(HEAD + "".join(ENTRY.replace("  o:", f"  o{i}:").format(**{**GOOD, **change})
                                   for i, (change, *_) in enumerate(CASES.values())))
    with pytest.raises(ScenarioError) as err:
        load_evidence([path], load_scenario(KNOWN))
    assert len(err.value.problems) == len(CASES)
    code, output = _cli(capsys, "validate", str(KNOWN), "--evidence", str(path))
    assert code == 2 and len(output.strip().splitlines()) == len(CASES)


def test_a_csv_table_is_read_and_its_problems_located(tmp_path: Path) -> None:
    ev = load_evidence([Path(__file__).parent / "evidence" / "table.csv"], load_scenario(KNOWN))
    assert [(o.id, o.form, o.report.grade) for o in ev.observations] == [
        ("day50", "number", "A1"), ("late", "more_than", "B2")]
    bad = tmp_path / "bad.csv"
    bad.write_text("id,date,measures,source,grade,value,normal\nx,2024-02-19,shipped(b_a),count,Z9,5,1\n")
    with pytest.raises(ScenarioError, match=r"bad\.csv:2:33: a grade is a letter A-F"):
        load_evidence([bad], load_scenario(KNOWN))


def test_a_missing_file_and_a_policy_not_run_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="no such evidence file"):
        load_evidence([tmp_path / "nope.yaml"], load_scenario(KNOWN))


def test_the_grade_rule() -> None:
    assert grade_rule("A1") == (0.0, 1.0)
    assert grade_rule("F6")[0] == 0.5 and grade_rule("C5") == (0.05, 3.0)
    with pytest.raises(ValueError):
        grade_rule("A0")


def test_which_reports_stand_out() -> None:
    from spillover.cli.render_evidence import stands_out

    assert stands_out("number", 0.004) and stands_out("number", 0.996) and not stands_out("number", 0.5)
    assert not stands_out("more_than", 0.0) and stands_out("more_than", 0.999)  # every run below it
    assert not stands_out("less_than", 1.0) and stands_out("less_than", 0.001)


def test_a_scenarios_own_evidence_lists_every_problem_at_once(tmp_path: Path) -> None:
    """A shape error in one observation of a scenario's evidence: section does not hide a date
    outside the horizon, an unknown transfer or an unknown event in the others."""
    body = """\
evidence:
  observations:
    a: {date: 2024-02-01, source: count, grade: C7, measures: shipped(b_a), value: 20, error: {normal: 5}}
    b: {date: 2029-02-01, source: count, grade: B2, measures: shipped(b_a), value: 20, error: {normal: 5}}
    c: {date: 2024-02-01, source: nosuch, grade: B2, measures: shipped(b_a), value: 20, error: {normal: 5}}
    d: {date: 2024-02-01, source: count, grade: B2, measures: shipped(b_x), value: 20, error: {normal: 5}}
    g: {date: 2024-02-01, source: count, grade: B2, measures: fired(nope), value: true}
"""
    path = tmp_path / "s.yaml"
    path.write_text(KNOWN.read_text() + body)
    first = KNOWN.read_text().count("\n") + 3
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    got = {(p.line - first, p.message.split(" (")[0].split(";")[0]) for p in info.value.problems}
    assert got == {(0, "a grade is a letter A-F"), (1, "date 2029-02-01 lies outside the scenario's horizon"),
                   (2, "unknown source 'nosuch'"), (3, "measures: unknown quantity or input 'shipped.b_x'"),
                   (4, "measures: unknown quantity or input 'fired.nope'")}, got


def test_a_lognormal_error_on_a_report_of_zero_is_refused_at_its_place(tmp_path: Path) -> None:
    bad = tmp_path / "zero.evidence.yaml"
    bad.write_text(HEAD + ENTRY.format(**{**GOOD, "form": "value: 0\n    error: {lognormal: 0.2}"}))
    with pytest.raises(ScenarioError, match=r"zero\.evidence\.yaml:\d+:\d+: .*lognormal error is relative"):
        load_evidence([bad], load_scenario(KNOWN))


def test_a_table_that_is_not_utf8_is_refused_at_the_bad_byte(tmp_path: Path) -> None:
    bad = tmp_path / "latin1.csv"
    bad.write_bytes("id,date,measures,source,grade,value,normal\nx,2024-02-19,shipped(b_a),Gr\u00fcn,A1,5,1\n"
                    .encode("latin-1"))
    with pytest.raises(ScenarioError, match=r"latin1\.csv:2:29: byte 0xfc is not UTF-8"):
        load_evidence([bad], load_scenario(KNOWN))


def test_a_series_file_too_large_is_refused_before_it_is_read(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from spillover.scenario import limits

    sc = load_scenario(KNOWN)
    monkeypatch.setattr(limits, "MAX_BYTES", KNOWN.stat().st_size)
    big = tmp_path / "big.csv"
    big.write_text("id,date,measures,source,grade,value,normal\n" + "x,2024-02-19,a,b,A1,5,1\n" * 500)
    with pytest.raises(ScenarioError, match=r"big\.csv:1:1: the file is .* evidence tables of up to"):
        load_evidence([big], sc)


def test_many_observations_read_the_scenario_once_and_names_never_go_stale(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Compiling N observations read the scenario's inputs N times (minutes for a few thousand)."""
    import spillover.scenario.inputs as inputs
    from spillover.scenario.evidence_check import available

    calls = []
    real = inputs.scenario_inputs
    monkeypatch.setattr(inputs, "scenario_inputs", lambda sc: calls.append(1) or real(sc))
    body = "".join(ENTRY.format(**GOOD).replace("  o:", f"  o{i}:") for i in range(50))
    many = tmp_path / "many.evidence.yaml"
    many.write_text(HEAD + body)
    sc = load_scenario(KNOWN)
    assert len(load_evidence([many], sc).observations) == 50
    assert len(calls) <= 2, len(calls)
    from spillover.scenario.evidence import Evidence

    other = load_scenario(Path(__file__).parent / "scenarios" / "mini.yaml")
    empty = Evidence()
    mine, theirs = available(sc, empty), available(other, empty)
    assert mine != theirs and available(sc, empty) == mine  # remembered by identity, never mixed


def test_a_table_row_with_missing_values_names_each_column(tmp_path: Path) -> None:
    short = tmp_path / "short.csv"
    short.write_text("id,date,measures,source,grade,value,normal\nx7,2024-02-19\n")
    with pytest.raises(ScenarioError) as info:
        load_evidence([short], load_scenario(KNOWN))
    said = sorted(p.message.split("'")[1] for p in info.value.problems)
    assert said == ["grade", "measures", "source"], [str(p) for p in info.value.problems]
