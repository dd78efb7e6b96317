"""The served scenario page counts its contents in the singular for one."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment

import spillover

TEMPLATE = Path(spillover.__file__).parent / "serve" / "templates" / "scenario.html.j2"


def test_one_of_each_is_singular() -> None:
    line = re.search(r"<dt>Contents</dt><dd>.*?</dd>", TEMPLATE.read_text()).group(0)  # type: ignore[union-attr]
    got = Environment().from_string(line).render(s={"actors": [1, 2], "transfers": [1], "indicators": [1],
                                                    "events": [], "levers": [1], "policies": [1],
                                                    "claims": [1, 2]})
    assert got.endswith("2 actors, 1 transfer, 1 indicator, 0 events, 1 lever, 1 policy, 2 claims</dd>"), got
