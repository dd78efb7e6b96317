"""Every number of a scenario with its tag: what a reviewer reads first.

:func:`numbers` lists each number written in the file, by its path: the quantities (with
their ``source:`` or ``judgment: true`` and their ``note:``), and the plain numbers that
carry no source by design (an indicator's ``threshold``, the number a claim compares with,
a policy's lever values, a case's claim threshold), which are the modeller's judgment and
take their one-line ``rationale:`` from the claim, policy or indicator.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd

from spillover.scenario.model import Scenario
from spillover.scenario.quantity import Quantity
from spillover.scenario.walk import Path_, input_name, quantities

__all__ = ["NUMBER_COLUMNS", "TAGS", "numbers", "tag_of"]

NUMBER_COLUMNS = ("path", "input", "value", "low", "high", "tag", "source", "rationale")
"""Columns of :func:`numbers`. ``value`` is the number as written (a value or a distribution),
``low``/``high`` its range (the 5th and 95th percentiles where the range is unbounded),
``input`` the sampled input's name (empty for a fixed number), ``source`` the source keys,
``rationale`` the number's ``note:`` or its owner's ``rationale:``."""

TAGS = ("sourced", "judgment", "unsourced", "default")
"""A number is ``judgment`` when marked so (even if it names the sources it blends),
``sourced`` when it cites a source, ``unsourced`` otherwise, and ``default`` when the file
does not write it (the format's default, e.g. no loss in transit)."""

Row = dict[str, Any]


def tag_of(judgment: bool, sources: tuple[str, ...] | str | None) -> str:
    """The tag of a number (see :data:`TAGS`).

    >>> tag_of(True, ("rusi-watling",)), tag_of(False, ("rusi-watling",)), tag_of(False, ())
    ('judgment', 'sourced', 'unsourced')
    """
    return "judgment" if judgment else "sourced" if sources else "unsourced"


def _range(q: Quantity) -> tuple[float, float]:
    lo, hi = q.support()
    if math.isinf(lo) or math.isinf(hi):
        lo, hi = (float(x) for x in q.ppf(np.array([0.05, 0.95])))
    return float(lo), float(hi)


def _quantity_row(path: Path_, q: Quantity) -> Row:
    lo, hi = _range(q)
    return {"path": ".".join(str(p) for p in path), "input": input_name(path, q) if q.uncertain else "",
            "value": q.describe(), "low": lo, "high": hi, "tag": tag_of(q.judgment, q.sources),
            "source": q.source or "", "rationale": q.note or ""}


def _plain_row(path: Path_, value: float, rationale: str | None) -> Row:
    return {"path": ".".join(str(p) for p in path), "input": "", "value": f"{value:g}", "low": value,
            "high": value, "tag": "judgment" if rationale else "unsourced", "source": "",
            "rationale": rationale or ""}


def _plain(sc: Scenario) -> Iterator[Row]:
    """The plain numbers: thresholds and lever values, judged by their owner's rationale."""
    from spillover.scenario.cases import thresholds

    for k, ind in sc.indicators.items():
        if "threshold" in ind.model_fields_set:
            yield _plain_row(("indicators", k, "threshold"), ind.threshold, ind.rationale)
    for c, claim in sc.claims.items():
        for x in thresholds(claim.expr):
            yield _plain_row(("claims", c, "expr"), x, claim.rationale)
    for p, pol in sc.policies.items():
        for lever, v in pol.levers.items():
            if isinstance(v, list):  # date windows: each window's value
                for i, w in enumerate(v):
                    yield _plain_row(("policies", p, "levers", lever, i, "value"), w.value, pol.rationale)
            else:
                yield _plain_row(("policies", p, "levers", lever), v, pol.rationale)


def _cases(sc: Scenario) -> Iterator[Row]:
    for name, case in sc.cases.items():
        for key, q in case.inputs.items():
            row = _quantity_row(("cases", name, "inputs", key), q)
            yield {**row, "input": key}
        for c, change in case.claims.items():
            if change.threshold is not None:
                yield _plain_row(("cases", name, "claims", c, "threshold"), change.threshold,
                                 case.description)


def numbers(sc: Scenario) -> pd.DataFrame:
    """Every number of ``sc`` in file order, with its tag (:data:`NUMBER_COLUMNS`).

    >>> from spillover.scenario.load import load_scenario
    >>> t = numbers(load_scenario("nk-russia-2023"))
    >>> t.set_index("path").loc["demand.RUS.shell152.piecewise.2.rate", ["input", "tag"]].tolist()
    ['rus_fire_rate', 'judgment']
    """
    from spillover.scenario.dates import DateQuantity

    unwritten = {p for p, _ in quantities(sc)} - {p for p, _ in quantities(sc, defaults=False)}
    rows = [{**_quantity_row(path, q), **({"tag": "default"} if path in unwritten else {})}
            for path, q in quantities(sc)
            if not (isinstance(q, DateQuantity) and not q.uncertain)]  # a plain date is no number
    rows += list(_plain(sc)) + list(_cases(sc))
    return pd.DataFrame(rows, columns=list(NUMBER_COLUMNS))
