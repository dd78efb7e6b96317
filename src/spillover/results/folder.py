"""A run folder written while the run goes: parts, checkpoints, resume, and the final rename.

While running, the folder is ``<name>.partial``; it becomes ``<name>`` only when complete,
so an interrupted run never looks complete. Each finished chunk's outcomes are written at
once as a Parquet part of the dataset ``outcomes.parquet/`` (temp file + rename). The
manifest records the chunks whose outcomes *and* histogram counts are safely on disk (the
checkpoint); on resume the other parts are discarded and their chunks run again, which
gives the same values.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import shutil
import time
import zipfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from spillover.engine.histogram import BINS, SAMPLE_RUNS, DailyHistogram, SeriesSpec
from spillover.ensemble.chunks import ChunkResult
from spillover.results.assemble import Assembler, canonical
from spillover.results.store import atomic_write, write_json, write_table

PARTIAL = ".partial"
PARTS = "outcomes.parquet"
IN_MEMORY_RUNS = 20_000  # a folder run's RunResult.outcomes holds at most these runs
SERIES_FULL = "series_full"
COUNTS = "series-counts.npz"
OBSERVED = "observed"  # with evidence: each chunk's observed quantities, for a resumed run's weights
LOCK = ".lock"


class ResumeRefused(ValueError):
    """A run folder that cannot be resumed with this scenario, seed or version."""


class FolderBusy(ResumeRefused):
    """Another process is writing the run folder."""


class NoSpace(OSError):
    """The disk filled up while a run folder was written; the run can be resumed."""

    def __str__(self) -> str:
        return str(self.strerror)


class WorkerLost(ChildProcessError):
    """A worker process died (killed, or out of memory) while a run folder was written; the
    run can be resumed."""


def no_space(exc: BaseException, path: Path) -> bool:
    """True when ``exc`` comes from a full disk (errno ENOSPC or a short write with little free)."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    if isinstance(exc, OSError) and "requested and" in str(exc) and "written" in str(exc):
        return True  # NumPy's tofile reports a short write this way
    try:
        return isinstance(exc, OSError) and shutil.disk_usage(path).free < 1 << 20
    except OSError:
        return False


def _readable(path: Path) -> bool:
    """True for a missing file (it will be made) or one that reads whole; False if damaged."""
    if not path.exists():
        return True
    try:
        if path.suffix == ".parquet":
            pq.read_metadata(path)
        else:
            json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, pa.ArrowInvalid):
        return False
    return True


def _read_counts(path: Path) -> dict[str, np.ndarray] | None:
    """The arrays of a histogram counts file; None when it is missing or damaged (never
    unpickled: a file holding objects is damaged; see :func:`_consistent`)."""
    try:
        with np.load(path) as z:
            data = {k: z[k] for k in z.files}
    except (OSError, ValueError, EOFError, TypeError, AttributeError, KeyError, zipfile.BadZipFile):
        return None
    return data if {"counts", "vmin", "vmax", "n"} <= set(data) and _consistent(data) else None


def _consistent(d: dict[str, np.ndarray]) -> bool:
    """Whether saved histogram arrays can be what a run counted: whole non-negative counts
    of shape (days, policies, series, BINS) that add up, each day and series, to the
    policy's rows ``n``; float extremes of shape (days, policies, series); and whole
    numbers for the finished chunks. Anything else is a damaged file, counted again."""
    c, vmin, vmax, n = d["counts"], d["vmin"], d["vmax"], d["n"]
    if c.dtype.kind not in "ui" or n.dtype.kind not in "ui" or c.ndim != 4 or c.shape[-1] != BINS:
        return False
    if not all(v.dtype.kind == "f" and v.shape == c.shape[:3] for v in (vmin, vmax)):
        return False
    if n.shape != c.shape[1:2] or (n < 0).any() or (c.size and c.min() < 0):
        return False
    finished = d.get("finished")
    if finished is not None and (finished.ndim != 1 or finished.dtype.kind not in "ui"):
        return False
    totals = c.sum(axis=-1, dtype=np.int64)
    return bool(np.array_equal(totals, np.broadcast_to(n[None, :, None], c.shape[:3])))


def _whole(x: Any, least: int) -> bool:
    return isinstance(x, int) and not isinstance(x, bool) and x >= least


