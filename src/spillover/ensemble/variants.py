"""Variants: a policy's lever values, optionally with transfers or channels removed.

Every variant of a batch runs on the same runs (same sampled inputs, same random draws), so
differences between variants are paired: common random numbers by construction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from spillover.engine.kinds import EffectKind
from spillover.engine.params import Params
from spillover.engine.structure import Structure
from spillover.scenario.errors import did_you_mean
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import WITHOUT_TRANSFERS


@dataclass(frozen=True)
class Variant:
    """One way to run every run of a batch.

    Attributes
    ----------
    name
        Unique within a batch, e.g. ``status-quo`` or ``status-quo|without_transfers``.
    policy
        The policy whose lever values apply.
    ablate_transfers
        Transfers removed (they never ship).
    ablate_inputs
        (indicator, input) channels whose weight is set to zero.
    counterfactual_for
        The policies whose ``*_without_transfers`` outcomes this variant gives.
    """

    name: str
    policy: str
    ablate_transfers: tuple[str, ...] = ()
    ablate_inputs: tuple[tuple[str, str], ...] = ()
    counterfactual_for: tuple[str, ...] = ()

    @property
    def is_policy(self) -> bool:
        """True for a policy as the analyst set it (nothing removed)."""
        return not self.ablate_transfers and not self.ablate_inputs


def check_policies(sc: Scenario, policies: Sequence[str] | None) -> list[str]:
    """The policies to run (all by default), refusing unknown names with a suggestion."""
    if not policies:
        return list(sc.policies)
    for p in policies:
        if p not in sc.policies:
            raise ValueError(f"unknown policy '{p}'{did_you_mean(p, sc.policies)}")
    return list(dict.fromkeys(policies))


def add_policies(sc: Scenario, policies: Mapping[str, Mapping[str, float]]) -> Scenario:
    """A copy of ``sc`` with extra named policies (lever values over the defaults).

    Raises ValueError naming an unknown lever (with the closest name) or a value outside 0..1.
    """
    from spillover.scenario.model import Policy

    added = dict(sc.policies)
    for name, levers in policies.items():
        for lever, value in levers.items():
            if lever not in sc.levers:
                raise ValueError(f"unknown lever '{lever}'{did_you_mean(lever, sc.levers)}")
            if not 0.0 <= float(value) <= 1.0:
                raise ValueError(f"lever '{lever}' takes a value between 0 and 1, got {value}")
        added[name] = Policy(description="set at run time", levers={k: float(v) for k, v in levers.items()})
    return sc.model_copy(update={"policies": added})


def policy_variants(sc: Scenario, policies: Sequence[str], counterfactual: bool = True) -> list[Variant]:
    """Each policy, then (if asked) the policies again with every transfer removed.

    Without transfers, levers that act only on transfers (transparency, caps and sanctions
    that list no production) change nothing, so policies that differ only in those share
    one counterfactual.
    """
    out = [Variant(p, p) for p in policies]
    if not (counterfactual and sc.transfers):
        return out
    groups: dict[tuple[object, ...], list[str]] = {}
    for p in policies:
        levers = sc.policies[p].levers
        key = tuple(repr(levers.get(n, lv.default)) for n, lv in sc.levers.items()
                    if lv.mechanism == "channel" or lv.production)
        groups.setdefault(key, []).append(p)
    every = tuple(sc.transfers)
    out += [Variant(f"{ps[0]}|{WITHOUT_TRANSFERS}", ps[0], ablate_transfers=every,
                    counterfactual_for=tuple(ps)) for ps in groups.values()]
    return out


def lever_periods(sc: Scenario, st: Structure, policy: str) -> tuple[list[int], np.ndarray]:
    """The days a policy's lever values change, from day 0, and (periods, L) values from each.

    A lever set per date window takes the window's value on its days (both ends included)
    and its default on the others.
    """
    spec = sc.policies[policy].levers
    days = {0}
    for setting in spec.values():
        for w in setting if isinstance(setting, list) else []:
            first, last = w.days(sc.start, sc.horizon)
            days |= {d for d in (first, last + 1) if 0 <= d < sc.horizon and first <= last}
    starts = sorted(days)
    values = np.empty((len(starts), len(st.levers)))
    for j, name in enumerate(st.levers):
        default = sc.levers[name].default
        setting = spec.get(name, default)
        for g, day in enumerate(starts):
            values[g, j] = _value_on(sc, setting, default, day)
    return starts, values


def _value_on(sc: Scenario, setting: float | list, default: float, day: int) -> float:
    if not isinstance(setting, list):
        return float(setting)
    for w in setting:
        first, last = w.days(sc.start, sc.horizon)
        if first <= day <= last:
            return float(w.value)
    return float(default)


def lever_row(sc: Scenario, st: Structure, policy: str) -> np.ndarray:
    """The (L,) lever values of a policy on day 0: its own settings over the levers' defaults."""
    return lever_periods(sc, st, policy)[1][0]


def _set_levers(st: Structure, p: Params, variants: Sequence[Variant], R: int) -> None:
    """Every variant's lever values per period, on the periods of all variants together."""
    sc = st.scenario
    tables = [lever_periods(sc, st, var.policy) for var in variants]
    starts = sorted(set().union(*(t[0] for t in tables))) if tables else [0]
    p.lever_from = np.tile(np.array(starts, np.int64), (p.R, 1))
    p.lever_values = np.empty((p.R, len(starts), len(st.levers)))
    for v, (own, values) in enumerate(tables):
        idx = np.searchsorted(np.array(own), starts, side="right") - 1
        p.lever_values[v * R: (v + 1) * R] = values[idx]


def apply_variants(st: Structure, runs: Params, variants: Sequence[Variant]) -> Params:
    """Rows for every (variant, run): variant-major, runs repeated in the same order."""
    R = runs.R
    rows = np.tile(np.arange(R), len(variants))
    p = runs.take(rows)
    _set_levers(st, p, variants, R)
    for v, var in enumerate(variants):
        block = slice(v * R, (v + 1) * R)
        for f in var.ablate_transfers:
            p.active[block, st.transfers.index(f)] = 0.0
        if var.ablate_transfers:
            drop = [st.transfers.index(f) for f in var.ablate_transfers]
            for eff in p.effects:
                if eff.kind is EffectKind.START and eff.target[0] in drop:
                    eff.value[block] = 0.0
        for k_name, j_name in var.ablate_inputs:
            k = st.indicators.index(k_name)
            if j_name in st.indicators:
                p.W[block, k, st.indicators.index(j_name)] = 0.0
            else:
                p.Vs[block, k, st.signals.index(j_name)] = 0.0
    return p
