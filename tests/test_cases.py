"""Cases: alternative readings run on the scenario's own runs (common random numbers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import spillover
from spillover.ensemble.design import sample_inputs
from spillover.scenario.cases import case_inputs, case_scenario, rethreshold, thresholds
from spillover.scenario.errors import ScenarioError
from spillover.scenario.inputs import scenario_inputs
from spillover.scenario.load import loads_scenario
from tests.conftest import MINI, interrupt_run
from tests.test_cli import cli

CASES = """
cases:
  heavy-fire:
    description: The recipient fires more late in the war.
    inputs:
      late_fire: {uniform: [1500, 2000], judgment: true}
  fixed-fullness:
    inputs:
      fullness: {value: 1.0, source: test}
      signals.shells.reference: {value: 400, source: test}
  month-and-a-half:
    claims:
      lasting: {threshold: 45}
  two-months:
    claims:
      lasting: {expr: "days_of_fire[s_r_shells] > 60"}
"""


@pytest.fixture(scope="module")
def sc():
    return loads_scenario(MINI.read_text() + CASES, "mini-cases.yaml", strict=True)


@pytest.fixture(scope="module")
def together(sc):
    return spillover.run(sc, runs=120, seed=4, cases=True)


def _problems(extra: str) -> list[str]:
    text = MINI.read_text() + extra
    with pytest.raises(ScenarioError) as err:
        loads_scenario(text, "bad.yaml")
    lines = text.splitlines()
    out = []
    for p in err.value.problems:
        assert lines[p.line - 1].strip(), "a problem points at a line of the file"
        out.append(f"{p.line}:{p.message}")
    return out


def test_bad_cases_are_located_with_a_suggestion() -> None:
    first = len(MINI.read_text().splitlines()) + 1
    problems = _problems("""
cases:
  bad:
    inputs:
      late_fir: 3
      fullness: {uniform: [0.5, 1.0], name: other}
      signals.shells.reference: {uniform: [1, 2]}
      s_r_shells_delay: 3
    claims:
      lastin: {threshold: 3}
      helps: {threshold: 3}
  empty: {}
  negative:
    inputs:
      late_fire: -5
