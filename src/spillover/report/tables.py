"""Pure functions that turn a run's tables into display rows for the report.

Everything here returns plain Python data (strings, lists, dicts) so that the HTML
template, a notebook or a web app can show the same numbers formatted the same way.
Nothing here escapes HTML: the template does that (autoescape is on).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "ENGINE_LIMITATIONS",
    "ESTIMATIVE_SCALE",
    "OUTCOME_GROUPS",
    "actor_rows",
    "claim_tables",
    "comparison_rows",
    "event_rows",
    "fmt_count",
    "fmt_date",
    "fmt_number",
    "fmt_pct",
    "fmt_prob_interval",
    "fmt_signed",
    "indicator_rows",
    "input_rows",
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

#: The estimative scale the claims use, lowest first: (word, low %, high %).
ESTIMATIVE_SCALE: tuple[tuple[str, int, int], ...] = (
    ("almost no chance", 1, 5),
    ("very unlikely", 5, 20),
    ("unlikely", 20, 45),
    ("roughly even chance", 45, 55),
    ("likely", 55, 80),
    ("very likely", 80, 95),
    ("almost certain", 95, 99),
)

#: What the engine itself leaves out, whatever the scenario says.
ENGINE_LIMITATIONS: tuple[str, ...] = (
    "Time moves in daily steps: nothing happens within a day, and effects that take hours "
    "(a strike, a leak, a denial) are smeared over a whole day.",
    "Indicators such as threat perception or alarm are abstract 0–1 indices built from "
    "weighted inputs, not measurements of any real opinion, poll or policy.",
    "Perception noise (how far an observer's view of a covert transfer is from the truth) "
    "is modelled as lognormal; real intelligence errors can be biased, lumpy or correlated "
    "in ways a lognormal does not capture.",
    "Actors do not adapt strategically: beyond the events written into the scenario, no "
    "actor changes course in response to what the others do.",
    "Ranges for uncertain inputs are judgments turned into distributions, not observed "
    "frequencies; probabilities in this report are conditional on those judgments.",
    "Runs are independent draws: the model says how often something happens across the "
    "ranges it was given, not how likely the real world is to follow any single run.",
)

#: Outcome column prefixes, grouped as the report shows them (others go under "Other").
OUTCOME_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Sustainment",
        (
            "days_of_fire",
            "shipped",
            "delivered",
            "lost",
            "fired_total",
            "shortfall",
            "shortfall_days",
            "first_shortfall",
            "first_shortfall_without_transfers",
            "final_stock",
        ),
    ),
    ("Escalation", ("final", "peak", "days_above")),
    ("Miscalculation", ("miscalc_peak", "miscalc_mean")),
    ("Events", ("fired", "fired_day")),
)

_EN_DASH = "–"
_MINUS = "−"


# ---------------------------------------------------------------------------
# Number formatting
# ---------------------------------------------------------------------------


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _pct_number(p: float) -> str:
    """A probability as a percentage without the sign: 0.372 -> "37"."""
    pct = float(p) * 100.0
    if pct == 0:
        return "0"
    if pct == 100:
        return "100"
    if pct < 0.1:
        return "<0.1"
    if pct > 99.9:
        return ">99.9"
    if pct < 1 or pct > 99:
        # Keep one decimal near the ends so 0.4% and 99.6% do not read as 0% and 100%.
        text = f"{pct:.1f}"
        return text[:-2] if text.endswith(".0") else text
    return f"{round(pct):d}"


def fmt_pct(p: Any) -> str:
    """Format a probability in [0, 1] as a percentage: ``0.372 -> "37%"``.

    Values strictly between 0 and 1 % (or 99 and 100 %) keep one decimal; missing
    values give an em dash.
    """
    if _is_missing(p):
        return "—"
    return f"{_pct_number(p)}%"


def fmt_prob_interval(p: Any, lo: Any, hi: Any) -> str:
    """A probability with its interval: ``(0.37, 0.31, 0.43) -> "37% (31–43%)"``."""
    if _is_missing(p):
        return "—"
    if _is_missing(lo) or _is_missing(hi):
        return fmt_pct(p)
    return f"{_pct_number(p)}% ({_pct_number(lo)}{_EN_DASH}{_pct_number(hi)}%)"


_LARGE = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))


def _sig(x: float, digits: int) -> str:
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return f"{x:,.{decimals}f}"


def fmt_number(x: Any, digits: int = 3) -> str:
    """A number for a table: thousands separators, about ``digits`` significant digits.

    Millions and more are written in words (``8660552 -> "8.66 million"``); from 100
    (with ``digits=3``) to a million, whole numbers (``123456.7 -> "123,457"``); smaller
    values keep ``digits`` significant digits (``0.45231 -> "0.452"``).
    """
    if _is_missing(x):
        return "—"
    x = float(x)
    if math.isinf(x):
        return "∞" if x > 0 else f"{_MINUS}∞"
    if x == 0:
        return "0"
    for scale, word in _LARGE:
        if abs(x) >= scale:
            return f"{_sig(x / scale, digits)} {word}".replace("-", _MINUS)
    text = f"{x:,.0f}" if abs(x) >= 10 ** (digits - 1) else _sig(x, digits)
    if text in ("-0", "0", "-0.0"):
        return "0"
    return text.replace("-", _MINUS)


def fmt_count(x: Any) -> str:
    """A whole count with thousands separators: ``1234.0 -> "1,234"``."""
    if _is_missing(x):
        return "—"
    return f"{round(float(x)):,d}".replace("-", _MINUS)


def fmt_signed(x: Any, *, percentage_points: bool = False, digits: int = 3) -> str:
    """A difference with an explicit sign: ``+12 pp`` or ``−1,234``.

    With ``percentage_points`` the value is a difference of probabilities in [−1, 1]
    and is shown in percentage points.
    """
    if _is_missing(x):
        return "—"
    x = float(x)
    if percentage_points:
        pp = x * 100.0
        text = f"{abs(pp):.1f}" if 0 < abs(pp) < 9.95 else f"{abs(pp):.0f}"
        if text.endswith(".0"):
            text = text[:-2]
        if text in ("0", "0.0"):
            return "0 pp"
        return f"{'+' if pp > 0 else _MINUS}{text} pp"
    body = fmt_number(abs(x), digits=digits)
    if body == "0":
        return "0"
    return f"{'+' if x > 0 else _MINUS}{body}"


def _to_date(start: Any) -> date:
    if isinstance(start, datetime):
        return start.date()
    if isinstance(start, date):
        return start
    return pd.Timestamp(str(start)).date()


def fmt_date(start: Any, day: Any) -> str:
    """The calendar date ``day`` days after ``start`` (ISO ``YYYY-MM-DD``); fractions floor."""
    if _is_missing(day):
        return "—"
    return (_to_date(start) + timedelta(days=math.floor(float(day)))).isoformat()


# ---------------------------------------------------------------------------
# Labels
# ---------------------------------------------------------------------------


def _by_id(items: Iterable[Mapping[str, Any]] | None) -> dict[str, Mapping[str, Any]]:
    return {str(item["id"]): item for item in (items or []) if "id" in item}


def _name(items: Mapping[str, Mapping[str, Any]], key: str) -> str:
    item = items.get(key)
    if item is None:
        return key
    return str(item.get("name") or key)


def transfer_label(summary: Mapping[str, Any], transfer_id: str) -> str:
    """``prk_rus_shells -> "North Korea → Russia: 152mm-equivalent artillery round"``."""
    transfers = _by_id(summary.get("transfers"))
    t = transfers.get(transfer_id)
    if t is None:
        return transfer_id
    actors = _by_id(summary.get("actors"))
    munitions = _by_id(summary.get("munitions"))
    return (
        f"{_name(actors, str(t.get('supplier')))} → {_name(actors, str(t.get('recipient')))}: "
        f"{_name(munitions, str(t.get('munition')))}"
    )


def _actor_munition(summary: Mapping[str, Any], rest: str) -> str:
    actor, _, munition = rest.partition(".")
    actors = _by_id(summary.get("actors"))
    munitions = _by_id(summary.get("munitions"))
    if not munition:
        return _name(actors, actor)
    return f"{_name(actors, actor)}, {_name(munitions, munition)}"


def _indicator_name(summary: Mapping[str, Any], indicator: str) -> str:
    return _name(_by_id(summary.get("indicators")), indicator)


_OUTCOME_TEMPLATES: dict[str, str] = {
    "days_of_fire": "Days of fire supplied: {t}",
    "shipped": "Shipped: {t}",
    "delivered": "Delivered: {t}",
    "lost": "Lost: {t}",
    "fired_total": "Rounds fired: {am}",
    "shortfall": "Total shortfall: {am}",
    "shortfall_days": "Days in shortfall: {am}",
    "final_stock": "Final stock: {am}",
    "first_shortfall": "First shortfall (day): {am}",
    "first_shortfall_without_transfers": "First shortfall without transfers (day): {am}",
    "final": "Final value: {i}",
    "peak": "Peak: {i}",
    "days_above": "Days above threshold: {i}",
    "miscalc_peak": "Peak miscalculation: {i}",
    "miscalc_mean": "Mean miscalculation: {i}",
    "fired": "Fires within the horizon: {e}",
    "fired_day": "Date it fires (runs where it fires): {e}",
}


def outcome_label(summary: Mapping[str, Any], column: str) -> str:
    """A readable label for an outcome column such as ``peak.kor_threat``."""
    if column == "miscalc_peak":
        return "Peak miscalculation, any indicator"
    if column == "miscalc_mean":
        return "Mean miscalculation, all indicators together"
    prefix, _, rest = column.partition(".")
    template = _OUTCOME_TEMPLATES.get(prefix)
    if template is None or not rest:
        return column
    events = _by_id(summary.get("events"))
    return template.format(
        t=transfer_label(summary, rest),
        am=_actor_munition(summary, rest),
        i=_indicator_name(summary, rest),
        e=_name(events, rest),
    )


def series_label(summary: Mapping[str, Any], series: str) -> str:
    """A readable title for a series name such as ``stock.RUS.shell152``."""
    kind, _, rest = series.partition(".")
    if kind == "stock" and rest:
        munitions = _by_id(summary.get("munitions"))
        _, _, munition = rest.partition(".")
        unit = munitions.get(munition, {}).get("unit")
        label = f"Stock: {_actor_munition(summary, rest)}"
        return f"{label} ({unit})" if unit else label
    if kind == "indicator" and rest:
        return f"Indicator: {_indicator_name(summary, rest)}"
    if kind == "miscalc" and rest:
        return f"Miscalculation: {_indicator_name(summary, rest)}"
    return series


# ---------------------------------------------------------------------------
# Policies and metadata
# ---------------------------------------------------------------------------


def policy_order(
    manifest: Mapping[str, Any] | None,
    summary: Mapping[str, Any] | None,
    *frames: pd.DataFrame | None,
) -> list[str]:
    """Policy ids in the order the run declared them, then any others the frames hold."""
    order: list[str] = []

    def add(value: Any) -> None:
        if isinstance(value, Mapping):
            value = value.get("id")
        if value is None or _is_missing(value):
            return
        key = str(value)
        if key not in order:
            order.append(key)

    for p in (manifest or {}).get("policies") or []:
        add(p)
    if not order:  # the run's own policies when known, else the scenario's
        for p in (summary or {}).get("policies") or []:
            add(p)
    for frame in frames:
        if frame is not None and "policy" in frame.columns:
            for p in pd.unique(frame["policy"]):
                add(p)
    return order


def metadata_rows(manifest: Mapping[str, Any], summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs describing the run, for the report's header."""
    from spillover import __version__

    rows: list[tuple[str, str]] = []
    scenario = manifest.get("scenario") or summary.get("name")
    if scenario:
        rows.append(("Scenario", str(scenario)))
    if summary.get("start"):
        horizon = summary.get("horizon")
        span = f"{summary['start']}"
        if horizon is not None:
            span += f" + {fmt_count(horizon)} days (to {fmt_date(summary['start'], horizon)})"
        rows.append(("Period", span))
    if manifest.get("runs") is not None:
        rows.append(("Runs per policy", fmt_count(manifest["runs"])))
    if manifest.get("seed") is not None:
        rows.append(("Seed", str(manifest["seed"])))
    if manifest.get("design"):
        rows.append(("Design", str(manifest["design"])))
    policies = policy_order(manifest, summary)
    if policies:
        rows.append(("Policies", ", ".join(policies)))
    if manifest.get("created"):
        rows.append(("Created", str(manifest["created"])))
    sha = manifest.get("scenario_sha256")
    if sha:
        rows.append(("Scenario SHA-256", str(sha)[:12]))
    versions = manifest.get("versions") or {}
    rows.append(("spillover version", str(versions.get("spillover") or __version__)))
    if manifest.get("command"):
        command = manifest["command"]
        if isinstance(command, list | tuple):
            command = " ".join(str(c) for c in command)
        rows.append(("Command", str(command)))
    timings = manifest.get("timings") or {}
    total = timings.get("total")
    if total is None and timings:
        try:
            total = sum(float(v) for v in timings.values())
        except (TypeError, ValueError):
            total = None
    if total is not None and not _is_missing(total):
        rows.append(("Run time", f"{fmt_number(total)} s"))
    return rows


