"""Read evidence: a scenario's ``evidence:``, ``*.evidence.yaml`` files and CSV tables.

Every problem is reported as ``FILE:LINE:COL: message`` (with a suggestion for an unknown
name), all in one pass, as for scenarios. A ``series:`` entry reads a CSV of dated values
(the output of ``spillover data dyad``, a ``spillover data sql --csv`` result) as one
observation per row; a ``.csv`` given directly is a table of observations, one per row
(see :mod:`spillover.scenario.evidence_csv`). The result is an :class:`EvidenceSet` of
compiled observations, each with the engine days it reads.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from spillover.scenario.errors import Problem, ScenarioError, Suggestions
from spillover.scenario.evidence import Evidence, Reported
from spillover.scenario.evidence_check import EvidenceChecker, Names, scale_names, sound_part
from spillover.scenario.evidence_obs import Obs, compile_obs
from spillover.scenario.quantity import Quantity
from spillover.scenario.source import SourceDoc, read_yaml_file


@dataclass
class EvidenceSet:
    """Observations from every evidence file of a run, in order, with the files' digests."""

    observations: list[Obs]
    policy: str
    files: list[dict[str, str]] = field(default_factory=list)
    nuisance: dict[str, Quantity] = field(default_factory=dict)

    def as_of(self, day: dt.date | None) -> list[Obs]:
        """The observations known on ``day`` (published by then); all with None."""
        if day is None:
            return list(self.observations)
        return [o for o in self.observations if o.report.known_on <= day]

    def requests(self) -> list[tuple[str, int]]:
        """(quantity column, day) pairs the engine must record for these observations."""
        out: list[tuple[str, int]] = []
        for o in self.observations:
            days = [*o.days, *([o.since] if o.since is not None else [])]
            out += [(c, d) for c in sorted(o.expr.columns()) if "." in c for d in days]
        return list(dict.fromkeys(out))


class _Under(SourceDoc):
    """A standalone file read as if it were a scenario's ``evidence:`` section."""

    def where(self, path: tuple[str | int, ...], key: bool = False) -> tuple[int, int]:
        return super().where(path[1:] if path[:1] == ("evidence",) else path, key)


def _shape(doc: SourceDoc, hints: Suggestions) -> tuple[Evidence | None, list[Problem], Evidence | None]:
    """The file's evidence (None when its shape is wrong), the shape's problems, and the
    entries whose shape is right (for the checks that follow, so that one pass finds all)."""
    from spillover.scenario.shape import shape_problems

    if not isinstance(doc.data, dict):
        return None, [Problem(doc.file, 1, 1, "an evidence file is a YAML mapping (observations:, series:, "
                              "sources:, policy:)")], None
    try:
        return Evidence.model_validate(doc.data), [], None
    except ValidationError as exc:
        raw = exc.errors()
        errors = [{**e, "loc": ("evidence", *e["loc"])} for e in raw]
    under = _Under(doc.file, doc.text, doc.data, doc.values, doc.keys, doc.problems)
    return None, shape_problems(errors, under, hints), sound_part(doc.data, raw)


def read_evidence_yaml(path: Path, sc: Any, hints: Suggestions) -> tuple[Evidence | None, SourceDoc,
                                                                           list[Problem]]:
    """An evidence file's section, its document and every problem in it."""
    doc = read_yaml_file(path)
    ev, problems, sound = _shape(doc, hints)
    problems = [*doc.problems, *problems]
    if ev is not None or sound is not None:
        problems += EvidenceChecker(ev or sound, sc, doc, (), hints).run()  # type: ignore[arg-type]
    problems.sort(key=lambda p: (p.file, p.line, p.col))
    return ev, doc, problems


def _compiled(sc: Any, ev: Evidence, doc: SourceDoc, prefix: tuple[str, ...]) -> tuple[list[Obs],
                                                                                        list[Problem]]:
    from spillover.scenario.evidence_csv import series_observations

    names = Names.of(sc, ev)  # once for the section, not per observation
    out = [compile_obs(sc, ev, oid, o, doc.file, doc.where((*prefix, "observations", oid), key=True)[0],
                       names=names) for oid, o in ev.observations.items()]
    problems: list[Problem] = []
    base = Path(doc.file).parent if not doc.file.startswith("<") else Path()
    for sid, ser in ev.series.items():
        rows, bad = series_observations(sc, sid, ser, base, doc.problem((*prefix, "series", sid, "file"), ""))
        problems += bad
        out += [compile_obs(sc, ev, oid, o, file, line, "series", names) for oid, o, file, line in rows]
    return out, problems


def _nuisance(ev: Evidence) -> dict[str, Quantity]:
    names = scale_names(ev)
    out: dict[str, Quantity] = {}
    for key, name in names.items():
        kind, oid, part = key.split(".")
        rep: Reported = getattr(ev, kind)[oid]
        out.setdefault(name, getattr(rep, part))
    return out


def load_evidence(paths: Sequence[str | Path], sc: Any) -> EvidenceSet:
    """Every observation of the scenario's ``evidence:`` and of the given files, checked.

    Raises
    ------
    ScenarioError
        One ``FILE:LINE:COL: message`` per problem across all the files.
    """
    from spillover.scenario.evidence_csv import read_table
    from spillover.scenario.load import builtin_evidence

    hints = Suggestions()
    observations: list[Obs] = []
    problems: list[Problem] = []
    files: list[dict[str, str]] = []
    nuisance: dict[str, Quantity] = {}
    policy = sc.evidence.policy if sc.evidence is not None and sc.evidence.policy else None
    if sc.evidence is not None:
        from spillover.scenario.source import read_yaml_file as _read

        doc = _read(sc.origin) if Path(sc.origin).is_file() else SourceDoc(sc.origin, "", {})
        got, bad = _compiled(sc, sc.evidence, doc, ("evidence",))
        observations += got
        problems += bad
        nuisance.update(_nuisance(sc.evidence))
    for raw in paths:
        path = Path(raw)
        if not path.is_file() and builtin_evidence(str(raw)) is not None:
            path = builtin_evidence(str(raw))  # type: ignore[assignment]
        if not path.is_file():
            problems.append(Problem(str(path), 1, 1, "no such evidence file (a path, or the name of "
                                    "a built-in scenario that ships one)"))
            continue
        files.append({"file": str(path.resolve()), "sha256": hashlib.sha256(path.read_bytes()).hexdigest()})
        if path.suffix.lower() == ".csv":
            got, bad = read_table(path, sc)
            observations += got
            problems += bad
            continue
        ev, doc, bad = read_evidence_yaml(path, sc, hints)
        problems += bad
        if ev is not None and not bad:
            got, bad = _compiled(sc, ev, doc, ())
            observations += got
            problems += bad
            nuisance.update(_nuisance(ev))
            policy = ev.policy or policy
    problems += _duplicates(observations)
    if problems:
        raise ScenarioError(problems)
    if not observations:
        raise ScenarioError([Problem(str(paths[0]) if paths else sc.origin, 1, 1, "no observations: add "
                                     "observations: or series: entries")])
    return EvidenceSet(observations, policy or next(iter(sc.policies)), files, nuisance)


def _duplicates(observations: list[Obs]) -> list[Problem]:
    seen: dict[str, Obs] = {}
    out = []
    for o in observations:
        if o.id in seen:
            first = seen[o.id]
            out.append(Problem(o.file, o.line, 1, f"observation '{o.id}' is given twice (first at "
                               f"{first.where})"))
        seen.setdefault(o.id, o)
    return out