""")
    text = "\n".join(problems)
    assert "unknown input 'late_fir' (did you mean 'late_fire'?)" in text
    assert "keeps the name of the input it replaces" in text
    assert "is a fixed number in the scenario (500)" in text
    assert "unknown claim 'lastin' (did you mean 'lasting'?)" in text
    assert "'fired(o_helps)' compares with no number" in text
    assert "a case needs inputs or claims" in text
    assert "'late_fire' must not be negative" in text
    assert all(int(p.split(":")[0]) > first for p in problems)


def test_strict_mode_wants_a_source_for_a_case_number() -> None:
    text = MINI.read_text() + "\ncases:\n  c:\n    inputs:\n      late_fire: 1500\n"
    loads_scenario(text, "ok.yaml")  # lenient: fine
    with pytest.raises(ScenarioError, match="this number has no source"):
        loads_scenario(text, "strict.yaml", strict=True)


def test_rethreshold_changes_the_one_compared_number() -> None:
    assert rethreshold("peak(a) > 0.25 and peak(b) > 0.25", 0.3) == "peak.a > 0.3 and peak.b > 0.3"
    assert thresholds("0.2 < x <= 0.5") == [0.2, 0.5]
    with pytest.raises(ValueError, match="several numbers"):
        rethreshold("0.2 < x <= 0.5", 0.3)


def test_a_case_samples_the_same_design_columns(sc) -> None:
    base = scenario_inputs(sc)
    mine = case_inputs(sc, "heavy-fire")
    assert [i.name for i in mine] == [i.name for i in base]
    a, b = sample_inputs(base, 200, 9), sample_inputs(mine, 200, 9)
    same = [c for c in a.columns if c != "late_fire"]
    pd.testing.assert_frame_equal(a[same], b[same])
    # the changed input keeps its strata: the same unit design value through the case's number
    u_a = (a["late_fire"] - 900) / 300
    u_b = (b["late_fire"] - 1500) / 500
    np.testing.assert_allclose(u_a, u_b, atol=1e-12)
    # a sampled input made fixed leaves the other columns where they were, too
    fixed = sample_inputs(case_inputs(sc, "fixed-fullness"), 200, 9)
    assert (fixed["fullness"] == 1.0).all()
    pd.testing.assert_frame_equal(a.drop(columns="fullness"), fixed.drop(columns="fullness"))
    assert case_scenario(sc, "fixed-fullness").signals["shells"].reference.params == (400.0,)


def test_threshold_cases_read_identical_outcomes_with_different_claims(together) -> None:
    out = together.extra["case_outcomes"]
    a = out[out["case"] == "month-and-a-half"].drop(columns="case").reset_index(drop=True)
    b = out[out["case"] == "two-months"].drop(columns="case").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
    base = together.outcomes[a.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(a, base, check_dtype=False)
    claims = together.cases.set_index(["case", "claim", "policy"])["probability"]
    p30 = together.claims.set_index(["claim", "policy"])["probability"]
    for pol in together.manifest["policies"]:
        assert claims[("two-months", "lasting", pol)] <= claims[("month-and-a-half", "lasting", pol)] \
            <= p30[("lasting", pol)]
        assert claims[("two-months", "helps", pol)] == p30[("helps", pol)]  # only lasting changed
    # the three thresholds (30 days as written, 45 and 60 days) give three different claims
    sq = ("lasting", "status-quo")
    assert claims[("two-months", *sq)] < claims[("month-and-a-half", *sq)] < p30[sq]


def test_a_case_alone_gives_the_same_runs_as_the_case_beside_the_others(sc, together) -> None:
    alone = spillover.run(sc, runs=120, seed=4, case="heavy-fire")
    assert alone.manifest["case"] == "heavy-fire"
    rows = together.extra["case_outcomes"]
    rows = rows[rows["case"] == "heavy-fire"].drop(columns="case").reset_index(drop=True)
    same = alone.outcomes[rows.columns].reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, same, check_dtype=False)
    mine = together.cases[together.cases["case"] == "heavy-fire"].drop(columns="case").reset_index(drop=True)
    pd.testing.assert_frame_equal(mine, alone.claims.reset_index(drop=True))  # dtypes too: text is str
    assert (alone.experiments["late_fire"] >= 1500).all()


def test_running_the_cases_leaves_the_scenarios_own_tables_alone(sc, together) -> None:
    plain = spillover.run(sc, runs=120, seed=4)
    pd.testing.assert_frame_equal(plain.outcomes, together.outcomes)
    pd.testing.assert_frame_equal(plain.claims, together.claims)
    pd.testing.assert_frame_equal(plain.experiments, together.experiments)
    assert plain.cases.empty and set(together.cases["case"]) == set(sc.cases)


def test_more_late_fire_means_fewer_days_of_fire(together) -> None:
    c = together.cases.set_index(["case", "claim", "policy"])["probability"]
    base = together.claims.set_index(["claim", "policy"])["probability"]
    assert c[("heavy-fire", "lasting", "status-quo")] < base[("lasting", "status-quo")]


def test_bad_case_requests_are_refused(sc) -> None:
    with pytest.raises(ValueError, match=r"unknown case 'heavy' .*did you mean 'heavy-fire'"):
        spillover.run(sc, runs=8, case="heavy")
    with pytest.raises(ValueError, match="runs alone"):
        spillover.run(sc, runs=8, case="heavy-fire", cases=True)
    exp = spillover.run(sc, runs=8, seed=1).experiments
    with pytest.raises(ValueError, match="cannot take given experiments"):
        spillover.run(sc, experiments=exp, cases=True)


def test_cases_in_a_run_folder_and_read_back(sc, tmp_path) -> None:
    res = spillover.run(sc, runs=60, seed=2, cases=["heavy-fire", "two-months"], out=tmp_path / "r",
                        report=False)
    assert res.manifest["cases"] == ["heavy-fire", "two-months"]
    from spillover.results.store import read_result

    back = read_result(res.path)
    pd.testing.assert_frame_equal(back.cases.reset_index(drop=True), res.cases.reset_index(drop=True),
                                  check_dtype=False)
    kept = pd.read_parquet(res.path / "case_outcomes.parquet")
    assert set(kept["case"]) == {"heavy-fire", "two-months"} and len(kept) == 2 * 60 * len(sc.policies)


def _interrupted(sc, out, monkeypatch, **kwargs) -> None:
    """A run stopped after its first chunks, as a kill would leave it."""
    interrupt_run(monkeypatch, sc, out, runs=60, seed=4, chunk_size=10, **kwargs)


def test_a_resumed_case_run_gives_the_same_results(sc, tmp_path, monkeypatch) -> None:
    file = tmp_path / "mini-cases.yaml"
    file.write_text(MINI.read_text() + CASES, encoding="utf-8")
    _interrupted(file, tmp_path / "one", monkeypatch, case="heavy-fire")
    _interrupted(file, tmp_path / "all", monkeypatch, cases=True)
    one = spillover.resume(tmp_path / "one", report=False)
    every = spillover.resume(tmp_path / "all", report=False)
    ref_one = spillover.run(sc, runs=60, seed=4, case="heavy-fire")
    ref_all = spillover.run(sc, runs=60, seed=4, cases=True)
    assert one.manifest["case"] == "heavy-fire"
    pd.testing.assert_frame_equal(one.claims.reset_index(drop=True), ref_one.claims, check_dtype=False)
    pd.testing.assert_frame_equal(every.cases.reset_index(drop=True), ref_all.cases.reset_index(drop=True),
                                  check_dtype=False)


def test_the_cli_refuses_an_unknown_case_in_one_line(tmp_path) -> None:
    done = cli("run", "nk-russia-2023", "--runs", "5", "--case", "fire-rate-rusa",
               "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == "error: unknown case 'fire-rate-rusa' (did you mean 'fire-rate-rusi'?)"
    assert not any(tmp_path.iterdir())  # nothing written


def test_the_cli_names_the_case_it_ran(tmp_path) -> None:
    file = tmp_path / "mini-cases.yaml"
    file.write_text(MINI.read_text() + CASES, encoding="utf-8")
    done = cli("run", str(file), "--runs", "40", "--seed", "2", "--case", "heavy-fire",
               "--out", str(tmp_path / "r"), "--no-report")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Key judgments (policy status-quo, case heavy-fire)"
    assert any(x.startswith("40 runs × ") and ", case heavy-fire, " in x for x in lines)


@pytest.mark.parametrize(("flag", "said"), [("--no-cases", "--no-cases is implied"),
                                            ("--cases", "it does not go with --cases")])
def test_the_cli_refuses_case_with_the_cases_option(tmp_path, flag: str, said: str) -> None:
    done = cli("run", "nk-russia-2023", "--runs", "5", "--case", "fire-rate-rusi", flag,
               "--out", str(tmp_path / "r"))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == f"error: --case runs one case alone; {said}"
    assert not any(tmp_path.iterdir())


def test_a_run_folder_read_back_gives_the_same_cases_and_analysis_to_the_bit(sc, tmp_path) -> None:
    """The cases' claims, their outcomes and the analyses' numbers come back from the run
    folder exactly as the run made them (they were rounded to 10 significant digits)."""
    res = spillover.run(sc, runs=60, seed=4, cases=True, out=tmp_path / "r", report=False)
    back = spillover.read_result(res.path)
    pd.testing.assert_frame_equal(back.cases, res.cases, check_exact=True)
    assert (back.cases["k"] / back.cases["n"] == back.cases["probability"]).all()
    pd.testing.assert_frame_equal(back.extra["case_outcomes"].reset_index(drop=True),
                                  res.extra["case_outcomes"].reset_index(drop=True), check_exact=True)
    drivers = res.extra["analysis"]["drivers"]["table"]
    pd.testing.assert_frame_equal(back.extra["analysis"]["drivers"]["table"][drivers.columns], drivers,
                                  check_exact=True, check_dtype=False)
