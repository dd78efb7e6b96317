"""Suggestions stay linear: an index bounds the comparisons per unknown name, a cap bounds
the lookups per validation, and the suggestions are still the closest names."""

from __future__ import annotations

import difflib

import pytest

from benchmarks.bench_validate import unknown_refs
from spillover.scenario import errors
from spillover.scenario.errors import (
    CANDIDATES,
    EXHAUSTIVE,
    NameSet,
    ScenarioError,
    Suggestions,
    did_you_mean,
)
from spillover.scenario.load import loads_scenario


@pytest.fixture
def comparisons(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count difflib comparisons: one per name a suggestion is measured against."""
    count = [0]
    original = difflib.SequenceMatcher.set_seq1

    def counted(self: difflib.SequenceMatcher, a: str) -> None:
        count[0] += 1
        original(self, a)

    monkeypatch.setattr(difflib.SequenceMatcher, "set_seq1", counted)
    return count


def test_many_unknown_references_cost_a_bounded_number_of_comparisons(comparisons: list[int]) -> None:
    n = 500
    with pytest.raises(ScenarioError) as info:
        loads_scenario(unknown_refs(n), "many.yaml")
    found = info.value.problems
    assert len(found) == n
    assert found[0].message == "unknown actor 'actr_0' (did you mean 'actor_0'?)"
    assert sum("did you mean" in p.message for p in found) == n
    assert comparisons[0] <= 2 * CANDIDATES * n  # without the index: n * n = 250,000


def test_an_indexed_lookup_compares_a_few_names(comparisons: list[int]) -> None:
    names = NameSet(f"actor_{i}" for i in range(20_000))
    assert names.closest("actr_12345") == "actor_12345"
    assert names.closest("ACTOR_77") == "actor_77"
    assert names.closest("zzz") is None
    assert comparisons[0] <= 3 * CANDIDATES


def test_small_sets_are_compared_name_by_name_as_before() -> None:
    choices = [f"name{i}" for i in range(EXHAUSTIVE)]
    for probe in ("nam3", "name_12", "NAME7", "x"):
        expected = difflib.get_close_matches(probe, sorted(choices), n=1, cutoff=0.6)
        assert NameSet(choices).closest(probe) == (expected[0] if expected else
                                                   {c.lower(): c for c in choices}.get(probe.lower()))


def test_the_index_finds_what_difflib_finds_on_real_names() -> None:
    """On names like a scenario's, the index agrees with a full comparison."""
    goods = ("shells", "srbm", "fuel", "tech", "drones")
    names = [f"{a}_{b}_{c}" for a in ("prk", "rus", "kor", "jpn", "chn", "ukr", "usa", "irn")
             for b in ("rus", "prk", "ukr", "kor", "syr") for c in goods]
    ns = NameSet(names)
    assert len(names) > EXHAUSTIVE
    for probe in ("prk_rus_shell", "rus_prk_fuell", "kor_ukr_shels", "irn_rus_drone", "chn_rus_teck"):
        assert ns.closest(probe) == difflib.get_close_matches(probe, names, n=1, cutoff=0.6)[0]


def test_lookups_are_capped_and_cached(monkeypatch: pytest.MonkeyPatch) -> None:
    hints = Suggestions(limit=3)
    actors = NameSet(["PRK", "RUS", "KOR"])
    assert [hints.did_you_mean(n, actors) for n in ("PRKK", "RUSS", "KORR")] == [
        " (did you mean 'PRK'?)", " (did you mean 'RUS'?)", " (did you mean 'KOR'?)"]
    assert hints.did_you_mean("PRKK", actors) == " (did you mean 'PRK'?)"  # cached: no new lookup
    assert hints.did_you_mean("JPNN", actors) == ""  # over the cap: reported without a suggestion
    assert hints.lookups == 3


def test_a_validation_stops_suggesting_after_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(errors, "MAX_LOOKUPS", 50)
    monkeypatch.setattr(Suggestions.__init__, "__defaults__", (50,))
    with pytest.raises(ScenarioError) as info:
        loads_scenario(unknown_refs(120), "many.yaml")
    hinted = [p for p in info.value.problems if "did you mean" in p.message]
    assert len(info.value.problems) == 120 and len(hinted) == 50


def test_the_public_helper_still_lists_valid_names() -> None:
    assert did_you_mean("xyz", ["PRK", "RUS"]) == " (valid: PRK, RUS)"
    assert did_you_mean("xyz", []) == " (none are declared)"
