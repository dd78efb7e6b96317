"""The validator's promise: every mutant of the built-in scenario validates, or is refused
with ``FILE:LINE:COL`` problems (exit 2 from ``spillover validate``), and nothing else.

The mutants come from a seeded generator (:func:`mutants`): keys and values deleted,
duplicated, misspelt and retyped; numbers swapped for huge, NaN, negative or text; broken
indentation, brackets and quotes; anchors, aliases and alias bombs; unicode oddities;
deep nesting; bad dates and tags. A hang fails the test through pytest-timeout.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from spillover.scenario.errors import ScenarioError
from spillover.scenario.load import builtin_path, loads_scenario
from spillover.scenario.summary import summarize

BASE = builtin_path("nk-russia-2023").read_text(encoding="utf-8")
SEED = 20240611
N_MUTANTS = 320
CLI_EVERY = 8  # one mutant in eight also goes through `spillover validate`

# Values in the structure of the file, not in its prose (descriptions, notes, comments).
_NUMBER = re.compile(r"(?:(?<=: )|(?<=\[)|(?<=, ))(?P<v>-?\d+(?:\.\d+)?(?:e-?\d+)?)(?=[,\]}]|\s*$)", re.M)
_KEY = re.compile(r"^(\s*)([A-Za-z_][\w-]*)(:)", re.M)
_DATE = re.compile(r"(?:(?<=from: )|(?<=at: )|(?<=start: ))(?P<v>\d{4}-\d{2}-\d{2})")
_REFS = ("supplier|recipient|munition|observer|indicator|flow|event|lever|start|transfer|actor|input"
         "|source|for")
_WORD = re.compile(rf"(?:{_REFS}|kind|process|measure): (?P<v>[A-Za-z_][\w-]*)(?=[,}}\s])")
_PLAIN = re.compile(r"^\s*[A-Za-z_][\w-]*: (?P<v>[^\s{\[#>|'\"][^,}\n#]*)$", re.M)

ODD_NUMBERS = ["1" + "0" * 400, "-" + "9" * 330, "1e400", "-1e400", ".nan", ".inf", "-.inf", "-1",
               "-0.0", "0", "abc", "'12'", "!!float abc", "!!int 1.5", "1_000", "0x1F", "0o17",
               "1e-400", "9" * 25, "true", "null", "~", "[]", "{}", "2024-01-01"]
ODD_TEXT = ['"\\ud800"', '"a\\udfffb"', '"\\0"', '"\\x1b[31m"', '"\\u202e\\u200b"', "\u00e9\u0301",
            "\U0001f4a3", '"\\uffff"', "\ufeff", '"' + "x" * 5000 + '"', "\u2028", "'\\ud800'"]
ODD_DATES = ["0", "1", "99999-01-01", "10000-01-01", "0000-01-01", "9999-12-31", "9999-06-01",
             "2024-02-30", "2024-13-01", "1969-12-31", "'2024-01-01'", "2024-01-01T10:00:00Z",
             "!!timestamp abc", "1700000000"]
TAGS = ["!!binary aGVsbG8=", "!!python/object:os.system x", "!foo 1", "!!set {a, b}",
        "!!omap [a: 1]", "!!str 5", "!!null x", "!!bool yes", "!!timestamp 2024-01-01"]


def _lines(text: str) -> list[str]:
    return text.split("\n")


def _pick_line(rng: random.Random, lines: list[str], pattern: re.Pattern[str] | None = None) -> int:
    idx = [i for i, s in enumerate(lines) if s.strip() and not s.lstrip().startswith("#")
           and (pattern is None or pattern.search(s))]
    return rng.choice(idx) if idx else 0


def _sub_one(rng: random.Random, text: str, pattern: re.Pattern[str], new: Callable[[str], str]) -> str:
    hits = list(pattern.finditer(text))
    if not hits:
        return text
    m = rng.choice(hits)
    group = "v" if "v" in pattern.groupindex else 0
    return text[: m.start(group)] + new(m.group(group)) + text[m.end(group):]


def _typo(rng: random.Random, word: str) -> str:
    if len(word) < 2:
        return word + "x"
    i = rng.randrange(len(word) - 1)
    how = rng.choice(["drop", "swap", "double", "case"])
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "swap":
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i].swapcase() + word[i + 1:]


def m_delete_line(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    del lines[_pick_line(rng, lines)]
    return "\n".join(lines)


def m_duplicate_line(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = _pick_line(rng, lines)
    lines.insert(i, lines[i])
    return "\n".join(lines)


def m_indent(rng: random.Random, text: str) -> str:
    lines = _lines(text)
    i = _pick_line(rng, lines)
    shift = rng.choice([-4, -2, -1, 1, 2, 3, 8])
    lines[i] = " " * shift + lines[i] if shift > 0 else lines[i][-shift:] if lines[i][:-shift].isspace() \
        else "\t" + lines[i]
    return "\n".join(lines)


def m_bracket(rng: random.Random, text: str) -> str:
    spots = [i for i, c in enumerate(text) if c in "[]{}\"'"]
    i = rng.choice(spots)
    if rng.random() < 0.5:
        return text[:i] + text[i + 1:]
    return text[:i] + rng.choice("[]{}\"',:") + text[i:]


def m_number(rng: random.Random, text: str) -> str:
    return _sub_one(rng, text, _NUMBER, lambda _: rng.choice(ODD_NUMBERS))


def m_key_typo(rng: random.Random, text: str) -> str:
    return _sub_one(rng, text, _KEY, lambda k: re.sub(r"[A-Za-z_][\w-]*", lambda w: _typo(rng, w.group(0)),
                                                       k, count=1))


def m_value_typo(rng: random.Random, text: str) -> str:
    return _sub_one(rng, text, _WORD, lambda w: _typo(rng, w))


def m_retype(rng: random.Random, text: str) -> str:
    new = rng.choice(["[1, 2]", "{a: 1}", "null", "true", "''", "-5", "[[[]]]", "{value: x}",
                      "{uniform: [3, 1]}", "{normal: [0, 1]}", "run", "policy"])
    return _sub_one(rng, text, _PLAIN if rng.random() < 0.5 else _NUMBER, lambda _: new)


def m_date(rng: random.Random, text: str) -> str:
    return _sub_one(rng, text, _DATE, lambda _: rng.choice(ODD_DATES))


def m_tag(rng: random.Random, text: str) -> str:
    return _sub_one(rng, text, _NUMBER, lambda _: rng.choice(TAGS))


def m_unicode(rng: random.Random, text: str) -> str:
    odd = rng.choice([*ODD_TEXT, "\x00", "\x1f", "\x85", "\ud800", "\udcff"])
    if rng.random() < 0.5:
        return _sub_one(rng, text, re.compile(r'(?<=: )"[^"\n]*"'), lambda _: odd)
    i = rng.randrange(len(text))
    return text[:i] + odd + text[i:]


def m_alias(rng: random.Random, text: str) -> str:
    kind = rng.choice(["recursive", "bomb", "plain", "undefined", "merge", "duplicate"])
    if kind == "recursive":
        return text.replace("horizon: 730", rng.choice(["horizon: &a [*a]", "horizon: &a {x: *a}",
                                                        "horizon: &a [1, [2, *a]]"]), 1)
    if kind == "bomb":
        rows = ["l0: &l0 [x, x, x, x, x, x, x, x, x, x]"]
        rows += [f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]" for i in range(1, 9)]
        return text + "\n" + "\n".join(rows) + "\n"
    if kind == "plain":
        return re.sub(r"^(actors:)", r"\1 &acts", text, count=1, flags=re.M) + "\nx_actors: *acts\n"
    if kind == "undefined":
        return text.replace("horizon: 730", "horizon: *nothing", 1)
    if kind == "merge":
        return text.replace("  KOR:", "  KOR: &k\n    <<: {name: x}\n  KOR2:\n    <<: *k\n  KOR3:", 1)
    return text.replace("horizon: 730", "horizon: &h 730\nx: &h 5", 1)


def m_deep(rng: random.Random, text: str) -> str:
    depth = rng.choice([50, 200, 1000, 20000])
    nest = rng.choice([("[" * depth, "]" * depth), ("{a: " * depth, "}" * depth)])
    return text.replace("horizon: 730", f"horizon: {nest[0]}1{nest[1]}", 1)


def m_truncate(rng: random.Random, text: str) -> str:
    return text[: rng.randrange(len(text))]


def m_reserved(rng: random.Random, text: str) -> str:
    names = re.compile(r"(?<=name: )[a-z_]+(?=[,}\n])")
    return _sub_one(rng, text, names, lambda _: rng.choice(["run", "policy"]))


def m_start(rng: random.Random, text: str) -> str:
    return text.replace("start: 2023-08-01", f"start: {rng.choice(ODD_DATES)}", 1)


MUTATORS = [m_delete_line, m_duplicate_line, m_indent, m_bracket, m_number, m_key_typo, m_value_typo,
            m_retype, m_date, m_tag, m_unicode, m_alias, m_deep, m_truncate, m_reserved, m_start]


def mutants(n: int = N_MUTANTS, seed: int = SEED) -> list[tuple[str, str]]:
    """``n`` mutants of the built-in scenario: (the mutators applied, the text)."""
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        text, names = BASE, []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            mut = rng.choice(MUTATORS)
            text = mut(rng, text)
            names.append(mut.__name__[2:])
        out.append(("+".join(names), text))
    return out


MUTANTS = mutants()


def check_outcome(text: str, file: str = "mutant.yaml") -> str:
    """Validate ``text`` strictly; return "valid" or "refused", failing on anything else."""
    try:
        sc = loads_scenario(text, file, strict=True)
    except ScenarioError as exc:
        assert exc.problems, "a ScenarioError with no problem"
        n_lines = text.count("\n") + 1
        for p in exc.problems:
            assert p.file == file, p
            assert 1 <= p.line <= n_lines + 1 and p.col >= 1, p
            assert p.message and "\n" not in p.message, p
            p.message.encode("utf-8")  # printable: no lone surrogate in a message
        return "refused"
    summarize(sc)  # a valid scenario is usable: its structure and summary build
    return "valid"


def test_the_generator_is_seeded_and_varied() -> None:
    again = mutants()
    assert [t for _, t in again] == [t for _, t in MUTANTS]
    assert len({t for _, t in MUTANTS}) > 0.9 * N_MUTANTS
    used = {n for names, _ in MUTANTS for n in names.split("+")}
    assert used == {m.__name__[2:] for m in MUTATORS}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("index", range(N_MUTANTS))
def test_mutant_validates_or_is_refused_with_locations(index: int) -> None:
    check_outcome(MUTANTS[index][1])


@pytest.mark.timeout(120)
@pytest.mark.parametrize("index", range(0, N_MUTANTS, CLI_EVERY))
def test_mutant_through_the_cli(index: int, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                monkeypatch: pytest.MonkeyPatch) -> None:
    from spillover.cli.main import main

    names, text = MUTANTS[index]
    path = tmp_path / "mutant.yaml"
    path.write_text(text, encoding="utf-8", errors="surrogatepass")
    monkeypatch.setattr(sys, "argv", ["spillover", "validate", str(path), "--strict"])
    try:
        main()
        code = 0
    except SystemExit as exc:
        code = exc.code or 0
    out, err = capsys.readouterr()
    assert code in (0, 2), (names, code, err)
    assert "internal error" not in err and "Traceback" not in err, (names, err)
    if code == 2:
        assert re.match(rf"{re.escape(str(path))}:\d+:\d+: ", err), (names, err)
    else:
        assert "valid (strict)" in out, (names, out)


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_every_valid_mutant_runs() -> None:
    """The other half of the promise: what validates, runs (a few runs of each)."""
    import spillover

    valid = [text for _, text in MUTANTS if check_outcome(text) == "valid"]
    assert valid
    for text in valid:
        res = spillover.run(loads_scenario(text, "mutant.yaml"), runs=8, seed=1)
        assert len(res.outcomes) > 0
