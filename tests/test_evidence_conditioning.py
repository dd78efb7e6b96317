"""Conditioning on evidence: closed-form posteriors, determinism, grades, no-evidence runs unchanged."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import spillover
from spillover.analysis.evidence import EvidenceContradicts, ess
from spillover.analysis.evidence_tables import weighted_quantiles
from spillover.scenario.load import load_scenario

HERE = Path(__file__).parent / "evidence"
KNOWN = HERE / "known.yaml"  # rate ~ normal(30, 5) a day, shipped(b_a) on day 49 = 50 * rate


def _evidence(tmp_path: Path, body: str, name: str = "e.evidence.yaml") -> Path:
    path = tmp_path / name
    path.write_text("sources:\n  count: {citation: A count}\nobservations:\n" + body)
    return path


def _number(value: float, sd: float, grade: str = "A1", date: str = "2024-02-19") -> str:
    return (f"  n:\n    date: {date}\n    source: count\n    grade: {grade}\n    measures: shipped(b_a)\n"
            f"    value: {value}\n    error: {{normal: {sd}}}\n")


def _posterior(res: spillover.RunResult) -> tuple[np.ndarray, np.ndarray]:
    w = res.extra["evidence"].weights
    rate = res.experiments.set_index("run").loc[w["run"], "rate"].to_numpy()
    return rate, w["weight"].to_numpy()


def _closed_form(y: float, sd: float, days: int = 50) -> tuple[float, float]:
    prec = 1 / 5**2 + days**2 / sd**2
    return (30 / 5**2 + days * y / sd**2) / prec, prec**-0.5


def test_normal_prior_normal_report_gives_the_closed_form_posterior(tmp_path: Path) -> None:
    ev = _evidence(tmp_path, _number(1750, 100))
    res = spillover.run(KNOWN, runs=20_000, seed=3, evidence=[ev])
    rate, w = _posterior(res)
    mean, sd = _closed_form(1750, 100)  # 34.31, 1.857
    n_eff = ess(w)
    assert res.extra["evidence"].ess == pytest.approx(n_eff)
    assert np.sum(w * rate) == pytest.approx(mean, abs=4 * sd / math.sqrt(n_eff))
    lo, hi = weighted_quantiles(rate, w, [0.05, 0.95])
    assert lo == pytest.approx(mean - 1.6449 * sd, abs=0.15)
    assert hi == pytest.approx(mean + 1.6449 * sd, abs=0.15)
    inputs = res.extra["evidence"].inputs.set_index("input")
    assert inputs.loc["rate", "posterior_q50"] == pytest.approx(mean, abs=0.15)


def test_a_low_grade_widens_the_error_and_floors_the_likelihood(tmp_path: Path) -> None:
    """C4: the sd doubles (credibility 4) and a run's likelihood is at least 0.05 (reliability C)."""
    res = spillover.run(KNOWN, runs=4000, seed=1, evidence=[_evidence(tmp_path, _number(1750, 50, "C4"))])
    loglik = res.extra["evidence"].weights["loglik"].to_numpy()
    assert loglik.min() >= math.log(0.05) - 1e-12 and loglik.max() <= 0.0
    rate = res.experiments.set_index("run").loc[res.extra["evidence"].weights["run"], "rate"].to_numpy()
    g = np.exp(-0.5 * ((1750 - 50 * rate) / 100) ** 2)
    np.testing.assert_allclose(np.exp(loglik), 0.05 + 0.95 * g, rtol=1e-9, atol=1e-12)


def test_bounds_intervals_and_windows(tmp_path: Path) -> None:
    body = ("  more:\n    date: 2024-02-19\n    source: count\n    grade: A1\n    measures: shipped(b_a)\n"
            "    more_than: 1500\n"
            "  box:\n    window: [2024-02-10, 2024-02-19]\n    source: count\n    grade: A1\n"
            "    measures: shipped(b_a) / 50\n    between: [25, 40]\n")
    res = spillover.run(KNOWN, runs=3000, seed=2, evidence=[_evidence(tmp_path, body)])
    rate, w = _posterior(res)
    assert rate[w > 0].min() > 30 - 1e-9  # more than 1500 by day 49: rate > 30
    assert rate[w > 0].max() <= 40 * 50 / 41 + 1e-9  # day 40 of the window: 41 * rate <= 2000
    assert res.extra["evidence"].ess == pytest.approx(np.count_nonzero(w), rel=0.6)


def test_as_of_uses_only_what_was_published_by_then(tmp_path: Path) -> None:
    body = _number(1750, 100) + "    published: 2024-03-01\n"
    ev = _evidence(tmp_path, body)
    before = spillover.run(KNOWN, runs=500, seed=1, evidence=[ev], as_of="2024-02-29")
    after = spillover.run(KNOWN, runs=500, seed=1, evidence=[ev], as_of="2024-03-01")
    assert before.extra["evidence"].used == [] and before.extra["evidence"].ess == pytest.approx(500)
    assert after.extra["evidence"].used == ["n"] and after.extra["evidence"].ess < 400


def test_evidence_no_run_can_produce_is_named_and_leaves_no_folder(tmp_path: Path) -> None:
    body = ("  impossible:\n    date: 2024-02-19\n    source: count\n    grade: A1\n"
            "    measures: shipped(b_a)\n    more_than: 1.0e9\n")
    out = tmp_path / "run"
    where = r"'impossible' \(.*e\.evidence\.yaml:4\) has likelihood zero"
    with pytest.raises(EvidenceContradicts, match=where):
        spillover.run(KNOWN, runs=200, seed=1, evidence=[_evidence(tmp_path, body)], out=out, report=False)
    assert not out.exists() and not list(tmp_path.glob("run*"))


