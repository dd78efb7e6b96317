"""The daily step built ahead of time: compiled once at install, loaded by every run.

Numba compiles :func:`spillover.engine.jit.run_days` the first time a process needs it
(30–40 CPU seconds) and caches it. :func:`build` compiles the same function ahead of time
into a small extension module for this machine (``spillover warmup`` does it, and so does
``make``), so that no run ever waits for the compiler, whatever Numba's cache holds.

The module's name carries a key (:func:`step_key`): a hash of the compiled step's source
files as this process imported them and of the Python, Numba and llvmlite versions. Beside
it a JSON record gives the processor it was built for, the argument types it takes and the
module's size and sha256; :func:`load` uses a module only when all of them are today's (a
module that differs from its record is never mapped), and :func:`step_for` only for
arguments of exactly those types. A new module is loaded in a separate process before it
is kept. Otherwise runs use the JIT-compiled step: the same code, the same results
(``tests/test_prebuilt.py`` checks them bit for bit), compiled by Numba as before.
``SPILLOVER_PREBUILT=0`` turns the prebuilt step off; ``SPILLOVER_PREBUILT_DIR`` moves it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.machinery
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

__all__ = ["build", "enabled", "load", "looks_ready", "prebuilt_path", "stale", "step_for", "step_key"]

SOURCES = ("jit.py", "jit_react.py", "jit_watch.py", "kernel_args.py", "kinds.py", "histogram.py")
"""The engine files the compiled step is made of: a change to any of them makes a new key."""

_HERE = Path(__file__).resolve().parent


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "none"


@functools.cache
def step_key() -> str:
    """A hash of the step's sources and of the Python, Numba and llvmlite versions (16 hex
    digits), worked out once per process as Numba reads its sources once. Cheap: it reads six
    small files and imports neither Numba nor llvmlite."""
    h = hashlib.sha256()
    for name in SOURCES:
        h.update(name.encode())
        h.update((_HERE / name).read_bytes())
    h.update(f"{sys.version}|{_version('numba')}|{_version('llvmlite')}".encode())
    return h.hexdigest()[:16]


def prebuilt_dir() -> Path:
    """Where prebuilt steps are kept: ``$SPILLOVER_PREBUILT_DIR``, else ``_prebuilt`` beside
    the engine's sources."""
    given = os.environ.get("SPILLOVER_PREBUILT_DIR")
    return Path(given).expanduser() if given else _HERE / "_prebuilt"


def _suffix() -> str:
    return importlib.machinery.EXTENSION_SUFFIXES[0]


def prebuilt_path(key: str | None = None) -> Path:
    """The extension module of the step with ``key`` (default: today's :func:`step_key`)."""
    return prebuilt_dir() / f"_step_{key or step_key()}{_suffix()}"


def _meta_path(module: Path) -> Path:
    """The JSON beside a prebuilt module: the processor and argument types it was built for."""
    return module.parent / f"{module.name.split('.')[0]}.json"


_SWITCH = {"1": True, "yes": True, "on": True, "true": True, "0": False, "no": False, "off": False,
           "false": False, "": True}


def enabled() -> bool:
    """False when ``SPILLOVER_PREBUILT`` turns the prebuilt step off (0, no, off or false);
    ValueError for a value that is neither on nor off, as for ``SPILLOVER_ENGINE``."""
    value = os.environ.get("SPILLOVER_PREBUILT", "1")
    word = value.strip().lower()
    if word not in _SWITCH:
        raise ValueError(f"SPILLOVER_PREBUILT={value!r} is neither on nor off: use 1 or 0 "
                         "(or yes/no, on/off, true/false)")
    return _SWITCH[word]


def _machine() -> dict[str, str]:
    """The processor the step is built for: LLVM's name for it and its features."""
    import llvmlite.binding as ll

    return {"cpu": ll.get_host_cpu_name(), "features": ll.get_host_cpu_features().flatten()}


def argument_types(groups: tuple) -> str:
    """The Numba types of the step's grouped arguments, as text: what a prebuilt step takes."""
    import numba

    return repr(tuple(numba.typeof(g) for g in groups))


