"""Writing rows the importers share: frames into tables, actor names, notes on actor ids."""

from __future__ import annotations

import duckdb
import pandas as pd

__all__ = ["actor_notes", "insert_frame", "record_actors"]


def insert_frame(
    con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, on_conflict: str = ""
) -> None:
    """Insert a DataFrame into ``table`` matching columns by name."""
    if frame.empty:
        return
    view = f"_spillover_insert_{table}"
    con.register(view, frame)
    try:
        conflict = f" ON CONFLICT {on_conflict}" if on_conflict else ""
        columns = ", ".join(f'"{c}"' for c in frame.columns)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {view}{conflict}")
    finally:
        con.unregister(view)


def record_actors(con: duckdb.DuckDBPyConnection, actors: pd.DataFrame) -> None:
    """Add the names of a file to ``actor_names`` (a name known already keeps its id)."""
    if actors.empty:
        return
    columns = ["scheme", "name", "actor_id", "kind", "method", "location_iso3"]
    frame = actors[columns].astype(object).where(actors[columns].notna(), None)
    insert_frame(con, "actor_names", frame, on_conflict="DO NOTHING")


def actor_notes(actors: pd.DataFrame) -> list[str]:
    """Summary of actors that kept ``X-`` ids, by kind."""
    kept = actors[actors["actor_id"].str.startswith("X-") & (actors["kind"] != "unmapped")]
    if kept.empty:
        return []
    counts = kept.groupby("kind").size().sort_index()
    parts = ", ".join(f"{n} {kind.replace('_', '-')}" for kind, n in counts.items())
    return [f"own X- ids kept for {parts}"]
