"""Calibration: observed data read with line numbers; known answers by least squares and ABC."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest
import yaml

from spillover.analysis.abc import (
    abc,
    check_posterior,
    posterior_design,
    read_posterior,
    run_posterior,
    write_posterior,
)
from spillover.analysis.calibration import Problem, fit_least_squares
from spillover.analysis.observed import Observation, parse_observations, read_observations
from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import loads_scenario
from tests.conftest import HERE, MINI

# Richardson's arms race, nation x: dx/dt = k·y − a·x + g. A linear indicator steps
# x += (beta + w·y − x) / tau, so a = 1/tau, k = w/tau, g = beta/tau.
TRUTH = {"tau_x": 12.0, "beta_x": 0.5, "w_xy": 0.4}
DAYS = np.arange(0, 300, 5)


def richardson(uncertain: tuple[str, ...] = ("tau_x", "beta_x", "w_xy")):
    def q(name: str, lo: float, hi: float, value: float):
        return {"uniform": [lo, hi], "judgment": True, "name": name} if name in uncertain else value

    doc = {
        "name": "richardson", "title": "Richardson", "start": "2000-01-01", "horizon": 300,
        "actors": {"A": {"name": "A"}}, "munitions": {"m": {"name": "m"}},
        "indicators": {
            "x": {"name": "x", "observer": "A", "kind": "linear", "initial": 0.0,
                  "tau": q("tau_x", 2, 40, 12.0), "beta": q("beta_x", -1, 2, 0.5),
                  "inputs": {"y": q("w_xy", 0, 1, 0.4)}},
            "y": {"name": "y", "observer": "A", "kind": "linear", "initial": 3.0, "tau": 15.0,
                  "beta": 0.2, "inputs": {"x": 0.3}},
        },
        "policies": {"only": {}},
    }
    return loads_scenario(yaml.safe_dump(doc))


def kag(tau: float, beta: float, w: float) -> np.ndarray:
    return np.array([w / tau, 1 / tau, beta / tau])


def synthetic(sc, names: list[str], noise: float = 0.0, seed: int = 0) -> Observation:
    prob = Problem.build(sc, [Observation("indicator.x", DAYS, np.zeros(len(DAYS)))], names)
    x = prob.simulate(np.array([[TRUTH[n] for n in names]]))[0][0]
    return Observation("indicator.x", DAYS, x + np.random.default_rng(seed).normal(0, noise, len(DAYS)))


def test_least_squares_recovers_k_a_g_exactly() -> None:
    sc = richardson()
    names = ["tau_x", "beta_x", "w_xy"]
    fit = fit_least_squares(sc, [synthetic(sc, names)], names)
    est = fit.table.set_index("input")["estimate"]
    np.testing.assert_allclose(kag(est["tau_x"], est["beta_x"], est["w_xy"]), kag(12.0, 0.5, 0.4), rtol=1e-6)
    assert fit.success and fit.rmse < 1e-6
    assert (fit.fitted["fitted"] - fit.fitted["observed"]).abs().max() < 1e-6
    assert list(fit.table["label"]) == ["judgment"] * 3


def test_least_squares_intervals_cover_the_truth_with_noise() -> None:
    sc = richardson()
    names = ["tau_x", "beta_x", "w_xy"]
    covered = 0
    for seed in range(5):
        fit = fit_least_squares(sc, [synthetic(sc, names, noise=0.05, seed=seed)], names, level=0.99)
        t = fit.table.set_index("input")
        covered += all(t.loc[n, "lo"] <= TRUTH[n] <= t.loc[n, "hi"] for n in names)
        assert (t["se"] > 0).all()
    assert covered >= 4
    assert fit.correlation is not None and fit.correlation.shape == (3, 3)


def test_least_squares_on_a_stock(mini) -> None:
    # The recipient's stock depends on how full the shipments are.
    days = np.arange(5, 120, 5)
    prob = Problem.build(mini, [Observation("stock.R.shell", days, np.zeros(len(days)))], ["fullness"])
    stock = prob.simulate(np.array([[0.8]]))[0][0]
    fit = fit_least_squares(mini, [Observation("stock.R.shell", days, stock)], ["fullness"])
    assert fit.table["estimate"].iloc[0] == pytest.approx(0.8, abs=1e-4)


def test_fit_refuses_bad_requests(mini) -> None:
    obs = Observation("indicator.threat", np.array([3]), np.array([0.1]))
    with pytest.raises(ValueError, match="1 observed points cannot fit 1 inputs"):
        fit_least_squares(mini, [obs], ["fullness"])
    with pytest.raises(ValueError, match="did you mean 'fullness'"):
        fit_least_squares(mini, [obs], ["fulness"])
    with pytest.raises(ValueError, match=r"did you mean 'indicator\.threat'"):
        fit_least_squares(mini, [Observation("indicator.thret", np.array([3, 4]), np.ones(2))], ["fullness"])
    with pytest.raises(ValueError, match="name the inputs"):
        fit_least_squares(mini, [obs], [])


def test_abc_concentrates_on_the_truth() -> None:
    sc = richardson(("w_xy",))
    post = abc(sc, [synthetic(sc, ["w_xy"], noise=0.02)], runs=400, accept=0.05, seed=3, inputs=["w_xy"])
    s = post.summary.set_index("input")
    assert s.loc["w_xy", "post_lo"] <= 0.4 <= s.loc["w_xy", "post_hi"]
    assert s.loc["w_xy", "narrowing"] > 0.8
    assert len(post.posterior) == 20 and post.posterior["distance"].max() == pytest.approx(post.epsilon)
    assert (post.distances >= 0).all() and np.sort(post.distances)[19] == pytest.approx(post.epsilon)
    assert post.fits and post.warning is None and post.accepted_misfit <= post.limit


def test_abc_posterior_replaces_the_prior(tmp_path, mini) -> None:
    days = np.arange(5, 120, 10)
    prob = Problem.build(mini, [Observation("stock.R.shell", days, np.zeros(len(days)))], ["fullness"])
    stock = prob.simulate(np.array([[0.8]]))[0][0] + np.random.default_rng(0).normal(0, 300, len(days))
    post = abc(mini, [Observation("stock.R.shell", days, stock)], runs=200, accept=0.1, seed=1,
               inputs=["fullness"])
    assert post.fits
    path = write_posterior(post, tmp_path / "post.parquet")
    table = read_posterior(path, mini)
    assert list(table.columns) == ["fullness"]
    exp = posterior_design(table, mini, runs=50, seed=4)
    assert set(exp["fullness"]) <= set(table["fullness"])
    assert {"run", "late_fire", "stocks.S.shell"} <= set(exp.columns) and len(exp) == 50
    ens = run_posterior(mini, table, runs=30, seed=4, policies=["status-quo"])
    assert len(ens.outcomes) == 30 and set(ens.experiments["fullness"]) <= set(table["fullness"])
    with pytest.raises(ValueError, match="does not sample: bogus"):
        check_posterior(table.assign(bogus=1.0), mini)
    bad = table.astype(float)
    bad.loc[2, "fullness"] = np.nan
    with pytest.raises(ValueError, match=r"posterior table's 'fullness' is nan in row 2 .*1 such row\)"):
        posterior_design(bad, mini, runs=50, seed=4)


def test_abc_refuses_too_few_accepted(mini) -> None:
    obs = Observation("indicator.threat", np.array([3, 4]), np.ones(2))
    with pytest.raises(ValueError, match="use --runs 200 or more"):
        abc(mini, [obs], runs=100, accept=0.05)


# --------------------------------------------------------------------------- the CSV


def test_reads_a_csv(mini, tmp_path) -> None:
    p = tmp_path / "obs.csv"
    p.write_text("date,value\n2024-01-11,0.2\n2024-01-03,0.1\n\n", encoding="utf-8")
    obs = read_observations(p, "indicator.threat", mini)
    assert obs.days.tolist() == [2, 10] and obs.values.tolist() == [0.1, 0.2]
    assert [d.isoformat() for d in obs.on(mini.start)] == ["2024-01-03", "2024-01-11"]


@pytest.mark.parametrize(("text", "message"), [
    ("date,value\n2024-01-03,0.1\n,0.3\n", "obs.csv:3:1: missing date"),
    ("date,value\n2024-01-03,0.1\n2024-01-03,0.2\n",
     "obs.csv:3:1: date 2024-01-03 is given twice (first on line 2)"),
    ("date,value\n2024-01-03,high\n", "obs.csv:2:12: 'high' is not a number"),
    ("date,value\n2024-01-03,\n", "obs.csv:2:12: missing value"),
    ("date,value\n2024-01-03,inf\n", "obs.csv:2:12: 'inf' is not a finite number"),
    ("date,value\n03/01/2024,1\n", "obs.csv:2:1: '03/01/2024' is not a date (use YYYY-MM-DD)"),
    ("date,value\n2025-01-03,1\n",
     "obs.csv:2:1: date 2025-01-03 lies outside the scenario (2024-01-01 to 2024-04-29)"),
    ("when,level\n2024-01-03,1\n",
     "obs.csv:1:1: expected a header naming a date column (date, period, day, month or week) and a value "
     "column, as in 'date,value', the CSV of 'spillover data dyad --out' or of 'spillover data sql --csv'; "
     "got 'when,level'"),
    ("day,a,b\n2024-01-03,1,2\n",
     "obs.csv:1:1: cannot tell which column holds the values (a 'value' column, or 'tension' in a dyad CSV); "
     "the other columns are a, b: name one with --column"),
    ("period,events,tension\n2024-01-03,0,\n", "obs.csv:2:1: no values in the column 'tension'"),
    ("period,events,tension\n2024-01-03,2,x\n", "obs.csv:2:14: 'x' is not a number"),
    ("date,value\n", "obs.csv:2:1: no data rows"),
    ("", "obs.csv:1:1: the file is empty"),
    ("date,value\n2024-01-03,1,2\n", "obs.csv:2:1: expected 2 fields"),
])
def test_bad_data_is_reported_with_line_numbers(mini, text, message) -> None:
    with pytest.raises(ScenarioError) as err:
        parse_observations(text, "indicator.threat", mini, "obs.csv")
    assert str(err.value.first) == message or str(err.value.first).startswith(message)


def test_every_bad_line_is_reported(mini) -> None:
    text = "date,value\n2024-01-03,1\n,2\n2024-01-03,3\n2024-01-05,x\n"
    with pytest.raises(ScenarioError) as err:
        parse_observations(text, "indicator.threat", mini, "obs.csv")
    assert [(p.line, p.col) for p in err.value.problems] == [(3, 1), (4, 1), (5, 12)]


# The example of docs/analysis.md ("Does the model fit"): a series made by
# scripts/make_kor_threat_synthetic.py from the central run of nk-russia-2023.
EXAMPLE = HERE / "scenarios" / "kor_threat_synthetic.csv"
EXAMPLE_TRUTH = {"w_kor_tech": 1.8, "kor_bias": 0.3}


def _example_script():
    path = HERE.parent / "scripts" / "make_kor_threat_synthetic.py"
    spec = importlib.util.spec_from_file_location("make_kor_threat_synthetic", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_documented_example_file_is_what_its_script_makes(tmp_path) -> None:
    # Fails when the scenario's central run changes and the file was not remade.
    script = _example_script()
    assert script.TRUTH == EXAMPLE_TRUTH
    assert script.main(["--out", str(tmp_path / "made.csv")]) == 0
    assert (tmp_path / "made.csv").read_bytes() == EXAMPLE.read_bytes()


@pytest.mark.parametrize("noise", [None, 0.01])
def test_least_squares_fits_the_documented_example_file(noise: float | None) -> None:
    # Without --noise the noise comes from the scatter between points; 0.01 is the noise
    # the file was made with. Either way the fitted run passes the gate and the intervals
    # hold the values the file was made with (the point estimates may sit anywhere on the
    # ridge along which the two inputs trade off).
    from spillover.scenario.load import load_scenario

    sc = load_scenario("nk-russia-2023")
    obs = read_observations(EXAMPLE, "indicator.kor_threat", sc, noise=noise)
    assert len(obs.days) == 24 and obs.days[0] == 14 and set(np.diff(obs.days)) == {30}
    fit = fit_least_squares(sc, [obs], list(EXAMPLE_TRUTH))
    assert fit.success and fit.fits and fit.warning is None, fit.warning
    assert fit.misfit <= fit.limit
    t = fit.table.set_index("input")
    for name, value in EXAMPLE_TRUTH.items():
        assert t.loc[name, "lo"] <= value <= t.loc[name, "hi"], (name, t.loc[name].to_dict())
        assert t.loc[name, "hi"] - t.loc[name, "lo"] < 0.5 * (t.loc[name, "max"] - t.loc[name, "min"])


@pytest.mark.parametrize(("path", "said"), [("/dev/null", "/dev/null is not a regular file; give a CSV file"),
                                            ("/tmp", "/tmp is a folder; give a CSV file")])
def test_observations_from_something_not_a_file_say_what_it_is(mini, path: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        read_observations(path, "x", mini)
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_observations("/nonexistent/obs.csv", "x", mini)


def test_calibrate_data_dev_null_is_one_line() -> None:
    from tests.test_cli import cli

    done = cli("calibrate", str(MINI), "--data", "/dev/null", "--target", "x")
    assert done.returncode == 2 and "/dev/null is not a regular file" in done.stderr, done.stderr
