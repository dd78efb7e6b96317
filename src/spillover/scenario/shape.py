"""Shape validation (the pydantic schema) that reports every problem and keeps what validated.

When the file has shape errors, :func:`validate_shape` still returns a partial scenario: the
same file with each part that failed (a transfer, a stock entry, the ``start:`` date, …)
left out. The cross-reference, strict and claim checks then run on that partial scenario,
so that one pass reports every problem in the file.
"""

from __future__ import annotations

import re
import types
from collections import defaultdict
from typing import Annotated, Any, Optional, Union, get_args, get_origin

from pydantic import BaseModel, Field, ValidationError, create_model

from spillover.scenario.errors import Problem, Suggestions
from spillover.scenario.model import Scenario, Schedule
from spillover.scenario.quantity import KINDS, META_KEYS, Quantity
from spillover.scenario.source import SourceDoc

Loc = tuple[str | int, ...]
_NAMED = {"stocks": 3, "production": 3, "demand": 3}  # sections pruned per (actor, munition)
_NUMBER_KEYS = [*KINDS, *sorted(META_KEYS)]
_SCHEDULE_KEYS = ["constant", "piecewise", "ramp", "scale"]
_MAX_ROUNDS = 4


def _partial_model() -> type[Scenario]:
    """Scenario with every required field optional: what is left once failed parts are dropped."""
    fields: dict[str, Any] = {}
    for name, info in Scenario.model_fields.items():
        if info.is_required():
            default: Any = {} if get_origin(info.annotation) is dict else None
            fields[name] = (Optional[info.annotation], Field(default=default, alias=info.alias))  # noqa: UP045
    return create_model("PartialScenario", __base__=Scenario, **fields)


PartialScenario = _partial_model()


def validate_shape(doc: SourceDoc, hints: Suggestions) -> tuple[Scenario, list[Problem]]:
    """The validated scenario and no problem, or a partial scenario and every shape problem."""
    try:
        return Scenario.model_validate(doc.data), []
    except ValidationError as exc:
        errors = exc.errors()
    problems = shape_problems(errors, doc, hints)
    data = doc.data
    for _ in range(_MAX_ROUNDS):  # dropping the failed parts is enough at once; the rounds are a guard
        data = _prune(data, [_dropped(e) for e in errors])
        try:
            return PartialScenario.model_validate(data), problems
        except ValidationError as again:
            errors = again.errors()
    return PartialScenario.model_validate({}), problems


def _clean(loc: tuple[Any, ...]) -> Loc:
    """The error's path in the file: without pydantic's union tags and ``[key]`` markers."""
    return tuple(x for x in loc if not (isinstance(x, str) and "[" in x))


def _dropped(err: Any) -> Loc:
    """What a shape error drops: an unknown key alone (the rest of its entry is still checked:
    a misspelt ``stops:`` does not hide a coupled demand that follows itself), else its unit."""
    loc = _clean(err["loc"])
    return loc if err["type"] == "extra_forbidden" else _unit(loc)


def _unit(loc: Loc) -> Loc:
    """The part of the file that a failure at ``loc`` drops: an entry of a section, or a key."""
    if not loc:
        return loc
    head = loc[0]
    if head in _NAMED:
        return loc[:3]
    if head == "perception":
        return loc[:3] if len(loc) > 1 and loc[1] == "observers" else loc[:1]
    info = Scenario.model_fields.get(str(head))
    if info is not None and get_origin(info.annotation) is dict:
        return loc[:2]
    return loc[:1]


def _prune(data: Any, locs: list[Loc]) -> Any:
    """A copy of ``data`` without the parts that failed (the original is left as read)."""
    units = set(locs)
    if () in units:
        return {}
    out = dict(data)
    for unit in sorted(units, key=len, reverse=True):
        parent: Any = out
        for k in unit[:-1]:
            child = parent.get(k) if isinstance(parent, dict) else None
            if not isinstance(child, dict):
                break
            parent[k] = parent = dict(child)
        else:
            if isinstance(parent, dict):
                parent.pop(unit[-1], None)
    return out


