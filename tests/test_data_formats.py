"""The importers' registry: every format is declared once, and everything reads the registry.

The tests at the end add a small format for real, registered for the test only: its module-level
declaration below, one line in the registry (``monkeypatch``), and it imports end to end.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from typer.testing import CliRunner

from spillover import data
from spillover.cli.data import app
from spillover.data import formats, schema
from spillover.data.countries import resolve_names
from spillover.data.files import decode_text
from spillover.data.format import Format, Table, head_lines
from spillover.data.identity import same_values
from spillover.data.parsed import ParsedFile, RejectLog, parse_int, split_fields, split_lines
from spillover.data.sniff import detect, require_kind

DATA = Path(__file__).parent / "data"
SRC = Path(__file__).resolve().parents[1] / "src" / "spillover"
#: The excerpts of real files under tests/data (a new format adds its own there).
FILES = sorted(p for p in DATA.rglob("*") if p.is_file() and p.suffix != ".md")
EXCERPTS = {kind: [p for p in FILES if detect(p).kind == kind] for kind in formats.kinds()}
#: The store's own tables, which every import writes beside its format's.
OWN_TABLES = {"sources", "rejected_rows", "actor_names", "meta"}
runner = CliRunner()


def _cli(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def _words(help_text: str) -> str:
    """The help's words in one line, without the boxes' edges."""
    return " ".join(help_text.replace("│", " ").split())


def _listed(kinds: tuple[str, ...]) -> str:
    """``a, b or c``, as help lists the kinds."""
    return ", ".join(kinds[:-1]) + " or " + kinds[-1]


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, bool]]:
    """Each base table of the store: its columns, and whether each may be NULL."""
    rows = con.execute(
        "SELECT table_name, column_name, is_nullable = 'YES' FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name IN (SELECT table_name FROM duckdb_tables())"
    ).fetchall()
    out: dict[str, dict[str, bool]] = {}
    for table, column, nullable in rows:
        out.setdefault(table, {})[column] = nullable
    return out


def _counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows of every base table of the store."""
    names = [row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()]
    return {name: con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0] for name in names}


def test_every_excerpt_is_of_a_registered_format_and_every_format_has_one() -> None:
    assert len(FILES) >= 7
    assert formats.kinds() == data.KINDS and {"sipri", "tiv", "gdelt", "nmc"} <= set(data.KINDS)
    for path in FILES:
        found = detect(path)
        assert found.kind in formats.kinds(), (path.name, found)
        fmt = formats.get(found.kind)
        assert found.description == fmt.variants[found.variant] and found.variant not in fmt.refusals
        assert require_kind(path, fmt.kind) == found
    for kind, paths in EXCERPTS.items():
        assert paths, f"no excerpt of a {kind} file under tests/data"
    variants = {detect(p).variant for p in FILES}
    assert {"sipri-classic", "sipri-new", "tiv-imports", "tiv-exports", "gdelt-export", "cow-nmc"} <= variants


@pytest.mark.parametrize("kind", formats.kinds())
def test_a_format_is_refused_under_every_other_kind(kind: str) -> None:
    path = EXCERPTS[kind][0]
    for other in formats.FORMATS:
        if other.kind != kind:
            with pytest.raises(data.FormatMismatchError) as refused:
                require_kind(path, other.kind)
            assert str(refused.value).endswith(f"not {other.label}; use `spillover data import {kind}`")


def test_every_format_has_its_tables_in_the_store(tmp_path: Path) -> None:
    with data.open_store(tmp_path / "tables.duckdb") as store:
        made = dict(
            store.con.execute(
                "SELECT table_name, table_type FROM information_schema.tables "
                "WHERE table_schema = 'main'"
            ).fetchall()
        )
        listed = list(data.tables(store)["table"])
    declared = [table for fmt in formats.FORMATS for table in fmt.tables]
    assert declared and len({t.name for t in declared}) == len(declared)
    for table in declared:
        assert made[table.name] == ("VIEW" if table.ddl is None else "BASE TABLE"), table.name
        assert table.name in listed and table.name in schema.TABLE_DOCS
    assert listed == list(schema.TABLE_DOCS) == list(schema.table_docs())


def test_each_excerpt_is_claimed_by_its_own_format_and_no_other() -> None:
    # The format check stops at the first format that claims a file: a second claimant
    # would be hidden by the order of the registry, so every format is asked here.
    for path in FILES:
        head = path.read_bytes()[: 1 << 16]
        claims = {fmt.kind: fmt.detected(head) for fmt in formats.FORMATS}
        claims = {kind: variant for kind, variant in claims.items() if variant is not None}
        assert claims == {detect(path).kind: detect(path).variant}, path.name


