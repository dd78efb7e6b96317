"""Pure functions that turn a run's tables into display rows for the report.

Everything here returns plain Python data (strings, lists, dicts) so that the HTML
template, a notebook or a web app can show the same numbers formatted the same way.
Nothing here escapes HTML: the template does that (autoescape is on).

One module per topic: :mod:`.claims`, :mod:`.comparison`, :mod:`.outcomes`,
:mod:`.metadata` and :mod:`.scenario`; number formatting is :mod:`spillover.report.format`
and outcome names :mod:`spillover.report.outcome_labels`.
"""

from __future__ import annotations

from spillover.report.format import (
    fmt_count,
    fmt_date,
    fmt_number,
    fmt_pct,
    fmt_prob_interval,
    fmt_signed,
)
from spillover.report.names import transfer_label
from spillover.report.outcome_labels import OUTCOME_GROUPS, group_columns, outcome_label, series_label
from spillover.report.tables.claims import claim_tables, estimative_scale
from spillover.report.tables.comparison import comparison_rows, group_rows, level_text
from spillover.report.tables.metadata import metadata_rows, policy_order
from spillover.report.tables.outcomes import outcome_groups, outcome_stats
from spillover.report.tables.scenario import (
    actor_rows,
    event_rows,
    indicator_rows,
    input_rows,
    lever_rows,
    munition_rows,
    policy_rows,
    signal_rows,
    source_rows,
    transfer_rows,
)

__all__ = [
    "OUTCOME_GROUPS",
    "actor_rows",
    "claim_tables",
    "comparison_rows",
    "estimative_scale",
    "event_rows",
    "fmt_count",
    "fmt_date",
    "fmt_number",
    "fmt_pct",
    "fmt_prob_interval",
    "fmt_signed",
    "group_columns",
    "group_rows",
    "indicator_rows",
    "input_rows",
    "level_text",
    "lever_rows",
    "metadata_rows",
    "munition_rows",
    "outcome_groups",
    "outcome_label",
    "outcome_stats",
    "policy_order",
    "policy_rows",
    "series_label",
    "signal_rows",
    "source_rows",
    "transfer_label",
    "transfer_rows",
]
