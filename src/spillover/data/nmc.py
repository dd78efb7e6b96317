"""COW National Material Capabilities (NMC 6.0) -> ``nmc``, with CINC recomputed.

CINC (Composite Index of National Capability) is the mean, over the six components
available for a state in a year (milex, milper, irst, pec, tpop, upop; ``-9`` means
missing), of the state's share of the system total of that component in that year.
The recomputation uses the states of the imported file as the system.

**Tolerance.** The published ``cinc`` is printed with 8 significant digits and behaves
like a single-precision (float32) computation: on the full NMC 6.0 file the
double-precision recomputation differs from it by at most 1.13e-7 relative (median
2.3e-8), i.e. within about one float32 ulp (1.19e-7). A row is reported as disagreeing
when ``|recomputed - published| > CINC_RTOL * |published| + CINC_ATOL`` with
``CINC_RTOL = 1e-6`` (about eight float32 ulps, ~9x the largest round-off seen) and
``CINC_ATOL = 1e-12`` (for zeros). A real disagreement is far larger: changing one
component of one state by 1% moves that state's CINC by roughly 1e-3 relative.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from spillover.data.countries import cow_country_ids
from spillover.data.errors import ImportRefusedError
from spillover.data.parsed import (
    ParsedFile,
    RejectLog,
    parse_float,
    parse_int,
    split_fields,
    split_lines,
)
from spillover.data.store import Store, StoreLike, using_store

__all__ = [
    "CINC_ATOL",
    "CINC_RTOL",
    "COMPONENTS",
    "cinc_discrepancies",
    "disagreeing",
    "parse_nmc",
    "recompute_cinc",
]

#: The six CINC components, in NMC column order.
COMPONENTS = ("milex", "milper", "irst", "pec", "tpop", "upop")
#: Relative tolerance for reporting a CINC disagreement (see module docstring).
CINC_RTOL = 1e-6
#: Absolute floor of the tolerance, for published values of zero.
CINC_ATOL = 1e-12
_COLUMNS = ("stateabb", "ccode", "year", *COMPONENTS, "cinc", "version")
_MISSING = -9.0


def recompute_cinc(frame: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Recompute CINC from the six components.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per state-year with columns ``year`` and :data:`COMPONENTS`; missing
        values as NaN (not ``-9``).
    by : list of str, optional
        Extra grouping columns defining separate systems (e.g. ``["source_id"]``).

    Returns
    -------
    pandas.DataFrame
        Columns ``cinc_recomputed`` (NaN when no component is available) and
        ``cinc_components`` (how many components entered the mean), aligned with
        ``frame``.
    """
    keys = [*(by or []), "year"]
    values = frame[list(COMPONENTS)].astype(float)
    totals = values.groupby([frame[k] for k in keys]).transform("sum", min_count=1)
    shares = values / totals.where(totals != 0)
    return pd.DataFrame(
        {
            "cinc_recomputed": shares.mean(axis=1, skipna=True),
            "cinc_components": shares.notna().sum(axis=1).astype("int8"),
        },
        index=frame.index,
    )


def parse_nmc(text: str, variant: str, encoding: str) -> ParsedFile:
    """Parse a COW NMC csv (``stateabb,ccode,year,milex,...,cinc,version``).

    Parameters
    ----------
    text : str
    variant : str
        ``"cow-nmc"``.
    encoding : str

    Returns
    -------
    ParsedFile
        Table ``nmc`` with published and recomputed CINC and their relative difference.
    """
    lines = split_lines(text)
    header = [h.strip() for h in lines[0].split(",")]
    missing = [c for c in _COLUMNS if c not in header and c != "version"]
    if missing:
        raise ImportRefusedError(f"NMC header lacks column(s) {', '.join(missing)}")
    positions = {c: header.index(c) for c in _COLUMNS if c in header}
    rejects = RejectLog()
    rows = _rows(lines, len(header), positions, rejects)
    frame = pd.DataFrame(rows, columns=[*_COLUMNS, "line"])
    frame = frame.astype({c: "float64" for c in (*COMPONENTS, "cinc")})
    frame = frame.astype({"ccode": "int64", "year": "int64", "line": "int64"})
    frame["version"] = frame["version"].astype("Int64")
    frame = frame.join(recompute_cinc(frame))
    published = frame["cinc"]
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["cinc_rel_diff"] = (frame["cinc_recomputed"] - published).abs() / published.abs()
    frame.loc[published.isna() | (published == 0), "cinc_rel_diff"] = np.nan
    frame["country_id"] = cow_country_ids(frame)
    differing = int(disagreeing(frame).sum())
    notes = [
        f"{len(frame)} state-years, {frame['ccode'].nunique()} states, "
        f"{frame['year'].min()}-{frame['year'].max()}",
        f"CINC recomputed: {differing} state-years differ from the published value by more "
        f"than {CINC_RTOL:g} relative (see spillover.data.cinc_discrepancies)",
    ]
    actors = frame.drop_duplicates("stateabb")[["stateabb", "country_id"]]
    actors = actors.rename(columns={"stateabb": "name", "country_id": "actor_id"})
    actors = actors.assign(
        kind=np.where(actors["actor_id"].str.startswith("X-"), "historical", "state"),
        method="COW code table",
        location_iso3=None,
        scheme="cow",
    )
    actors.loc[actors["actor_id"].str.startswith("X-COW-"), "kind"] = "unmapped"
    return ParsedFile(
        variant=variant,
        encoding=encoding,
        generated_at=None,
        records=len(frame),
        tables={"nmc": frame},
        rejects=rejects,
        actors=actors,
        notes=notes,
    )


