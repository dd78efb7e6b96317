"""Render a :class:`~spillover.results.result.RunResult` as one self-contained HTML file.

The page embeds plotly.js once, inline, and each figure as JSON in a
``<script type="application/json">`` block drawn with ``Plotly.newPlot``; it loads
nothing from the network, so it can be mailed, archived or opened offline. Its sections
are those of :data:`spillover.report.sections.SECTIONS`, in that order.
"""

from __future__ import annotations

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from spillover.report.embed import figure_json, template_json
from spillover.report.page import Page
from spillover.report.sections import build
from spillover.report.sections.head import report_title
from spillover.results.result import RunResult

__all__ = ["breakable_id", "figure_json", "render_report", "write_report"]

_TEMPLATES = Path(__file__).with_name("templates")


def breakable_id(text: Any) -> Markup:
    """An id, escaped, that may break only after a dot or an underscore.

    >>> str(breakable_id("rus_production_2024"))
    'rus_<wbr>production_<wbr>2024'
    """
    return Markup(re.sub(r"([._])(?=.)", r"\1<wbr>", str(escape(str(text)))))


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(_TEMPLATES)),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["ident"] = breakable_id
    return env


@lru_cache(maxsize=1)
def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    # plotly.js contains no "</script"; make sure it never closes our tag early.
    return str(get_plotlyjs()).replace("</script", "<\\/script")


def page_context(result: RunResult) -> dict[str, Any]:
    """Everything the page template needs: the built sections, their figures, the contents."""
    page = Page.of(result)
    built = build(page)
    main = [b for b in built if b.section.region == "main"]
    return {
        "title": report_title(page.summary),
        "head": [b for b in built if b.section.region == "head"],
        "main": main,
        "toc": [(b.id, b.section.toc_title or b.title) for b in main if b.section.in_toc],
        "colors": page.colors,
        "figures": page.figures,
        "plotly_template_json": template_json(),
        "plotly_js": _plotly_js(),
    }


def render_report(result: RunResult) -> str:
    """The report for ``result`` as one self-contained HTML document."""
    return _environment().get_template("report.html.j2").render(**page_context(result))


def write_report(result: RunResult, path: Path) -> Path:
    """Render ``result`` and write it to ``path`` atomically; returns ``path``.

    The page is rendered first and written to a temporary file beside ``path``, which
    then replaces ``path`` in one step: on any error no partial file is left behind
    and an existing report at ``path`` is untouched.
    """
    path = Path(path)
    text = render_report(result)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path
