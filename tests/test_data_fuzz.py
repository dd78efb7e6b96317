"""Seeded fuzzing of every importer with damaged rows of the real excerpts.

Each case takes an excerpt, damages one to three of its data lines (stray quotes, bytes
that are not text, a cut line, a stray CR, CRLF and LF mixed, a huge field, a repeated
line, a lost separator, a blank line) and imports it. Whatever the damage:

* the import neither raises nor prints a traceback: the file is imported;
* every record is counted once: imported + rejected + duplicate = the records of the
  file (counted here independently), and the tables hold what the import reports;
* every quarantined row has a line of the file and a reason;
* importing the same content again (in an uncompressed ZIP) adds nothing.
"""

from __future__ import annotations

import os
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from spillover import data
from spillover.data import event_files, gdelt_blocks

DATA = Path(__file__).parent / "data"
SEED = 20191024
CASES = int(os.environ.get("SPILLOVER_FUZZ_CASES", "8"))  # per importer; more for a long run


@dataclass(frozen=True)
class Excerpt:
    kind: str
    path: Path
    header: bytes | None  # the header line starts so; data lines follow it
    separator: bytes
    huge: int  # length of a huge field: past the limit of a CSV field, or of a GDELT line
    stored: str  # SQL counting the stored records of source $sid


EXCERPTS = {
    "gdelt": Excerpt(
        "gdelt", DATA / "gdelt" / "20191024143000.export.CSV", None, b"\t", 1_100_000,
        "SELECT count(*) FROM gdelt_events WHERE source_id = $sid",
    ),
    "sipri-classic": Excerpt(
        "sipri", DATA / "sipri" / "trade-register-classic-excerpt.csv", b"Recipient,Supplier",
        b",", 140_000, "SELECT count(*) FROM sipri_deals WHERE source_id = $sid",
    ),
    "sipri-new": Excerpt(
        "sipri", DATA / "sipri" / "trade-register-new-excerpt.csv", b"SIPRI AT Database ID",
        b",", 140_000, "SELECT count(*) FROM sipri_deliveries WHERE source_id = $sid",
    ),
    "tiv": Excerpt(
        "tiv", DATA / "sipri" / "tiv-imports-1950-2024-excerpt.csv", b"Recipient,1950",
        b",", 140_000, "SELECT count(DISTINCT country) FROM tiv WHERE source_id = $sid",
    ),
    "nmc": Excerpt(
        "nmc", DATA / "cow" / "NMC-60-abridged-excerpt.csv", b"stateabb,ccode",
        b",", 140_000, "SELECT count(*) FROM nmc WHERE source_id = $sid",
    ),
}  # fmt: skip


# --------------------------------------------------------------------------- mutations

Lines = list[bytes]  # physical lines, each with its line break
Mutation = Callable[[random.Random, Lines, int, Excerpt], None]


def _at(rng: random.Random, line: bytes) -> int:
    return rng.randrange(len(line.rstrip(b"\r\n")) + 1)


def _insert(rng: random.Random, lines: Lines, index: int, what: bytes) -> None:
    cut = _at(rng, lines[index])
    lines[index] = lines[index][:cut] + what + lines[index][cut:]