# ---------------------------------------------------------------------------
# Claims and comparisons
# ---------------------------------------------------------------------------


def claim_tables(
    claims: pd.DataFrame | None,
    summary: Mapping[str, Any],
    policies: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One entry per claim: its text, expression, source and one row per policy."""
    if claims is None or claims.empty or "claim" not in claims.columns:
        return []
    declared = _by_id(summary.get("claims"))
    sources = _by_id(summary.get("sources"))
    order = list(policies or [])
    rank = {p: i for i, p in enumerate(order)}
    out: list[dict[str, Any]] = []
    for claim_id in pd.unique(claims["claim"]):
        rows = claims[claims["claim"] == claim_id]
        meta = declared.get(str(claim_id), {})
        first = rows.iloc[0]
        text = first.get("text") if "text" in rows.columns else None
        expr = first.get("expr") if "expr" in rows.columns else None
        entry: dict[str, Any] = {
            "id": str(claim_id),
            "text": str(text if not _is_missing(text) else meta.get("text", claim_id)),
            "expr": str(expr if not _is_missing(expr) else meta.get("expr", "")),
            "source": str(meta.get("source") or ""),
            "source_anchor": (
                f"src-{meta.get('source')}"
                if meta.get("source") and str(meta.get("source")) in sources
                else None
            ),
            "rows": [],
        }
        records = rows.to_dict("records")
        records.sort(key=lambda r: rank.get(str(r.get("policy")), len(rank)))
        for r in records:
            n, k = r.get("n"), r.get("k")
            entry["rows"].append(
                {
                    "policy": str(r.get("policy")),
                    "probability": fmt_pct(r.get("probability")),
                    "interval": (
                        f"{_pct_number(r['lo'])}{_EN_DASH}{_pct_number(r['hi'])}%"
                        if not (_is_missing(r.get("lo")) or _is_missing(r.get("hi")))
                        else "—"
                    ),
                    "display": fmt_prob_interval(r.get("probability"), r.get("lo"), r.get("hi")),
                    "word": str(r.get("word") or ""),
                    "runs": (
                        f"{fmt_count(k)} of {fmt_count(n)}" if not (_is_missing(n) or _is_missing(k)) else ""
                    ),
                }
            )
        out.append(entry)
    return out


def comparison_rows(
    comparison: pd.DataFrame | None,
    summary: Mapping[str, Any],
    claims: pd.DataFrame | None = None,
    policies: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Display rows for the paired policy comparison.

    Claim differences are differences of probabilities and shown in percentage points;
    outcome differences are in the outcome's own unit.
    """
    if comparison is None or comparison.empty:
        return []
    claim_text: dict[str, str] = {
        str(k): str(v.get("text", k)) for k, v in _by_id(summary.get("claims")).items()
    }
    if claims is not None and not claims.empty and {"claim", "text"} <= set(claims.columns):
        for cid, text in zip(claims["claim"], claims["text"], strict=True):
            claim_text.setdefault(str(cid), str(text))
    rank = {p: i for i, p in enumerate(policies or [])}
    records = comparison.to_dict("records")
    first_seen: dict[str, int] = {}
    for r in records:
        first_seen.setdefault(str(r.get("quantity")), len(first_seen))
    # Claims first, then outcomes; each quantity's policies together, in policy order.
    records.sort(
        key=lambda r: (
            0 if r.get("kind") == "claim" else 1,
            first_seen[str(r.get("quantity"))],
            rank.get(str(r.get("policy")), len(rank)),
        )
    )
    has_shares = {"share_lower", "share_higher"} <= set(comparison.columns)
    rows: list[dict[str, Any]] = []
    for r in records:
        quantity = str(r.get("quantity"))
        is_claim = r.get("kind") == "claim"
        label = claim_text.get(quantity, quantity) if is_claim else outcome_label(summary, quantity)
        lo, hi = r.get("lo"), r.get("hi")
        excludes_zero = not (_is_missing(lo) or _is_missing(hi)) and (float(lo) > 0 or float(hi) < 0)
        row = {
            "policy": str(r.get("policy")),
            "baseline": str(r.get("baseline")),
            "kind": "claim" if is_claim else "outcome",
            "quantity": quantity,
            "label": label,
            "n": fmt_count(r.get("n")),
            "mean_diff": fmt_signed(r.get("mean_diff"), percentage_points=is_claim),
            "interval": (
                f"{fmt_signed(lo, percentage_points=is_claim)} to "
                f"{fmt_signed(hi, percentage_points=is_claim)}"
            )
            if not (_is_missing(lo) or _is_missing(hi))
            else "—",
            "excludes_zero": excludes_zero,
            "share_lower": fmt_pct(r.get("share_lower")) if has_shares else None,
            "share_higher": fmt_pct(r.get("share_higher")) if has_shares else None,
        }
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Outcomes
# ---------------------------------------------------------------------------


def _group_columns(columns: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Outcome columns present, grouped and ordered for display.

    Within a group, columns follow the group's prefix order, except that each
    ``first_shortfall`` is followed by its ``first_shortfall_without_transfers`` twin and
    each ``fired`` by its ``fired_day``. Unknown columns end up in "Other".
    """
    present = [str(c) for c in columns if c not in ("run", "policy")]
    taken: set[str] = set()
    groups: list[tuple[str, list[str]]] = []
    twins = {
        "first_shortfall": "first_shortfall_without_transfers",
        "fired": "fired_day",
    }
    for group, prefixes in OUTCOME_GROUPS:
        chosen: list[str] = []
        for prefix in prefixes:
            # Aggregates such as ``miscalc_peak`` (no dot) before their parts.
            for c in sorted(present, key=lambda c: "." in c):
                if c in taken or c.partition(".")[0] != prefix:
                    continue
                chosen.append(c)
                taken.add(c)
                twin_prefix = twins.get(prefix)
                if twin_prefix and "." in c:
                    twin = f"{twin_prefix}.{c.partition('.')[2]}"
                    if twin in present and twin not in taken:
                        chosen.append(twin)
                        taken.add(twin)
        if chosen:
            groups.append((group, chosen))
    rest = [c for c in present if c not in taken]
    if rest:
        groups.append(("Other", rest))
    return groups


def _jeffreys(k: float, n: int, level: float = 0.90) -> tuple[float, float]:
    """Equal-tailed Jeffreys interval for ``k`` successes in ``n`` trials."""
    from scipy.stats import beta

    if n <= 0:
        return float("nan"), float("nan")
    a = (1.0 - level) / 2.0
    lo = float(beta.ppf(a, k + 0.5, n - k + 0.5)) if k > 0 else 0.0
    hi = float(beta.ppf(1.0 - a, k + 0.5, n - k + 0.5)) if k < n else 1.0
    return lo, hi


def outcome_stats(values: Any) -> dict[str, float]:
    """Mean, median, 5th and 95th percentile and count of the non-missing values."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").astype(float).to_numpy()
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        nan = float("nan")
        return {"n": 0, "mean": nan, "median": nan, "q05": nan, "q95": nan}
    q05, median, q95 = np.quantile(arr, [0.05, 0.5, 0.95])
    return {
        "n": int(arr.size),
        "mean": float(arr.mean()),
        "median": float(median),
        "q05": float(q05),
        "q95": float(q95),
    }


def outcome_groups(
    outcomes: pd.DataFrame | None,
    summary: Mapping[str, Any],
    policies: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Key outcomes per policy: ``[{"name", "quantities": [{label, column, rows}]}]``.

    Each quantity has one row per policy with ``mean``, ``median`` and ``range`` (5–95 %)
    formatted, plus a ``note`` (share of runs censored at the horizon, share of runs in
    which an event fired). Event firing days are shown as dates over the runs in which
    the event fired.
    """
    if outcomes is None or outcomes.empty or "policy" not in outcomes.columns:
        return []
    order = list(policies or [])
    for p in pd.unique(outcomes["policy"]):
        if str(p) not in order:
            order.append(str(p))
    present_policies = {str(p) for p in pd.unique(outcomes["policy"])}
    order = [p for p in order if p in present_policies]
    start = summary.get("start")
    horizon = summary.get("horizon")
    policy_col = outcomes["policy"].astype(str)
    groups: list[dict[str, Any]] = []
    for group, columns in _group_columns(outcomes.columns):
        quantities = []
        for column in columns:
            prefix = column.partition(".")[0]
            rows = []
            for policy in order:
                raw = outcomes.loc[policy_col == policy, column]
                values = pd.to_numeric(raw, errors="coerce").astype(float)
                stats = outcome_stats(values)
                total = len(values)
                row: dict[str, Any] = {"policy": policy, "note": "", "n": stats["n"]}
                if prefix == "fired":
                    k, n = float(np.nansum(values)), stats["n"]
                    lo, hi = _jeffreys(k, n)
                    row.update(mean=fmt_prob_interval(stats["mean"], lo, hi), median="—", range="—")
                    row["note"] = (
                        f"fired in {fmt_count(k)} of {fmt_count(n)} runs; 90% Jeffreys interval in brackets"
                    )
                elif prefix == "fired_day" and start:
                    row.update(
                        mean=fmt_date(start, stats["mean"]),
                        median=fmt_date(start, stats["median"]),
                        range=(
                            f"{fmt_date(start, stats['q05'])} to {fmt_date(start, stats['q95'])}"
                            if stats["n"]
                            else "—"
                        ),
                    )
                    share = stats["n"] / total if total else float("nan")
                    row["note"] = (
                        f"over the {fmt_count(stats['n'])} runs ({fmt_pct(share)}) in which it fired"
                    )
                else:
                    row.update(
                        mean=fmt_number(stats["mean"]),
                        median=fmt_number(stats["median"]),
                        range=(
                            f"{fmt_number(stats['q05'])} to {fmt_number(stats['q95'])}" if stats["n"] else "—"
                        ),
                    )
                    if prefix.startswith("first_shortfall") and horizon is not None and total:
                        censored = float((values >= float(horizon)).mean())
                        row["note"] = (
                            f"no shortfall within the horizon in {fmt_pct(censored)} of runs "
                            f"(counted as day {fmt_count(horizon)})"
                        )
                rows.append(row)
            quantities.append({"column": column, "label": outcome_label(summary, column), "rows": rows})
        groups.append({"name": group, "quantities": quantities})
    return groups


# ---------------------------------------------------------------------------
# Scenario tables
# ---------------------------------------------------------------------------


def _yes_no(value: Any) -> str:
    return "yes" if bool(value) else "no"


def actor_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {"id": str(a.get("id", "")), "name": str(a.get("name") or a.get("id", ""))}
        for a in summary.get("actors") or []
    ]


def munition_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "id": str(m.get("id", "")),
            "name": str(m.get("name") or m.get("id", "")),
            "unit": str(m.get("unit") or ""),
            "kind": str(m.get("kind") or ""),
        }
        for m in summary.get("munitions") or []
    ]


def transfer_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    actors = _by_id(summary.get("actors"))
    munitions = _by_id(summary.get("munitions"))
    rows = []
    for t in summary.get("transfers") or []:
        cov = t.get("covertness")
        rows.append(
            {
                "id": str(t.get("id", "")),
                "route": (
                    f"{_name(actors, str(t.get('supplier')))} → {_name(actors, str(t.get('recipient')))}"
                ),
                "munition": _name(munitions, str(t.get("munition"))),
                "covertness": "—" if _is_missing(cov) else f"{float(cov):.2f}",
                "dormant": _yes_no(t.get("dormant")),
                "compensation_for": str(t.get("compensation_for") or ""),
                "description": str(t.get("description") or ""),
            }
        )
    return rows


def signal_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "id": str(s.get("id", "")),
            "description": str(s.get("description") or ""),
            "covert": _yes_no(s.get("covert")),
        }
        for s in summary.get("signals") or []
    ]


def indicator_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    actors = _by_id(summary.get("actors"))
    rows = []
    for ind in summary.get("indicators") or []:
        inputs = []
        for i in ind.get("inputs") or []:
            sign = i.get("sign", 1)
            try:
                sign_text = "+" if float(sign) >= 0 else _MINUS
            except (TypeError, ValueError):
                sign_text = str(sign)
            inputs.append(
                {
                    "from": str(i.get("from", "")),
                    "weight": str(i.get("weight", "")),
                    "sign": sign_text,
                }
            )
        threshold = ind.get("threshold")
        rows.append(
            {
                "id": str(ind.get("id", "")),
                "name": str(ind.get("name") or ind.get("id", "")),
                "observer": _name(actors, str(ind.get("observer", ""))),
                "kind": str(ind.get("kind") or ""),
                "threshold": "—" if _is_missing(threshold) else f"{float(threshold):g}",
                "inputs": inputs,
            }
        )
    return rows


def event_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": str(e.get("id", "")),
            "name": str(e.get("name") or e.get("id", "")),
            "trigger": str(e.get("trigger") or ""),
            "effects": [str(x) for x in e.get("effects") or []],
        }
        for e in summary.get("events") or []
    ]


def lever_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    return [
        {
            "id": str(lv.get("id", "")),
            "kind": str(lv.get("kind") or ""),
            "description": str(lv.get("description") or ""),
            "default": "—" if _is_missing(lv.get("default")) else str(lv.get("default")),
        }
        for lv in summary.get("levers") or []
    ]


def policy_rows(summary: Mapping[str, Any]) -> list[dict[str, str]]:
    rows = []
    for p in summary.get("policies") or []:
        levers = p.get("levers") or {}
        rows.append(
            {
                "id": str(p.get("id", "")),
                "description": str(p.get("description") or ""),
                "levers": ", ".join(f"{k} = {v}" for k, v in levers.items()) or "defaults",
            }
        )
    return rows


def _safe_url(url: Any) -> str | None:
    if not url or _is_missing(url):
        return None
    text = str(url).strip()
    return text if text.lower().startswith(("https://", "http://")) else None


def input_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each sampled input with its distribution and its source, or the word judgment."""
    sources = _by_id(summary.get("sources"))
    rows = []
    for i in summary.get("inputs") or []:
        source = str(i.get("source") or "").strip()
        judgment = bool(i.get("judgment"))
        rows.append(
            {
                "name": str(i.get("name", "")),
                "distribution": str(i.get("distribution") or ""),
                "source": source,
                "source_anchor": f"src-{source}" if source in sources else None,
                "judgment": judgment,
                "unsourced": not judgment and not source,
                "note": str(i.get("note") or ""),
            }
        )
    return rows


def source_rows(summary: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The bibliography; links are kept only when they are plain http(s) addresses."""
    return [
        {
            "id": str(s.get("id", "")),
            "anchor": f"src-{s.get('id', '')}",
            "citation": str(s.get("citation") or s.get("id", "")),
            "url": _safe_url(s.get("url")),
            "url_text": str(s.get("url") or ""),
        }
        for s in summary.get("sources") or []
    ]
