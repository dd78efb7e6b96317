"""How a conditioned run shows its observations: bounds, yes/no reports, edge percentiles,
the evidence file's name, and --resample when it was not needed."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from rich.console import Console

from spillover.cli.render_evidence import render_fit
from spillover.report.sections.evidence import evidence
from spillover.scenario.load import builtin_evidence

BUILTIN = str(builtin_evidence("nk-russia-2023"))


def _cond() -> SimpleNamespace:
    fit = pd.DataFrame([
        {"observation": "bound", "date": "2023-10-01", "form": "more_than", "reported": 2000.0, "grade": "B2",
         "used": True, "prior_percentile": 0.0, "percentile": 0.0, "where": f"{BUILTIN}:25"},
        {"observation": "flag", "date": "2024-01-01", "form": "flag", "reported": 0.0, "grade": "B2",
         "used": True, "prior_percentile": 0.5, "percentile": 0.5, "where": f"{BUILTIN}:60"},
        {"observation": "edge", "date": "2024-02-01", "form": "number", "reported": 5000.0, "grade": "C2",
         "used": True, "prior_percentile": 0.004, "percentile": 0.006, "where": f"{BUILTIN}:40"},
    ])
    empty = pd.DataFrame(columns=["claim", "policy", "prior", "prior_lo", "prior_hi", "posterior", "lo",
                                  "hi", "word"])
    return SimpleNamespace(fit=fit, confident=True, claims=empty, inputs=pd.DataFrame(columns=["input"]),
                           ess=500.0, runs=1000, used=["bound", "flag", "edge"], worst=[], resampled=None,
                           as_of=None, summary=lambda: {"as_of": None, "ess_floor": 200})


def _page(cond: Any) -> Any:
    return SimpleNamespace(result=SimpleNamespace(extra={"evidence": cond}),
                           manifest={"evidence": {"files": [{"file": BUILTIN, "sha256": "0" * 64}]}})


def test_the_report_shows_bounds_yes_no_edges_and_the_built_in_name() -> None:
    d = evidence(_page(_cond()))
    assert d is not None
    rows = {r["observation"]: r for r in d["fit"]}
    assert rows["bound"]["reported"] == "> 2,000" and rows["bound"]["posterior"] == "not scored"
    assert rows["flag"]["reported"] == "no"
    assert rows["edge"]["prior"] == "<1% !" and rows["edge"]["posterior"] == "<1% !"
    assert d["files"][0]["file"] == "nk-russia-2023 (built-in)"
    assert all(r["where"].startswith("nk-russia-2023 (built-in):") for r in d["fit"])
    folder = str(Path(BUILTIN).parent)
    assert not any(os.sep + "site-packages" in str(r) or folder in str(r) for r in d["fit"])


def test_the_terminal_flags_an_edge_percentile_and_shows_a_bound() -> None:
    console = Console(width=200, record=True)
    console.print(render_fit(_cond()))
    text = console.export_text()
    edge = next(line for line in text.splitlines() if "edge" in line)
    bound = next(line for line in text.splitlines() if "bound" in line)
    flag = next(line for line in text.splitlines() if "flag" in line and "2024" in line)
    assert "<1% !" in edge and "> 2,000" in bound and "not scored" in bound and " no " in f"{flag} "


def test_resample_says_when_it_was_not_needed(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from spillover.cli.main import app

    known = Path(__file__).parent / "evidence" / "known.yaml"
    ev = tmp_path / "wide.evidence.yaml"
    ev.write_text("sources:\n  c: {citation: A count}\nobservations:\n  o:\n    date: 2024-02-19\n"
                  "    source: c\n    grade: A1\n    measures: shipped(b_a)\n    value: 1500\n"
                  "    error: {normal: 2000}\n")
    got = CliRunner().invoke(app, ["run", str(known), "--evidence", str(ev), "--resample", "--runs", "300",
                                   "--out", str(tmp_path / "out"), "--no-report"])
    assert got.exit_code == 0, got.output
    assert "--resample was not needed: the effective sample size" in got.output


def test_an_uncertain_date_moved_by_the_evidence_is_shown_as_dates() -> None:
    from spillover.cli.render_evidence import render_inputs_moved
    from spillover.scenario.load import load_scenario
    from spillover.scenario.summary import summarize

    summary = summarize(load_scenario("iran-russia-2022"))
    dated = [i["name"] for i in summary["inputs"] if i["date"]]
    assert dated, "iran-russia-2022 has an uncertain date"
    cond = _cond()
    cond.inputs = pd.DataFrame([{"input": dated[0], "prior_q50": 198.0, "prior_q05": 152.0,
                                 "prior_q95": 244.0,
                                 "posterior_q50": 200.0, "posterior_q05": 160.0, "posterior_q95": 230.0,
                                 "shift": 0.02, "narrowing": 0.2}])
    console = Console(width=200, record=True)
    console.print(render_inputs_moved(cond, summary=summary))
    start = __import__("datetime").date.fromisoformat(summary["start"])
    day = (start + __import__("datetime").timedelta(days=198)).isoformat()
    text = console.export_text()
    assert day in text and "198 (" not in text, text
    page = SimpleNamespace(result=SimpleNamespace(extra={"evidence": cond}, scenario_summary=summary),
                           manifest={})
    d = evidence(page)
    assert d is not None and d["inputs"][0]["prior"].startswith(day)


def test_one_observation_is_singular() -> None:
    from spillover.cli.render_evidence import ess_line

    cond = _cond()
    cond.used = ["bound"]
    assert "1 observation, effective" in ess_line(cond)


@pytest.mark.parametrize(("change", "says", "not_says"), [
    ({"runs": 100, "ess": 40.0}, "run at least 200 runs", "--resample"),
    ({"used": [], "ess": 1000.0}, "choose a later --as-of", "--resample"),
    ({"resampled": {"stages": 2, "simulated_runs": 600, "prior_ess": 30.0}, "ess": 150.0}, "run more runs",
     "add --resample"),
    ({"ess": 150.0}, "run more runs or add --resample", "at least"),
])
def test_below_the_floor_the_remedy_fits_the_run(change: dict, says: str, not_says: str) -> None:
    from spillover.cli.render_evidence import ess_line

    cond = _cond()
    cond.confident = False
    for k, v in change.items():
        setattr(cond, k, v)
    line = ess_line(cond)
    assert says in line and not_says not in line, line
