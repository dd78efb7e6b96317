"""Plain data from YAML events in one pass, with the line and column of every key and value.

The reader works on the parser's events (libyaml's when PyYAML has it) with an explicit
stack, so no input can exhaust Python's recursion limit, and it refuses at their place:
nesting deeper than :data:`~spillover.scenario.limits.MAX_DEPTH`, a recursive or undefined
alias, and more than :data:`~spillover.scenario.limits.MAX_VALUES` values once aliases are
expanded. Problems that leave the rest readable (a duplicate key, a value its tag cannot
read, a character a scenario may not contain) are collected and reading goes on.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import yaml

from spillover.scenario import limits
from spillover.scenario.errors import Problem, ScenarioError

Path_ = tuple[str | int, ...]
Mark = tuple[int, int]
STR, MERGE, BOOL = "tag:yaml.org,2002:str", "tag:yaml.org,2002:merge", "tag:yaml.org,2002:bool"
# The characters YAML allows (YAML 1.1, as PyYAML's reader checks them); no lone surrogate.
NOT_ALLOWED = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NO_KEY, _SKIP, _MERGE = object(), object(), object()  # a mapping's state between key and value


def mark(ev: Any) -> Mark:
    return (ev.start_mark.line + 1, ev.start_mark.column + 1)


def codepoint(ch: str) -> str:
    what = "a lone surrogate" if "\ud800" <= ch <= "\udfff" else "character"
    return f"{what} U+{ord(ch):04X}"


class _Frame:
    """An open list or mapping."""

    __slots__ = ("anchor", "at", "data", "is_map", "key", "merges", "path", "record", "start")

    def __init__(self, path: Path_, ev: Any, record: bool, at: tuple[int, int, int]) -> None:
        self.path, self.anchor, self.record, self.at = path, ev.anchor, record, at
        self.is_map = isinstance(ev, yaml.MappingStartEvent)
        self.start = mark(ev)
        self.data: Any = {} if self.is_map else []
        self.key: Any = _NO_KEY
        self.merges: list[tuple[Any, Path_, tuple[int, int, int, int]]] = []  # value, path, entries


class EventReader:
    """Builds plain data from a loader's events; ``values``/``keys`` list every place."""

    def __init__(self, loader: Any, file: str) -> None:
        self.loader, self.file = loader, file
        self.values: list[tuple[Path_, Mark]] = []
        self.keys: list[tuple[Path_, Mark]] = []
        self.problems: list[Problem] = []
        self.anchors: dict[str, tuple[Any, Path_, int, int, int, int, int]] = {}
        self.stack: list[_Frame] = []
        self.total = self.written = 0
        self.aliased = False
        self.result: Any = None

    def refuse(self, ev: Any, message: str) -> ScenarioError:
        return ScenarioError([Problem(self.file, *mark(ev), message)])

    def read(self) -> Any:
        """The document's data ({} for an empty stream); raises ScenarioError or YAMLError."""
        loader = self.loader
        loader.get_event()  # stream start
        if loader.check_event(yaml.StreamEndEvent):
            return {}
        loader.get_event()  # document start
        while not self.on(loader.get_event()):
            pass
        loader.get_event()  # document end
        if not loader.check_event(yaml.StreamEndEvent):
            raise self.refuse(loader.peek_event(), "a scenario file holds one YAML document; this '---' "
                              "starts a second one")
        return self.result

    def on(self, ev: Any) -> bool:
        """Handle one event; True once the document's value is complete."""
        if isinstance(ev, yaml.CollectionEndEvent):
            frame = self.stack.pop()
            return self.complete(self.close(frame), frame.start, frame.anchor, frame.path, frame.at, True)
        path, record = self.next_place()
        if isinstance(ev, yaml.AliasEvent):
            return self.alias(ev, path, record)
        self.count(ev)
        at = (len(self.values), len(self.keys), self.total - 1)
        if record:
            self.values.append((path, mark(ev)))
        if isinstance(ev, yaml.ScalarEvent):
            return self.complete(self.scalar(ev), mark(ev), ev.anchor, path, at, False)
        if len(self.stack) >= limits.MAX_DEPTH:
            raise self.refuse(ev, f"lists and mappings nest more than {limits.MAX_DEPTH} deep here; "
                              "a scenario needs fewer than 10 levels")
        self.stack.append(_Frame(path, ev, record, at))
        return False

    def role(self) -> str:
        top = self.stack[-1] if self.stack else None
        if top is None:
            return "root"
        return "key" if top.is_map and top.key is _NO_KEY else "value"

    def next_place(self) -> tuple[Path_, bool]:
        """The path of the next node, and whether its place is recorded."""
        if not self.stack:
            return (), True
        top = self.stack[-1]
        if not top.is_map:
            return (*top.path, len(top.data)), top.record
        if top.key is _NO_KEY:
            return top.path, False
        if top.key is _MERGE:
            return (*top.path, "<<", len(top.merges)), top.record
        return (*top.path, top.key), top.record and top.key is not _SKIP

    def count(self, ev: Any, n: int = 1) -> None:
        self.total += n
        self.written += 0 if isinstance(ev, yaml.AliasEvent) else 1
        if self.total <= limits.MAX_VALUES:
            return
        if self.aliased:
            raise self.refuse(ev, f"aliases make the file expand to more than {limits.MAX_VALUES:,} values "
                              f"here, from {self.written:,} written so far; write the values out instead of "
                              "nesting aliases")
        raise self.refuse(ev, f"the file holds more than {limits.MAX_VALUES:,} values (and no aliases); "
                          f"spillover reads scenarios of up to {limits.MAX_VALUES:,} values")

    def alias(self, ev: Any, path: Path_, record: bool) -> bool:
        name = ev.anchor
        opened = next((f for f in self.stack if f.anchor == name), None)
        if opened is not None:
            line, col = opened.start
            raise self.refuse(ev, f"the alias '*{name}' stands inside the value it refers to (anchored at "
                              f"line {line}, column {col}); a recursive alias has no end")
        if name not in self.anchors:
            raise self.refuse(ev, f"the alias '*{name}' refers to no anchor; write '&{name}' on a value "
                              "before it")
        value, apath, v0, v1, k0, k1, size = self.anchors[name]
        self.aliased = True
        self.count(ev, size)
        at = (len(self.values), len(self.keys), self.total - size)
        if record:
            self.values.append((path, mark(ev)))
            n = len(apath)
            self.values += [((*path, *p[n:]), m) for p, m in self.values[v0:v1] if p != apath]
            self.keys += [((*path, *p[n:]), m) for p, m in self.keys[k0:k1]]
        return self.complete(value, mark(ev), None, path, at, isinstance(value, dict | list))

    def complete(self, value: Any, where: Mark, anchor: str | None, path: Path_,
                 at: tuple[int, int, int], collection: bool) -> bool:
        """Attach a finished node to its parent (or make it the document's value)."""
        if anchor is not None:
            kept = "<<" if value is _MERGE else value
            self.anchors[anchor] = (kept, path, at[0], len(self.values), at[1], len(self.keys),
                                    self.total - at[2])
        if not self.stack:
            self.result = value
            return True
        top = self.stack[-1]
        if not top.is_map:
            top.data.append(value)
        elif top.key is _NO_KEY:
            top.key = self.as_key(value, where, top, collection)
        else:
            if top.key is _MERGE:
                top.merges.append((value, path, (at[0], len(self.values), at[1], len(self.keys))))
            elif top.key is not _SKIP:
                top.data[top.key] = value
            top.key = _NO_KEY
        return False

    def as_key(self, value: Any, where: Mark, top: _Frame, collection: bool) -> Any:
        if value is _MERGE:
            return _MERGE
        if collection or value is None or not isinstance(value, str | int | float | bool):
            what = ", not a list or a mapping" if collection else ""
            self.problems.append(Problem(self.file, *where, f"a key must be a plain value{what}"))
            return _SKIP
        key = value if isinstance(value, str) else str(value)
        if key in top.data:
            self.problems.append(Problem(self.file, *where,
                                         f"duplicate key '{key}' (it is already set above)"))
            return _SKIP
        if top.record:
            self.keys.append(((*top.path, key), where))
        return key

    def close(self, frame: _Frame) -> Any:
        """A finished list, or a mapping with its merge keys (<<) applied: explicit keys win."""
        if not frame.is_map or not frame.merges:
            return frame.data
        out = frame.data
        for value, path, entries in frame.merges:
            sources = [(value, path)] if not isinstance(value, list) else \
                [(v, (*path, i)) for i, v in enumerate(value)]
            for src, src_path in sources:
                if not isinstance(src, dict):
                    placed = self.values[entries[0]:entries[1]]
                    where = next((m for p, m in placed if p == src_path), frame.start)
                    self.problems.append(Problem(self.file, *where,
                                                 "a merge (<<) takes a mapping or a list of mappings"))
                    continue
                fresh = [k for k in src if k not in out]
                out.update((k, src[k]) for k in fresh)
                if frame.record:
                    self._copy_places(src_path, frame.path, set(fresh), entries)
        return out

    def _copy_places(self, src: Path_, dest: Path_, keys: set[Any],
                     entries: tuple[int, int, int, int]) -> None:
        n = len(src)
        v0, v1, k0, k1 = entries
        self.values += [((*dest, *p[n:]), m) for p, m in self.values[v0:v1]
                        if len(p) > n and p[:n] == src and p[n] in keys]
        self.keys += [((*dest, *p[n:]), m) for p, m in self.keys[k0:k1]
                      if len(p) > n and p[:n] == src and p[n] in keys]

    def scalar(self, ev: Any) -> Any:
        tag = ev.tag
        if tag is None or tag == "!":
            tag = self.loader.resolve(yaml.ScalarNode, ev.value, ev.implicit)
        if tag == MERGE and self.role() == "key":
            return _MERGE
        if tag == BOOL and ev.tag is None and self.role() == "key":
            return ev.value  # a plain key such as `on:` (a dated trigger) is its text, not True
        value = ev.value if tag == STR else self.construct(ev, tag)
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        if isinstance(value, str):
            bad = NOT_ALLOWED.search(value)
            if bad is not None:
                what = codepoint(bad.group(0))
                self.problems.append(Problem(self.file, *mark(ev), f"the text holds {what}, which a scenario "
                                             "may not contain; remove it (or the escape that makes it)"))
                return NOT_ALLOWED.sub("\ufffd", value)
        return value

    def construct(self, ev: Any, tag: str) -> Any:
        node = yaml.ScalarNode(tag, ev.value, ev.start_mark, ev.end_mark, style=ev.style)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.MarkedYAMLError as exc:
            self.problems.append(Problem(self.file, *mark(ev), f"cannot read this value: "
                                         f"{exc.problem or exc.context}"))
        except (ValueError, TypeError, AttributeError, OverflowError, yaml.YAMLError):
            shown = ev.value if len(ev.value) <= 40 else ev.value[:37] + "…"
            self.problems.append(Problem(self.file, *mark(ev), f"cannot read '{shown}' as "
                                         f"{tag.replace('tag:yaml.org,2002:', '!!')}"))
        finally:
            self.loader.constructed_objects.clear()
        return ev.value
