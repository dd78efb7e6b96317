"""The command line: one readable line and exit 2 on errors; run folders; scenarios."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from spillover.results.folder import partial_of
from tests.conftest import MINI

CLI = [sys.executable, "-c", "from spillover.cli.main import main; main()"]


def cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_run_writes_a_complete_folder_and_prints_the_claims(tmp_path) -> None:
    out = tmp_path / "run"
    done = cli("run", str(MINI), "--runs", "40", "--seed", "3", "--out", str(out), "--chunk-size", "16")
    assert done.returncode == 0, done.stderr
    assert "Claims (probability over runs, 90% interval)" in done.stdout
    assert "lasting" in done.stdout and f"results: {out}" in done.stdout
    for name in ("manifest.json", "experiments.parquet", "outcomes.parquet", "series.parquet",
                 "claims.json", "report.html", "comparison.parquet"):
        assert (out / name).exists(), name
    m = json.loads((out / "manifest.json").read_text())
    assert m["seed"] == 3 and m["runs"] == 40 and len(m["scenario_sha256"]) == 64
    assert m["status"] == "complete" and "numpy" in m["versions"] and m["command"].startswith("spillover")
    outcomes = pd.read_parquet(out / "outcomes.parquet")
    assert len(outcomes) == 40 * 3 and {"run", "policy", "days_of_fire.s_r_shells"} <= set(outcomes)
    claims = json.loads((out / "claims.json").read_text())
    assert {c["claim"] for c in claims} == {"lasting", "helps"}


def test_validate_lists_every_problem_with_its_location(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(MINI.read_text().replace("supplier: S\n", "supplier: SS\n")
                   .replace("- start: o_r_aid", "- start: o_r_aide"))
    done = cli("validate", str(bad))
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert any("unknown actor 'SS' (did you mean 'S'?)" in x for x in lines)
    assert any("unknown transfer 'o_r_aide' (did you mean 'o_r_aid'?)" in x for x in lines)
    assert all(x.startswith(f"{bad}:") for x in lines)


def test_validate_strict_builtin() -> None:
    done = cli("validate", "nk-russia-2023", "--strict")
    assert done.returncode == 0, done.stderr
    assert "valid (strict): 7 actors, 9 transfers, 10 indicators, 4 events, 6 policies, 6 claims" in (
        " ".join(done.stdout.split()))


def test_scenarios_list_show_copy(tmp_path) -> None:
    assert "nk-russia-2023" in cli("scenarios", "list").stdout
    assert "prk_rus_shells" in cli("scenarios", "show", "nk-russia-2023").stdout
    done = cli("scenarios", "copy", "nk-russia-2023", str(tmp_path))
    assert done.returncode == 0 and (tmp_path / "nk-russia-2023.yaml").exists()
    again = cli("scenarios", "copy", "nk-russia-2023", str(tmp_path))
    assert again.returncode == 2 and "exists" in again.stderr


def test_ctrl_c_leaves_no_complete_looking_folder(tmp_path, monkeypatch) -> None:
    import spillover
    from spillover.results.folder import RunFolder

    def interrupt(self, first_run, frame):
        raise KeyboardInterrupt

    monkeypatch.setattr(RunFolder, "write_part", interrupt)
    with pytest.raises(KeyboardInterrupt):
        spillover.run(MINI, runs=20, seed=1, out=tmp_path / "r")
    assert not (tmp_path / "r").exists()
    assert json.loads((partial_of(tmp_path / "r") / "manifest.json").read_text())["status"] == "running"


HEAVY = ("numpy", "pandas", "scipy", "numba", "duckdb", "pyarrow", "networkx", "plotly")
_PROBE = """
import sys
from spillover.cli.main import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted(m for m in {heavy!r} if m in sys.modules)
print(f"PROBE {{code}} heavy={{','.join(heavy)}}", file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["run", "--help"], ["sensitivity", "--help"],
                                  ["discover", "--help"], ["scenarios", "--help"], ["draft", "--help"],
                                  ["data", "--help"]])
def test_help_loads_no_numerical_library(args) -> None:
    # What makes --help quick (benchmarks/bench_cli.py times it): nothing heavy is imported.
    done = subprocess.run([sys.executable, "-c", _PROBE.format(heavy=HEAVY), *args], capture_output=True,
                          text=True, timeout=120)
    probe = done.stderr.strip().splitlines()[-1]
    assert probe.startswith("PROBE 0 "), done.stderr
    assert probe == "PROBE 0 heavy=", f"spillover {' '.join(args)} imported {probe}"


def test_help_shows_the_defaults_and_no_types_of_flags() -> None:
    text = " ".join(cli("run", "--help").stdout.split())
    for shown in ("Number of runs. [default: 1000; x>=1]", "Seed: same seed, same results. [default: 0;",
                  "Threads (or processes) [default: one per core].",
                  "[default: about 2 s of one core's work]",
                  "Sampling design: lhs, sobol, mc. [default: lhs]", "--help Show this message and exit."):
        assert shown in text, shown
    assert "<bool>" not in text and " ." not in text


