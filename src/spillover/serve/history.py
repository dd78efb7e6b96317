"""The run history, read from the run folders' manifests and (with DuckDB) Parquet files.

Only folders whose name is a valid run id and which hold a ``manifest.json`` count as
runs; temporary folders of runs in progress (``.name.partial-…``) are never listed, nor
are folders that are (or hold) symbolic links leading out of the runs directory. A
folder whose files cannot be read is left out; it never breaks the listing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from spillover.report import tables as T
from spillover.serve.models import RunRow
from spillover.serve.paths import PARTIAL, RUN_ID, inside, run_folder, sealed

#: Outcomes compared side by side (when both runs have them), besides the claims.
KEY_PREFIXES = ("miscalc_peak", "miscalc_mean", "days_of_fire.", "peak.", "fired.")


def run_folders(runs_dir: Path, limit: int | None = None) -> list[Path]:
    """Folders of finished runs, newest first (at most ``limit``), each inside the runs
    directory with nothing in it linking out (see :func:`~spillover.serve.paths.sealed`)."""
    if not runs_dir.is_dir():
        return []
    found = []
    for p in runs_dir.iterdir():
        if not RUN_ID.match(p.name) or p.name.endswith(PARTIAL):
            continue
        try:
            folder = inside(runs_dir, p.name)  # a link out of the runs directory is refused
        except ValueError:
            continue
        if (folder / "manifest.json").is_file():
            found.append(p)
    found.sort(key=_mtime, reverse=True)
    out = []
    for p in found:  # the costlier check, newest first, only as far as needed
        if sealed(p):
            out.append(p)
            if limit is not None and len(out) == limit:
                break
    return out


def _mtime(p: Path) -> float:
    try:
        return p.stat().st_mtime
    except OSError:
        return 0.0


def _outcome_files(folder: Path) -> list[str]:
    path = folder / "outcomes.parquet"
    if path.is_dir():
        return [str(p) for p in sorted(path.glob("*.parquet"))]
    return [str(path)] if path.is_file() else []


def _readable_manifests(folders: list[Path]) -> list[str]:
    ok = []
    for f in folders:
        try:
            m = json.loads((f / "manifest.json").read_text(encoding="utf-8"))
            if isinstance(m, dict) and m.get("status", "complete") == "complete":
                ok.append(str(f / "manifest.json"))
        except (OSError, ValueError):
            continue
    return ok


def history(runs_dir: Path, limit: int = 200) -> list[dict[str, Any]]:
    """One row per run folder: id, scenario, created, runs, seed, policies, seconds, rows.

    Each manifest is read on its own, so one odd manifest changes only its own row: a
    field of the wrong kind shows as missing and is named in the row's ``damaged``.

    >>> history(Path("/nonexistent"))
    []
    """
    folders = run_folders(runs_dir, limit)
    manifests = _readable_manifests(folders)
    if not manifests:
        return []
    con = duckdb.connect()
    rows = _row_counts(con, [Path(m).parent for m in manifests])
    out = []
    for rec in (rec for m in manifests for rec in _manifest_row(m)):
        folder = Path(rec.pop("filename")).parent
        report = (folder / "report.html").is_file()
        out.append(RunRow(**rec, id=folder.name, rows=rows.get(folder.name), report=report).model_dump())
    order = {f.name: i for i, f in enumerate(folders)}
    return sorted(out, key=lambda r: order[r["id"]])


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


#: The history's fields of a manifest, and the test a value must pass to be shown.
_FIELDS: dict[str, Any] = {
    "scenario": lambda x: isinstance(x, str),
    "created": lambda x: isinstance(x, str),
    "runs": _is_int,
    "seed": _is_int,
    "policies": lambda x: isinstance(x, list) and all(isinstance(p, str) for p in x),
    "seconds": lambda x: (_is_int(x) or isinstance(x, float)) and abs(x) < 1e300,
}


def _manifest_row(manifest: str) -> list[dict[str, Any]]:
    """The history fields of one manifest (none when it cannot be read); a field of the wrong
    kind is None and named in ``damaged``."""
    try:
        m = json.loads(Path(manifest).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(m, dict):
        return []
    timings = m.get("timings")
    values = {k: m.get(k) for k in _FIELDS if k != "seconds"}
    values["seconds"] = timings.get("total") if isinstance(timings, dict) else None
    damaged = [k for k, ok in _FIELDS.items() if values[k] is not None and not ok(values[k])]
    row = {k: (None if k in damaged else v) for k, v in values.items()}
    row["policies"] = row["policies"] or []
    return [{"filename": manifest, **row, "damaged": damaged}]


def _row_counts(con: duckdb.DuckDBPyConnection, folders: list[Path]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for folder in folders:
        files = _outcome_files(folder)
        if not files:
            continue
        try:
            n = con.execute("SELECT count(*) FROM read_parquet($f)", {"f": files}).fetchone()
        except duckdb.Error:
            continue
        counts[folder.name] = int(n[0]) if n else 0
    return counts


def _claims(con: duckdb.DuckDBPyConnection, folder: Path) -> pd.DataFrame:
    path = folder / "claims.json"
    if not path.is_file():
        return pd.DataFrame(columns=["claim", "policy", "text", "probability", "lo", "hi", "word"])
    return con.execute("SELECT claim, policy, text, probability, lo, hi, word FROM read_json($f)",
                       {"f": str(path)}).df()


def _means(con: duckdb.DuckDBPyConnection, folder: Path, columns: list[str]) -> pd.DataFrame:
    files = _outcome_files(folder)
    if not files or not columns:
        return pd.DataFrame(columns=["policy", *columns])
    parts = ", ".join(f'avg(CAST("{c.replace(chr(34), chr(34) * 2)}" AS DOUBLE)) AS "{i}"'
                      for i, c in enumerate(columns))
    df = con.execute(f"SELECT policy, {parts} FROM read_parquet($f) GROUP BY policy", {"f": files}).df()
    return df.rename(columns={str(i): c for i, c in enumerate(columns)})


def _columns(con: duckdb.DuckDBPyConnection, folder: Path) -> list[str]:
    files = _outcome_files(folder)
    if not files:
        return []
    rel = con.execute("SELECT * FROM read_parquet($f) LIMIT 0", {"f": files})
    return [d[0] for d in rel.description]


def compare_runs(runs_dir: Path, a: str, b: str) -> dict[str, Any]:
    """Two runs side by side: their manifests, claims and key outcome means per policy.

    Claims and outcomes are matched by (claim or quantity, policy); a row missing from
    one run has ``None`` on that side.
    """
    fa, fb = run_folder(runs_dir, a), run_folder(runs_dir, b)
    for f in (fa, fb):
        if not (f / "manifest.json").is_file() or not sealed(f):
            raise FileNotFoundError(f"no run '{f.name}'")
    con = duckdb.connect()
    ca, cb = _claims(con, fa), _claims(con, fb)
    claims = ca.merge(cb, on=["claim", "policy"], how="outer", suffixes=("_a", "_b"))
    claims = _in_order(claims, "claim", [*ca["claim"], *cb["claim"]], _policies(fa, fb))
    common = [c for c in _columns(con, fa) if c in set(_columns(con, fb)) and c.startswith(KEY_PREFIXES)]
    ma = _means(con, fa, common).melt(id_vars="policy", var_name="quantity", value_name="mean_a")
    mb = _means(con, fb, common).melt(id_vars="policy", var_name="quantity", value_name="mean_b")
    outcomes = _in_order(ma.merge(mb, on=["quantity", "policy"], how="outer"), "quantity", common,
                         _policies(fa, fb))
    summary = _summary(fa)
    outcomes["label"] = [T.outcome_label(summary, q) for q in outcomes["quantity"]]
    return {
        "a": _manifest(fa), "b": _manifest(fb),
        "claims": _records(claims), "outcomes": _records(outcomes),
    }


def _policies(*folders: Path) -> list[str]:
    out: list[str] = []
    for f in folders:
        for p in json.loads((f / "manifest.json").read_text(encoding="utf-8")).get("policies") or []:
            if p not in out:
                out.append(p)
    return out


def _in_order(df: pd.DataFrame, key: str, keys: list[str], policies: list[str]) -> pd.DataFrame:
    """Rows by ``key`` in first-seen order, then by policy in run order."""
    rank = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    prank = {p: i for i, p in enumerate(policies)}
    order = sorted(range(len(df)), key=lambda i: (rank.get(df[key].iloc[i], len(rank)),
                                                  prank.get(df["policy"].iloc[i], len(prank))))
    return df.iloc[order].reset_index(drop=True)


def _summary(folder: Path) -> dict[str, Any]:
    path = folder / "scenario.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _manifest(folder: Path) -> dict[str, Any]:
    m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    wanted = m.get("policies") or []
    declared = {p.get("id"): p.get("levers", {}) for p in _summary(folder).get("policies") or []}
    levers = {p: declared[p] for p in wanted if p in declared}
    return {"id": folder.name, "scenario": m.get("scenario"), "created": m.get("created"),
            "runs": m.get("runs"), "seed": m.get("seed"), "policies": m.get("policies") or [],
            "levers": levers}


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return json.loads(df.to_json(orient="records")) if not df.empty else []


def pairing_candidates(runs_dir: Path, run_id: str, manifest: dict[str, Any], keys: tuple[str, ...],
                       limit: int = 3) -> list[str]:
    """Runs whose preset can pair with a run of one policy: the same ``keys`` in their
    manifests (scenario, runs, seed, design) and more than one policy; newest first."""
    out = []
    for folder in run_folders(runs_dir):
        if folder.name == run_id:
            continue
        try:
            m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (isinstance(m, dict) and len(m.get("policies") or []) > 1
                and all(m.get(k) == manifest.get(k) for k in keys)):
            out.append(folder.name)
            if len(out) == limit:
                break
    return out
