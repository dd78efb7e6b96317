"""The library's facade: its public names, the built-in scenario, and run-time policies."""

from __future__ import annotations

import doctest
import re

import numpy as np
import pandas as pd
import pytest

import spillover
from spillover.scenario import errors, quantity, source
from tests.conftest import MINI


def test_public_names_are_exactly_the_facade() -> None:
    assert sorted(spillover.__all__) == sorted([
        "Execution", "RunResult", "Scenario", "ScenarioError", "__version__", "analyse", "audit",
        "copy_builtin", "load_scenario", "loads_scenario", "outcomes", "read_result", "resume", "run",
        "scenarios", "summarize", "validate", "warmup",
    ])
    for name in spillover.__all__:
        assert getattr(spillover, name) is not None


def test_builtin_scenario_is_strict_and_runs_with_a_fixed_seed() -> None:
    sc = spillover.load_scenario("nk-russia-2023", strict=True)
    res = spillover.run(sc, runs=40, seed=20230801, chunk_size=20)
    assert set(res.outcomes["policy"]) == set(sc.policies)
    assert len(res.claims) == len(sc.claims) * len(sc.policies)
    assert res.claims["probability"].between(0, 1).all()
    assert (res.claims["lo"] <= res.claims["probability"]).all()
    assert (res.claims["probability"] <= res.claims["hi"]).all()
    again = spillover.run(sc, runs=40, seed=20230801, chunk_size=7)
    assert res.outcomes.equals(again.outcomes)


def test_extra_policies_run_beside_the_presets() -> None:
    res = spillover.run(MINI, runs=30, seed=2, extra_policies={"half": {"cap": 0.5}},
                        policies=["status-quo", "half"])
    o = res.outcomes
    sq = o[o.policy == "status-quo"]["shipped.s_r_shells"].to_numpy()
    half = o[o.policy == "half"]["shipped.s_r_shells"].to_numpy()
    assert np.all(half <= sq + 1e-9) and half.sum() < 0.75 * sq.sum()


@pytest.mark.parametrize(("levers", "message"), [
    ({"capp": 0.5}, "unknown lever 'capp' (did you mean 'cap'?)"),
    ({"cap": 1.5}, "lever 'cap' takes a value between 0 and 1"),
])
def test_extra_policies_refuse_bad_levers(levers, message) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        spillover.run(MINI, runs=5, extra_policies={"x": levers})


def test_save_series_needs_a_folder() -> None:
    with pytest.raises(ValueError, match="needs a run folder"):
        spillover.run(MINI, runs=5, save_series=True)


def test_save_series_writes_every_run(tmp_path) -> None:
    import pandas as pd

    spillover.run(MINI, runs=12, seed=1, out=tmp_path / "r", save_series=True, report=False, chunk_size=5)
    full = pd.read_parquet(tmp_path / "r" / "series_full")
    assert len(full) == 12 * 3 * 120
    assert {"run", "policy", "day", "indicator.threat", "stock.R.shell"} <= set(full.columns)


@pytest.mark.parametrize("module", [errors, quantity, source])
def test_doctests(module) -> None:
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_a_given_experiments_table_reproduces_the_design(tmp_path) -> None:
    from spillover.engine.structure import build_structure
    from spillover.ensemble.design import sample_inputs

    sc = spillover.load_scenario(MINI)
    exp = sample_inputs(build_structure(sc).inputs, 30, 5)
    designed = spillover.run(sc, runs=30, seed=5)
    given = spillover.run(sc, experiments=exp, seed=5)
    assert given.outcomes.equals(designed.outcomes)
    folder = spillover.run(sc, experiments=exp, seed=5, out=tmp_path / "r", chunk_size=7, report=False)
    assert folder.outcomes.equals(designed.outcomes)
    with pytest.raises(ValueError, match="lacks input 'fullness'"):
        spillover.run(sc, experiments=exp.drop(columns="fullness"))