def test_the_design_choices_come_from_the_registry() -> None:
    from spillover.ensemble.designs import DESIGNS

    text = " ".join(cli("run", "--help").stdout.split())
    assert f"Sampling design: {', '.join(DESIGNS)}." in text


def test_scenarios_show_piped_is_the_file_itself() -> None:
    from spillover.scenario.load import builtin_path

    done = cli("scenarios", "show", "nk-russia-2023")
    assert done.returncode == 0
    assert done.stdout == builtin_path("nk-russia-2023").read_text(encoding="utf-8")


def test_the_data_group_loads_when_called() -> None:
    done = cli("data", "--help")
    assert done.returncode == 0 and "import" in done.stdout and "dyad" in done.stdout
    assert "<bool>" not in done.stdout
    assert "Real data: SIPRI, GDELT, COW in a DuckDB store." in cli("--help").stdout


def test_the_engine_cache_is_read_without_numba(tmp_path, monkeypatch) -> None:
    from spillover.cli.progress import engine_is_compiled

    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    source = tmp_path / "engine" / "jit.py"
    source.parent.mkdir()
    source.write_text("# the step\n")
    assert not engine_is_compiled(source)  # cold: no index anywhere
    v = sys.version_info
    index = tmp_path / "engine" / "__pycache__" / f"jit.run_days-515.py{v.major}{v.minor}{sys.abiflags}.nbi"
    index.parent.mkdir()
    index.write_bytes(b"")
    assert engine_is_compiled(source)
    os.utime(source, (index.stat().st_mtime + 10,) * 2)  # source edited after the cache was written
    assert not engine_is_compiled(source)
    os.utime(source, (index.stat().st_mtime - 10,) * 2)
    assert engine_is_compiled(source)
    os.utime(source, (index.stat().st_mtime + 10,) * 2)  # touched, same bytes: Numba >= 0.62
    index.write_bytes(b"\x80header" + hashlib.sha256(source.read_bytes()).digest() + b"rest")
    os.utime(index, (source.stat().st_mtime - 10,) * 2)  # stamps the content, not the time
    assert engine_is_compiled(source)
    source.write_text("# the step, edited\n")
    os.utime(source, (index.stat().st_mtime - 10,) * 2)
    index.write_bytes(b"\x80header" + hashlib.sha256(b"# the step\n").digest() + b"rest")
    os.utime(index, (source.stat().st_mtime - 10,) * 2)
    assert not engine_is_compiled(source)  # another version of the source
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba"))  # a cache folder of the user's
    assert not engine_is_compiled(source)  # Numba then reads only that folder
    from spillover.cli.progress import _cache_dir

    user = _cache_dir(source)
    user.mkdir(parents=True)
    (user / index.name).write_bytes(b"")
    assert engine_is_compiled(source)


def test_the_bar_says_it_compiles_then_what_it_simulates(monkeypatch) -> None:
    import io

    from rich.console import Console

    from spillover.cli import progress

    screen = io.StringIO()
    monkeypatch.setattr(progress, "err", lambda: Console(file=screen, force_terminal=True, width=100))
    with progress.status_bar("simulating mini", 100, cold=True, finishing="writing the folder…") as tick:
        tick(0, 100)  # the runs start: the engine compiles
        first = screen.getvalue()
        tick(50, 100)
        middle = screen.getvalue()[len(first):]
        tick(100, 100)
        last = screen.getvalue()[len(first) + len(middle):]
    assert "compiling the engine" in first and "0/100" in first
    assert "simulating mini" in middle and "50/100" in middle
    assert "writing the folder…" in last


def test_the_bar_gives_way_before_the_tables_are_printed(monkeypatch) -> None:
    """The bar kept redrawing on stderr while the tables printed on stdout, over each other."""
    import io

    from rich.console import Console

    from spillover.cli import progress

    screen = io.StringIO()
    monkeypatch.setattr(progress, "err", lambda: Console(file=screen, force_terminal=True, width=100))
    with progress.status_bar("simulating mini", 100, finishing="writing the folder…") as tick:
        tick(100, 100)
        tick.hold()
        held = len(screen.getvalue())
        tick(100, 100)  # a late call draws no bar
        after = screen.getvalue()[held:]
        tick.spin()
    assert "100/100" not in after and "━" not in after and after.strip() == ""
    assert "writing the folder…" in screen.getvalue()[held:]


def test_off_a_terminal_a_cold_start_still_says_it_compiles(monkeypatch) -> None:
    import io

    from rich.console import Console

    from spillover.cli import progress

    for cold in (True, False):
        screen = io.StringIO()
        monkeypatch.setattr(progress, "err", lambda s=screen: Console(file=s, force_terminal=False))
        with progress.status_bar("simulating mini", 100, cold=cold) as tick:
            assert screen.getvalue() == ""  # an error before the runs start stays one line
            tick(0, 100)
            tick(100, 100)
        assert ("compiling the engine" in screen.getvalue()) is cold
        assert screen.getvalue().count("\n") == int(cold)


