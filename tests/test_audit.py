"""The audit of a scenario's numbers (spillover.audit, `spillover scenarios audit`) and the
`rationale:` of the plain numbers it reads."""

from __future__ import annotations

import math

import pandas as pd
import pytest
import yaml

from spillover.analysis.audit import AUDIT_COLUMNS
from spillover.analysis.drivers import label_shares
from spillover.api import audit
from spillover.scenario.audit import numbers
from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import load_scenario
from tests.conftest import MINI
from tests.test_cli import cli


def _mini(tmp_path, change) -> str:
    doc = yaml.safe_load(MINI.read_text())
    change(doc)
    path = tmp_path / "mini.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return str(path)


def test_a_plain_number_is_a_judgment_only_with_a_rationale(tmp_path) -> None:
    plain = numbers(load_scenario(MINI))
    rows = plain[plain["path"].str.startswith(("claims.", "policies."))]
    assert len(rows) and set(rows["tag"]) == {"unsourced"}

    def explain(doc):
        doc["claims"]["lasting"]["rationale"] = "a month is what the argument calls lasting"
        doc["policies"]["capped"]["rationale"] = "half the flow, enforced in full"

    t = numbers(load_scenario(_mini(tmp_path, explain))).set_index("path")
    assert t.loc["claims.lasting.expr", "tag"] == "judgment"
    assert t.loc["claims.lasting.expr", "low"] == 30
    assert t.loc["claims.lasting.expr", "rationale"] == "a month is what the argument calls lasting"
    assert t.loc[["policies.capped.levers.cap", "policies.capped.levers.sanctions"], "tag"].tolist() == \
        ["judgment", "judgment"]
    assert t.loc["policies.open.levers.transparency", "tag"] == "unsourced"


def test_an_empty_rationale_is_a_located_error(tmp_path) -> None:
    def empty(doc):
        doc["claims"]["lasting"]["rationale"] = "  "

    with pytest.raises(ScenarioError) as info:
        load_scenario(_mini(tmp_path, empty))
    assert "rationale" in str(info.value) and "mini.yaml:" in str(info.value)


def test_every_quantity_of_the_file_is_listed_once_with_its_tag() -> None:
    sc = load_scenario("nk-russia-2023")
    t = numbers(sc)
    assert set(t["tag"]) == {"sourced", "judgment", "default"} and t["path"].is_unique  # valid in strict mode
    defaults = t[t["tag"] == "default"]
    assert "transfers.prk_rus_srbm.loss" in set(defaults["path"]) and (defaults["low"] == 0).all()
    by_path = t.set_index("path")
    fire = by_path.loc["demand.RUS.shell152.piecewise.2.rate"]  # the blend from 2024
    assert fire["tag"] == "judgment" and fire["low"] < 10000 < fire["high"] and math.isfinite(fire["high"])
    assert by_path.loc["demand.RUS.shell152.piecewise.1.rate", "tag"] == "sourced"  # RUSI's December
    assert by_path.loc["demand.RUS.shell152.piecewise.1.from", "tag"] == "judgment"  # the day fire rose


def test_label_shares_sum_to_one_and_are_none_without_drivers() -> None:
    d = pd.DataFrame({"score": [0.5, 0.25, 0.25], "label": ["judgment", "sourced", "unsourced"]})
    shares = label_shares(d)
    assert shares == {"sourced": 0.25, "judgment": 0.5, "unsourced": 0.25}
    assert label_shares(d.iloc[:0]) is None


def test_audit_gives_each_claim_its_judgment_share() -> None:
    t = audit(MINI, runs=300, seed=2)
    assert tuple(t.columns) == AUDIT_COLUMNS
    claims = t[t["kind"] == "claim"].set_index("path")
    assert list(claims.index) == ["claims.lasting", "claims.helps"]
    for row in claims.itertuples():
        if not math.isnan(row.judgment_share):
            assert 0 <= row.judgment_share <= 1 and 0 <= row.sourced_share <= 1
            assert row.judgment_share + row.sourced_share <= 1 + 1e-12
    assert t[t["kind"] == "number"]["judgment_share"].isna().all()
    assert t.equals(audit(MINI, runs=300, seed=2))  # seeded: the same table


def test_the_command_prints_numbers_and_claims() -> None:
    done = cli("scenarios", "audit", str(MINI), "--runs", "200")
    assert done.returncode == 0, done.stderr
    assert "Every number of" in done.stdout and "judgment share" in done.stdout
    assert "lasting" in done.stdout and "claims.lasting.expr" in done.stdout
    bad = cli("scenarios", "audit", "no-such-scenario.yaml")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and bad.stderr.startswith("error:")
