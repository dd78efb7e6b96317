"""The honest headline: words at band edges, "by construction", key judgments, the first screen."""

from __future__ import annotations

import html
import json
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

import spillover
from spillover.analysis.claims import claims_table, estimative_words
from spillover.analysis.headline import claim_rows, headline_sections, sentence
from spillover.results.result import RunResult
from tests.test_cli import MINI, cli


def _result(k: list[int], n: int = 1000, outcomes: pd.DataFrame | None = None) -> RunResult:
    claim = SimpleNamespace(id="c", text="A claim", expr="x > 0.5")
    table = claims_table([claim], ["a"], np.array([n]), np.array([k]))
    frame = outcomes if outcomes is not None else pd.DataFrame({"run": [0], "policy": ["a"], "x": [0.4]})
    return RunResult({}, {"policies": ["a"]}, pd.DataFrame({"run": [0]}), frame, pd.DataFrame(), table,
                     pd.DataFrame())


def test_a_claim_straddling_a_band_edge_prints_both_words() -> None:
    # 19.5% and 20.0% of 1,000 runs: one word each ("very unlikely", "unlikely") flips with the
    # seed; the interval crosses the 20% edge, so both runs print both words.
    for k in (195, 200):
        rows = claim_rows(_result([k]))
        assert rows["words"].iloc[0] == "very unlikely to unlikely"
    assert claim_rows(_result([600]))["words"].iloc[0] == "likely"
    assert estimative_words(0.03, 0.97) == "almost no chance to almost certain"


def test_by_construction_is_said_only_when_the_model_fixes_the_claim() -> None:
    constant = pd.DataFrame({"run": range(4), "policy": ["a"] * 4, "miscalc_peak": [0.0] * 4})
    claim = SimpleNamespace(id="m", text="Secrecy misleads", expr="miscalc_peak > 0.1")
    table = claims_table([claim], ["a"], np.array([4]), np.array([[0]]))
    res = RunResult({}, {"policies": ["a"]}, pd.DataFrame({"run": range(4)}), constant, pd.DataFrame(), table,
                    pd.DataFrame())
    row = claim_rows(res).iloc[0]
    assert row["by_construction"] and row["words"] == "by construction"
    # a rare event that never fired in these runs is an estimate near 0, not a construction
    rare = pd.DataFrame({"run": range(4), "policy": ["a"] * 4, "fired.e": [False] * 4})
    event = SimpleNamespace(id="e", text="An event", expr="fired.e")
    res2 = RunResult({}, {"policies": ["a"]}, pd.DataFrame({"run": range(4)}), rare, pd.DataFrame(),
                     claims_table([event], ["a"], np.array([4]), np.array([[0]])), pd.DataFrame())
    row2 = claim_rows(res2).iloc[0]
    assert not row2["by_construction"] and row2["words"] == "almost no chance to unlikely"  # 0 of 4 runs


@pytest.fixture(scope="module")
def nk():
    return spillover.run("nk-russia-2023", runs=300, seed=11, cases=True)


def test_declared_flows_make_miscalculation_zero_by_construction(nk) -> None:
    t = claim_rows(nk, nk.cases).set_index(["claim", "policy"])
    assert t.loc[("secrecy_misleads", "recommended"), "words"] == "by construction"
    assert t.loc[("secrecy_misleads", "status-quo"), "words"] != "by construction"
    assert not t.loc[("china_turns", "recommended"), "by_construction"]


def test_the_key_judgments_carry_cases_confidence_drivers_and_the_policy(nk) -> None:
    h = nk.extra["analysis"]["headline"]
    assert h["policy"] == "status-quo" and len(h["judgments"]) == len(nk.claims["claim"].unique())
    guns = next(j for j in h["judgments"] if j["claim"] == "guns_over_a_year")
    assert guns["case_lo"] < 0.1 and guns["case_hi"] > 0.9  # the fire-rate cases: 10,000 vs 30,000+ a day
    assert guns["confidence"]["level"] == "low"
    assert guns["drivers"][0]["input"] == "rus_fire_rate" and guns["drivers"][0]["label"] == "judgment"
    assert guns["drivers"][0]["direction"] == -1
    assert guns["change"]["better"] is True and guns["change"]["diff"] < 0
    text = sentence(guns)
    assert "Confidence low (cases:" in text and "rus_fire_rate (judgment, −)" in text
    assert h["most"]["policy"] in nk.manifest["policies"][1:]
    debate = nk.cases[(nk.cases["claim"] == "nuclear_debate") & (nk.cases["policy"] == "status-quo")]
    by = debate.set_index("case")["probability"]
    assert by["nuclear-debate-rise-0.15"] >= by["nuclear-debate-rise-0.25"]
    misread = nk.cases[(nk.cases["claim"] == "secrecy_misleads") & (nk.cases["policy"] == "status-quo")]
    by = misread.set_index("case")["probability"]
    written = nk.claims.set_index(["claim", "policy"]).loc[("secrecy_misleads", "status-quo"), "probability"]
    assert by["misjudged-either-way"] >= written > 0  # counting late and missed decisions too