def test_progress_doctests() -> None:
    import doctest

    from spillover.cli import progress

    assert doctest.testmod(progress).failed == 0


def test_results_do_not_depend_on_the_chunk_size_the_cli_picks(tmp_path) -> None:
    from spillover.cli.progress import auto_chunk_size

    auto = auto_chunk_size(200, variants=12, days=730)  # nk-russia-2023: 6 policies, 730 days
    assert auto < 100  # so the run below has several chunks
    frames = []
    for extra in ([], ["--chunk-size", "1000"]):
        out = tmp_path / f"run{len(extra)}"
        done = cli("run", "nk-russia-2023", "--runs", "200", "--seed", "4", "--out", str(out), "--no-report",
                   *extra)
        assert done.returncode == 0, done.stderr
        frames.append(pd.read_parquet(out / "outcomes.parquet").sort_values(["policy", "run"])
                      .reset_index(drop=True))
        chunk = json.loads((out / "manifest.json").read_text())["chunk_size"]
        assert chunk == (1000 if extra else auto)
    pd.testing.assert_frame_equal(frames[0], frames[1])


def test_the_cli_offers_exactly_the_executors_the_library_has() -> None:
    from spillover.cli.main import EXECUTORS
    from spillover.ensemble.executors import EXECUTORS as REGISTRY

    assert tuple(REGISTRY) == EXECUTORS


def test_the_terminal_shows_the_catalogues_headline_outcomes_and_percentage_points() -> None:
    import spillover
    from spillover.cli.render import key_columns, render_comparison, terminal_comparison
    from spillover.scenario.outcomes import headline_columns

    res = spillover.run("nk-russia-2023", runs=8, seed=1)
    cols = key_columns(res.outcomes)
    assert cols == headline_columns(list(res.outcomes.columns))
    assert "first_shortfall_without_transfers.RUS.shell152" in cols and "peak.kor_threat" not in cols
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(render_comparison(terminal_comparison(res.comparison)))
    text = console.export_text()
    assert " pp" in text and " pts" not in text


def test_warmup_loads_the_cached_engine_and_says_so() -> None:
    done = cli("warmup", "--no-prebuild")  # building ahead of time: tests/test_prebuilt.py
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("engine ") and " in " in done.stdout
    assert "built ahead of time: " in done.stdout or "(in Numba's cache)" in done.stdout


def test_warmup_that_cannot_build_says_why_and_that_the_engine_is_ready(monkeypatch, tmp_path) -> None:
    """After a failed build warmup said the engine was 'already compiled; loaded'."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("SPILLOVER_PREBUILT_DIR", str(blocker / "steps"))
    done = cli("warmup")
    assert done.returncode == 0, done.stderr
    assert "could not write the prebuilt step" in done.stderr and "SPILLOVER_PREBUILT_DIR" in done.stderr
    assert done.stdout.startswith("engine ready in ") and "(in Numba's cache)" in done.stdout


def test_the_claims_are_known_before_the_folder_is_written(tmp_path) -> None:
    import spillover
    from spillover.results.folder import partial_of

    seen: list[tuple[int, bool, bool]] = []

    def look(res) -> None:
        part = partial_of(tmp_path / "r")
        seen.append((len(res.claims), (part / "report.html").exists(), (part / "claims.json").exists()))

    spillover.run(MINI, runs=20, seed=1, out=tmp_path / "r", on_analysed=look)
    assert len(seen) == 1 and seen[0][0] > 0 and seen[0][1:] == (False, False)
    assert (tmp_path / "r" / "report.html").exists()


def _text(renderable: object, width: int) -> str:
    from rich.console import Console

    console = Console(width=width, record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_the_terminal_tables_keep_one_decimal_near_0_and_1_and_whole_outcome_names() -> None:
    import pandas as pd

    from spillover.cli.render import render_claims, render_outcomes

    claims = pd.DataFrame({"claim": ["rare", "sure"], "policy": ["a", "a"], "probability": [0.006, 0.995],
                           "lo": [0.002, 0.991], "hi": [0.0099, 0.998], "word": ["x", "y"]})
    text = _text(render_claims(claims), 120)
    assert "0.6%" in text and "0.2%–1%" in text and "99.5%" in text and "99.1%–99.8%" in text
    name = "first_shortfall_without_transfers.RUS.shell152"
    outcomes = pd.DataFrame({"run": [0, 1], "policy": ["status-quo"] * 2, name: [10.0, 20.0],
                             "first_shortfall.RUS.shell152": [5.0, 6.0]})
    text = _text(render_outcomes(outcomes), 60)
    assert "…" not in text
    cells = [line.split("│")[1].strip() for line in text.splitlines() if line.count("│") >= 2]
    assert name in "".join(cells)  # folded over lines, whole