def _same_conditioning(how: dict, as_of: str | None = None) -> None:
    kw = dict(runs=600, seed=4, evidence=["nk-russia-2023"], as_of=as_of,
              policies=["status-quo", "recommended"], counterfactual=False)
    base = spillover.run("nk-russia-2023", chunk_size=600, **kw)
    other = spillover.run("nk-russia-2023", **kw, **how)
    a, b = base.extra["evidence"], other.extra["evidence"]
    assert a.used == b.used and a.ess == b.ess
    for name in ("weights", "claims", "inputs", "fit", "outcomes", "comparison"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True, obj=name)


@pytest.mark.parametrize("how", [dict(chunk_size=333), dict(chunk_size=1000, workers=2),
                                 dict(chunk_size=250, executor="processes", workers=2)])
def test_weights_and_claims_do_not_depend_on_chunks_workers_or_executor(how: dict, tmp_path: Path) -> None:
    _same_conditioning(how)


def test_weights_and_claims_are_the_same_on_dask() -> None:
    pytest.importorskip("dask.distributed")
    _same_conditioning(dict(chunk_size=170, executor="dask", workers=2), as_of="2024-06-30")


def test_a_run_without_evidence_is_unchanged_and_the_folder_gains_weights(tmp_path: Path) -> None:
    plain = spillover.run(KNOWN, runs=300, seed=5)
    ev = _evidence(tmp_path, _number(1750, 100))
    cond = spillover.run(KNOWN, runs=300, seed=5, evidence=[ev], out=tmp_path / "r", report=False)
    pd.testing.assert_frame_equal(plain.outcomes, cond.outcomes, check_exact=True)
    pd.testing.assert_frame_equal(plain.claims, cond.claims, check_exact=True)
    assert "evidence" not in plain.manifest and "evidence" not in plain.extra
    weights = pd.read_parquet(tmp_path / "r" / "weights.parquet")
    assert list(weights.columns) == ["run", "weight", "loglik"] and len(weights) == 300
    assert weights["weight"].sum() == pytest.approx(1.0)
    m = cond.manifest["evidence"]
    assert m["files"][0]["sha256"] == __import__("hashlib").sha256(ev.read_bytes()).hexdigest()
    assert m["ess"] == pytest.approx(ess(weights["weight"].to_numpy()), abs=1e-3)


def test_the_builtin_evidence_conditions_nk_russia_2023() -> None:
    res = spillover.run("nk-russia-2023", runs=400, seed=1, evidence=["nk-russia-2023"], as_of="2024-06-30",
                        policies=["status-quo"], counterfactual=False)
    cond = res.extra["evidence"]
    # what was published by 30 Jun 2024: the counts to June and the first reports of missile use
    assert cond.used == ["us_containers_2023_10", "jcs_containers_2023_11", "shin_containers_2023_12",
                         "shin_containers_2024_02", "us_containers_2024_02", "shin_containers_2024_06",
                         "kn23_first_use_2023_12", "kn23_fired_2024_02"]
    assert len(cond.fit) == 20
    assert 0 < cond.ess <= 400
    sc = load_scenario("nk-russia-2023")
    assert set(cond.claims["claim"]) == set(sc.claims)


def test_a_dyad_series_with_an_uncertain_scale_is_read_row_by_row(tmp_path: Path) -> None:
    """`spillover data dyad` output: a month per row, an empty month is no observation; the
    uncertain scale is drawn per run from (seed, name, run) alone."""
    (tmp_path / "dyad.csv").write_text("period,tension\n2024-01-01,1.5\n2024-02-01,\n2024-03-01,2.0\n")
    ev = tmp_path / "t.evidence.yaml"
    ev.write_text("sources:\n  gdelt: {citation: GDELT}\nseries:\n  tension:\n    file: dyad.csv\n"
                  "    date: period\n    value: tension\n    period: month\n    source: gdelt\n"
                  "    grade: C3\n"
                  "    measures: indicator(threat)\n    scale: {uniform: [20, 40], name: tension_scale}\n"
                  "    error: {normal: 1.5}\n")
    mini = Path(__file__).parent / "scenarios" / "mini.yaml"
    a = spillover.run(mini, runs=200, seed=1, evidence=[ev], chunk_size=200)
    b = spillover.run(mini, runs=200, seed=1, evidence=[ev], chunk_size=33)
    cond = a.extra["evidence"]
    assert cond.used == ["tension[2024-01-01]", "tension[2024-03-01]"]
    assert cond.fit["where"].tolist() == [f"{tmp_path / 'dyad.csv'}:2", f"{tmp_path / 'dyad.csv'}:4"]
    pd.testing.assert_frame_equal(cond.weights, b.extra["evidence"].weights, check_exact=True)
    assert 0 < cond.ess < 200


def test_the_report_shows_prior_against_posterior_only_with_evidence(tmp_path: Path) -> None:
    ev = _evidence(tmp_path, _number(1750, 100))
    spillover.run(KNOWN, runs=300, seed=5, evidence=[ev], out=tmp_path / "with")
    spillover.run(KNOWN, runs=300, seed=5, out=tmp_path / "without")
    html = (tmp_path / "with" / "report.html").read_text()
    assert 'id="evidence"' in html and "Inputs the evidence moved most" in html
    assert "e.evidence.yaml:4" in html
    assert f"sha256 {__import__('hashlib').sha256(ev.read_bytes()).hexdigest()[:12]}" in html
    assert 'id="evidence"' not in (tmp_path / "without" / "report.html").read_text()