@pytest.mark.parametrize("kind", [fmt.kind for fmt in formats.FORMATS if fmt.parse is not None])
def test_what_a_parser_returns_fills_its_tables_columns(kind: str, tmp_path: Path) -> None:
    fmt = formats.get(kind)
    with data.open_store(tmp_path / "columns.duckdb") as store:
        columns = _columns(store.con)
    for path in EXCERPTS[kind]:
        text, encoding = decode_text(path.read_bytes())
        parsed = fmt.parse(text, detect(path).variant, encoding)  # type: ignore[misc]
        assert parsed.tables and set(parsed.tables) <= {t.name for t in fmt.tables}, path.name
        for table, frame in parsed.tables.items():
            assert len(frame) > 0, (path.name, table)
            # the importer adds source_id; every other column comes from the parser
            assert sorted({*frame.columns, "source_id"}) == sorted(columns[table]), (path.name, table)
            required = [c for c, nullable in columns[table].items() if not nullable and c != "source_id"]
            assert not frame[required].isna().any().any(), (path.name, table)


@pytest.mark.parametrize("kind", formats.kinds())
def test_an_import_writes_its_formats_tables_and_no_others(kind: str, tmp_path: Path) -> None:
    declared = {t.name for t in formats.get(kind).tables}
    with data.open_store(tmp_path / "writes.duckdb") as store:
        before = _counts(store.con)
        result = data.import_file(store, kind, EXCERPTS[kind][0])
        after = _counts(store.con)
    changed = {name for name in after if after[name] != before.get(name)}
    assert result.rows_imported > 0 and changed & declared, changed
    assert changed <= declared | OWN_TABLES, changed - declared


@pytest.mark.parametrize("kind", formats.kinds())
def test_every_format_knows_its_records_in_other_bytes(kind: str, tmp_path: Path) -> None:
    # Zipped, the same records are another sha256: only the format's identity rule (or
    # its loader's) can tell the store holds them already.
    path = EXCERPTS[kind][0]
    packed = tmp_path / f"{path.name}.zip"
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, path.name)
    with data.open_store(tmp_path / "again.duckdb") as store:
        first = data.import_file(store, kind, path)
        held = _counts(store.con)
        again = data.import_file(store, kind, packed)
        assert _counts(store.con) == held
    assert first.rows_imported > 0 and first.sha256 != again.sha256
    assert again.nothing_new
    assert (again.rows_imported, again.rows_duplicate, again.source_id) == (0, first.rows_imported, 1)


def test_no_module_but_the_registry_lists_the_formats() -> None:
    # Adding a format is one declaration and one line in FORMATS: nothing else may hold
    # its own list of the format modules' declarations.
    naming = sorted(
        str(path.relative_to(SRC))
        for path in SRC.rglob("*.py")
        if re.search(r"\b(sipri|tiv|gdelt|nmc)\.FORMAT\b", path.read_text(encoding="utf-8"))
    )
    assert naming == ["data/formats.py"]


def test_the_import_command_accepts_exactly_the_registered_kinds(tmp_path: Path) -> None:
    nmc = EXCERPTS["nmc"][0]
    for kind in formats.kinds():
        code, _, err = _cli("import", kind, nmc, "--db", tmp_path / f"{kind}.duckdb")
        if kind == "nmc":
            assert code == 0, err
        else:  # accepted as a kind: refused by the format check, naming the format
            assert code == 2 and f"not {formats.get(kind).label}" in err, err
    for kind in ("sipro", "NMC", "csv", ""):
        code, _, err = _cli("import", kind, nmc, "--db", tmp_path / "other.duckdb")
        assert code == 2 and err.strip().startswith(f"error: unknown kind {kind!r}; choose "), err
    assert not (tmp_path / "other.duckdb").exists()
    code, out, _ = _cli("import", "--help")
    assert code == 0 and f"What the files are: {_listed(formats.kinds())}." in _words(out)


def test_a_declaration_that_cannot_work_is_refused() -> None:
    sipri = formats.get("sipri")
    with pytest.raises(ValueError, match="needs either parse or load"):
        dataclasses.replace(sipri, load=formats.get("gdelt").load)
    with pytest.raises(ValueError, match="needs an identity rule"):
        dataclasses.replace(sipri, identity=None)
    with pytest.raises(ValueError, match="refusals of unknown variants"):
        dataclasses.replace(sipri, refusals={"sipri-old": "too old"})
    with pytest.raises(ValueError, match="lower-case"):
        dataclasses.replace(sipri, kind="SIPRI")
    with pytest.raises(ValueError, match="fills no table"):
        dataclasses.replace(sipri, tables=())
    wild = dataclasses.replace(sipri, detect=lambda head: "sipri-2030")
    with pytest.raises(ValueError, match="undeclared variant 'sipri-2030'"):
        wild.detected(b"anything")