def disagreeing(frame: pd.DataFrame, rtol: float = CINC_RTOL, atol: float = CINC_ATOL) -> pd.Series:
    """Which rows' recomputed CINC disagrees with the published one.

    Parameters
    ----------
    frame : pandas.DataFrame
        Columns ``cinc`` (published) and ``cinc_recomputed``.
    rtol, atol : float
        Tolerance: ``|recomputed - published| > rtol * |published| + atol``.

    Returns
    -------
    pandas.Series of bool
        Also True when exactly one of the two values is missing.
    """
    published = frame["cinc"].astype(float)
    recomputed = frame["cinc_recomputed"].astype(float)
    gap = (recomputed - published).abs()
    return (gap > rtol * published.abs() + atol) | (published.isna() != recomputed.isna())


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


def _rows(
    lines: list[str], width: int, positions: dict[str, int], rejects: RejectLog
) -> list[dict[str, object]]:
    """One dict per state-year line; bad lines go to ``rejects``."""
    rows: list[dict[str, object]] = []
    seen: dict[tuple[int, int], int] = {}
    for index in range(1, len(lines)):
        raw = lines[index]
        if not raw.strip():
            continue
        try:
            values = split_fields(raw)
            if len(values) != width:
                kind = "truncated row" if index == len(lines) - 1 else "wrong column count"
                raise ValueError(f"{kind}: expected {width} fields, found {len(values)}")
            row = _row({c: values[p] for c, p in positions.items()})
            key = (int(row["ccode"]), int(row["year"]))  # type: ignore[call-overload]
            if key in seen:
                raise ValueError(f"ccode {key[0]} year {key[1]} repeats line {seen[key]}")
        except ValueError as exc:  # MalformedRow too
            rejects.add(index + 1, str(exc), raw)
            continue
        seen[key] = index + 1
        rows.append({**row, "line": index + 1})
    return rows


def _row(fields: dict[str, str]) -> dict[str, object]:
    stateabb = fields["stateabb"].strip()
    if not stateabb:
        raise ValueError("empty stateabb")
    out: dict[str, object] = {"stateabb": stateabb}
    for name in ("ccode", "year"):
        try:
            value = parse_int(fields[name])
        except ValueError:
            raise ValueError(f"non-numeric {name} {fields[name]!r}") from None
        if value is None:
            raise ValueError(f"missing {name}")
        out[name] = value
    if not 1816 <= int(out["year"]) <= 2100:  # type: ignore[call-overload]
        raise ValueError(f"year {out['year']} out of range 1816-2100")
    for name in (*COMPONENTS, "cinc"):
        try:
            value_f = parse_float(fields[name])
        except ValueError:
            raise ValueError(f"non-numeric {name} {fields[name]!r}") from None
        if value_f is not None and value_f < 0 and value_f != _MISSING:
            raise ValueError(f"negative {name} {value_f:g} (only -9 marks missing)")
        out[name] = None if value_f is None or value_f == _MISSING else value_f
    try:
        out["version"] = parse_int(fields.get("version", ""))
    except ValueError:
        raise ValueError(f"non-numeric version {fields['version']!r}") from None
    return out
