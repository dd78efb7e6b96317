"""Dated events model the world's calendar: policies are not compared on them, robustness does
not count them, and no causal chain from a transfer reaches them."""

from __future__ import annotations

from pathlib import Path

from spillover.analysis.graph import influence_graph, node, orders, strongest_chains
from spillover.scenario.load import load_scenario
from spillover.scenario.outcomes import compared_columns, preferred

FEATURES = Path(__file__).parent / "scenarios" / "features.yaml"


def test_policies_are_not_compared_on_dated_events() -> None:
    sc = load_scenario(FEATURES)
    compared = compared_columns(sc)
    assert "fired.alarmed" in compared  # a threshold event is an effect of the transfers
    assert "fired.strike" not in compared and "fired.plant" not in compared
    assert "fired.strike" not in preferred(sc) and "fired.alarmed" in preferred(sc)


def test_no_chain_from_a_transfer_reaches_a_dated_event() -> None:
    g = influence_graph(load_scenario(FEATURES))
    assert g.nodes[node("event", "strike")]["calendar"] and not g.nodes[node("event", "alarmed")]["calendar"]
    assert g.in_degree(node("event", "strike")) == 0 and g.in_degree(node("event", "plant")) == 0
    chains = strongest_chains(g, top=100, per_target=False)
    ends = {c.nodes[-1] for c in chains}
    assert node("event", "alarmed") in ends
    assert not {node("event", "strike"), node("event", "plant")} & {n for c in chains for n in c.nodes}
    reached = {e for by in orders(g).values() for e in by}
    assert node("event", "strike") not in reached and node("event", "alarmed") in reached
