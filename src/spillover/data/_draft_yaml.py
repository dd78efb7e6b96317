"""Writing a drafted scenario: YAML with comments, and the quantities it is made of.

PyYAML writes the data; comments go above each section and above chosen items. Short
quantities are written on one line (``{value: 0, judgment: true, note: ...}``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from typing import Any

import yaml

#: The note every placeholder judgment carries; search the file for it.
PLACEHOLDER = "placeholder: set this judgment"


class _Flow(dict):
    """A mapping written on one line."""


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True


_Dumper.add_representer(_Flow, lambda d, m: d.represent_mapping("tag:yaml.org,2002:map", m, flow_style=True))


def dump(data: Any) -> str:
    """Block-style YAML in the given key order (dates unquoted, Unicode kept)."""
    return yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        allow_unicode=True,
        width=108,
        default_flow_style=False,
    )


def comment(text: str, width: int = 92) -> str:
    """``# ``-prefixed lines; each line of ``text`` is wrapped, except indented ones (commands).

    >>> print(comment("two words", width=5))
    # two
    # words
    """
    lines = []
    for para in text.splitlines():
        verbatim = para.startswith(" ")
        lines += [para] if verbatim else textwrap.wrap(para, width) or [""]
    return "\n".join(f"# {line}".rstrip() for line in lines)


def render(
    header: str,
    doc: Mapping[str, Any],
    head: tuple[str, ...],
    notes: Mapping[str, str],
    item_notes: Mapping[str, Mapping[str, str]],
) -> str:
    """The scenario file: a header comment, the ``head`` keys, then one commented section per key.

    Parameters
    ----------
    header : str
        The comment at the top of the file.
    doc : mapping
        The scenario as plain data, in file order.
    head : tuple of str
        Keys written together first, without comments (``name``, ``title``, ...).
    notes : mapping
        Section key -> comment above the section.
    item_notes : mapping
        Section key -> item key -> comment above that item.
    """
    out = [comment(header), dump({k: doc[k] for k in head}).rstrip("\n")]
    for key in [k for k in doc if k not in head]:
        out.append("\n" + comment(notes[key]) if key in notes else "")
        items = item_notes.get(key)
        if not items or not doc[key]:
            out.append(dump({key: doc[key]}).rstrip("\n"))
            continue
        out.append(f"{key}:")
        for item, value in doc[key].items():
            if item in items:
                out.append(textwrap.indent(comment(items[item]), "  "))
            out.append(textwrap.indent(dump({item: value}), "  ").rstrip("\n"))
    return "\n".join(out) + "\n"


def sourced(value: float, source: str | list[str], note: str) -> dict[str, Any]:
    """A fixed value with its source key(s) and a note; on one line when short.

    >>> sourced(2, "sipri-2026", "2 in 2024")
    {'value': 2, 'source': 'sipri-2026', 'note': '2 in 2024'}
    """
    quantity = {"value": plain(value), "source": source, "note": note}
    return _Flow(quantity) if len(note) <= 40 else quantity


def placeholder(value: float, what: str) -> dict[str, Any]:
    """A judgment placeholder: ``judgment: true`` and the :data:`PLACEHOLDER` note.

    >>> placeholder(0, "days in transit")["note"]
    'placeholder: set this judgment (days in transit)'
    """
    quantity = {"value": plain(value), "judgment": True, "note": f"{PLACEHOLDER} ({what})"}
    return _Flow(quantity) if len(what) <= 24 else quantity


def plain(value: float) -> int | float:
    """An int when the value is whole, else the float to 6 significant digits.

    >>> plain(3.0), plain(5 / 365)
    (3, 0.0136986)
    """
    return int(value) if float(value).is_integer() else float(f"{value:.6g}")


def num(value: float) -> str:
    """A count for prose: at most 4 decimals, no trailing ``.0`` (``2.5``, ``100``)."""
    return str(plain(round(float(value), 4)))
