"""The step built ahead of time (engine/prebuilt.py) is the JIT-compiled step, bit for bit,
and is used only where it fits: today's sources and versions, this processor, these types.

Building it takes the ahead-of-time compiler 8-40 CPU seconds (less when Numba's cache
already holds the step's parts), once for the module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from spillover.engine import compiled, prebuilt
from spillover.scenario.load import builtin_path, load_scenario
from tests.conftest import MINI
from tests.test_engine_compiled import _assert_same, _everything, _setup

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A step built ahead of time into a folder of this module's own."""
    folder = tmp_path_factory.mktemp("prebuilt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SPILLOVER_PREBUILT_DIR", str(folder))
        mp.delenv("SPILLOVER_PREBUILT", raising=False)
        path = compiled.build_prebuilt()
    return path


@pytest.fixture
def using(built: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(built.parent))
    monkeypatch.delenv("SPILLOVER_PREBUILT", raising=False)
    return built


def _groups(scenario: Path, runs: int = 8) -> tuple:
    st, p, d, _ = _setup(load_scenario(scenario), runs)
    return compiled._pack(st, p, d, [])[2]


def test_built_where_load_finds_it(using: Path) -> None:
    assert using.name.startswith(f"_step_{prebuilt.step_key()}") and using.exists()
    meta = json.loads((using.parent / f"_step_{prebuilt.step_key()}.json").read_text())
    assert meta["key"] == prebuilt.step_key() and meta["cpu"]
    assert prebuilt.load() is not None
    assert prebuilt.step_for(_groups(MINI)) is not None


@pytest.mark.parametrize("scenario", [MINI, builtin_path("nk-russia-2023"),
                                      ROOT / "benchmarks" / "scenarios" / "richardson7.yaml"])
