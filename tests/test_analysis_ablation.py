"""Attribution by ablation: one paired batch, known effects, chains cross-checked."""

from __future__ import annotations

import numpy as np
import pytest

from spillover.analysis import ablation as A
from spillover.analysis.ablation import Item, ablate, ablation_items, check_chains, parse_item
from spillover.analysis.graph import influence_graph, strongest_chains


@pytest.fixture(scope="module")
def res(mini):
    return ablate(mini, runs=40, seed=5)


def test_items_are_every_transfer_and_channel(mini) -> None:
    labels = [it.label for it in ablation_items(mini)]
    assert labels[:3] == ["s_r_shells", "r_s_payment", "o_r_aid"]
    assert "pressure ← threat" in labels and len(labels) == 3 + 5
    assert parse_item(mini, "pressure<-threat") == Item("channel", channel=("pressure", "threat"))
    with pytest.raises(ValueError, match="did you mean 'pressure<-threat'"):
        parse_item(mini, "pressure<-thret")


def test_all_ablations_run_in_one_batch(mini, monkeypatch) -> None:
    calls = []
    real = A.run_rows

    def counting(batch, *args, **kwargs):
        calls.append(len(batch.variants))
        return real(batch, *args, **kwargs)

    monkeypatch.setattr(A, "run_rows", counting)
    ablate(mini, runs=8, seed=1)
    assert calls == [1 + len(ablation_items(mini))]


def test_removing_the_transfer_removes_its_days_of_fire(res) -> None:
    base = res.outcomes[res.outcomes["policy"] == res.policy]["days_of_fire.s_r_shells"].to_numpy()
    row = res.effect("s_r_shells", "days_of_fire.s_r_shells")
    assert row["n"] == 40 and row["share_lower"] == pytest.approx(np.mean(base > 0))
    assert row["mean_diff"] == pytest.approx(-base.mean())
    assert row["hi"] < 0


def test_a_closed_channel_has_exactly_no_effect(res) -> None:
    # Under status-quo the channel lever is 0, so its signal is 0 and its weight never counts.
    sub = res.effects[res.effects["item"] == "pressure ← channel"]
    assert len(sub) > 40
    assert (sub["mean_diff"].fillna(0) == 0).all()


def test_claims_are_compared_as_shares(res) -> None:
    row = res.effect("s_r_shells", "lasting")
    assert row["quantity_kind"] == "claim"
    assert row["mean_diff"] < 0 and -1 <= row["lo"] <= row["hi"] <= 1


def test_ablation_is_paired_and_reproducible(mini) -> None:
    a = ablate(mini, runs=12, seed=9, items=ablation_items(mini, channels_=False))
    b = ablate(mini, runs=12, seed=9, items=ablation_items(mini, channels_=False), chunk_size=5)
    assert a.effects.equals(b.effects)


def test_chain_cross_check(mini, res) -> None:
    chains = strongest_chains(influence_graph(mini), top=3)
    table = check_chains(chains, res)
    assert list(table.columns) == ["chain", "strength", "sign", "removed", "quantity", "mean_diff", "lo",
                                   "hi", "verdict"]
    first = table.iloc[0]
    assert first["removed"] == "pressure ← threat" or first["removed"].startswith("threat ←")
    assert set(table["verdict"]) <= {"confirmed", "opposite", "no clear effect"}
    # Removing the first channel of a positive chain to threat's peak lowers it.
    to_threat = table[table["quantity"] == "peak.threat"]
    assert (to_threat["verdict"] == "confirmed").all()


def test_nothing_to_ablate_is_refused(mini) -> None:
    with pytest.raises(ValueError, match="nothing to ablate"):
        ablate(mini, runs=4, items=[])
