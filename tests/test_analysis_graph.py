"""Orders of effect: the influence graph, shortest-path orders and the strongest chains."""

from __future__ import annotations

import itertools
import math

import pytest

from spillover.analysis.graph import (
    channels,
    influence_graph,
    node,
    order_table,
    orders,
    roots,
    strongest_chains,
)
from spillover.scenario.load import load_scenario


@pytest.fixture(scope="module")
def nk():
    return load_scenario("nk-russia-2023")


def test_mini_graph_has_every_kind_of_edge(mini) -> None:
    g = influence_graph(mini)
    kinds = {k for _, _, k in g.edges(data="kind")}
    assert kinds == {"flow", "stock", "compensation", "weight", "trigger", "flag", "start", "add_beta",
                     "scale_weight", "scale_rate"}
    # A weight edge carries its nominal value and the range of its distribution.
    e = g.edges[node("signal", "shells"), node("indicator", "threat")]
    assert (e["weight"], e["lo"], e["hi"], e["sign"]) == (1.5, 1.0, 2.0, 1)
    # The channel lever lowers pressure; the supplier's stock falls as it ships.
    assert g.edges[node("signal", "channel"), node("indicator", "pressure")]["sign"] == -1
    assert g.edges[node("transfer", "o_r_aid"), node("signal", "r_cover")]["sign"] == 1
    # A scale_rate on a production reaches the stock signal of that (actor, munition).
    assert g.has_edge(node("event", "r_rattled"), node("signal", "r_cover"))


def test_mini_orders_are_known(mini) -> None:
    o = orders(influence_graph(mini))["s_r_shells"]
    got = {k.partition(":")[2]: v for k, v in o.items() if k.startswith(("indicator:", "event:"))}
    # threat reads the shells' own flow; pressure reads threat; o_helps fires on pressure;
    # hostility reads the event's flag; r_rattled fires on threat.
    assert got == {"threat": 1, "pressure": 2, "r_rattled": 2, "o_helps": 3, "hostility": 4}
    # The payment is one step further than the shells (a compensation is a consequence).
    assert o[node("transfer", "r_s_payment")] == 1 and o[node("signal", "payment")] == 1


def test_roots_leave_out_dormant_and_compensation_transfers(mini, nk) -> None:
    assert roots(influence_graph(mini)) == ["s_r_shells"]
    assert roots(influence_graph(nk)) == ["prk_rus_shells", "prk_rus_srbm", "west_ukr_shells",
                                          "prk_rus_spg170", "prk_rus_mrl240"]


def test_nk_orders_follow_the_article(nk) -> None:
    t = order_table(influence_graph(nk)).set_index("id")
    # First order: the battlefield; technology paid for the shells reaches Seoul one step later.
    assert t.loc["ukr_pressure", "order"] == 1 and t.loc["ukr_pressure", "from"] == "prk_rus_shells"
    assert t.loc["kor_threat", "order.prk_rus_shells"] == 2
    assert t.loc["kor_nuclear_hedging", "order"] == 2
    assert t.loc["regional_proliferation", "order"] == 3
    assert t.loc["chn_opposes_russia", "order"] == 4
    # Western supply to Ukraine reaches no indicator: no flow or stock signal reads it.
    assert math.isnan(t.loc["kor_threat", "order.west_ukr_shells"])


def test_strongest_chain_is_the_articles_and_its_strength_is_the_product(nk) -> None:
    g = influence_graph(nk)
    best = strongest_chains(g, top=3)[0]
    assert best.text() == ("prk_rus_shells → rus_prk_tech → kor_threat → kor_nuclear_hedging → "
                           "regional_proliferation → chn_alarm → chn_rus_friction")
    # Nominal (median) weights: 1.5 · 3 · 3 · 3.5 · 3.5
    assert best.strength == pytest.approx(1.5 * 3 * 3 * 3.5 * 3.5)
    assert best.sign == 1 and best.first_channel() == ("kor_threat", "rus_tech")


def test_chains_are_ranked_and_bounded(mini) -> None:
    g = influence_graph(mini)
    chains = strongest_chains(g, top=50, per_target=False, max_steps=3)
    strengths = [c.strength for c in chains]
    assert strengths == sorted(strengths, reverse=True)
    steps = [sum(g.edges[u, v]["length"] for u, v in itertools.pairwise(c.nodes)) for c in chains]
    assert max(steps) <= 3
    top = strongest_chains(g, top=1, targets=[node("indicator", "pressure")])[0]
    # shells → threat (median 1.5) ties payment → threat (1.5): the shorter chain ranks first.
    assert top.text() == "s_r_shells → threat → pressure"
    assert top.strength == pytest.approx(1.5 * 4)
    assert top.first_channel() == ("threat", "shells")


def test_channels_are_every_indicator_input_in_file_order(mini) -> None:
    assert channels(influence_graph(mini)) == [("threat", "shells"), ("threat", "payment"),
                                               ("pressure", "threat"), ("pressure", "channel"),
                                               ("hostility", "aid")]


def test_a_scenario_without_transfers_has_no_orders_or_chains() -> None:
    import yaml

    from spillover.scenario.load import loads_scenario

    bare = loads_scenario(yaml.safe_dump({
        "name": "bare", "title": "b", "start": "2020-01-01", "horizon": 10, "actors": {"A": {"name": "A"}},
        "munitions": {"m": {"name": "m"}}, "policies": {"only": {}},
    }))
    g = influence_graph(bare)
    assert order_table(g).empty and strongest_chains(g) == [] and channels(g) == []