@pytest.mark.parametrize("threads", [1, 2])
def test_prebuilt_gives_the_jit_results_bit_for_bit(scenario: Path, threads: int, using: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    st, p, d, P = _setup(load_scenario(scenario), 48)
    assert prebuilt.step_for(compiled._pack(st, p, d, [])[2]) is not None  # it is the one used
    ahead = _everything(st, p, d, P, 48, "compiled", block=16, sampled=31, threads=threads)
    monkeypatch.setenv("SPILLOVER_PREBUILT", "0")
    assert prebuilt.load() is None
    jit = _everything(st, p, d, P, 48, "compiled", block=16, sampled=31, threads=threads)
    _assert_same(jit, ahead)
    assert np.isfinite(ahead["state"]["S"]).all() and ahead["counts"].sum() > 0


def test_a_step_built_for_another_processor_is_not_loaded(using: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    copy = tmp_path / using.name
    shutil.copy(using, copy)
    meta = json.loads((using.parent / f"_step_{prebuilt.step_key()}.json").read_text())
    meta["cpu"] = "some-other-cpu"
    (tmp_path / f"_step_{prebuilt.step_key()}.json").write_text(json.dumps(meta))
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    assert prebuilt.load() is None
    assert prebuilt.step_for(_groups(MINI)) is None  # runs then use the JIT-compiled step


def test_a_step_without_its_record_is_not_loaded(using: Path, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(using, tmp_path / using.name)
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    assert prebuilt.load() is None


def test_changed_sources_make_a_new_key(using: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prebuilt, "step_key", lambda: "0123456789abcdef")
    assert not prebuilt.prebuilt_path().exists() and prebuilt.load() is None


def test_the_key_follows_every_source(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in prebuilt.SOURCES:
        shutil.copy(prebuilt._HERE / name, tmp_path / name)
    monkeypatch.setattr(prebuilt, "_HERE", tmp_path)
    prebuilt.step_key.cache_clear()
    try:
        keys = {prebuilt.step_key()}
        for name in prebuilt.SOURCES:
            with (tmp_path / name).open("a") as f:
                f.write("\n# changed\n")
            prebuilt.step_key.cache_clear()
            keys.add(prebuilt.step_key())
        assert len(keys) == len(prebuilt.SOURCES) + 1
    finally:
        prebuilt.step_key.cache_clear()


def test_other_argument_types_get_the_jit_step(using: Path) -> None:
    groups = _groups(MINI)
    sched = groups[0]
    other = (sched._replace(V=sched.V.astype(np.float32)), *groups[1:])
    assert prebuilt.step_for(groups) is not None
    assert prebuilt.step_for(other) is None


def test_turned_off(using: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for word in ("0", "off", "No", "false"):
        monkeypatch.setenv("SPILLOVER_PREBUILT", word)
        assert not prebuilt.enabled() and prebuilt.load() is None
    for word in ("1", " on ", "YES", "true", ""):
        monkeypatch.setenv("SPILLOVER_PREBUILT", word)
        assert prebuilt.enabled()


@pytest.mark.parametrize("word", ["disabled", "n", "0.0", "2"])
def test_a_switch_that_is_neither_on_nor_off_is_refused(word: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPILLOVER_PREBUILT", word)
    with pytest.raises(ValueError, match=f"SPILLOVER_PREBUILT='{word}' is neither on nor off"):
        prebuilt.enabled()


def test_a_build_that_fails_says_why_and_runs_go_on(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from spillover import api

    def no_compiler(*a: object) -> Path:
        raise OSError("gcc: command not found")

    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    monkeypatch.setattr(prebuilt, "_compile", no_compiler)
    with pytest.raises(RuntimeError, match=r"could not build the step ahead of time .*gcc: command"):
        compiled.build_prebuilt()
    assert list(tmp_path.iterdir()) == []  # nothing half-built left behind
    done = api.warmup()
    assert done["prebuilt"] is None and "gcc" in done["problem"]


def test_the_cli_counts_a_prebuilt_step_as_compiled(using: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from spillover.cli.progress import engine_is_compiled

    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))  # an empty Numba cache
    assert engine_is_compiled()
    monkeypatch.setenv("SPILLOVER_PREBUILT", "0")
    assert not engine_is_compiled()


@pytest.mark.parametrize("record", ["[1, 2]", "{not json", '{"cpu": 3}', ""])
def test_a_broken_record_is_not_loaded(record: str, using: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copy(using, tmp_path / using.name)
    (tmp_path / f"_step_{prebuilt.step_key()}.json").write_text(record)
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    assert prebuilt.load() is None


@pytest.mark.parametrize("content", [b"", b"\x7fELF broken", b"not a module at all"])
def test_a_broken_module_is_not_loaded(content: bytes, using: Path, tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / using.name).write_bytes(content)
    shutil.copy(using.parent / f"_step_{prebuilt.step_key()}.json", tmp_path)
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    assert prebuilt.load() is None


def test_a_folder_it_cannot_write_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(blocker / "inside"))
    with pytest.raises(RuntimeError, match=r"could not write the prebuilt step to .*SPILLOVER_PREBUILT_DIR"):
        compiled.build_prebuilt()


def test_warmup_without_prebuild_fills_numbas_cache_even_beside_a_prebuilt_step(
        using: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """--no-prebuild loaded the prebuilt step and left Numba's cache empty."""
    from spillover import api
    from spillover.engine import jit

    def refuse(groups: tuple) -> None:
        raise AssertionError("the prebuilt step was consulted")

    monkeypatch.setattr(prebuilt, "step_for", refuse)
    done = api.warmup(prebuild=False)
    assert jit.run_days.signatures  # the JIT step was loaded (or compiled) and called
    assert done["prebuilt"] is None and done["problem"] is None


def test_a_new_build_removes_the_steps_of_other_keys_and_runs_say_when_out_of_date(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "steps"
    folder.mkdir()
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(folder))
    old = folder / built.name.replace(prebuilt.step_key(), "0123456789abcdef")
    shutil.copy(built, old)
    (folder / "_step_0123456789abcdef.json").write_text("{}")
    assert prebuilt.stale()  # only another key's step: the engine changed since it was built
    shutil.copy(built, folder / built.name)
    assert not prebuilt.stale()
    prebuilt._remove_others(folder / built.name)
    assert sorted(p.name for p in folder.iterdir()) == [built.name]


def test_the_manifest_names_the_step(using: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from spillover.results.manifest import compiled_step

    assert compiled_step("compiled") == f"prebuilt {prebuilt.step_key()}"
    assert compiled_step("numpy") is None
    monkeypatch.setenv("SPILLOVER_PREBUILT", "0")
    assert compiled_step("compiled") == "numba"


def _copy_to(built: Path, folder: Path) -> Path:
    """The module and its record, copied into ``folder``."""
    folder.mkdir(exist_ok=True)
    shutil.copy(built, folder / built.name)
    shutil.copy(built.parent / f"_step_{prebuilt.step_key()}.json", folder)
    return folder / built.name


@pytest.mark.parametrize("size", [4096, 500_000])
def test_a_truncated_module_is_never_mapped(size: int, built: Path, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A truncated module with its record crashed every run (bus error)."""
    module = _copy_to(built, tmp_path / "steps")
    with module.open("r+b") as f:
        f.truncate(size)
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(module.parent))
    assert prebuilt.load() is None and not prebuilt.looks_ready()


def test_a_build_whose_module_does_not_load_is_not_kept(tmp_path: Path, built: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def half_linked(signature: object, folder: Path, name: str) -> Path:
        out = folder / f"{name}{built.name[built.name.index('.'):]}"
        out.write_bytes(built.read_bytes()[:300_000])
        return out

    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    monkeypatch.setattr(prebuilt, "_compile", half_linked)
    with pytest.raises(RuntimeError, match="does not load"):
        compiled.build_prebuilt()
    assert not any(tmp_path.glob("_step_*"))


def test_the_key_is_that_of_the_step_as_imported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sources edited after the import gave the old code the new key."""
    before = prebuilt.step_key()
    for name in prebuilt.SOURCES:
        shutil.copy(prebuilt._HERE / name, tmp_path / name)
    (tmp_path / "jit.py").write_text((tmp_path / "jit.py").read_text() + "\n# edited\n")
    monkeypatch.setattr(prebuilt, "_HERE", tmp_path)
    assert prebuilt.step_key() == before  # this process runs (and builds) the code it imported


def test_records_that_are_not_json_objects_are_refused_without_hanging(
        built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    module = _copy_to(built, tmp_path / "steps")
    record = module.parent / f"_step_{prebuilt.step_key()}.json"
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(module.parent))
    record.write_text("[" * 100_000 + "]" * 100_000)  # deeper than the JSON reader recurses
    assert prebuilt.load() is None
    record.unlink()
    os.mkfifo(record)  # reading it would wait for a writer forever
    assert prebuilt.load() is None and not prebuilt.looks_ready()


def test_a_folder_where_the_module_goes_is_a_problem_named(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    prebuilt.prebuilt_path().mkdir()
    with pytest.raises(RuntimeError, match="could not write the prebuilt step"):
        compiled.build_prebuilt()


def test_a_folder_name_the_system_refuses_means_no_prebuilt_step(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", "/tmp/" + "a" * 300)
    assert prebuilt.load() is None and not prebuilt.looks_ready() and not prebuilt.stale()


def test_warmup_rebuilds_a_step_that_does_not_take_todays_types(built: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from spillover import api

    module = _copy_to(built, tmp_path / "steps")
    record = module.parent / f"_step_{prebuilt.step_key()}.json"
    meta = json.loads(record.read_text())
    record.write_text(json.dumps({**meta, "types": meta["types"].replace("float64", "float32")}))
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(module.parent))
    prebuilt._loaded.cache_clear()
    assert not compiled.prebuilt_fits()
    done = api.warmup()
    assert done["compiled"] and done["prebuilt"] == str(module) and compiled.prebuilt_fits()


def test_a_failed_build_leaves_nothing_behind_and_never_touches_another_builds_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed builds left the compiler's folders in /tmp; removing them by name then removed
    the folder of another build running at the same time."""
    import tempfile
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Numba marks its ahead-of-time compiler as pending deprecation
        from numba.pycc import cc

    other = Path(tempfile.mkdtemp(prefix=f"pycc-build-_step_{prebuilt.step_key()}-"))  # another build's
    before = set(Path(tempfile.gettempdir()).glob("pycc-build-*"))

    def link_fails(self: object, build_dir: str) -> None:
        assert Path(build_dir).is_relative_to(tmp_path)  # the compiler builds inside our folder
        raise OSError("linker failed")

    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(tmp_path))
    monkeypatch.setattr(cc.CC, "_compile_object_files", link_fails)
    try:
        with pytest.raises(RuntimeError, match="linker failed"):
            compiled.build_prebuilt()
        assert set(Path(tempfile.gettempdir()).glob("pycc-build-*")) == before and other.is_dir()
        assert list(tmp_path.iterdir()) == []
    finally:
        other.rmdir()