def test_skipping_the_declared_cases_never_raises_the_confidence(nk) -> None:
    # nk-russia-2023 declares cases: without them the basis must not read "none declared",
    # and no claim may be rated higher than when the cases run on the same runs
    res = spillover.run("nk-russia-2023", runs=300, seed=11)
    h = res.extra["analysis"]["headline"]
    assert h["cases"] == [] and res.cases.empty
    declared = len(nk.scenario_summary["cases"])
    assert all(j["confidence"]["basis"][0]["value"] == f"{declared} declared but not run"
               for j in h["judgments"] if not j["by_construction"])
    rank = {"low": 0, "moderate": 1, "high": 2}
    ran = {j["claim"]: j["confidence"]["level"] for j in nk.extra["analysis"]["headline"]["judgments"]}
    for j in h["judgments"]:
        if j["confidence"]["level"] is not None and ran[j["claim"]] is not None:
            assert rank[j["confidence"]["level"]] <= rank[ran[j["claim"]]], j["claim"]
    guns = next(j for j in h["judgments"] if j["claim"] == "guns_over_a_year")
    assert guns["confidence"]["level"] == "low"


def test_the_evidence_inputs_fill_the_rule_when_given(nk) -> None:
    ev = {"guns_over_a_year": {"ess": 1500.0, "skill": -0.2}}
    h = headline_sections(nk, None, evidence=ev)["headline"]
    guns = next(j for j in h["judgments"] if j["claim"] == "guns_over_a_year")
    basis = {b["name"]: b for b in guns["confidence"]["basis"]}
    assert basis["ESS"]["level"] == "high" and basis["backtest"]["level"] == "low"
    other = next(j for j in h["judgments"] if j["claim"] == "nuclear_debate")
    assert {b["name"]: b for b in other["confidence"]["basis"]}["ESS"]["value"] == "not available"


def test_with_evidence_the_key_judgments_read_the_posterior_and_its_ess(tmp_path) -> None:
    from spillover.report.html import render_report
    from tests.test_evidence_conditioning import KNOWN, _evidence, _number

    sc = tmp_path / "known-claim.yaml"  # rate ~ normal(30, 5) a day; shipped over 100 days
    sc.write_text(KNOWN.read_text() + "claims:\n  fast:\n    text: Shipments exceed 3,300\n"
                  "    expr: shipped.b_a > 3300\n", encoding="utf-8")
    res = spillover.run(sc, runs=2000, seed=3, evidence=[_evidence(tmp_path, _number(1750, 100))])
    post = res.extra["evidence"].claims.set_index("claim").loc["fast"]
    j = res.extra["analysis"]["headline"]["judgments"][0]
    assert post["posterior"] > post["prior"] + 0.2  # the evidence (rate near 34 a day) moves it
    assert j["probability"] == pytest.approx(post["posterior"]) and j["lo"] == pytest.approx(post["lo"])
    assert j["prior"]["probability"] == pytest.approx(post["prior"])
    ess = {b["name"]: b for b in j["confidence"]["basis"]}["ESS"]
    assert ess["value"] == f"{post['ess']:,.0f}" and ess["level"] is not None
    text = sentence(j)
    assert f"given the evidence (ESS {post['ess']:,.0f} of 2,000 runs" in text
    assert "ESS, backtest: not available" not in text and "backtest: not available" in text
    assert "given the evidence (ESS" in render_report(res)


def test_the_cli_prints_the_first_screen_first(tmp_path) -> None:
    done = cli("run", str(MINI), "--runs", "60", "--seed", "3", "--out", str(tmp_path / "r"), "--no-report")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert out.startswith("Key judgments (policy status-quo)")
    assert out.index("Key judgments") < out.index("Claims (probability over runs")
    assert "Confidence" in out and "What the model leaves out" not in out  # mini declares none
    head = json.loads((tmp_path / "r" / "analysis" / "headline.json").read_text())
    assert head["policy"] == "status-quo"


def test_the_report_opens_with_the_key_judgments(nk, tmp_path) -> None:
    from spillover.report.html import render_report

    page = render_report(nk)
    first = page.index('id="key-judgments"')
    assert first < page.index('id="claims-by-case"') < page.index('<section id="claims"')
    assert page.index("<h1>") < first
    assert "fire-rate-ukrainian" in page and 'id="drivers"' in page and 'id="cases"' in page
    assert "by construction" in page
    from spillover.analysis.confidence import RULE

    rule = page.index('id="confidence-rule"')
    assert first < rule < page.index('id="claims-by-case"')  # the rule is stated under the judgments
    assert html.escape(RULE, quote=False).split(" (")[0] in page


def test_the_report_grades_its_own_basis(nk) -> None:
    from spillover.report.html import render_report

    page = render_report(nk)
    basis = page[page.index('id="graded-basis"'):]
    basis = basis[:basis.index("</p>")]
    assert "perera-2024" in basis and "<strong>F</strong> (reliability cannot be judged)" in basis
    assert "no source" in basis  # the reason for the grade
    assert "usually reliable" in basis and "fairly reliable" in basis  # the outlets' grades
    assert page.index('id="graded-basis"') < page.index('<section id="claims"')
    assert page.count('class="badge grade"') == len(nk.scenario_summary["sources"])
