"""Attribution by ablation: remove one transfer or one spillover channel, same runs, paired.

Every ablation is a :class:`~spillover.ensemble.variants.Variant` of one batch, so all of
them run on the same sampled inputs and the same random draws as the unablated policy,
in one vectorised pass: the effect of removing an item is the run-by-run (paired)
difference, summarised with a t interval by :func:`spillover.analysis.compare.paired_summary`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from spillover.analysis.claims import claims_of
from spillover.analysis.compare import paired_differences, paired_summary
from spillover.analysis.evaluate import policy_variants_for, run_rows
from spillover.analysis.graph import Chain, channels, influence_graph
from spillover.engine.structure import build_structure
from spillover.ensemble.chunks import Batch
from spillover.ensemble.design import sample_inputs
from spillover.ensemble.settings import Execution
from spillover.ensemble.variants import Variant
from spillover.scenario.errors import did_you_mean
from spillover.scenario.model import Scenario
from spillover.scenario.outcomes import reads_twins

__all__ = ["Ablation", "Item", "ablate", "ablation_items", "check_chains"]

ROWS_PER_CHUNK = 8000
"""Rows (runs × variants) simulated at once by default: bounds memory for many variants."""


@dataclass(frozen=True)
class Item:
    """Something that can be removed: a transfer, or a channel ``(indicator, input)``."""

    kind: str  # "transfer" | "channel"
    transfer: str | None = None
    channel: tuple[str, str] | None = None

    @property
    def label(self) -> str:
        """``prk_rus_shells`` for a transfer, ``kor_threat ← rus_tech`` for a channel."""
        if self.transfer is not None:
            return self.transfer
        assert self.channel is not None
        return f"{self.channel[0]} ← {self.channel[1]}"

    def variant(self, policy: str) -> Variant:
        """The policy with this item removed."""
        if self.transfer is not None:
            return Variant(f"{policy}|-{self.label}", policy, ablate_transfers=(self.transfer,))
        assert self.channel is not None
        return Variant(f"{policy}|-{self.label}", policy, ablate_inputs=(self.channel,))


def ablation_items(sc: Scenario, transfers: bool = True, channels_: bool = True) -> list[Item]:
    """Every transfer and every spillover channel (indicator input) of the scenario.

    >>> from spillover.scenario.load import load_scenario
    >>> items = ablation_items(load_scenario("nk-russia-2023"))
    >>> len(items), items[0].label, items[-1].label
    (32, 'prk_rus_shells', 'rus_kor_hostility ← kor_rus_channel_open')
    """
    out = [Item("transfer", transfer=f) for f in sc.transfers] if transfers else []
    if channels_:
        out += [Item("channel", channel=c) for c in channels(influence_graph(sc))]
    return out


def parse_item(sc: Scenario, text: str) -> Item:
    """``prk_rus_shells`` or ``kor_threat<-rus_tech`` (also ``←``) as an :class:`Item`."""
    items = ablation_items(sc)
    clean = text.replace("←", "<-").replace(" ", "")
    for it in items:
        if it.label.replace("←", "<-").replace(" ", "") == clean:
            return it
    names = [it.label.replace(" ← ", "<-") for it in items]
    raise ValueError(f"unknown transfer or channel '{text}'{did_you_mean(clean, names)}")


@dataclass
class Ablation:
    """What :func:`ablate` found.

    Attributes
    ----------
    effects
        One row per (item, quantity): ``item``, ``kind`` (transfer or channel),
        ``quantity``, ``quantity_kind`` (outcome or claim), ``n``, ``mean_diff`` (ablated
        minus unablated, paired by run), ``lo``, ``hi``, ``share_lower``, ``share_higher``.
    outcomes
        One row per (run, variant): ``run``, ``policy`` (the variant's name) and every
        outcome column.
    policy, runs, seconds
        The policy, the number of runs, and the wall time of the batch.
    """

    effects: pd.DataFrame
    outcomes: pd.DataFrame
    policy: str
    runs: int
    items: list[Item] = field(default_factory=list)
    seconds: float = 0.0
    level: float = 0.9

    def effect(self, item: str, quantity: str) -> pd.Series:
        """The row of ``effects`` for one item and quantity."""
        rows = self.effects[(self.effects["item"] == item) & (self.effects["quantity"] == quantity)]
        if rows.empty:
            raise KeyError((item, quantity))
        return rows.iloc[0]


def ablate(
    sc: Scenario,
    settings: Execution | None = None,
    *,
    policy: str | None = None,
    items: Sequence[Item] | None = None,
    claims: bool = True,
    level: float = 0.9,
    **options: Any,
) -> Ablation:
    """Remove each item in turn, in one batch that shares every run's draws, and measure.

    Parameters
    ----------
    settings, options
        How to run (:class:`~spillover.ensemble.settings.Execution` and/or its fields:
        ``runs`` (default 200), ``seed``, ``design``, ``workers``, ``progress``; by default
        a chunk holds about 8,000 rows of runs × variants).
    items
        What to remove (default: every transfer and channel, :func:`ablation_items`).
    claims
        Also compare the scenario's claims (as 0/1 per run), except those that read the
        counterfactual (``*_without_transfers``): removing transfers is what an ablation does.

    Examples
    --------
    >>> from spillover.scenario.load import load_scenario
    >>> sc = load_scenario("nk-russia-2023")
    >>> res = ablate(sc, runs=32, seed=1, items=ablation_items(sc, channels_=False)[:1])
    >>> row = res.effect("prk_rus_shells", "days_of_fire.prk_rus_shells")
    >>> float(row["mean_diff"]) < 0
    True
    """
    chosen = list(items) if items is not None else ablation_items(sc)
    if not chosen:
        raise ValueError("nothing to ablate: the scenario has no transfers or channels")
    base = policy_variants_for(sc, policy)[0]
    variants = [base, *(it.variant(base.policy) for it in chosen)]
    defaults = {"runs": 200, "chunk_size": max(16, ROWS_PER_CHUNK // len(variants))}
    ex = Execution.of(settings, {**({} if settings else defaults), **options})
    st = build_structure(sc)
    exp = sample_inputs(st.inputs, ex.runs, ex.seed, ex.design)
    values = {c: exp[c].to_numpy() for c in exp.columns if c != "run"}
    t0 = time.perf_counter()
    frame = run_rows(Batch(st=st, variants=variants, seed=ex.seed), values, np.arange(ex.runs), ex)
    seconds = time.perf_counter() - t0
    outcomes = frame.rename(columns={"row": "run", "variant": "policy"})
    compared = [c for c in claims_of(sc) if not reads_twins(c.expr)] if claims else []
    diffs = paired_differences(outcomes, base.name, None, compared, level=level)
    labels = {it.variant(base.policy).name: it for it in chosen}
    effects = pd.DataFrame({
        "item": [labels[v].label for v in diffs["policy"]],
        "kind": [labels[v].kind for v in diffs["policy"]],
        "quantity": diffs["quantity"].to_numpy(),
        "quantity_kind": diffs["kind"].to_numpy(),
    })
    for col in ("n", "mean_diff", "lo", "hi", "share_lower", "share_higher"):
        effects[col] = diffs[col].to_numpy()
    return Ablation(effects=effects, outcomes=outcomes, policy=base.policy,
                    runs=ex.runs, items=chosen, seconds=seconds, level=level)


def _end_quantity(chain: Chain) -> str:
    kind, _, ident = chain.target.partition(":")
    return f"peak.{ident}" if kind == "indicator" else f"fired.{ident}"


def check_chains(chains: Sequence[Chain], ablation: Ablation) -> pd.DataFrame:
    """Cross-check each chain: the effect on its end of removing its first channel.

    A chain of sign s predicts that removing its first channel moves its end (the peak
    of an indicator, or the share of runs where an event fires) in the direction −s.

    Returns
    -------
    pandas.DataFrame
        One row per chain: ``chain``, ``strength``, ``sign``, ``removed``, ``quantity``,
        ``mean_diff``, ``lo``, ``hi`` and ``verdict`` (``confirmed``, ``opposite`` or
        ``no clear effect``; ``not ablated`` when the batch did not remove that channel).
    """
    rows = []
    for ch in chains:
        first = ch.first_channel()
        label = f"{first[0]} ← {first[1]}" if first else ""
        quantity = _end_quantity(ch)
        row: dict[str, object] = {"chain": ch.text(), "strength": ch.strength, "sign": ch.sign,
                                  "removed": label, "quantity": quantity}
        try:
            eff = ablation.effect(label, quantity)
        except KeyError:
            rows.append({**row, "mean_diff": np.nan, "lo": np.nan, "hi": np.nan, "verdict": "not ablated"})
            continue
        lo, hi = float(eff["lo"]), float(eff["hi"])
        expected = -ch.sign
        if np.isnan(lo) or lo <= 0 <= hi:
            verdict = "no clear effect"
        else:
            verdict = "confirmed" if np.sign(lo) == expected else "opposite"
        rows.append({**row, "mean_diff": float(eff["mean_diff"]), "lo": lo, "hi": hi, "verdict": verdict})
    return pd.DataFrame(rows)


def paired_effect(base: np.ndarray, ablated: np.ndarray, level: float = 0.9) -> tuple[float, float, float]:
    """Mean of ``ablated - base`` with its t interval: ``(mean, lo, hi)``.

    >>> paired_effect(np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0]))
    (-1.0, -1.0, -1.0)
    """
    _, mean, lo, hi, _, _ = paired_summary(np.asarray(ablated, float) - np.asarray(base, float), level)
    return mean, lo, hi