def test_a_registry_that_declares_a_name_twice_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    formats.check(formats.FORMATS)
    nmc = formats.get("nmc")
    with pytest.raises(ValueError, match="kind 'nmc' of format 'nmc' is also declared by 'nmc'"):
        formats.check((*formats.FORMATS, nmc))
    clash = dataclasses.replace(nmc, kind="cow", variants={"cow-nmc": "again"})
    with pytest.raises(ValueError, match="variant 'cow-nmc' of format 'cow' is also declared by 'nmc'"):
        formats.check((*formats.FORMATS, clash))
    own = dataclasses.replace(TOY, tables=(Table("sources", "clash", None),))
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, own))
    with pytest.raises(ValueError, match="tables declared twice in the store's schema: sources"):
        schema.store_tables()


def test_an_unknown_kind_names_the_registered_ones() -> None:
    with pytest.raises(data.FormatMismatchError) as refused:
        formats.get("acled")
    assert str(refused.value) == f"unknown import kind 'acled'; choose one of {', '.join(formats.KINDS)}"
    assert "sipri, tiv, gdelt, nmc" in str(refused.value)


# --------------------------------------------------------------------------- a new format
# A border-incident log, ``date,country_a,country_b,fatalities``: everything a format
# module holds (detection, table, parser, identity rule) and its FORMAT.

_HEADER = "date,country_a,country_b,fatalities"
_CONTENT = ("date", "country_a", "country_b", "fatalities")


def _detect(head: bytes) -> str | None:
    return "incidents-v1" if head_lines(head)[0] == _HEADER else None


def _fields(line: str) -> tuple[str, str, str, int | None]:
    fields = split_fields(line)
    if len(fields) != len(_CONTENT):
        raise ValueError(f"expected {len(_CONTENT)} fields, found {len(fields)}")
    date, a, b, count = fields
    try:
        return date, a, b, parse_int(count)
    except ValueError:
        raise ValueError(f"non-numeric fatalities {count!r}") from None


def _parse(text: str, variant: str, encoding: str) -> ParsedFile:
    rows, rejects = [], RejectLog()
    for number, line in enumerate(split_lines(text)[1:], start=2):
        if not line.strip():
            continue
        try:
            rows.append((*_fields(line), number))
        except ValueError as exc:  # MalformedRow too
            rejects.add(number, str(exc), line)
    frame = pd.DataFrame(rows, columns=[*_CONTENT, "line"]).astype({"fatalities": "Int64"})
    actors = resolve_names(pd.concat([frame["country_a"], frame["country_b"]]).unique(), "sipri")
    return ParsedFile(
        variant, encoding, None, len(frame), {"incidents": frame}, rejects, actors.assign(scheme="incidents")
    )


TOY = Format(
    kind="incidents",
    label="a border-incident log",
    variants={"incidents-v1": "a border-incident log"},
    detect=_detect,
    tables=(
        Table(
            "incidents",
            "border incidents: date, the two countries, fatalities",
            "CREATE TABLE IF NOT EXISTS incidents (source_id INTEGER NOT NULL, date DATE NOT NULL, "
            "country_a VARCHAR NOT NULL, country_b VARCHAR NOT NULL, fatalities INTEGER, "
            "line BIGINT NOT NULL)",
        ),
    ),
    parse=_parse,
    identity=same_values("incidents", _CONTENT, key=("date", "country_a", "country_b"), unit="incidents"),
)

_LOG = (
    f"{_HEADER}\n2023-03-01,Armenia,Azerbaijan,2\n2023-03-04,India,China,0\n"
    "2023-03-09,Armenia,Azerbaijan,many\n2023-04-11,Armenia,Azerbaijan,4\n"
)


@pytest.fixture
def registered(monkeypatch: pytest.MonkeyPatch) -> Format:
    """The registry with the incident log added: its one line."""
    monkeypatch.setattr(formats, "FORMATS", (*formats.FORMATS, TOY))
    return TOY


