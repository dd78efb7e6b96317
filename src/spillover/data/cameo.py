"""CAMEO lookups (event codes, Goldstein scale, actor types), shipped inside the package.

The tables are verbatim copies of GDELT's lookup files (see :mod:`spillover.data._cameo_tables`
for origin and attribution), so they work without any external data directory.
"""

from __future__ import annotations

from functools import cache

import pandas as pd

from spillover.data import _cameo_tables as tables

__all__ = ["LOOKUP_FILES", "actor_types", "event_codes", "lookup_file_text"]

#: File names of the shipped lookups, for :func:`lookup_file_text`.
LOOKUP_FILES = ("CAMEO.eventcodes.txt", "CAMEO.goldsteinscale.txt", "CAMEO.type.txt")


@cache
def _event_codes() -> pd.DataFrame:
    goldstein = dict(tables.GOLDSTEIN)
    rows = [(code, text, float(goldstein[code])) for code, text in tables.EVENT_CODES]
    frame = pd.DataFrame(rows, columns=["code", "description", "goldstein"])
    frame["root_code"] = frame["code"].str[:2]
    frame["level"] = frame["code"].str.len() - 1
    return frame


def event_codes() -> pd.DataFrame:
    """All CAMEO event codes with their description and Goldstein score.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` (str, leading zeros kept: ``"010"``), ``description``,
        ``goldstein`` (float, -10 .. +10), ``root_code`` (first two digits) and ``level``
        (1 for root codes such as ``"01"``, 2 for base codes, 3 for four-digit codes).
        311 rows.
    """
    return _event_codes().copy()


def actor_types() -> pd.DataFrame:
    """CAMEO actor type codes (``GOV``, ``MIL``, ``REB`` ...), duplicates removed.

    Returns
    -------
    pandas.DataFrame
        Columns ``code`` and ``label``.
    """
    frame = pd.DataFrame(list(tables.ACTOR_TYPES), columns=["code", "label"])
    return frame.drop_duplicates("code").reset_index(drop=True)


def lookup_file_text(name: str) -> str:
    """Reconstruct one shipped lookup file exactly as GDELT publishes it.

    Parameters
    ----------
    name : str
        One of :data:`LOOKUP_FILES`.

    Returns
    -------
    str
        Tab-separated text with header line and trailing newline.
    """
    sources = {
        "CAMEO.eventcodes.txt": (tables.EVENTCODES_HEADER, tables.EVENT_CODES),
        "CAMEO.goldsteinscale.txt": (tables.GOLDSTEIN_HEADER, tables.GOLDSTEIN),
        "CAMEO.type.txt": (tables.TYPE_HEADER, tables.ACTOR_TYPES),
    }
    if name not in sources:
        raise KeyError(f"no shipped CAMEO lookup called {name!r}; choose from {LOOKUP_FILES}")
    header, rows = sources[name]
    return "".join("\t".join(row) + "\n" for row in (header, *rows))
