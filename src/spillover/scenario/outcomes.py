"""The outcome catalogue: every outcome family a scenario produces, declared once.

An *outcome* is one number per run and policy, one column of ``outcomes.parquet``. Its
column name is the family's name, then the key of what it measures: a transfer
(``days_of_fire.prk_rus_shells``), an actor and munition (``first_shortfall.RUS.shell152``),
an indicator (``peak.kor_threat``) or an event (``fired.kor_arms_ukraine``); a family of the
whole run has no key (``miscalc_peak``).

Each :class:`Family` says which keys it has, whether it has a counterfactual twin (the
same runs under the same policy with every transfer removed, ``<family>_without_transfers``),
its report group and label, whether it is a headline (the terminal's key outcomes),
whether policies are compared on it, and which direction is better when that does not
depend on whose side one takes. The engine computes each family
(:data:`spillover.engine.outcomes.COMPUTE`, one function per family name); everything else
(claim checking, the report, the CLI, the web app, robustness) reads this catalogue.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from spillover.scenario.model import Scenario

WITHOUT_TRANSFERS = "without_transfers"
"""Suffix of a counterfactual twin's family name, and of the counterfactual variant."""

Prefer = Literal["lower", "higher"]


class Scope(Enum):
    """What a family's keys name."""

    TRANSFER = "transfer"
    DEMAND = "demand"  # an (actor, munition) pair with a declared demand: "A.m"
    STOCK = "stock"  # an (actor, munition) pair with a declared stock: "A.m"
    INDICATOR = "indicator"
    RUN = "run"  # the whole run: no key
    EVENT = "event"
    COUPLED = "coupled"  # an (actor, munition) pair whose demand follows another's fire: "A.m"
    TRANSFER_WINDOW = "transfer window"  # a transfer between two dates: "f.2024-01-01.2024-04-30"
    DEMAND_WINDOW = "demand window"  # a demand pair between two dates: "A.m.2024-01-01.2024-04-30"
    COUPLED_WINDOW = "coupled window"  # a coupled demand pair between two dates


WINDOWED = {Scope.TRANSFER_WINDOW: Scope.TRANSFER, Scope.DEMAND_WINDOW: Scope.DEMAND,
            Scope.COUPLED_WINDOW: Scope.COUPLED}
