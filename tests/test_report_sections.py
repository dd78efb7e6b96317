"""The section registry and the public names of the report's modules."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

import spillover.report.figures as F
import spillover.report.tables as T
from spillover.report.html import page_context, render_report
from spillover.report.page import Page
from spillover.report.sections import SECTIONS, Section, build
from tests.test_report import make_result

TEMPLATES = Path(F.__file__).parents[1] / "templates"


def test_every_section_has_a_unique_id_and_an_existing_partial() -> None:
    ids = [s.id for s in SECTIONS]
    assert len(ids) == len(set(ids))
    for s in SECTIONS:
        text = (TEMPLATES / s.template).read_text(encoding="utf-8")
        assert 'id="{{ s.id }}"' in text, s.id  # the anchor is the registry's id
    assert [s.id for s in SECTIONS if s.region == "head"] == ["overview"]


def test_page_follows_the_registry_order() -> None:
    page = render_report(make_result())
    present = [s.id for s in SECTIONS if f'id="{s.id}"' in page]
    positions = [page.index(f'id="{i}"') for i in present]
    assert positions == sorted(positions)
    assert present == ["overview", "claims", "comparison", "outcomes", "network", "series", "events",
                       "scenario", "limitations"]


def test_contents_list_the_sections_shown_and_only_those() -> None:
    context = page_context(make_result())
    toc = dict(context["toc"])
    assert list(toc) == [b.id for b in context["main"]]
    assert toc["outcomes"] == "Key outcomes"  # a short title where one is given
    page = render_report(make_result())
    nav = page[page.index('<nav class="toc"') : page.index("</nav>")]
    assert re.findall(r'href="#([^"]+)"', nav) == list(toc)


def test_a_section_with_nothing_to_show_is_left_out() -> None:
    result = make_result()
    built = build(Page.of(dataclasses.replace(result, claims=result.claims.iloc[0:0])))
    assert "claims" not in [b.id for b in built]


def test_a_new_section_is_one_registry_entry() -> None:
    extra = Section("notes", "Notes", lambda page: {"n": len(page.policies)}, "_limitations.html.j2")
    built = build(Page.of(make_result()), (*SECTIONS[:-1], extra))
    assert built[-1].id == "notes" and built[-1].data == {"n": 3}


@pytest.mark.parametrize("module", [F, T])
def test_public_names_are_listed_and_exist(module) -> None:
    assert sorted(module.__all__) == sorted(set(module.__all__))
    for name in module.__all__:
        assert hasattr(module, name), name
    public = {n for n in vars(module) if not n.startswith("_") and callable(getattr(module, n))}
    assert public - {"annotations"} <= set(module.__all__)