def _manifest_problem(m: Any) -> str | None:
    """What makes a run's manifest unusable for a resume (hand-edited or damaged), or None."""
    if not isinstance(m, dict):
        return "is not a JSON object"
    for key, least in (("runs", 1), ("seed", 0), ("chunk_size", 1)):
        if not _whole(m.get(key), least):
            return f"has {key} {m.get(key)!r}, not a whole number of at least {least}"
    for key in ("scenario_file", "design"):
        if not isinstance(m.get(key), str):
            return f"has {key} {m.get(key)!r}, not a text"
    for key in ("policies", "variants", "finished_chunks"):
        value = m.get(key, [])
        kind = str if key != "finished_chunks" else int
        if not (isinstance(value, list) and all(type(v) is kind for v in value)):
            return f"has {key} {value!r}, not a list of {'texts' if kind is str else 'whole numbers'}"
    return None


def _remove(path: Path) -> None:
    """Remove a file, or a folder where a file should be."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def partial_of(final: Path) -> Path:
    return final.with_name(final.name + PARTIAL)


class RunFolder:
    """The on-disk state of one run."""

    def __init__(self, final: Path, manifest: dict[str, Any]) -> None:
        self.final = final
        self.path = partial_of(final)
        self.manifest = manifest
        self._lock_fd: int | None = None
        self.counts_shape: tuple[int, int, int] | None = None
        """(days, policies, series) of the run's daily histogram, when known: a saved one of
        another shape is damaged (see :meth:`saved_counts`)."""

    def lock(self) -> None:
        """Hold the folder for this process: a second run or resume of it is refused at once."""
        fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode("ascii", "replace").strip() or "?"
            os.close(fd)
            raise FolderBusy(f"{self.path} is being written by another spillover process (pid {holder}); "
                             "wait for it to finish, or stop it before resuming") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode("ascii"))
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- creation and resume -------------------------------------------------------------
    @classmethod
    def create(cls, final: Path, manifest: dict[str, Any]) -> RunFolder:
        if final.exists():
            raise FileExistsError(f"{final} exists; choose another --out")
        folder = cls(final, {**manifest, "status": "running", "finished_chunks": []})
        if folder.path.exists():
            raise FileExistsError(f"{folder.path} exists: resume it with --resume {final}, or remove it")
        folder.path.mkdir(parents=True)
        folder.lock()
        (folder.path / PARTS).mkdir()
        folder.save_manifest()
        return folder

    @classmethod
    def open(cls, path: Path, lock: bool = True) -> RunFolder:
        """An interrupted run, given its final or ``.partial`` path; held by this process
        unless ``lock`` is False (to read its manifest only)."""
        final = path.with_name(path.name[: -len(PARTIAL)]) if path.name.endswith(PARTIAL) else path
        partial = partial_of(final)
        if not partial.exists():
            if (final / "manifest.json").exists():
                raise ResumeRefused(f"{final} is complete; nothing to resume")
            raise ResumeRefused(f"no interrupted run at {path} (looked for {partial})")
        try:
            manifest = json.loads((partial / "manifest.json").read_text())
        except (OSError, ValueError) as exc:
            raise ResumeRefused(f"{partial}/manifest.json cannot be read ({exc}); the run cannot be "
                                f"resumed: delete {partial} and start it again") from None
        problem = _manifest_problem(manifest)
        if problem:
            raise ResumeRefused(f"{partial}/manifest.json {problem}; the run cannot be resumed: delete "
                                f"{partial} and start it again")
        folder = cls(final, manifest)
        if lock:
            folder.lock()
        return folder

    def repair(self) -> list[str]:
        """Remove the files of an interrupted run that are damaged, so the run rebuilds them
        (they all follow from the seed); returns what was removed.

        ``experiments.parquet`` and the series' bin ranges are made again; a damaged part of
        a finished chunk sends every chunk back to run (their histogram counts cannot be
        separated), which gives the same results. A lost or damaged ``series-counts.npz``
        sends the chunks whose runs feed the daily series back to run.
        """
        removed = [n for n in ("experiments.parquet", "series-bins.json") if not _readable(self.path / n)]
        for name in removed:
            (self.path / name).unlink()
        observed = (self.path / OBSERVED).is_dir()
        bad = [c for c in self.finished if not (self.part(c).exists() and _readable(self.part(c)))
               or (observed and not (self.observed_part(c).exists() and _readable(self.observed_part(c))))]
        if bad:
            removed += [self.part(c).name for c in bad]
            self.manifest["finished_chunks"] = []
            _remove(self.path / COUNTS)
            self.save_manifest()
        sampled = [c for c in self.finished if c < SAMPLE_RUNS]
        if sampled and self.saved_counts() is None:
            # the daily series' counts of these chunks are lost: run them again
            _remove(self.path / COUNTS)
            removed.append(COUNTS)
            self.manifest["finished_chunks"] = sorted(self.finished - set(sampled))
            self.save_manifest()
        return removed

    def check_resume(self, expected: dict[str, Any]) -> None:
        """Refuse to resume when the scenario, seed, design, engine or spillover version differ."""
        m = self.manifest
        for key, what in (("scenario_sha256", "scenario file"), ("seed", "seed"), ("design", "design"),
                          ("runs", "number of runs"), ("chunk_size", "chunk size"),
                          ("variants", "policies"), ("engine", "engine")):
            if key in expected and m.get(key) != expected[key]:
                raise ResumeRefused(f"cannot resume {self.path}: its {what} was {m.get(key)!r}, "
                                    f"now {expected[key]!r}")
        have = m.get("versions", {}).get("spillover")
        want = expected.get("versions", {}).get("spillover")
        if have != want:
            raise ResumeRefused(f"cannot resume {self.path}: it was started by spillover {have}, "
                                f"this is {want}")

    # -- progress ------------------------------------------------------------------------
    @property
    def finished(self) -> set[int]:
        return set(self.manifest.get("finished_chunks", []))

    def save_manifest(self) -> None:
        write_json(self.path / "manifest.json", self.manifest)

    def part(self, first_run: int) -> Path:
        return self.path / PARTS / f"part-{first_run:012d}.parquet"

    def write_part(self, first_run: int, frame: pd.DataFrame | pa.Table) -> None:
        write_table(self.part(first_run), frame)

    def observed_part(self, first_run: int) -> Path:
        return self.path / OBSERVED / f"part-{first_run:012d}.parquet"

    def load_observed(self, keys: list[str]) -> list[tuple[np.ndarray, np.ndarray]]:
        """The observed quantities of the finished chunks (a resumed run with evidence)."""
        out = []
        for c in sorted(self.finished):
            t = pd.read_parquet(self.observed_part(c))
            out.append((t["run"].to_numpy(), np.stack([t[k].to_numpy() for k in keys]) if keys
                        else np.zeros((0, len(t)))))
        return out

    def discard_unfinished_parts(self) -> None:
        done = self.finished
        for p in (self.path / PARTS).glob("part-*.parquet"):
            if int(p.stem.split("-")[1]) not in done:
                p.unlink()

    def save_spec(self, spec: SeriesSpec) -> None:
        data = {"names": spec.names, "lo": spec.lo.tolist(), "hi": spec.hi.tolist()}
        write_json(self.path / "series-bins.json", data)

    def load_spec(self) -> SeriesSpec | None:
        p = self.path / "series-bins.json"
        if not p.exists():
            return None
        d = json.loads(p.read_text())
        return SeriesSpec(names=d["names"], lo=np.array(d["lo"]), hi=np.array(d["hi"]))

    def checkpoint(self, hist: DailyHistogram | None, finished: set[int]) -> None:
        """Histogram counts first, then the manifest naming the chunks they include."""
        if hist is not None:
            def save(f: BinaryIO) -> None:  # counts stay uint32 until they could pass it (merge)
                np.savez(f, counts=hist.counts, vmin=hist.vmin, vmax=hist.vmax, n=hist.n,
                         finished=np.array(sorted(finished), dtype=np.int64))
            atomic_write(self.path / COUNTS, save)
        self.manifest["finished_chunks"] = sorted(finished)
        self.save_manifest()

    def saved_counts(self) -> dict[str, np.ndarray] | None:
        """The saved histogram arrays, or None when missing, damaged or of another shape."""
        data = _read_counts(self.path / COUNTS)
        shape = self.counts_shape
        return None if data is None or (shape is not None and data["counts"].shape[:3] != shape) else data

    def reconcile(self) -> None:
        """Trust the histogram file's own list of chunks when the run died between the two
        writes of a checkpoint: the histogram is written first and already counts chunks the
        manifest does not name yet (their parts were written before it). Without this, a
        resume would run those chunks again and count them twice."""
        data = self.saved_counts()
        if data is not None and "finished" in data:
            self.manifest["finished_chunks"] = sorted(int(x) for x in data["finished"])

    def load_histogram(self) -> DailyHistogram | None:
        z = self.saved_counts() if self.finished else None
        if z is None:
            return None
        counts = z["counts"] if z["counts"].dtype == np.uint32 else z["counts"].astype(np.int64)
        return DailyHistogram(counts=counts, vmin=z["vmin"], vmax=z["vmax"], n=z["n"])

    def outcomes_dataset(self, below: int | None = None) -> ds.Dataset:
        """The outcome parts as one dataset; with ``below``, only the parts that hold runs
        under it (a part is named by its first run), so a sample reads only its own files."""
        if below is None:
            return ds.dataset(self.path / PARTS, format="parquet")
        files = sorted(str(p) for p in (self.path / PARTS).glob("part-*.parquet")
                       if int(p.stem.split("-")[1]) < below)
        return ds.dataset(files, format="parquet")

    def sample(self, max_runs: int | None, policies: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The experiments and outcomes of the first ``max_runs`` runs (all with None), the
        outcomes in canonical order: only the parts that hold those runs are read."""
        exp = pq.read_table(self.path / "experiments.parquet",
                            filters=[("run", "<", max_runs)] if max_runs is not None else None)
        kept = ds.field("run") < max_runs if max_runs is not None else None
        table = self.outcomes_dataset(max_runs).to_table(filter=kept)
        return exp.to_pandas(), canonical(table.to_pandas(), policies)

    def columns(self, names: list[str], policies: list[str]) -> pd.DataFrame:
        """``run``, ``policy`` and the given outcome columns of every run, the policy
        dictionary-encoded (a category in pandas, not a string per row)."""
        table = self.outcomes_dataset().to_table(columns=["run", "policy", *names])
        i = table.schema.get_field_index("policy")
        table = table.set_column(i, "policy", table.column(i).dictionary_encode())
        return canonical(table.to_pandas(), policies)

    def complete(self) -> Path:
        """Mark complete and move into place: the run now looks finished."""
        self.manifest["status"] = "complete"
        for tmp in self.path.rglob(".*.tmp-*"):  # atomic writes a killed process never finished
            tmp.unlink(missing_ok=True)
        for scratch in (COUNTS, "design", LOCK):
            target = self.path / scratch
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        self.save_manifest()
        os.replace(self.path, self.final)
        self.unlock()
        self.path = self.final
        return self.final


