"""Benchmark: a large GDELT export stored as a Parquet event file vs. rows of a DuckDB table.

Usage::

    python benchmarks/bench_data_store.py [--rows 1000000] [--repeat 5]

Builds the same synthetic export as ``bench_data_import.py`` (the real 15-minute sample
repeated with shifted ids and dates), imports it into two fresh stores, once as an
event file (how exports of 64 MiB or more are stored) and once into
``gdelt_event_rows`` (how smaller ones are), and reports for each: the import time, the
store's size on disk (database file plus event files) and the best time of a monthly
dyad series and of a filtered count over all the events, through the ``gdelt_events``
view. Both stores must give the same answers.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
import warnings
from pathlib import Path

from bench_data_import import _sample, write_synthetic  # beside this script
from spillover import data
from spillover.data import event_files

COUNT = "SELECT count(*), sum(num_mentions) FROM gdelt_events WHERE actor1_id = 'RUS'"


def _size(db: Path) -> int:
    folder = event_files.events_dir(db)
    files = sum(p.stat().st_size for p in folder.iterdir()) if folder.is_dir() else 0
    return db.stat().st_size + files


def _best(repeat: int, work: object) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = work()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times), out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5, help="runs of each query (best)")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="spillover-bench-store-"))
    try:
        export = workdir / "20191024143000.export.CSV"
        write_synthetic(export, args.rows, _sample()[1])
        answers = {}
        print(f"{'stored as':<16}{'import s':>9}{'size MB':>9}{'dyad s':>9}{'count s':>9}")
        for label, threshold in (("event file", 0), ("table rows", 2**62)):
            event_files.EVENT_FILE_BYTES = threshold
            db = workdir / f"{label.replace(' ', '-')}.duckdb"
            with data.open_store(db) as store:
                seconds, _ = _best(1, lambda s=store: data.import_file(s, "gdelt", export))
            with data.open_store(db, read_only=True) as store, warnings.catch_warnings():
                warnings.simplefilter("ignore", data.CoverageWarning)  # the same query as ever
                dyad_s, dyad = _best(args.repeat, lambda s=store: data.dyad_series(
                    s, "USA", "CHN", "2017-01-01", "2019-12-31", freq="month"))  # fmt: skip
                count_s, count = _best(
                    args.repeat, lambda s=store: s.con.execute(COUNT).fetchall()
                )
            answers[label] = (dyad, count)
            print(f"{label:<16}{seconds:>9.2f}{_size(db) / 1e6:>9.1f}{dyad_s:>9.3f}{count_s:>9.3f}")
        (dyad_a, count_a), (dyad_b, count_b) = answers.values()
        assert count_a == count_b and dyad_a.equals(dyad_b), "the two stores disagree"
        print(f"({args.rows:,} events; both stores give the same dyad series and count)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
