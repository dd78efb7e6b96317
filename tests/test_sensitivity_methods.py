"""The sensitivity methods' registry: one module per method, one interface, the same numbers.

``tests/golden/sensitivity_mini_seed5.json`` holds every index, interval and per-method
column that ``sensitivity`` gave on the mini scenario (seed 5) before the methods were
split into modules (commit b05c77c): the split must reproduce them bit for bit.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from spillover.analysis import sensitivity as S
from spillover.analysis.sensitivity import METHODS, REGISTRY, method, rank_warnings
from spillover.analysis.sensitivity.base import Method
from tests.conftest import HERE

GOLDEN = json.loads((HERE / "golden" / "sensitivity_mini_seed5.json").read_text())
SIZES = {"sobol": 64, "morris": 8, "pawn": 120}


def test_every_public_name_resolves() -> None:
    for name in S.__all__:
        assert getattr(S, name) is not None, name
    assert S.MINIMUM == {"sobol": 64, "morris": 4, "pawn": 100}


@pytest.mark.parametrize("name", METHODS)
def test_each_method_has_the_common_interface(name) -> None:
    m = method(name)
    assert isinstance(m, Method) and m.name == name and REGISTRY[name].endswith("." + name)
    assert m.describe().startswith(f"{name}: ") and m.unit in m.describe()
    with pytest.raises(ValueError, match=f"{name} needs --n of at least {m.minimum}"):
        m.check(m.minimum - 1)
    m.check(m.round_up(m.minimum))
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    X = m.sample(problem, m.minimum, seed=1, second=False)
    assert X.shape == (m.runs(m.minimum, 3, False), 3) and ((X >= 0) & (X <= 1)).all()
    Y = X[:, 0] + 0.1 * X[:, 1] ** 2
    res = m.analyse(problem, X, Y, seed=1, second=False, resamples=20, level=0.95)
    assert {m.measure, m.conf} <= set(res) and all(len(v) == 3 for v in res.values())
    assert res[m.measure][0] == max(res[m.measure])  # a drives Y
    assert all(col in res for col, _ in m.shown)


def test_an_unknown_method_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match=r"unknown method 'sobel' \(did you mean 'sobol'\?\)"):
        method("sobel")


@pytest.mark.parametrize("name", METHODS)
def test_same_seed_same_indices_as_before_the_split(mini, name) -> None:
    res = S.sensitivity(mini, "days_of_fire.s_r_shells", name, n=SIZES[name], seed=5, resamples=20)
    want = GOLDEN[name]
    assert res.runs == want["runs"] and res.table["input"].tolist() == want["inputs"]
    for col, values in want.items():
        if col in ("runs", "inputs"):
            continue
        got = res.table[col].to_numpy(dtype=float)
        np.testing.assert_array_equal(got, [float.fromhex(v) for v in values], err_msg=col)


def test_the_names_load_without_numpy() -> None:
    code = ("import sys\nfrom spillover.analysis.sensitivity import METHODS\n"
            "print(METHODS, 'numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "('sobol', 'morris', 'pawn') False"


def test_doctests() -> None:
    import doctest
    import importlib

    for name in ("", ".base", ".ranking", ".core"):
        module = importlib.import_module("spillover.analysis.sensitivity" + name)
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_morris_intervals_stay_at_or_above_0(mini) -> None:
    res = S.sensitivity(mini, "peak.threat", "morris", n=10, seed=1)
    t = res.table
    assert (t["mu_star"] - t["mu_star_conf"] < 0).any()  # the bootstrap's symmetric interval dips below
    assert (t["lo"] >= 0).all() and (t["lo"] <= t["index"]).all() and (t["hi"] >= t["index"]).all()


def test_a_small_n_is_not_called_hopeless(mini) -> None:
    # At n=10 the intervals are wide: they call for more runs, a practical number of them.
    res = S.sensitivity(mini, "days_of_fire.s_r_shells", "morris", n=10, seed=0)
    text = " ".join(res.warnings)
    assert "fullness and stocks.S.shell (ranks 1 and 2) overlap at n=10: about n=" in text
    assert "practical" not in text


def _pair_table(gap: float, half: float) -> pd.DataFrame:
    return pd.DataFrame({"input": ["a", "b"], "index": [0.5, 0.5 - gap],
                         "lo": [0.5 - half, 0.5 - gap - half], "hi": [0.5 + half, 0.5 - gap + half]})


def test_rank_warnings_say_when_no_practical_number_of_runs_would_do() -> None:
    from spillover.analysis.sensitivity.ranking import PRACTICAL_RUNS

    # need = n·(2·half/gap)² trajectories, each of d+1 runs
    ok = rank_warnings(_pair_table(0.01, 0.1), "morris", 10, 9)[1]
    assert "about n=4,000 (40,000 runs, 400× as many) would separate them." in ok
    far = rank_warnings(_pair_table(1e-4, 0.1), "morris", 10, 9)[1]  # 4·10⁸ runs
    runs = int(far.split("(")[2].split(" runs")[0].replace(",", ""))
    assert runs > PRACTICAL_RUNS and abs(runs - 4e8) < 100
    assert far.endswith("would separate them: too close to rank with any practical number of runs.")
    tied = rank_warnings(_pair_table(0.0, 0.1), "pawn", 200, 2)[1]
    assert tied.endswith("their indices are equal, and no number of runs would rank them.")


def test_seed_0_gives_the_same_intervals_every_time() -> None:
    # SALib's Sobol' analyser skips seeding when the seed is 0 (the command line's default).
    m = method("sobol")
    problem = {"num_vars": 3, "names": ["a", "b", "c"], "bounds": [[0.0, 1.0]] * 3}
    X = m.sample(problem, 64, seed=0, second=False)
    Y = X[:, 0] + 0.3 * X[:, 1] * X[:, 2]
    first, again = (m.analyse(problem, X, Y, seed=0, second=False, resamples=50, level=0.95) for _ in "12")
    for key in ("S1_conf", "ST_conf"):
        np.testing.assert_array_equal(first[key], again[key])