def test_a_new_format_imports_end_to_end(registered: Format, tmp_path: Path) -> None:
    log = tmp_path / "incidents-2023.csv"
    log.write_text(_LOG, encoding="utf-8")
    assert detect(log) == data.Detected("incidents", "incidents-v1", "a border-incident log")
    with data.open_store(tmp_path / "new.duckdb") as store:
        assert "incidents" in list(data.tables(store)["table"])
        result = data.import_file(store, "incidents", log)
        assert (result.rows_imported, result.rows_rejected, result.format) == (3, 1, "incidents-v1")
        stored = store.con.execute("SELECT date, country_a, fatalities FROM incidents ORDER BY line").df()
        assert stored["fatalities"].tolist() == [2, 0, 4]
        assert str(stored["date"].iloc[0])[:10] == "2023-03-01"
        rejected = store.con.execute("SELECT line, reason, raw FROM rejected_rows").fetchall()
        assert rejected == [(4, "non-numeric fatalities 'many'", "2023-03-09,Armenia,Azerbaijan,many")]
        names = "SELECT name, actor_id FROM actor_names WHERE scheme = 'incidents'"
        ids = dict(store.con.execute(names).fetchall())
        assert ids == {"Armenia": "ARM", "Azerbaijan": "AZE", "India": "IND", "China": "CHN"}
        kinds = store.con.execute("SELECT kind, format FROM sources").fetchall()
        assert kinds == [("incidents", "incidents-v1")]


def test_a_new_format_keeps_its_identity_of_records(registered: Format, tmp_path: Path) -> None:
    first, again, revised = (tmp_path / f"{n}.csv" for n in ("first", "again", "revised"))
    first.write_text(_LOG, encoding="utf-8")
    again.write_bytes(_LOG.replace("\n", "\r\n").encode())  # the same records, other bytes
    revised.write_text(_LOG.replace("India,China,0", "India,China,1"), encoding="utf-8")
    with data.open_store(tmp_path / "same.duckdb") as store:
        data.import_file(store, "incidents", first)
        same = data.import_file(store, "incidents", again)
        assert same.nothing_new and same.rows_duplicate == 4 and same.source_id == 1
        other = data.import_file(store, "incidents", revised)
        assert (other.rows_imported, other.rows_duplicate) == (1, 3)
        assert "2 incidents already in the store (source 1)" in other.notes
        assert other.notes[-1] == (
            "1 incidents are also in source 1 with other values: use one source_id at a time"
        )
        assert store.con.execute("SELECT count(*) FROM incidents").fetchall() == [(4,)]


def test_a_new_format_is_told_apart_from_the_others(registered: Format, tmp_path: Path) -> None:
    log = tmp_path / "incidents.csv"
    log.write_text(_LOG, encoding="utf-8")
    with pytest.raises(data.FormatMismatchError) as refused:
        require_kind(log, "sipri")
    assert str(refused.value) == (
        "incidents.csv: this looks like a border-incident log, not a SIPRI trade register export; "
        "use `spillover data import incidents`"
    )
    with pytest.raises(data.FormatMismatchError) as refused:
        require_kind(EXCERPTS["nmc"][0], "incidents")
    assert str(refused.value).endswith("not a border-incident log; use `spillover data import nmc`")
    assert "incidents" not in formats.KINDS  # the shipped registry is unchanged


def test_a_new_format_is_a_kind_of_the_import_command(registered: Format, tmp_path: Path) -> None:
    log = tmp_path / "incidents.csv"
    log.write_text(_LOG, encoding="utf-8")
    db = tmp_path / "cli.duckdb"
    code, out, err = _cli("import", "incidents", log, "--db", db)
    assert code == 0, err
    assert "incidents.csv: imported 3 rows, rejected 1 (see rejected_rows)" in out
    code, out, _ = _cli("tables", "--db", db)
    assert code == 0 and "border incidents" in out
    code, out, _ = _cli("import", "--help")
    assert f"What the files are: {_listed((*formats.KINDS, 'incidents'))}." in _words(out)
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM incidents").fetchall() == [(3,)]


def test_the_documented_example_is_the_one_tested_here() -> None:
    # docs/data.md ("Adding a format") shows TOY's declaration: it must not drift from it.
    docs = (Path(__file__).resolve().parents[1] / "docs" / "data.md").read_text(encoding="utf-8")
    section = docs[docs.index("## Adding a format") :]
    block = section[section.index("```python\n") + 10 : section.index("```\n", section.index("```python"))]
    shown = " ".join(re.sub(r'"\s+"', "", block).split())  # adjacent literals joined
    table = TOY.tables[0]
    wanted = [f'kind="{TOY.kind}"', f'label="{TOY.label}"', f'"{table.name}"', f'"{table.doc}"']
    for text in [*wanted, str(table.ddl)]:
        assert text in shown, text
    assert f"variants={dict(TOY.variants)!r}".replace("'", '"') in shown
