"""Lever kinds: each works through its engine mechanism; a new kind is one registry entry."""

from __future__ import annotations

import numpy as np
import pytest

import spillover
from spillover.scenario import model
from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import loads_scenario

TEMPLATE = """
name: levers
title: One transfer and one lever
start: 2024-01-01
horizon: 20
actors: {{A: {{name: A}}, B: {{name: B}}}}
munitions: {{m: {{name: m}}}}
stocks: {{B: {{m: 100000}}}}
transfers:
  b_a: {{supplier: B, recipient: A, munition: m, rate: 30, covertness: 1}}
levers:
  it: {{kind: {kind}, transfers: [b_a]{extra}}}
policies:
  stop: {{levers: {{it: 0}}}}
  half: {{levers: {{it: 0.5}}}}
  whole: {{levers: {{it: 1}}}}
"""


def _delivered(kind: str, extra: str = "") -> dict[str, float]:
    res = spillover.run(loads_scenario(TEMPLATE.format(kind=kind, extra=extra)), runs=2, seed=1)
    out = res.outcomes.groupby("policy")["delivered.b_a"].first()
    return {p: float(out[p]) for p in ("stop", "half", "whole")}


def test_each_mechanism_acts_as_documented() -> None:
    assert _delivered("cap") == {"stop": 0.0, "half": 300.0, "whole": 600.0}
    assert _delivered("transparency") == {"stop": 600.0, "half": 600.0, "whole": 600.0}  # seen, not cut
    sanctioned = _delivered("sanctions", ", delay: 10, loss: 0.5")
    assert sanctioned["stop"] == 600.0 and sanctioned["whole"] == 30 * 0.5 * 10  # 10 days arrive, half lost


def test_a_new_kind_reusing_a_mechanism_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    """An 'embargo' that works as a cap: declared in LEVER_KINDS alone, no engine change."""
    monkeypatch.setitem(model.LEVER_KINDS, "embargo", model.LeverKind("cap", 1.0, "an embargo's strictness"))
    assert _delivered("embargo") == _delivered("cap")
    sc = loads_scenario(TEMPLATE.format(kind="embargo", extra=""))
    assert sc.levers["it"].default == 1.0 and sc.levers["it"].mechanism == "cap"


def test_an_unknown_kind_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ScenarioError, match=r"unknown kind 'capp' \(did you mean 'cap'\?\)$"):
        loads_scenario(TEMPLATE.format(kind="capp", extra=""))


def test_every_kind_declares_a_mechanism_the_engine_knows() -> None:
    known = {"transparency", "cap", "channel", "sanctions"}
    assert {k.mechanism for k in model.LEVER_KINDS.values()} <= known
    assert all(0.0 <= k.default <= 1.0 and k.description for k in model.LEVER_KINDS.values())
    assert np.isclose(model.LEVER_KINDS["cap"].default, 1.0)