"""Each windowed scope and the scope of its keys before the window."""
_WINDOW_KEY = re.compile(r"(^|\.)(\d{4}-\d{2}-\d{2})\.(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True)
class Family:
    """One outcome family: how its columns are named and how they are read.

    Attributes
    ----------
    name
        The column prefix, e.g. ``days_of_fire``.
    scope
        What its keys are (:class:`Scope`).
    label
        A short label for reports, with ``{key}`` where the key's readable name goes.
    group
        The report's group of outcome tables (:data:`GROUPS`).
    kind
        ``number``, ``day`` (a day index, the horizon when it never happens) or ``flag``
        (true/false, read as a share of runs).
    twin
        True when the counterfactual without transfers gives a ``*_without_transfers``
        column too.
    headline
        Shown in the terminal's key outcomes table (``twin``: its twin too).
    compared
        Policies are compared on it (the paired comparison table).
    prefer
        ``lower`` or ``higher`` when that is better whoever reads it; None when it depends
        on the side (a scenario declares it for its claims).
    applies
        For families that exist for only some keys (days of fire needs a demand).
    description
        What the outcome measures, for ``spillover outcomes`` and the docs; ``{unit}`` where
        the munition's unit goes (:meth:`describe`).
    needs_gap
        A flag that can be true only in a run whose perceived and true indicators part at
        some point (``miscalc_peak`` above 0): where they never do, it is false by
        construction.
    """

    name: str
    scope: Scope
    label: str
    group: str
    description: str
    kind: Literal["number", "day", "flag"] = "number"
    twin: bool = False
    headline: bool | Literal["twin"] = False
    compared: bool = False
    prefer: Prefer | None = None
    applies: Callable[[Scenario, str], bool] | None = None
    needs_gap: bool = False

    def describe(self, unit: str | None = None) -> str:
        """The description in a munition's unit (``units`` when there is none).

        >>> FAMILIES[0].describe() == FAMILIES[0].description
        True
        """
        return self.description.replace("{unit}", (unit or "units").capitalize())

    def column(self, key: str) -> str:
        """The column name for one key."""
        return f"{self.name}.{key}" if key else self.name

    def twin_column(self, key: str) -> str:
        """The counterfactual twin's column name for one key."""
        twin = f"{self.name}_{WITHOUT_TRANSFERS}"
        return f"{twin}.{key}" if key else twin


def demand_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """(actor, munition) pairs with a declared demand, in file order."""
    return [(a, m) for a, by in scenario.demand.items() for m in by]


def coupled_pairs(scenario: Scenario) -> list[tuple[str, str]]:
    """(actor, munition) pairs whose demand follows another's fire or deliveries, in file order."""
    return [(a, m) for a, by in scenario.demand.items() for m, d in by.items()
            if getattr(d, "follows", None) is not None]


def window_of(column: str) -> tuple[dt.date, dt.date] | None:
    """The (from, to) dates a windowed column ends with, or None.

    >>> window_of("shortfall_days.UKR.shell155.2024-01-01.2024-04-30")
    (datetime.date(2024, 1, 1), datetime.date(2024, 4, 30))
    """
    found = _WINDOW_KEY.search(column)
    if found is None:
        return None
    try:
        return dt.date.fromisoformat(found.group(2)), dt.date.fromisoformat(found.group(3))
    except ValueError:
        return None


def _claim_columns(sc: Any) -> Iterator[str]:
    from spillover.scenario.expr import ExprError, parse

    for claim in (getattr(sc, "claims", None) or {}).values():
        text = getattr(claim, "expr", None)
        try:
            expr = parse(text) if isinstance(text, str) else None
        except ExprError:
            continue
        if expr is not None:
            yield from sorted(expr.columns())


def windows(sc: Scenario) -> list[tuple[dt.date, dt.date]]:
    """The date windows a run computes windowed outcomes for, in order: the scenario's
    ``windows:`` section, then those its claims name (e.g. ``shortfall_days(A, m, d1, d2)``).

    Windows whose ``from`` is after their ``to`` are left out (validation refuses them).
    """
    found = [(w.start, w.end) for w in getattr(sc, "windows", None) or []]
    windowed = {f.name for f in FAMILIES if f.scope in WINDOWED}
    for column in _claim_columns(sc):
        span = window_of(column)
        if span is not None and column.partition(".")[0] in windowed:
            found.append(span)
    return [w for w in dict.fromkeys(found) if w[0] <= w[1]]


def _feeds_demand(sc: Scenario, transfer: str) -> bool:
    tr = sc.transfers[transfer]
    return (tr.recipient, tr.munition) in set(demand_pairs(sc))


def _receives(sc: Scenario, pair: str) -> bool:
    return any(f"{t.recipient}.{t.munition}" == pair for t in sc.transfers.values())


_T, _D, _S, _I, _R, _E = Scope.TRANSFER, Scope.DEMAND, Scope.STOCK, Scope.INDICATOR, Scope.RUN, Scope.EVENT

GROUPS: dict[str, str] = {
    "sustainment": "Sustainment",
    "escalation": "Escalation",
    "miscalculation": "Miscalculation",
    "events": "Events",
}
"""The report's groups of outcomes, in order: key and title."""

FAMILIES: tuple[Family, ...] = (
    Family("shipped", _T, "Shipped: {key}", "sustainment", "Total shipped by the transfer over the horizon."),
    Family("delivered", _T, "Delivered: {key}", "sustainment",
           "Total delivered by the transfer (shipped, less losses, after the delay)."),
    Family("lost", _T, "Lost: {key}", "sustainment", "Total lost on the way."),
    Family("days_of_fire", _T, "Days of fire supplied: {key}", "sustainment",
           "Delivered by the transfer divided by the recipient's mean daily demand for the munition "
           "over the horizon: the days of its fire the transfer paid for. Exists when the recipient "
           "has such a demand.", headline=True, compared=True, applies=_feeds_demand),
    Family("fired_total", _D, "{unit} fired: {key}", "sustainment",
           "{unit} fired over the horizon."),
    Family("shortfall", _D, "Total shortfall: {key}", "sustainment", "Demand not met, summed over days."),
    Family("first_shortfall", _D, "First shortfall (day): {key}", "sustainment",
           "First day (0-based) with unmet demand; the horizon when there is none.", kind="day", twin=True,
           headline="twin"),
    Family("shortfall_days", _D, "Days in shortfall: {key}", "sustainment", "Days with unmet demand."),
    Family("days_of_fire_total", _D, "Days of fire supplied by every supplier: {key}", "sustainment",
           "Delivered to the actor by all of its transfers of the munition, divided by its mean daily "
           "demand over the horizon: the days of fire all its suppliers together paid for.",
           applies=_receives),
    Family("final_stock", _S, "Final stock: {key}", "sustainment", "Stock at the horizon."),
    Family("final", _I, "Final value: {key}", "escalation", "The indicator on the last day.", twin=True),
    Family("peak", _I, "Peak: {key}", "escalation",
           "The indicator's largest value over the horizon (its initial value excluded).", twin=True,
           compared=True, prefer="lower"),
    Family("days_above", _I, "Days above threshold: {key}", "escalation",
           "Days with the indicator at or over its threshold."),
    Family("miscalc_peak", _I, "Peak miscalculation: {key}", "miscalculation",
           "Largest gap |I - I_true| between the indicator driven by perceived and by true signals."),
    Family("miscalc_mean", _I, "Mean miscalculation: {key}", "miscalculation",
           "Mean gap |I - I_true| over the horizon."),
    Family("miscalc_peak", _R, "Peak miscalculation, any indicator", "miscalculation",
           "The largest miscalc_peak over all indicators.", headline=True, compared=True, prefer="lower"),
    Family("miscalc_mean", _R, "Mean miscalculation, the largest of any indicator", "miscalculation",
           "The largest miscalc_mean over all indicators.", headline=True, compared=True, prefer="lower"),
    Family("fired", _E, "Fires within the horizon: {key}", "events", "True if the event fired.", kind="flag",
           twin=True, headline=True, compared=True, prefer="lower"),
    Family("fired_day", _E, "Date it fires (runs where it fires): {key}", "events",
           "The day (0-based) the event fired; empty (NaN) if it did not.", kind="day"),
    Family("fired_true", _E, "The true indicators trigger it within the horizon: {key}", "miscalculation",
           "True if the event's trigger is met on the indicators driven by the true signals: the same "
           "trigger and random draws, on the path as it unfolded, with no effects of its own. Equals "
           "fired for a dated event and when every observer sees exactly.", kind="flag"),
    Family("misfired", _E, "Fires before the true indicators call for it: {key}", "miscalculation",
           "True if the event fired on a day the true indicators had not yet triggered it (earlier, "
           "or never within the horizon): a decision taken on the perceived picture that the true "
           "one did not (yet) warrant. Never true with exact perception.", kind="flag", prefer="lower",
           needs_gap=True),
    Family("missed", _E, "Fires after the true indicators call for it, or never: {key}", "miscalculation",
           "True if the true indicators triggered the event on a day before it fired, or it never "
           "fired: a decision the true picture called for, taken late or not at all. Never true with "
           "exact perception.", kind="flag", prefer="lower", needs_gap=True),
    Family("leaked", Scope.COUPLED, "Got through the defence: {key}", "sustainment",
           "Incoming units (of what the coupled demand follows) that got through: those not engaged for "
           "want of stock, and those engaged but not stopped, summed over the horizon."),
    Family("delivered", Scope.TRANSFER_WINDOW, "Delivered in the window: {key}", "sustainment",
           "Delivered by the transfer between the window's two dates, both included."),
    Family("fired_total", Scope.DEMAND_WINDOW, "{unit} fired in the window: {key}", "sustainment",
           "{unit} fired between the window's two dates, both included."),
    Family("shortfall", Scope.DEMAND_WINDOW, "Shortfall in the window: {key}", "sustainment",
           "Demand not met between the window's two dates, both included."),
    Family("shortfall_days", Scope.DEMAND_WINDOW, "Days in shortfall in the window: {key}", "sustainment",
           "Days with unmet demand between the window's two dates, both included."),
    Family("leaked", Scope.COUPLED_WINDOW, "Got through the defence in the window: {key}", "sustainment",
           "Incoming units that got through between the window's two dates, both included."),
)
"""Every outcome family, in the order of the columns a run writes."""


def keys(sc: Scenario, scope: Scope) -> list[str]:
    """The keys of one scope in ``sc``, in file order."""
    if scope is Scope.TRANSFER:
        return list(sc.transfers)
    if scope is Scope.DEMAND:
        return [f"{a}.{m}" for a, m in demand_pairs(sc)]
    if scope is Scope.STOCK:
        return [f"{a}.{m}" for a, by in sc.stocks.items() for m in by]
    if scope is Scope.INDICATOR:
        return list(sc.indicators)
    if scope is Scope.EVENT:
        return list(sc.events)
    if scope is Scope.COUPLED:
        return [f"{a}.{m}" for a, m in coupled_pairs(sc)]
    if scope in WINDOWED:
        spans = [f"{a.isoformat()}.{b.isoformat()}" for a, b in windows(sc)]
        return [f"{k}.{w}" for k in keys(sc, WINDOWED[scope]) for w in spans]
    return [""]


def columns(sc: Scenario) -> Iterator[tuple[Family, str]]:
    """Every (family, key) a run computes, in column order: by scope, then key, then family."""
    for scope in Scope:
        fams = [f for f in FAMILIES if f.scope is scope]
        for key in keys(sc, scope):
            for fam in fams:
                if fam.applies is None or fam.applies(sc, key):
                    yield fam, key


def outcome_names(sc: Scenario, counterfactual: bool = True) -> list[str]:
    """Every outcome column of a run of ``sc``, in the order a run writes them.

    The run's own columns come first; with ``counterfactual`` (the default of
    :func:`spillover.run`), each family with a twin then adds its ``*_without_transfers``
    columns, from the same runs under the same policy with every transfer removed.

    >>> from spillover.scenario.load import load_scenario
    >>> names = outcome_names(load_scenario("nk-russia-2023"))
    >>> names[:3], names[-1]
    (['shipped.prk_rus_shells', 'delivered.prk_rus_shells', 'lost.prk_rus_shells'], \
'fired_without_transfers.chn_opposes_russia')
    """
    own = list(columns(sc))
    names = [fam.column(key) for fam, key in own]
    if counterfactual:
        names += [fam.twin_column(key) for fam, key in own if fam.twin]
    return names


def family_of(column: str) -> Family | None:
    """The family of an outcome column (its own or its twin's), or None.

    >>> family_of("peak_without_transfers.kor_threat").name
    'peak'
    """
    head, _, rest = column.partition(".")
    base = head.removesuffix(f"_{WITHOUT_TRANSFERS}")
    scope_run = not rest
    windowed = window_of(column) is not None
    for fam in FAMILIES:
        if fam.name == base and (fam.scope is Scope.RUN) == scope_run and (fam.scope in WINDOWED) == windowed:
            return fam
    return None


def is_twin(column: str) -> bool:
    """True for a counterfactual ``*_without_transfers`` column."""
    return column.partition(".")[0].endswith(f"_{WITHOUT_TRANSFERS}")


def reads_twins(expr: str) -> bool:
    """True when a claim's expression reads a ``*_without_transfers`` column.

    >>> reads_twins("peak(a) - peak_without_transfers(a) > 0.2"), reads_twins("peak(a) > 0.2")
    (True, False)
    """
    from spillover.scenario.expr import parse

    return any(is_twin(col) for col in parse(expr).columns())


def claims_read_twins(sc: Scenario) -> bool:
    """True when a claim, or a case's reading of one, reads a ``*_without_transfers`` column:
    a run must then include the counterfactual for the claim to be evaluated."""
    exprs = [c.expr for c in sc.claims.values()]
    exprs += [c.expr for case in sc.cases.values() for c in case.claims.values() if c.expr]
    return any(reads_twins(e) for e in exprs)


def twins() -> dict[str, str]:
    """Family name → its twin's family name, for families with a twin."""
    return {f.name: f"{f.name}_{WITHOUT_TRANSFERS}" for f in FAMILIES if f.twin}


def headline_columns(names: list[str]) -> list[str]:
    """The columns among ``names`` that the terminal's key outcomes table shows (twins too)."""
    out = []
    for c in names:
        fam = family_of(c)
        if fam is not None and fam.headline and (fam.headline == "twin" or not is_twin(c)):
            out.append(c)
    return out


def _compared(sc: Scenario, fam: Family, key: str) -> bool:
    """Policies are compared on the family, except on dated (calendar) events: they fire on
    their date whatever the policy, and are no effect of the transfers."""
    if not fam.compared:
        return False
    event = sc.events.get(key) if fam.scope is Scope.EVENT else None
    return not getattr(event, "calendar", False)


def compared_columns(sc: Scenario) -> list[str]:
    """The outcome columns that policies are compared on, in column order."""
    return [fam.column(key) for fam, key in columns(sc) if _compared(sc, fam, key)]


def preferred(sc: Scenario) -> dict[str, Prefer]:
    """The compared columns whose better direction does not depend on the reader's side."""
    return {fam.column(key): fam.prefer for fam, key in columns(sc) if _compared(sc, fam, key) and fam.prefer}
