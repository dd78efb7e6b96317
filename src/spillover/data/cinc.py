"""The state-years of the store whose recomputed CINC disagrees with COW's published one.

The tolerance and why it is what it is: :mod:`spillover.data.nmc`.
"""

from __future__ import annotations

import pandas as pd

from spillover.data.nmc import CINC_ATOL, CINC_RTOL, disagreeing
from spillover.data.store import Store, StoreLike, using_store

__all__ = ["cinc_discrepancies"]


def cinc_discrepancies(
    store: StoreLike = None, rtol: float = CINC_RTOL, atol: float = CINC_ATOL
) -> pd.DataFrame:
    """State-years of the ``nmc`` table whose recomputed CINC disagrees with COW's.

    Parameters
    ----------
    store : Store, path or None
    rtol, atol : float
        Tolerance (defaults justified in :mod:`spillover.data.nmc`).

    Returns
    -------
    pandas.DataFrame
        Columns ``source_id``, ``ccode``, ``stateabb``, ``country_id``, ``year``,
        ``cinc``, ``cinc_recomputed``, ``cinc_rel_diff``, ``cinc_components``; largest
        relative difference first. Empty when everything agrees.
    """
    with using_store(store, read_only=not isinstance(store, Store)) as opened:
        frame = opened.con.execute(
            "SELECT source_id, ccode, stateabb, country_id, year, cinc, cinc_recomputed, "
            "cinc_rel_diff, cinc_components FROM nmc ORDER BY source_id, year, ccode"
        ).df()
    flagged = frame[disagreeing(frame, rtol, atol).to_numpy()]
    return flagged.sort_values("cinc_rel_diff", ascending=False).reset_index(drop=True)