class FolderSink:
    """The run folder's sink: writes each chunk's part at once, merges histograms, checkpoints.

    A checkpoint writes the merged histogram, so its cost grows with the scenario, not the
    runs; checkpoints are spaced so that they take at most ``share`` of the time. With
    ``--save-series``, every run's daily series go to ``series_full/`` as a part per chunk.
    """

    def __init__(self, folder: RunFolder, assembler: Assembler, policies: list[str],
                 series_names: list[str] | None = None, share: float = 0.05) -> None:
        self.folder, self.asm, self.share = folder, assembler, share
        self.policies, self.series_names = policies, series_names
        self.done = folder.finished
        self.asm.hist = folder.load_histogram()
        self.last = time.monotonic()
        self.cost = 0.0
        if series_names is not None:
            (folder.path / SERIES_FULL).mkdir(exist_ok=True)
        self.observe = assembler.batch.observe
        if self.observe is not None:
            (folder.path / OBSERVED).mkdir(exist_ok=True)
            self.asm.observed = folder.load_observed(list(self.observe.keys))

    def saved_spec(self) -> SeriesSpec | None:
        return self.folder.load_spec()

    def save_spec(self, spec: SeriesSpec) -> None:
        self.folder.save_spec(spec)

    def finished(self) -> set[int]:
        return set(self.done)

    def add(self, res: ChunkResult) -> None:
        if self.series_names is not None and res.series is not None:
            self._write_series(res)
        if self.observe is not None and res.observed is not None:
            keys = list(self.observe.keys)
            write_table(self.folder.observed_part(res.start),
                        pd.DataFrame({"run": res.runs, **{k: res.observed[j] for j, k in enumerate(keys)}}))
        self.folder.write_part(res.start, self.asm.table(res))
        self.asm.merge(res)
        self.asm.keep_observed(res)
        self.done.add(res.start)
        if time.monotonic() - self.last >= self.cost / self.share:
            self.close()

    def close(self) -> None:
        start = time.monotonic()
        self.folder.checkpoint(self.asm.hist, self.done)
        self.last = time.monotonic()
        self.cost = self.last - start

    def _write_series(self, res: ChunkResult) -> None:
        """Every run's daily series of the chunk: ``run``, ``policy``, ``day`` and one column each."""
        assert res.series is not None and self.series_names is not None
        T, rows, _ = res.series.shape
        n = len(res.runs)
        cols: dict[str, Any] = {
            "run": np.tile(res.runs, len(self.policies) * T),
            "policy": np.tile(np.repeat(np.array(self.policies, dtype=object), n), T),
            "day": np.repeat(np.arange(T), rows),
        }
        cols.update({name: res.series[:, :, j].ravel() for j, name in enumerate(self.series_names)})
        table = pa.table(cols)
        atomic_write(self.folder.path / SERIES_FULL / f"part-{res.start:012d}.parquet",
                     lambda f: pq.write_table(table, f))