def _union_noise(errors: list[Any]) -> list[Any]:
    """Without a union member's "not this type" error where another member's error goes deeper:
    a list of lever windows with a bad window is not also "not a number"."""

    def deeper(e: Any) -> bool:
        head = tuple(e["loc"][:-1])
        return any(len(o["loc"]) > len(head) + 1 and tuple(o["loc"][: len(head)]) == head
                   for o in errors if o is not e)

    return [e for e in errors if not (str(e["type"]).endswith("_type") and e["loc"] and deeper(e))]


def shape_problems(errors: list[Any], doc: SourceDoc, hints: Suggestions) -> list[Problem]:
    """One located problem per shape error; a misspelt key and the key it misses become one."""
    errors = _union_noise(errors)
    extra: dict[Loc, list[str]] = defaultdict(list)
    missing: dict[Loc, list[str]] = defaultdict(list)
    for e in errors:
        loc = _clean(e["loc"])
        if e["type"] == "extra_forbidden":
            extra[loc[:-1]].append(str(loc[-1]))
        elif e["type"] == "missing":
            missing[loc[:-1]].append(str(loc[-1]))
    meant: dict[Loc, str] = {}  # the loc of a misspelt key -> the missing key it stands for
    for parent, keys in extra.items():
        for k in keys:
            close = hints.closest(k, missing.get(parent, ()))
            if close is not None and (*parent, close) not in meant.values():
                meant[(*parent, k)] = close
    explained = {(*loc[:-1], name) for loc, name in meant.items()}
    problems = []
    for e in errors:
        loc = _clean(e["loc"])
        if e["type"] == "missing" and loc in explained:
            continue
        problems.append(_problem(e, loc, doc, hints, meant.get(loc)))
    return problems


def _problem(err: Any, loc: Loc, doc: SourceDoc, hints: Suggestions, meant: str | None) -> Problem:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        hint = f" (did you mean '{meant}'?)" if meant else hints.did_you_mean(str(loc[-1]), keys_at(loc[:-1]))
        return doc.problem(loc, f"unknown key '{loc[-1]}'{hint}", key=True)
    if kind == "unknown_key":  # raised by the number and schedule parsers with the key in ctx
        return doc.problem((*loc, ctx["key"]), err["msg"], key=True)
    if kind == "missing":
        return doc.problem(loc, f"missing required key '{loc[-1]}'")
    if kind == "string_pattern_mismatch":
        return doc.problem(loc, "names use letters, digits and underscores, and start with a letter",
                           key=True)
    if kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        what = loc[-1] if loc and isinstance(loc[-1], str) else "value"
        value = err.get("input")
        return doc.problem(loc, f"unknown {what} {_shown(value)}{hints.did_you_mean(str(value), choices)}")
    return doc.problem(loc, _message(err))


def _shown(value: Any) -> str:
    text = repr(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "…"


def _message(err: Any) -> str:
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    value = err.get("input")
    if not isinstance(value, dict | list) and "(got " not in msg and _shown(value) not in msg:
        msg = f"{msg} (got {_shown(value)})"
    return msg


def _unwrap(tp: Any) -> Any:
    """The model, dict or list type behind Annotated[...] and X | None."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType):
            members = [a for a in get_args(tp) if a is not type(None)]
            models = [a for a in members if isinstance(a, type) and issubclass(a, BaseModel)]
            tp = (models or members)[0]
        else:
            return tp


def _step(tp: Any, part: str | int) -> Any:
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        for name, info in tp.model_fields.items():
            if part in (name, info.alias):
                return info.annotation
        return None
    origin = get_origin(tp)
    if origin is dict:
        return get_args(tp)[1]
    if origin is list:
        return get_args(tp)[0]
    return None


def keys_at(loc: Loc) -> list[str]:
    """The keys the format allows in the mapping at ``loc`` (empty when it is free-form)."""
    tp: Any = Scenario
    for part in loc:
        tp = _step(tp, part)
        if tp is None:
            return []
    tp = _unwrap(tp)
    if tp is Quantity:
        return _NUMBER_KEYS
    if isinstance(tp, type) and issubclass(tp, Schedule):
        return [*_SCHEDULE_KEYS, *tp.EXTRA]
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [info.alias or name for name, info in tp.model_fields.items()]
    return []
