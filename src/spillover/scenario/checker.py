"""The state one validation pass shares: the scenario, its file, the declared names, the problems."""

from __future__ import annotations

import datetime as dt
from typing import Any

from spillover.scenario.errors import Problem, ScenarioWarning, Suggestions
from spillover.scenario.model import Scenario
from spillover.scenario.refs import ANY, declared, match
from spillover.scenario.source import SourceDoc

Path_ = tuple[str | int, ...]


class Checker:
    """Collects located errors and warnings about one scenario file."""

    def __init__(self, sc: Scenario, doc: SourceDoc, hints: Suggestions) -> None:
        self.sc, self.doc, self.hints = sc, doc, hints
        self.data: dict[str, Any] = doc.data
        self.names = declared(self.data)  # None for a section that is not a mapping
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def bad(self, path: Path_, message: str, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, message, key=key))

    def warn(self, path: Path_, message: str) -> None:
        p = self.doc.problem(path, message)
        self.warnings.append(ScenarioWarning(p.file, p.line, p.col, p.message))

    def complete(self, section: str) -> bool:
        """True when every entry the file declares in ``section`` validated."""
        names = self.names[section]
        return names is not None and len(getattr(self.sc, section)) == len(names)

    def run_days(self) -> tuple[dt.date, dt.date] | None:
        """The run's first and last dates, or None when ``start`` or ``horizon`` did not validate."""
        start, horizon = self.sc.start, self.sc.horizon
        if start is None or horizon is None or start.toordinal() + horizon > dt.date.max.toordinal():
            return None
        return start, start + dt.timedelta(days=horizon - 1)

    def held(self) -> set[tuple[str, str]]:
        """(actor, munition) pairs with a stock above zero, a production or an incoming transfer."""
        held: set[tuple[str, str]] = set()
        for section in ("stocks", "production"):
            for path, _ in match(self.data, (section, ANY, ANY)):
                a, m = str(path[1]), str(path[2])
                q = self.sc.stocks.get(a, {}).get(m) if section == "stocks" else None
                if q is None or q.support()[1] > 0:
                    held.add((a, m))
        for _, spec in match(self.data, ("transfers", ANY)):
            if isinstance(spec, dict) and isinstance(spec.get("recipient"), str):
                held.add((spec["recipient"], str(spec.get("munition"))))
        return held