def _stray_quote(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    _insert(rng, lines, index, b'"')


def _bad_bytes(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    _insert(rng, lines, index, rng.choice([b"\xff", b"\xe9", b"\xc3(", b"\x00", b"\xed\xa0\x80"]))


def _cut(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    ending = lines[index][len(lines[index].rstrip(b"\r\n")) :]
    lines[index] = lines[index][: _at(rng, lines[index])] + ending


def _stray_cr(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    _insert(rng, lines, index, b"\r")


def _line_ends(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    for i in range(index, min(index + 5, len(lines))):
        if lines[i].endswith(b"\r\n"):
            lines[i] = lines[i][:-2] + b"\n"
        elif lines[i].endswith(b"\n"):
            lines[i] = lines[i][:-1] + b"\r\n"


def _huge_field(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    _insert(rng, lines, index, b'"' * rng.randrange(2) + b"x" * excerpt.huge)


def _repeat(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    lines.insert(rng.randrange(index, len(lines) + 1), lines[index])


def _lost_separator(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    line = lines[index]
    found = [i for i in range(len(line)) if line[i : i + 1] == excerpt.separator]
    if found:
        i = rng.choice(found)
        lines[index] = line[:i] + line[i + 1 :]


def _blank(rng: random.Random, lines: Lines, index: int, excerpt: Excerpt) -> None:
    lines.insert(index, rng.choice([b"\n", b"\r\n", b" \n"]))


MUTATIONS: tuple[Mutation, ...] = (
    _stray_quote, _bad_bytes, _cut, _stray_cr, _line_ends, _huge_field, _repeat,
    _lost_separator, _blank,
)  # fmt: skip


def _first_data_line(lines: Lines, excerpt: Excerpt) -> int:
    if excerpt.header is None:
        return 0
    return next(i for i, line in enumerate(lines) if line.startswith(excerpt.header)) + 1


def damaged(excerpt: Excerpt, case: int) -> tuple[bytes, list[str]]:
    """The excerpt with one to three data lines damaged; and what was done."""
    rng = random.Random(SEED * 1000 + case)
    lines = excerpt.path.read_bytes().splitlines(keepends=True)
    first = _first_data_line(lines, excerpt)
    done = []
    for _ in range(rng.randint(1, 3)):
        mutation = rng.choice(MUTATIONS)
        mutation(rng, lines, rng.randrange(first, len(lines)), excerpt)
        done.append(mutation.__name__)
    return b"".join(lines), done


# --------------------------------------------------------------------------- counting


def records(excerpt: Excerpt, raw: bytes) -> tuple[int, int]:
    """(fewest, most) records of the file, counted from its lines as the formats say."""
    lines = raw.split(b"\n") if b"\n" in raw or b"\r" not in raw else raw.split(b"\r")
    lines = [line.rstrip(b"\r") for line in lines]
    if raw.endswith((b"\n", b"\r")):
        lines = lines[:-1]
    body = lines[_first_data_line([line + b"\n" for line in lines], excerpt) :]
    if excerpt.kind == "gdelt":
        count = sum(1 for line in body if line)
    elif excerpt.kind == "tiv":
        count = sum(1 for line in body if line.strip(b","))
    elif excerpt.header == b"SIPRI AT Database ID":
        count = sum(1 for line in body if line.removesuffix(b";").decode("latin-1").strip())
    else:
        count = sum(1 for line in body if line.decode("latin-1").strip())
    if excerpt.header == b"Recipient,Supplier":  # a record may span up to 4 lines
        return -(-count // 4), count
    return count, count


# --------------------------------------------------------------------------- the test


@pytest.mark.parametrize("case", range(CASES))
@pytest.mark.parametrize("name", list(EXCERPTS))
def test_damaged_rows_are_imported_or_quarantined_and_counted_once(
    name: str,
    case: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    excerpt = EXCERPTS[name]
    raw, done = damaged(excerpt, case)
    if excerpt.kind == "gdelt":  # small blocks; every other case into an event file
        monkeypatch.setattr(gdelt_blocks, "BLOCK_BYTES", 16_384)
        if case % 2:
            monkeypatch.setattr(event_files, "EVENT_FILE_BYTES", 0)
    path = tmp_path / excerpt.path.name
    path.write_bytes(raw)
    with data.open_store(tmp_path / "fuzz.duckdb") as store:
        result = data.import_file(store, excerpt.kind, path)
        _check_counts(store, excerpt, raw, result, done)
        _check_rejects(store, result, raw.count(b"\n") + 1, done)
        before = data.tables(store).set_index("table")["rows"]
        again = data.import_file(store, excerpt.kind, _stored_zip(path))
        assert again.nothing_new or result.rows_imported + result.rows_rejected == 0, done
        assert data.tables(store).set_index("table")["rows"].equals(before), done
    err = capfd.readouterr().err
    assert "Traceback" not in err and "Exception ignored" not in err, done


def _check_counts(
    store: data.Store, excerpt: Excerpt, raw: bytes, result: data.ImportResult, done: list[str]
) -> None:
    fewest, most = records(excerpt, raw)
    total = result.rows_imported + result.rows_rejected + result.rows_duplicate
    assert fewest <= total <= most, (done, result.summary())
    assert result.rows_duplicate == 0, done  # a first import: nothing was stored before
    stored = store.con.execute(excerpt.stored, {"sid": result.source_id}).fetchall()[0][0]
    assert stored == result.rows_imported, done


def _check_rejects(store: data.Store, result: data.ImportResult, lines: int, done: list[str]) -> None:
    rows = store.con.execute(
        "SELECT line, reason, file_name FROM rejected_rows WHERE source_id = ?", [result.source_id]
    ).fetchall()
    assert len(rows) == result.rows_rejected, done
    for line, reason, file_name in rows:
        assert line is not None and 1 <= line <= lines, (done, line)
        assert reason and "\n" not in reason, done
        assert file_name == result.path.name


def _stored_zip(path: Path) -> Path:
    """The same bytes in an uncompressed ZIP: the same content, another sha256."""
    archive = path.parent / "again" / f"{path.name}.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_STORED) as zipped:
        zipped.write(path, path.name)
    return archive
