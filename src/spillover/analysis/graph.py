"""Orders of effect: the influence graph of a scenario, each node's order, the strongest chains.

The graph's nodes are the scenario's transfers (the sources), signals, indicators and
events; its edges are what carries an effect from one to the next:

============== ======================= ============================================
edge kind      from → to               meaning
============== ======================= ============================================
``flow``       transfer → signal       the signal measures the transfer's flow
``stock``      transfer → signal       the transfer fills (+) or drains (−) a stock, or feeds a
                                       production line that fills one (kits for a licensed line)
``fire``       transfer → signal       the transfer feeds a demand: its fire (+) and shortfall
                                       (−), and, through a coupled demand, what gets through
                                       (+ into the attacker, − into the defender)
``compensation`` transfer → transfer   a counter-flow paid per unit of its parents (or of what a
                                       line makes from the transfer's kits)
``weight``     signal/indicator →      an indicator input (a weight, with its range)
               indicator
``trigger``    indicator → event       the event fires on the indicator
``flag``       event → signal          the event's 0/1 signal
``start``      event → transfer/signal the event starts a dormant transfer, or a production line
                                       (through the stock it fills)
``add_beta``   event → indicator       the event shifts an indicator's base level
``scale_weight`` event → indicator     the event scales one of the indicator's weights
``scale_rate`` event → transfer/signal the event scales a transfer, or a production or
                                       demand (through the stock it changes)
============== ======================= ============================================

An edge into a signal costs nothing; every other edge is one step. So the *order* of a
node from a transfer (its shortest path length) counts the indicators, events and caused
transfers along the way: an indicator reading a transfer's own flow is first order, and
one reading a compensation paid for that transfer is second order.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable
from dataclasses import dataclass

import networkx as nx
import pandas as pd

from spillover.scenario.model import Effect, Scenario
from spillover.scenario.quantity import Quantity

__all__ = [
    "Chain",
    "channels",
    "default_steps",
    "influence_graph",
    "node",
    "order_table",
    "orders",
    "roots",
    "strongest_chains",
]

MAX_PATHS = 20_000
"""Most simple paths enumerated per source transfer when looking for chains."""


def node(kind: str, ident: str) -> str:
    """The graph key of a scenario element, e.g. ``node("indicator", "kor_threat")``.

    >>> node("signal", "rus_tech")
    'signal:rus_tech'
    """
    return f"{kind}:{ident}"


def _split(key: str) -> tuple[str, str]:
    kind, _, ident = key.partition(":")
    return kind, ident


def _range(q: Quantity, scale: float = 1.0) -> tuple[float, float]:
    lo, hi = q.support()
    if not (math.isfinite(lo) and math.isfinite(hi)):
        import numpy as np

        lo, hi = (float(x) for x in q.ppf(np.array([0.05, 0.95])))
    a, b = lo * scale, hi * scale
    return (min(a, b), max(a, b))


def _add_edge(g: nx.DiGraph, u: str, v: str, kind: str, weight: float, rng: tuple[float, float],
              strength: float | None = None) -> None:
    """Add ``u → v``; the length is 0 into a signal and 1 otherwise (see the module doc)."""
    length = 0 if _split(v)[0] == "signal" else 1
    sign = 1 if weight >= 0 else -1
    g.add_edge(u, v, kind=kind, weight=weight, lo=rng[0], hi=rng[1], sign=sign, length=length,
               strength=abs(weight) if strength is None else strength)


def _add_nodes(g: nx.DiGraph, sc: Scenario) -> None:
    for f, t in sc.transfers.items():
        g.add_node(node("transfer", f), kind="transfer", id=f, label=t.description or f, dormant=t.dormant)
    for s, sig in sc.signals.items():
        g.add_node(node("signal", s), kind="signal", id=s, label=sig.description or s, dormant=False,
                   source=sig.kind)
    for k, ind in sc.indicators.items():
        g.add_node(node("indicator", k), kind="indicator", id=k, label=ind.name, dormant=False)
    for e, ev in sc.events.items():
        g.add_node(node("event", e), kind="event", id=e, label=ev.name, dormant=False, calendar=ev.calendar)


def _stock_signals(sc: Scenario, actor: str, munition: str, form: str = "stock") -> list[str]:
    """Signals reading the (actor, munition) pair: its stock, or its fire, shortfall or leaked units."""
    out = []
    for s, sig in sc.signals.items():
        ref = getattr(sig, form)
        if ref is not None and (ref.actor, ref.munition) == (actor, munition):
            out.append(s)
    return out


def _made_from(sc: Scenario, actor: str, munition: str) -> list[tuple[str, str]]:
    """The production lines of ``actor`` that consume ``munition``: (actor, output)."""
    return [(actor, m) for m, prod in sc.production.get(actor, {}).items()
            if prod.input is not None and prod.input.munition == munition]


def _fire_edges(g: nx.DiGraph, sc: Scenario, src: str, actor: str, munition: str, sign: float) -> None:
    """A flow into (actor, munition): its fire (+) and shortfall (−) signals, and what gets
    through the coupled demands that follow its fire (+) or that it supplies (−)."""
    for form, s_sign in (("fired", sign), ("shortfall", -sign)):
        for s in _stock_signals(sc, actor, munition, form):
            _add_edge(g, src, node("signal", s), "fire", s_sign, (s_sign, s_sign))
    for a, by in sc.demand.items():
        for m, d in by.items():
            fol = d.follows
            follows_it = fol is not None and fol.fired is not None and \
                (fol.fired.actor, fol.fired.munition) == (actor, munition)
            for s in _stock_signals(sc, a, m, "leaked") if follows_it else []:
                _add_edge(g, src, node("signal", s), "fire", sign, (sign, sign))
    for s in _stock_signals(sc, actor, munition, "leaked") if sc.demand.get(actor, {}).get(munition) else []:
        _add_edge(g, src, node("signal", s), "fire", -sign, (-sign, -sign))


def _transfer_edges(g: nx.DiGraph, sc: Scenario) -> None:
    one = (1.0, 1.0)
    for f, t in sc.transfers.items():
        src = node("transfer", f)
        comp = t.compensation
        for parent in comp.parents if comp else []:
            _add_edge(g, node("transfer", parent), src, "compensation", 1.0, one)
        for s, sig in sc.signals.items():
            if sig.flow == f:
                _add_edge(g, src, node("signal", s), "flow", 1.0, one)
        for s in _stock_signals(sc, t.recipient, t.munition):
            _add_edge(g, src, node("signal", s), "stock", 1.0, one)
        for s in _stock_signals(sc, t.supplier, t.munition):
            _add_edge(g, src, node("signal", s), "stock", -1.0, (-1.0, -1.0))
        _fire_edges(g, sc, src, t.recipient, t.munition, 1.0)
        for a, m in _made_from(sc, t.recipient, t.munition):
            for s in _stock_signals(sc, a, m):
                _add_edge(g, src, node("signal", s), "stock", 1.0, one)
            _fire_edges(g, sc, src, a, m, 1.0)
            for f2, t2 in sc.transfers.items():
                paid = t2.compensation.produced if t2.compensation else None
                if paid is not None and (paid.actor, paid.munition) == (a, m):
                    _add_edge(g, src, node("transfer", f2), "compensation", 1.0, one)


def _weight_edges(g: nx.DiGraph, sc: Scenario) -> None:
    for k, ind in sc.indicators.items():
        gain = ind.gain.nominal if ind.gain is not None else 1.0
        for j, q in ind.inputs.items():
            src = node("indicator", j) if j in sc.indicators else node("signal", j)
            _add_edge(g, src, node("indicator", k), "weight", q.nominal * gain, _range(q, gain))


def _effect_edge(g: nx.DiGraph, sc: Scenario, ev: str, eff: Effect) -> None:
    src = node("event", ev)
    if eff.start is not None:
        _add_edge(g, src, node("transfer", eff.start), "start", 1.0, (1.0, 1.0))
    elif eff.start_production is not None:
        line = eff.start_production
        for s in _stock_signals(sc, line.actor, line.munition):
            _add_edge(g, src, node("signal", s), "start", 1.0, (1.0, 1.0))
    elif eff.add_beta is not None:
        q = eff.add_beta.value
        _add_edge(g, src, node("indicator", eff.add_beta.indicator), "add_beta", q.nominal, _range(q))
    elif eff.scale_weight is not None:
        sw = eff.scale_weight
        w = sc.indicators[sw.indicator].inputs[sw.input].nominal
        change = (sw.factor.nominal - 1.0) * (1 if w >= 0 else -1)
        _add_edge(g, src, node("indicator", sw.indicator), "scale_weight", change, _range(sw.factor),
                  strength=1.0)
    elif eff.scale_rate is not None:
        sr = eff.scale_rate
        change = sr.factor.nominal - 1.0
        if sr.transfer is not None:
            _add_edge(g, src, node("transfer", sr.transfer), "scale_rate", change, _range(sr.factor),
                      strength=1.0)
            return
        ref = sr.production or sr.demand
        assert ref is not None
        sign = 1.0 if sr.production is not None else -1.0
        for s in _stock_signals(sc, ref.actor, ref.munition):
            _add_edge(g, src, node("signal", s), "scale_rate", sign * change, _range(sr.factor),
                      strength=1.0)


def _event_edges(g: nx.DiGraph, sc: Scenario) -> None:
    for e, ev in sc.events.items():
        if ev.trigger.indicator is not None:  # a dated event has no trigger: nothing reaches it
            trigger = node("indicator", ev.trigger.indicator)
            _add_edge(g, trigger, node("event", e), "trigger", 1.0, (1.0, 1.0))
        for s, sig in sc.signals.items():
            if sig.event == e:
                _add_edge(g, node("event", e), node("signal", s), "flag", 1.0, (1.0, 1.0))
        for eff in ev.effects:
            _effect_edge(g, sc, e, eff)


def influence_graph(sc: Scenario) -> nx.DiGraph:
    """The scenario's influence graph (see the module docstring for nodes and edges).

    Node attributes: ``kind``, ``id``, ``label``, ``dormant``. Edge attributes: ``kind``,
    ``weight`` (nominal, signed: a weight times the indicator's nominal gain, an
    ``add_beta`` value, or factor − 1 for scalings), ``lo``/``hi`` (its range), ``sign``,
    ``strength`` (|weight| for weights and ``add_beta``, 1 for structural edges) and
    ``length`` (0 into a signal, else 1).

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> g = influence_graph(load_scenario("nk-russia-2023"))
    >>> g.edges["signal:rus_tech", "indicator:kor_threat"]["weight"]
    1.5
    """
    g = nx.DiGraph(scenario=sc.name)
    _add_nodes(g, sc)
    _transfer_edges(g, sc)
    _weight_edges(g, sc)
    _event_edges(g, sc)
    return g


def orders(g: nx.DiGraph) -> dict[str, dict[str, int]]:
    """Order of every reachable node from each transfer: ``{transfer: {node: order}}``.

    >>> from spillover.scenario.load import load_scenario
    >>> o = orders(influence_graph(load_scenario("nk-russia-2023")))
    >>> o["prk_rus_shells"]["indicator:ukr_pressure"], o["prk_rus_shells"]["indicator:kor_threat"]
    (1, 2)
    """
    out: dict[str, dict[str, int]] = {}
    for key, data in g.nodes(data=True):
        if data["kind"] == "transfer":
            dist = nx.single_source_dijkstra_path_length(g, key, weight="length")
            out[data["id"]] = {n: int(d) for n, d in dist.items()}
    return out


def order_table(g: nx.DiGraph) -> pd.DataFrame:
    """One row per indicator and event: its order from each transfer and overall.

    Columns: ``kind``, ``id``, ``name``, ``order`` (the smallest order from a root
    transfer, see :func:`roots`; NaN when none reaches it), ``from`` (that transfer) and
    one column ``order.<transfer>`` per transfer.

    >>> from spillover.scenario.load import load_scenario
    >>> t = order_table(influence_graph(load_scenario("nk-russia-2023")))
    >>> float(t.set_index("id").loc["chn_rus_friction", "order"])
    3.0
    """
    by = orders(g)
    active = roots(g)
    rows = []
    for key, data in g.nodes(data=True):
        if data["kind"] not in ("indicator", "event"):
            continue
        row: dict[str, object] = {"kind": data["kind"], "id": data["id"], "name": data["label"]}
        reach = {f: by[f][key] for f in active if key in by[f]}
        best = min(reach, key=lambda f: reach[f]) if reach else None
        row["order"] = float(reach[best]) if best else math.nan
        row["from"] = best
        for f in by:
            row[f"order.{f}"] = float(by[f][key]) if key in by[f] else math.nan
        rows.append(row)
    cols = ["kind", "id", "name", "order", "from", *(f"order.{f}" for f in by)]
    frame = pd.DataFrame(rows, columns=cols)
    return frame.sort_values(["order", "kind", "id"], kind="stable").reset_index(drop=True)


def roots(g: nx.DiGraph) -> list[str]:
    """The transfers that flow by themselves: neither dormant nor paid for another transfer (or
    for what a line makes from another transfer's kits).

    >>> from spillover.scenario.load import load_scenario
    >>> roots(influence_graph(load_scenario("nk-russia-2023")))
    ['prk_rus_shells', 'prk_rus_srbm', 'west_ukr_shells', 'prk_rus_spg170', 'prk_rus_mrl240']
    """
    out = []
    for key, data in g.nodes(data=True):
        paid = any(g.edges[u, key]["kind"] == "compensation" for u in g.predecessors(key))
        if data["kind"] == "transfer" and not data["dormant"] and not paid:
            out.append(data["id"])
    return out


def channels(g: nx.DiGraph) -> list[tuple[str, str]]:
    """Every spillover channel: ``(indicator, input)`` for each weight edge, in graph order.

    >>> from spillover.scenario.load import load_scenario
    >>> channels(influence_graph(load_scenario("nk-russia-2023")))[0]
    ('ukr_pressure', 'prk_shells')
    """
    return [(_split(v)[1], _split(u)[1]) for v, kind in g.nodes(data="kind") if kind == "indicator"
            for u in g.predecessors(v) if g.edges[u, v]["kind"] == "weight"]


@dataclass(frozen=True)
class Chain:
    """A causal chain from a transfer to an indicator or event.

    ``nodes`` are graph keys (see :func:`node`); ``strength`` is the product of the
    edges' strengths (|nominal weight| for weights), ``sign`` the product of their signs.
    """

    nodes: tuple[str, ...]
    strength: float
    sign: int

    @property
    def source(self) -> str:
        return _split(self.nodes[0])[1]

    @property
    def target(self) -> str:
        return self.nodes[-1]

    def first_channel(self) -> tuple[str, str] | None:
        """The first weight edge on the chain, as ``(indicator, input)``, or None."""
        for u, v in itertools.pairwise(self.nodes):
            if _split(v)[0] == "indicator" and _split(u)[0] in ("signal", "indicator"):
                return (_split(v)[1], _split(u)[1])
        return None

    def text(self, show_signals: bool = False) -> str:
        """The chain as ``a → b → c``, signals left out unless ``show_signals``."""
        keep = [n for n in self.nodes if show_signals or _split(n)[0] != "signal"]
        return " → ".join(_split(n)[1] for n in keep)


def _path_value(g: nx.DiGraph, path: list[str]) -> tuple[float, int]:
    strength, sign = 1.0, 1
    for u, v in itertools.pairwise(path):
        e = g.edges[u, v]
        strength *= e["strength"]
        sign *= e["sign"]
    return strength, sign


def _targets(g: nx.DiGraph, kinds: Iterable[str]) -> list[str]:
    return [n for n, k in g.nodes(data="kind") if k in kinds]


def default_steps(g: nx.DiGraph) -> int:
    """The longest chain :func:`strongest_chains` considers by default: deepest order + 2."""
    deepest = order_table(g)["order"].max()
    return int(deepest) + 2 if pd.notna(deepest) else 2


def _steps(g: nx.DiGraph, path: list[str]) -> int:
    return sum(g.edges[u, v]["length"] for u, v in itertools.pairwise(path))


def strongest_chains(g: nx.DiGraph, top: int = 10, per_target: bool = True,
                     targets: Iterable[str] | None = None, sources: Iterable[str] | None = None,
                     max_steps: int | None = None) -> list[Chain]:
    """The strongest causal chains from the transfers, ranked by the product of |weights|.

    The product grows with every weight above 1, so chains that loop back through
    events would always win; chains are therefore bounded to ``max_steps`` steps.

    Parameters
    ----------
    top
        How many chains to return.
    per_target
        Keep only the strongest chain for each (transfer, target) pair.
    targets
        Graph keys to end at (default: every indicator and event).
    sources
        Transfers to start from (default: :func:`roots`).
    max_steps
        Longest chain, in steps (default: :func:`default_steps`).

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> best = strongest_chains(influence_graph(load_scenario("nk-russia-2023")), top=1)[0]
    >>> best.text()
    'prk_rus_shells → rus_prk_tech → kor_threat → kor_nuclear_hedging → regional_proliferation → chn_alarm → chn_rus_friction'
    >>> round(best.strength, 2), best.sign
    (165.38, 1)
    """  # noqa: E501
    ends = set(targets) if targets is not None else set(_targets(g, ("indicator", "event")))
    steps = default_steps(g) if max_steps is None else max_steps
    found: dict[tuple[str, str], Chain] = {}
    chains: list[Chain] = []
    for src in (node("transfer", f) for f in (roots(g) if sources is None else sources)):
        for count, path in enumerate(nx.all_simple_paths(g, src, ends, cutoff=3 * steps + 2)):
            if count >= MAX_PATHS:
                break
            if _steps(g, path) > steps:
                continue
            strength, sign = _path_value(g, path)
            chain = Chain(tuple(path), strength, sign)
            key = (src, path[-1])
            if not per_target:
                chains.append(chain)
            elif key not in found or strength > found[key].strength:
                found[key] = chain
    ranked = sorted(found.values() if per_target else chains,
                    key=lambda c: (-c.strength, len(c.nodes), c.nodes))
    return ranked[:top]
