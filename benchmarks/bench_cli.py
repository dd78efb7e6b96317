"""How long the command line takes to answer ``--help`` (and ``--version``), process start included.

    python benchmarks/bench_cli.py              # 10 trials of each command
    python benchmarks/bench_cli.py --trials 30

Each trial starts a new ``spillover`` process, as a user's shell does, and times it to its
exit. Prints the median, the fastest and the slowest trial per command, and which of the
numerical libraries (NumPy, pandas, SciPy, Numba, DuckDB, pyarrow) the command imported:
``--help`` should import none of them (``spillover data --help`` loads the data layer).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

COMMANDS = (["--version"], ["--help"], ["run", "--help"], ["sensitivity", "--help"], ["data", "--help"])
HEAVY = ("numpy", "pandas", "scipy", "numba", "duckdb", "pyarrow")
_PROBE = ("import sys\nfrom spillover.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
          f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")


def _entry_point() -> list[str]:
    script = Path(sys.executable).parent / "spillover"
    found = str(script) if script.exists() else shutil.which("spillover")
    return [found] if found else [sys.executable, "-c", "from spillover.cli.main import main; main()"]


def _time(cmd: list[str], trials: int) -> list[float]:
    subprocess.run(cmd, capture_output=True, check=True)  # warm the file cache
    times = []
    for _ in range(trials):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    return times


def _imported(args: list[str]) -> str:
    done = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True)
    return done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=10)
    trials = parser.parse_args().trials
    entry = _entry_point()
    print(f"{'command':<28} {'median':>8} {'fastest':>8} {'slowest':>8}  numerical libraries imported")
    for args in COMMANDS:
        t = _time([*entry, *args], trials)
        print(f"{'spillover ' + ' '.join(args):<28} {statistics.median(t):>7.3f}s {min(t):>7.3f}s "
              f"{max(t):>7.3f}s  {_imported(args) or 'none'}")


if __name__ == "__main__":
    main()