def _record(module: Path) -> dict[str, Any] | None:
    """The JSON beside ``module`` when it is a plain file holding an object, else None."""
    meta_file = _meta_path(module)
    try:
        if not meta_file.is_file() or meta_file.stat().st_size > 1_000_000:
            return None
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError):
        return None
    return meta if isinstance(meta, dict) else None


def _digest(module: Path) -> str:
    return hashlib.sha256(module.read_bytes()).hexdigest()


def looks_ready() -> bool:
    """Cheap (no Numba): a module for today's key is in place, with its record, and of the
    size the record gives. :func:`load` checks the rest."""
    try:
        path = prebuilt_path()
        meta = _record(path) if enabled() and path.is_file() else None
        return meta is not None and meta.get("size") == path.stat().st_size
    except OSError:
        return False


@functools.cache
def _loaded(path: str) -> tuple[Callable[..., None], str] | None:
    module = Path(path)
    meta = _record(module)
    if meta is None or {k: meta.get(k) for k in ("cpu", "features")} != _machine():
        return None  # no record, or built on another processor: its instructions may not exist here
    try:  # a truncated or altered module would crash the process that maps it
        if not module.is_file() or meta.get("sha256") != _digest(module):
            return None
    except OSError:
        return None
    spec = importlib.util.spec_from_file_location(module.name.split(".")[0], path)
    if spec is None or spec.loader is None:
        return None
    try:
        loaded = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(loaded)
    except (ImportError, OSError):  # not a module for this Python (or not one at all)
        return None
    step = getattr(loaded, "run_days", None)
    return (step, str(meta.get("types", ""))) if callable(step) else None


def load() -> tuple[Callable[..., None], str] | None:
    """Today's prebuilt step and the argument types it takes, or None when there is none
    for these sources, versions and processor (or ``SPILLOVER_PREBUILT=0``)."""
    if not enabled():
        return None
    try:
        path = prebuilt_path()
        return _loaded(str(path)) if path.is_file() else None
    except OSError:  # a folder name the system refuses: no prebuilt step there
        return None


def step_for(groups: tuple) -> Callable[..., None] | None:
    """The prebuilt step when there is one for arguments of these types, else None (the
    caller then uses the JIT-compiled :func:`spillover.engine.jit.run_days`)."""
    found = load()
    if found is None:
        return None
    step, types = found
    return step if types == argument_types(groups) else None


