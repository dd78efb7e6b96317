"""Benchmark: importing a large GDELT export into the store vs. pandas and pyarrow parsing it.

Usage::

    python benchmarks/bench_data_import.py [--rows 1000000] [--repeat 3] [--keep] [--sample F]

A synthetic GDELT 2.0 export of ``--rows`` rows (1,000,000 rows is about 400 MB) is made by
repeating the real 15-minute sample (``../shared/data/gdelt/20191024143000.export.CSV``, or
the committed excerpt in ``tests/data`` when that is absent, or ``--sample``) with shifted event ids and
dates, and 1 row in 10,000 damaged (wrong column count, non-numeric NumMentions, unknown
CAMEO code, event date out of range) so the import has rows to quarantine. A second file
with a fifth of the rows shows how peak memory scales with file size.

Each measurement runs in its own subprocess, which reports its own peak RSS (the kernel's
high-water mark, ``getrusage(RUSAGE_SELF).ru_maxrss``, including the interpreter and the
libraries it imported), so one measurement's memory never leaks into another's. Times are
for the operation alone (import or parse): the best and the median of ``--repeat``
rounds (3 by default), interleaved so that the machine's drift in speed falls on every
measurement alike:

* ``spillover import``: :func:`spillover.data.import_file` into a fresh store, validated,
  bad rows quarantined in ``rejected_rows``, sha256 computed, committed to disk (both
  files are large enough to be stored as Parquet event files, see ``docs/data.md``);
* ``pandas.read_csv``: the same file into a DataFrame (tab-separated, no quoting, CAMEO
  code columns as text so leading zeros survive, malformed lines skipped);
* ``pyarrow.csv.read_csv``: the raw-parse floor (multi-threaded, malformed lines skipped).

Targets (issue 6): the import at least as fast as ``pandas.read_csv`` and within 2x of
``pyarrow.csv``; its peak memory under 400 MB and at most 1.3x from the small to the full
file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = (
    ROOT.parent / "shared" / "data" / "gdelt" / "20191024143000.export.CSV",
    ROOT / "tests" / "data" / "gdelt" / "20191024143000.export.CSV",
)
BAD_EVERY = 10_000
CODE_COLUMNS = (26, 27, 28)  # EventCode, EventBaseCode, EventRootCode


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


# --------------------------------------------------------------------------- synthetic data


def _sample(given: Path | None = None) -> tuple[Path, list[list[str]]]:
    path = given if given is not None else next(p for p in SAMPLES if p.is_file())
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if line]
    return path, rows


def _damage(fields: list[str], kind: int) -> list[str]:
    damaged = list(fields)
    if kind == 0:
        return damaged[:60]  # wrong column count
    if kind == 1:
        damaged[31] = "n/a"  # NumMentions not a number
    elif kind == 2:
        damaged[26] = "999"  # unknown CAMEO event code
    else:
        damaged[1] = "20991231"  # event date after DATEADDED
    return damaged


def write_synthetic(path: Path, rows: int, sample: list[list[str]]) -> int:
    """Write ``rows`` GDELT rows built from ``sample``; returns how many were damaged."""
    shifted_dates: dict[tuple[str, int], tuple[str, str, str, str]] = {}
    shifted_added: dict[tuple[str, int], str] = {}
    damaged = 0
    written = 0
    block = 0
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        while written < rows:
            lines = []
            for fields in sample:
                if written >= rows:
                    break
                key = (fields[1], block)
                if key not in shifted_dates:
                    day = datetime.strptime(fields[1], "%Y%m%d").date() - timedelta(days=block)
                    fraction = day.year + (day.timetuple().tm_yday / 365)
                    shifted_dates[key] = (
                        day.strftime("%Y%m%d"),
                        day.strftime("%Y%m"),
                        str(day.year),
                        f"{fraction:.4f}",
                    )
                added_key = (fields[59], block)
                if added_key not in shifted_added:
                    added = datetime.strptime(fields[59], "%Y%m%d%H%M%S") - timedelta(days=block)
                    shifted_added[added_key] = added.strftime("%Y%m%d%H%M%S")
                row = [
                    str(int(fields[0]) + block * 10_000_000),
                    *shifted_dates[key],
                    *fields[5:59],
                    shifted_added[added_key],
                    fields[60],
                ]
                if written % BAD_EVERY == BAD_EVERY // 2:
                    row = _damage(row, damaged % 4)
                    damaged += 1
                lines.append("\t".join(row))
                written += 1
            out.write("\n".join(lines) + "\n")
            block += 1
    return damaged


# --------------------------------------------------------------------------- measurements


def child_import(file: Path, db: Path) -> dict[str, float]:
    from spillover import data

    with data.open_store(db) as store:
        start, cpu = time.perf_counter(), _cpu_seconds()
        result = data.import_file(store, "gdelt", file)
        seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    return {
        "seconds": seconds,
        "cpu": cpu,
        "rows": result.rows_imported,
        "rejected": result.rows_rejected,
    }


def child_pandas(file: Path) -> dict[str, float]:
    import csv

    import pandas as pd

    start, cpu = time.perf_counter(), _cpu_seconds()
    frame = pd.read_csv(
        file,
        sep="\t",
        header=None,
        quoting=csv.QUOTE_NONE,
        dtype={c: str for c in CODE_COLUMNS},
        on_bad_lines="skip",
    )
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": len(frame), "rejected": 0}


def child_pyarrow(file: Path) -> dict[str, float]:
    import pyarrow as pa
    from pyarrow import csv

    start, cpu = time.perf_counter(), _cpu_seconds()
    table = csv.read_csv(
        file,
        read_options=csv.ReadOptions(autogenerate_column_names=True),
        parse_options=csv.ParseOptions(
            delimiter="\t", quote_char=False, invalid_row_handler=lambda row: "skip"
        ),
        convert_options=csv.ConvertOptions(
            column_types={f"f{c}": pa.string() for c in CODE_COLUMNS}
        ),
    )
    seconds, cpu = time.perf_counter() - start, _cpu_seconds() - cpu
    return {"seconds": seconds, "cpu": cpu, "rows": table.num_rows, "rejected": 0}


def _run_child(kind: str, file: Path, workdir: Path, attempt: int) -> dict[str, float]:
    args = [sys.executable, __file__, "--child", kind, "--file", str(file)]
    if kind == "import":
        args += ["--db", str(workdir / f"bench-{file.parent.name}-{attempt}.duckdb")]
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{kind} measurement failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(
    cases: list[tuple[str, Path]], workdir: Path, repeat: int
) -> list[dict[str, float]]:
    """Best and median time (and largest peak RSS) of each case over ``repeat`` rounds.

    The rounds are interleaved (every case once, then every case again, ...), so that
    the machine's drift in speed from minute to minute falls on every case alike, and
    each round starts one case later than the one before, so that no case always
    follows the same one.
    """
    seen: list[list[dict[str, float]]] = [[] for _ in cases]
    for attempt in range(repeat):
        for turn in range(len(cases)):
            number = (attempt + turn) % len(cases)
            kind, file = cases[number]
            seen[number].append(_run_child(kind, file, workdir, attempt))
    out = []
    for results in seen:
        best = min(results, key=lambda result: result["seconds"])
        median = statistics.median(result["seconds"] for result in results)
        peak = max(result["peak_rss_mb"] for result in results)
        out.append({**best, "median": median, "peak_rss_mb": peak})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the big file")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved rounds (best, median)")
    parser.add_argument("--keep", action="store_true", help="keep the temp directory")
    parser.add_argument(
        "--sample", type=Path, help="the GDELT export to repeat (default: the real sample)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        runners = {
            "import": lambda: child_import(args.file, args.db),
            "pandas": lambda: child_pandas(args.file),
            "pyarrow": lambda: child_pyarrow(args.file),
        }
        result = runners[args.child]()
        print(json.dumps({**result, "peak_rss_mb": _peak_rss_mb()}))
        return

    sample_path, sample = _sample(args.sample)
    workdir = Path(tempfile.mkdtemp(prefix="spillover-bench-"))
    small_rows = max(args.rows // 5, 1)
    print(f"sample: {sample_path} ({len(sample)} rows), work dir: {workdir}")
    files = {}
    for rows in (args.rows, small_rows):
        path = workdir / f"{rows}" / "20191024143000.export.CSV"
        path.parent.mkdir()
        start = time.perf_counter()
        damaged = write_synthetic(path, rows, sample)
        files[rows] = (path, damaged)
        size = path.stat().st_size / 1e6
        print(f"wrote {rows:,} rows ({size:,.0f} MB, {damaged} damaged) in "
              f"{time.perf_counter() - start:.1f} s")  # fmt: skip
    big, big_damaged = files[args.rows]
    small, small_damaged = files[small_rows]
    load_before = os.getloadavg()[0]
    names = [
        ("spillover import", args.rows),
        ("spillover import", small_rows),
        ("pandas.read_csv", args.rows),
        ("pyarrow.csv.read_csv", args.rows),
    ]
    cases = [("import", big), ("import", small), ("pandas", big), ("pyarrow", big)]
    measured = measure(cases, workdir, args.repeat)
    runs = [(name, rows, result) for (name, rows), result in zip(names, measured, strict=True)]
    print()
    header = ("measurement", "rows", "seconds", "median", "rows/s", "CPU s", "peak RSS", "rejected")
    print("{:<22}{:>11}{:>9}{:>8}{:>11}{:>7}{:>11}{:>10}".format(*header))
    for name, rows, result in runs:
        print(
            f"{name:<22}{rows:>11,}{result['seconds']:>9.2f}{result['median']:>8.2f}"
            f"{rows / result['seconds']:>11,.0f}{result['cpu']:>7.2f}"
            f"{result['peak_rss_mb']:>8.0f} MB{int(result['rejected']):>10}"
        )
    load = os.getloadavg()[0]
    print(f"({os.cpu_count()}-core machine; 1-minute load average {load_before:.1f} before the")
    print(f" measurements, {load:.1f} at the end; seconds are wall")
    print(" time of the operation alone: the best and the median of --repeat interleaved")
    print(" rounds; CPU s is user+system time of the best run)")
    imp, imp_small, pandas_run, arrow_run = (r for _, _, r in runs)
    assert imp["rejected"] == big_damaged and imp_small["rejected"] == small_damaged
    ratio = imp["peak_rss_mb"] / imp_small["peak_rss_mb"]
    def versus(other: dict[str, float]) -> str:
        return (
            f"best {imp['seconds']:.2f} vs {other['seconds']:.2f} s, "
            f"median {imp['median']:.2f} vs {other['median']:.2f} s"
        )

    checks = [
        (
            f"import at least as fast as pandas.read_csv ({versus(pandas_run)})",
            imp["seconds"] <= pandas_run["seconds"],
        ),
        (
            f"import within 2x of pyarrow.csv ({versus(arrow_run)})",
            imp["seconds"] <= 2 * arrow_run["seconds"],
        ),
        (f"peak RSS {args.rows:,} vs {small_rows:,} rows <= 1.3x ({ratio:.2f}x)", ratio <= 1.3),
        (f"import peak RSS < 400 MB ({imp['peak_rss_mb']:.0f} MB)", imp["peak_rss_mb"] < 400),
    ]
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