@pytest.mark.parametrize(("column", "value", "rule"), [
    ("transfer_rate", -1000.0, "transfers.t01.rate.constant must not be negative"),
    ("fatigue_days.A0", 0.5, "indicators.x_A0.tau must be at least 1"),
    ("threat_scale", 1e300, "indicators.x_A0.gain must lie within ±1e\\+15"),
])
def test_a_given_table_must_keep_to_the_rules_of_the_fields_its_inputs_fill(column, value, rule) -> None:
    """A negative transfer rate ran before, with negative shipments: the scenario file
    cannot hold one, and neither can a table given in its place."""
    from benchmarks.peers.run import SCENARIO, design

    exp = design(20, 1)
    exp.loc[[4, 9], column] = value
    shown = re.escape(f"{value:g}")
    with pytest.raises(ValueError, match=f"'{column}' is {shown} in row 4 .*2 such rows\\), but {rule}"):
        spillover.run(str(SCENARIO), runs=20, seed=1, counterfactual=False, experiments=exp)
    exp.loc[[4, 9], column] = design(20, 1).loc[[4, 9], column]
    ran = spillover.run(str(SCENARIO), runs=20, seed=1, counterfactual=False, experiments=exp)
    assert len(ran.outcomes) == 20


def test_a_given_table_of_the_wrong_shape_is_refused_in_words() -> None:
    from spillover.engine.structure import build_structure
    from spillover.ensemble.design import sample_inputs

    sc = spillover.load_scenario(MINI)
    exp = sample_inputs(build_structure(sc).inputs, 10, 5)
    with pytest.raises(ValueError, match=r"must be a pandas DataFrame .*\(got dict\)"):
        spillover.run(sc, experiments=exp.to_dict())
    with pytest.raises(ValueError, match=r"\(got an empty table\)"):
        spillover.run(sc, experiments=exp.iloc[:0])
    twice = pd.concat([exp, exp[["fullness"]]], axis=1)
    with pytest.raises(ValueError, match="has column 'fullness' more than once"):
        spillover.run(sc, experiments=twice)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), "many"])
def test_a_given_table_with_a_value_that_is_not_a_finite_number_is_refused(value) -> None:
    from spillover.engine.structure import build_structure
    from spillover.ensemble.design import sample_inputs

    sc = spillover.load_scenario(MINI)
    exp = sample_inputs(build_structure(sc).inputs, 10, 5)
    exp["fullness"] = exp["fullness"].astype(object)
    exp.loc[[3, 7], "fullness"] = value
    what = "holds values that are not numbers" if value == "many" else f"is {value} in row 3 .*2 such rows"
    with pytest.raises(ValueError, match=f"experiments table's 'fullness' {what}"):
        spillover.run(sc, experiments=exp)