class _BuildHere:
    """What the ahead-of-time compiler asks of ``tempfile``, with its build folder made inside
    ours: removed with ours whether the build succeeds, fails or is interrupted."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def mkdtemp(self, suffix: str | None = None, prefix: str | None = None, **_: Any) -> str:
        return tempfile.mkdtemp(suffix=suffix, prefix=prefix, dir=self.folder)


@contextmanager
def _compiler_for_us(folder: Path) -> Iterator[None]:
    """Numba's ahead-of-time compiler with the GIL released in the step's Python wrapper, as
    the JIT-compiled step's ``nogil=True`` does, so that blocks of rows step on several
    threads; and with its build folder inside ``folder``."""
    from numba.pycc import cc, compiler

    base, temp = compiler.Flags, cc.tempfile

    class NoGil(base):  # type: ignore[misc, valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.release_gil = True

    setattr(compiler, "Flags", NoGil)  # noqa: B010 (module attributes, put back below)
    setattr(cc, "tempfile", _BuildHere(folder))  # noqa: B010
    try:
        yield
    finally:
        setattr(compiler, "Flags", base)  # noqa: B010
        setattr(cc, "tempfile", temp)  # noqa: B010


def _compile(signature: Any, folder: Path, name: str) -> Path:
    from numba.pycc import CC

    from spillover.engine.jit import run_days

    cc = CC(name)
    cc.output_dir = str(folder)
    cc.target_cpu = _machine()["cpu"]
    cc.verbose = False
    cc.export("run_days", signature)(run_days.py_func)
    with _compiler_for_us(folder):
        cc.compile()
    return next(folder.glob(f"{name}*{_suffix()}"))


def build(groups: tuple) -> Path:
    """Compile the step ahead of time for arguments like ``groups`` and keep it where
    :func:`load` finds it; returns the module's path.

    ``groups`` are the step's grouped arguments for any scenario (their types are the same
    for all). The module and its JSON are written to a temporary folder and moved into
    place, so a run never sees half of them.

    Raises
    ------
    RuntimeError
        When the step cannot be built here (no C compiler, a folder it cannot write, or
        Numba without its ahead-of-time compiler); runs then use the JIT-compiled step.
    """
    import numba

    key = step_key()
    target = prebuilt_path(key)
    signature = numba.void(*(numba.int64,) * 4, *(numba.typeof(g) for g in groups))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return _build_in(target, key, signature, groups)
    except OSError as exc:
        raise RuntimeError(f"could not write the prebuilt step to {target.parent} ({exc.strerror or exc}); "
                           "set SPILLOVER_PREBUILT_DIR to a folder you can write") from exc


_LOADS = """
import importlib.util, sys
spec = importlib.util.spec_from_file_location(sys.argv[1], sys.argv[2])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
sys.exit(0 if callable(getattr(module, "run_days", None)) else 3)
"""


def _check_loads(built: Path, name: str) -> None:
    """Load the new module in a separate process first: a broken one (a linker that wrote
    half a file) then fails there, not in every run."""
    try:
        done = subprocess.run([sys.executable, "-c", _LOADS, name, str(built)], capture_output=True,
                              timeout=300, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(f"could not check the step built ahead of time ({exc})") from exc
    if done.returncode != 0:
        raise RuntimeError(f"the step built ahead of time does not load (exit {done.returncode}); "
                           "runs use the JIT-compiled step")


def _first_line(exc: BaseException) -> str:
    text = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {text[:200]}"


def _clear_leftovers(folder: Path) -> None:
    """Remove what builds killed before they could clean up left: our temporary folders over
    an hour old (younger ones may be another build's, still running)."""
    now = time.time()
    for left in folder.glob("building-*"):
        with contextlib.suppress(OSError):
            if left.is_dir() and now - left.stat().st_mtime > 3600:
                shutil.rmtree(left, ignore_errors=True)


def _build_in(target: Path, key: str, signature: Any, groups: tuple) -> Path:
    name = f"_step_{key}"
    _clear_leftovers(target.parent)
    with tempfile.TemporaryDirectory(prefix="building-", dir=target.parent) as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Numba marks its ahead-of-time compiler as pending deprecation
        try:
            built = _compile(signature, Path(tmp), name)
        except Exception as exc:  # any compiler failure: the JIT-compiled step still works
            raise RuntimeError(f"could not build the step ahead of time ({_first_line(exc)})") from exc
        _check_loads(built, name)
        meta = {**_machine(), "types": argument_types(groups), "key": key, "size": built.stat().st_size,
                "sha256": _digest(built)}
        meta_tmp = Path(tmp) / "meta.json"
        meta_tmp.write_text(json.dumps(meta, indent=1), encoding="utf-8")
        os.replace(meta_tmp, _meta_path(target))  # first the record: a module in place always has one
        os.replace(built, target)
    _loaded.cache_clear()
    _remove_others(target)
    return target


def stale() -> bool:
    """True when steps built for other sources or versions are kept but none for today's:
    the engine changed since the last ``spillover warmup``."""
    try:
        if not enabled() or prebuilt_path().is_file():
            return False
        return any(prebuilt_dir().glob(f"_step_*{_suffix()}"))
    except OSError:
        return False


def _remove_others(keep: Path) -> None:
    """Remove the steps built for other keys (a process that loaded one keeps its copy)."""
    for old in prebuilt_dir().glob("_step_*"):
        if old.name.split(".")[0] != keep.name.split(".")[0]:
            try:
                old.unlink()
            except OSError:
                continue  # in use where files cannot be removed, or not ours to remove
