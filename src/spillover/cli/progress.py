"""Progress on the terminal: what is happening before the first runs finish, and a bar that moves.

The first run on a machine compiles the engine with Numba (cached afterwards): the bar then
says so instead of sitting at 0 with no word. Whether the cache is warm is read from
Numba's index files, without importing Numba. Chunks are sized so that each is about two
seconds of work; results never depend on the chunk size.
"""

from __future__ import annotations

import hashlib
import math
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from spillover.cli.console import err

__all__ = ["COMPILING", "Ticker", "auto_chunk_size", "engine_is_compiled", "status_bar"]

COMPILING = "compiling the engine, once…"
ROW_DAYS_PER_CHUNK = 8_000_000
"""Rows × days in one chunk: about two seconds of one core's work on the built-in scenario
(the compiled step does about 4 million row-days per CPU second on it; 4 December 2026).
Smaller chunks spend more of their time on per-chunk work: 10,000 runs of nk-russia-2023
took 17.6 s in chunks of 288 runs and 15.8 s in chunks of 1,000, on 2 workers."""
MAX_CHUNKS = 500
"""At most this many chunks (parts of the run folder) for very large runs."""


def _engine_source() -> Path:
    import spillover

    return Path(spillover.__file__).parent / "engine" / "jit.py"


def _user_cache_dir() -> Path:
    """Numba's user-wide cache directory (appdirs' user_cache_dir for 'numba')."""
    home = Path.home()
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "numba"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA", home)) / "numba" / "Cache"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "numba"


def _cache_dir(source: Path) -> Path:
    """Where Numba caches the functions of ``source``: the first of its locators that applies."""
    folder = os.path.dirname(os.path.abspath(source))
    sub = f"{os.path.basename(folder)}_{hashlib.sha1(folder.encode()).hexdigest()}"
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"]) / sub
    in_tree = Path(folder) / "__pycache__"
    if os.access(in_tree if in_tree.exists() else folder, os.W_OK):
        return in_tree
    return _user_cache_dir() / sub


def engine_is_compiled(source: Path | None = None) -> bool:
    """Whether the engine's step is ready: built ahead of time for today's sources
    (:mod:`spillover.engine.prebuilt`), or in Numba's cache (``jit.run_days``).

    Cheap: a few ``stat`` calls and reads, and no import of Numba. Numba >= 0.62 stamps an
    index with the sha256 of the source's bytes (found in the index as it is); older
    versions with the source's mtime (an index at least as new as the source). A cache
    written for another version of the source counts as cold, as Numba would recompile it.
    """
    from spillover.engine import prebuilt

    if source is None and prebuilt.looks_ready():
        return True
    source = source or _engine_source()
    try:
        text, stamp = source.read_bytes(), source.stat().st_mtime
    except OSError:
        return True  # nothing to tell
    digest = hashlib.sha256(text).digest()
    v = sys.version_info
    pattern = f"{source.stem}.run_days-*.py{v.major}{v.minor}{getattr(sys, 'abiflags', '')}.nbi"
    for index in _cache_dir(source).glob(pattern):
        try:
            if digest in index.read_bytes() or index.stat().st_mtime >= stamp:
                return True
        except OSError:
            continue
    return False


def auto_chunk_size(runs: int, variants: int, days: int, cores: int | None = None) -> int:
    """Runs per chunk so that a chunk is about two seconds of work (16 to 1,000 runs), and
    each of the machine's ``cores`` gets at least two chunks when there are runs enough.

    ``variants`` rows are simulated per run (each policy, with and without transfers) for
    ``days`` days. Very large runs use bigger chunks, so that there are at most
    :data:`MAX_CHUNKS` of them.

    >>> auto_chunk_size(2000, variants=12, days=730, cores=2)
    512
    >>> auto_chunk_size(100_000, variants=12, days=730, cores=2)
    912
    >>> auto_chunk_size(200, variants=12, days=730, cores=2)
    64
    >>> auto_chunk_size(5000, variants=2, days=30, cores=2)
    1000
    """
    size = ROW_DAYS_PER_CHUNK // max(1, variants * days)
    size = max(16, min(1000, size // 16 * 16))
    share = math.ceil(runs / (2 * (cores or os.cpu_count() or 1)) / 16) * 16
    floor = math.ceil(runs / MAX_CHUNKS / 16) * 16
    return max(min(size, max(16, share)), min(1000, floor))


class Ticker:
    """The progress callback ``(done, total)`` a run calls; :meth:`hold` clears the bar on
    stderr before tables are printed on stdout (on a terminal the two would draw over each
    other), and :meth:`spin` then says what is still being done until the end."""

    def __init__(self, tick: Callable[[int, int], None], hold: Callable[[], None] = lambda: None,
                 spin: Callable[[], None] = lambda: None) -> None:
        self._tick, self._hold, self._spin = tick, hold, spin

    def __call__(self, done: int, total: int) -> None:
        self._tick(done, total)

    def hold(self) -> None:
        """Clear the bar for good: later calls draw nothing."""
        self._hold()

    def spin(self) -> None:
        """A one-line spinner with what is still being done, until the bar's block ends."""
        self._spin()


@contextmanager
def status_bar(label: str, total: int | None, cold: bool = False,
               finishing: str | None = None) -> Iterator[Ticker]:
    """A progress bar on stderr; yields the callback ``(done, total)`` (a :class:`Ticker`).

    The first call comes when the runs start: until the next one the bar reads
    :data:`COMPILING` when ``cold`` (the engine compiles then), else ``label``; when every
    run is done it reads ``finishing`` (what happens next), if given. Off a terminal there is
    no bar, but a cold start still says on one line, when the runs start, that it compiles.
    """
    console = err()
    if not console.is_terminal:
        said = [not cold]

        def note(done: int, all_runs: int) -> None:
            if not said[0]:
                said[0] = True
                console.print(COMPILING, markup=False, highlight=False)

        yield Ticker(note)
        return
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), console=console, transient=True)
    spinner = console.status(escape(finishing or label))
    task = bar.add_task(escape(COMPILING if cold else label), total=total)
    calls, held = [0], [False]

    def tick(done: int, all_runs: int) -> None:
        calls[0] += 1
        text = finishing if finishing and done >= all_runs else label
        if cold and calls[0] == 1 and done < all_runs:
            text = COMPILING  # the runs have just started: the engine compiles now
        if not held[0]:
            bar.update(task, completed=done, total=all_runs, description=escape(text), refresh=True)

    def hold() -> None:
        held[0] = True
        bar.stop()

    def spin() -> None:
        hold()
        spinner.start()

    bar.start()
    try:
        yield Ticker(tick, hold, spin)
    finally:
        bar.stop()
        spinner.stop()