def test_cli_runs_from_a_posterior(tmp_path) -> None:
    import subprocess
    import sys

    import pandas as pd

    post = tmp_path / "post.parquet"
    pd.DataFrame({"fullness": [0.55, 0.6, 0.65], "late_fire": [1000.0, 1100.0, 1000.0]}).to_parquet(post)
    done = subprocess.run([sys.executable, "-c", "from spillover.cli.main import main; main()", "run",
                           str(MINI), "--runs", "20", "--posterior", str(post), "--out", str(tmp_path / "r"),
                           "--no-report"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    exp = pd.read_parquet(tmp_path / "r" / "experiments.parquet")
    assert set(exp["fullness"]) <= {0.55, 0.6, 0.65} and len(exp) == 20


def test_a_claim_on_the_counterfactual_runs_it_even_when_not_asked(tmp_path) -> None:
    import yaml

    doc = yaml.safe_load(MINI.read_text())
    twin = "first_shortfall[R, shell] - first_shortfall_without_transfers[R, shell] > 0"
    doc["claims"]["adds"] = {"text": "The transfers add to the stock's run.", "source": "test", "expr": twin}
    path = tmp_path / "twin.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    res = spillover.run(path, runs=16, seed=1, counterfactual=False)
    assert "adds" in set(res.claims["claim"])
    assert any(c.endswith("_without_transfers.R.shell") for c in res.outcomes.columns)
    plain = spillover.run(MINI, runs=16, seed=1, counterfactual=False)  # no such claim: not run
    assert not any("_without_transfers" in c for c in plain.outcomes.columns)
    from spillover.analysis.ablation import ablate
    from spillover.analysis.robustness import robust

    sc = spillover.load_scenario(path)
    effects = ablate(sc, runs=16, seed=1).effects  # the twin claim is left out, the others compared
    assert "adds" not in set(effects["quantity"]) and "lasting" in set(effects["quantity"])
    assert "adds" in set(robust(sc, runs=16, seed=1)["quantity"])


def test_text_columns_are_str_in_memory_as_when_read_back_from_the_folder(tmp_path) -> None:
    """A result in memory and the same result read from its run folder have the same
    dtypes: text columns in pandas' string dtype, not ``object`` in some tables only."""
    from spillover.results.store import read_result

    res = spillover.run(MINI, runs=24, seed=3, out=tmp_path / "r", report=False, chunk_size=10)
    back = read_result(res.path)
    for name in ("outcomes", "series", "claims", "comparison"):
        mine, theirs = getattr(res, name), getattr(back, name)
        assert not mine.empty, name
        assert not any(pd.api.types.is_object_dtype(t) for t in mine.dtypes), (name, mine.dtypes.to_dict())
        shared = [c for c in mine.columns if c in theirs.columns]
        assert mine[shared].dtypes.to_dict() == theirs[shared].dtypes.to_dict(), name
    assert str(res.claims["policy"].dtype) == "str"


def test_text_columns_become_str_without_losing_anything_and_odd_tables_stay_as_they_are() -> None:
    from spillover.results.result import RunResult, text_as_str

    mixed = pd.DataFrame({
        "text": pd.Series(["a", None, pd.NA], dtype=object),
        "mixed": pd.Series(["a", 1, {"k": 2}], dtype=object),
        "surrogate": pd.Series(["x", "\ud800", "y"], dtype=object),  # not storable as str: kept
        "number": [1.0, 2.0, 3.0],
    })
    out = text_as_str(mixed)
    assert str(out["text"].dtype) == "str" and out["text"].tolist()[0] == "a"
    assert out["text"].isna().tolist() == [False, True, True]
    for kept in ("mixed", "surrogate", "number"):
        assert out[kept].dtype == mixed[kept].dtype and out[kept].tolist() == mixed[kept].tolist()
    assert mixed["text"].dtype == object  # the table given is not changed
    twice = pd.DataFrame([["a", "b"]], columns=["n", "n"], dtype=object)
    empty = pd.DataFrame()
    res = RunResult({}, {}, empty, empty, empty, empty, twice)  # repeated names: left alone
    assert res.comparison is twice


def test_claims_json_is_strict_json_with_gaps_as_null(tmp_path) -> None:
    import json

    from spillover.results.result import RunResult
    from spillover.results.store import read_result, write_result

    claims = pd.DataFrame({"claim": ["c1", "c2"], "policy": ["p", "p"], "probability": [0.25, np.nan],
                           "word": pd.Series(["unlikely", None], dtype=object)})
    empty = pd.DataFrame()
    res = RunResult({}, {"runs": 1}, empty, empty, empty, claims, empty)
    write_result(res, tmp_path, outcomes=False)
    text = (tmp_path / "claims.json").read_text()
    rows = json.loads(text, parse_constant=lambda c: pytest.fail(f"not strict JSON: {c}"))
    assert rows[1]["probability"] is None and rows[1]["word"] is None
    back = read_result(tmp_path).claims
    assert back["probability"].isna().tolist() == [False, True] and back["word"].tolist()[0] == "unlikely"
