"""The HTML report: self-contained, faithful to the tables, safe with hostile text."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from spillover.analysis.claims import binomial_interval
from spillover.report import figures as F
from spillover.report import html as H
from spillover.report import tables as T
from spillover.results.result import RunResult

POLICIES = ["status-quo", "transparency", "cap"]
RUNS = 200
HORIZON = 730
START = "2023-08-01"


# ---------------------------------------------------------------------------
# Fixture: a synthetic but realistic RunResult
# ---------------------------------------------------------------------------


def _summary() -> dict:
    return {
        "name": "nk-russia-2023",
        "title": "North Korean munitions for Russia, 2023–2025",
        "description": (
            "North Korea covertly supplies Russia with artillery shells and ballistic "
            "missiles, paid in fuel, food and technology.\n\nSpillover: threat perception "
            "in South Korea and Japan, and alarm in China."
        ),
        "start": START,
        "horizon": HORIZON,
        "actors": [
            {"id": "PRK", "name": "North Korea"},
            {"id": "RUS", "name": "Russia"},
            {"id": "UKR", "name": "Ukraine"},
            {"id": "KOR", "name": "South Korea"},
            {"id": "JPN", "name": "Japan"},
            {"id": "CHN", "name": "China"},
        ],
        "munitions": [
            {
                "id": "shell152",
                "name": "152mm-equivalent artillery round",
                "unit": "rounds",
                "kind": "munition",
            },
            {"id": "shell155", "name": "155mm artillery round", "unit": "rounds", "kind": "munition"},
            {"id": "kn23", "name": "KN-23 ballistic missile", "unit": "missiles", "kind": "munition"},
            {"id": "fuel", "name": "Refined fuel", "unit": "tonnes", "kind": "good"},
            {"id": "tech", "name": "Military technology", "unit": "packages", "kind": "good"},
        ],
        "transfers": [
            {
                "id": "prk_rus_shells",
                "supplier": "PRK",
                "recipient": "RUS",
                "munition": "shell152",
                "covertness": 1.0,
                "dormant": False,
                "compensation_for": None,
                "description": "Rail and sea deliveries via Rajin.",
            },
            {
                "id": "prk_rus_missiles",
                "supplier": "PRK",
                "recipient": "RUS",
                "munition": "kn23",
                "covertness": 0.8,
                "dormant": False,
                "compensation_for": None,
                "description": "KN-23/24 short-range missiles.",
            },
            {
                "id": "rus_prk_fuel",
                "supplier": "RUS",
                "recipient": "PRK",
                "munition": "fuel",
                "covertness": 0.6,
                "dormant": False,
                "compensation_for": "prk_rus_shells",
                "description": "Oil above the UN cap.",
            },
            {
                "id": "rus_prk_tech",
                "supplier": "RUS",
                "recipient": "PRK",
                "munition": "tech",
                "covertness": 0.9,
                "dormant": False,
                "compensation_for": "prk_rus_missiles",
                "description": "Space and missile technology.",
            },
            {
                "id": "kor_ukr_shells",
                "supplier": "KOR",
                "recipient": "UKR",
                "munition": "shell155",
                "covertness": 0.0,
                "dormant": True,
                "compensation_for": None,
                "description": "Direct South Korean supply.",
            },
        ],
        "signals": [
            {"id": "rajin_traffic", "description": "Container traffic at Rajin port", "covert": True},
        ],
        "indicators": [
            {
                "id": "kor_threat",
                "name": "South Korean threat perception",
                "observer": "KOR",
                "kind": "logistic",
                "threshold": 0.5,
                "inputs": [{"from": "rajin_traffic", "weight": "uniform(0.5, 1.5)", "sign": 1}],
            },
            {
                "id": "jpn_threat",
                "name": "Japanese threat perception",
                "observer": "JPN",
                "kind": "logistic",
                "threshold": 0.5,
                "inputs": [{"from": "kor_threat", "weight": "uniform(0.3, 0.9)", "sign": 1}],
            },
            {
                "id": "chn_alarm",
                "name": "Chinese alarm",
                "observer": "CHN",
                "kind": "linear",
                "threshold": 0.6,
                "inputs": [
                    {"from": "jpn_threat", "weight": "uniform(0.2, 0.8)", "sign": 1},
                    {"from": "rajin_traffic", "weight": "uniform(0.1, 0.3)", "sign": -1},
                ],
            },
        ],
        "events": [
            {
                "id": "kor_arms_ukraine",
                "name": "South Korea arms Ukraine directly",
                "trigger": "hazard on kor_threat past 0.6",
                "effects": ["starts kor_ukr_shells"],
            },
            {
                "id": "chn_rus_friction",
                "name": "Open China–Russia friction",
                "trigger": "hazard on chn_alarm past 0.7",
                "effects": ["raises chn_alarm"],
            },
        ],
        "levers": [
            {
                "id": "transparency",
                "kind": "transparency",
                "description": "Public intelligence releases",
                "default": 0.0,
            },
            {"id": "cap", "kind": "cap", "description": "Interdiction cap on shells", "default": None},
        ],
        "policies": [
            {"id": "status-quo", "description": "No change", "levers": {"transparency": 0.0}},
            {"id": "transparency", "description": "Release intelligence", "levers": {"transparency": 0.8}},
            {"id": "cap", "description": "Interdict half the shells", "levers": {"cap": 0.5}},
        ],
        "claims": [
            {
                "id": "sustain",
                "text": "North Korean shells sustain Russian fire for a year",
                "expr": "days_of_fire.prk_rus_shells >= 365",
                "source": "perera-2024",
            },
            {
                "id": "kor_arms",
                "text": "South Korea arms Ukraine within two years",
                "expr": "fired.kor_arms_ukraine",
                "source": "",
            },
        ],
        "inputs": [
            {
                "name": "demand.RUS.shell152",
                "distribution": "lognormal(median=20000, sigma=0.45)",
                "source": "perera-2024",
                "judgment": False,
                "note": "Daily expenditure.",
            },
            {
                "name": "noise.kor",
                "distribution": "uniform(0.1, 0.4)",
                "source": "",
                "judgment": True,
                "note": "Perception noise.",
            },
        ],
        "sources": [
            {
                "id": "perera-2024",
                "citation": "Rakindu Perera, North Korean munitions in Ukraine, 2024.",
                "url": "https://example.org/perera-2024",
            },
            {"id": "bad-link", "citation": "A source with a hostile link.", "url": "javascript:alert(1)"},
        ],
        "limitations": ["Stocks at the start are rough estimates from open sources."],
    }


def _outcomes(rng: np.random.Generator) -> pd.DataFrame:
    rows = []
    effect = {"status-quo": 0.0, "transparency": 0.15, "cap": -0.2}
    base_days = rng.normal(380, 90, RUNS)
    base_hazard = rng.uniform(0, 1, RUNS)
    for policy in POLICIES:
        e = effect[policy]
        days = np.clip(base_days * (1 + e), 0, HORIZON)
        fired1 = base_hazard < 0.35 + e
        fired2 = base_hazard < 0.1 + e / 3
        day1 = np.where(fired1, rng.integers(30, HORIZON, RUNS), np.nan)
        day2 = np.where(fired2, rng.integers(200, HORIZON, RUNS), np.nan)
        shortfall = np.where(rng.uniform(size=RUNS) < 0.3, HORIZON, rng.integers(90, 500, RUNS))
        for r in range(RUNS):
            rows.append(
                {
                    "run": r,
                    "policy": policy,
                    "days_of_fire.prk_rus_shells": days[r],
                    "delivered.prk_rus_shells": days[r] * 9_000.0,
                    "first_shortfall.RUS.shell152": float(shortfall[r]),
                    "first_shortfall_without_transfers.RUS.shell152": float(shortfall[r]) / 2,
                    "final.kor_threat": 0.4 + e + 0.1 * base_hazard[r],
                    "peak.kor_threat": 0.6 + e + 0.1 * base_hazard[r],
                    "days_above.kor_threat": 100 * base_hazard[r],
                    "miscalc_peak.kor_threat": 0.2 * base_hazard[r],
                    "miscalc_mean.kor_threat": 0.1 * base_hazard[r],
                    "miscalc_peak": 0.25 * base_hazard[r],
                    "fired.kor_arms_ukraine": bool(fired1[r]),
                    "fired_day.kor_arms_ukraine": day1[r],
                    "fired.chn_rus_friction": bool(fired2[r]),
                    "fired_day.chn_rus_friction": day2[r],
                }
            )
    return pd.DataFrame(rows)


def _series() -> pd.DataFrame:
    days = np.arange(HORIZON + 1)
    dates = pd.date_range(START, periods=len(days), freq="D")
    frames = []
    names = [
        "stock.RUS.shell152",
        "stock.UKR.shell155",
        "indicator.kor_threat",
        "indicator.jpn_threat",
        "indicator.chn_alarm",
        "miscalc.kor_threat",
        "miscalc.jpn_threat",
        "miscalc.chn_alarm",
    ]
    for policy_i, policy in enumerate(POLICIES):
        for name in names:
            if name.startswith("stock"):
                mid = 1_500_000 * np.exp(-days / (400 + 60 * policy_i)) + 123.456
                spread = 0.2 * mid
            else:
                mid = 0.3 + 0.4 * (1 - np.exp(-days / 200)) + 0.05 * policy_i
                spread = 0.05 + 0.1 * days / HORIZON
            frames.append(
                pd.DataFrame(
                    {
                        "policy": policy,
                        "series": name,
                        "day": days,
                        "date": dates,
                        "q05": mid - 1.6 * spread,
                        "q25": mid - 0.7 * spread,
                        "q50": mid,
                        "q75": mid + 0.7 * spread,
                        "q95": mid + 1.6 * spread,
                        "mean": mid + 0.01,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _claims(outcomes: pd.DataFrame) -> pd.DataFrame:
    from scipy.stats import beta

    rows = []
    specs = [
        (
            "sustain",
            "North Korean shells sustain Russian fire for a year",
            "days_of_fire.prk_rus_shells >= 365",
            lambda d: d["days_of_fire.prk_rus_shells"] >= 365,
        ),
        (
            "kor_arms",
            "South Korea arms Ukraine within two years",
            "fired.kor_arms_ukraine",
            lambda d: d["fired.kor_arms_ukraine"],
        ),
    ]
    for cid, text, expr, fn in specs:
        for policy in POLICIES:
            sub = outcomes[outcomes["policy"] == policy]
            k = int(fn(sub).sum())
            n = len(sub)
            p = k / n
            words = [
                (0.05, "almost no chance"),
                (0.2, "very unlikely"),
                (0.45, "unlikely"),
                (0.55, "roughly even chance"),
                (0.8, "likely"),
                (0.95, "very likely"),
                (1.01, "almost certain"),
            ]
            word = next(w for cut, w in words if p < cut)
            rows.append(
                {
                    "claim": cid,
                    "policy": policy,
                    "text": text,
                    "expr": expr,
                    "n": n,
                    "k": k,
                    "probability": p,
                    "lo": beta.ppf(0.05, k + 0.5, n - k + 0.5) if k > 0 else 0.0,
                    "hi": beta.ppf(0.95, k + 0.5, n - k + 0.5) if k < n else 1.0,
                    "word": word,
                }
            )
    return pd.DataFrame(rows)


def _comparison(outcomes: pd.DataFrame, claims: pd.DataFrame) -> pd.DataFrame:
    rows = []
    base = outcomes[outcomes["policy"] == "status-quo"].set_index("run")
    for policy in POLICIES[1:]:
        other = outcomes[outcomes["policy"] == policy].set_index("run")
        for q in ["days_of_fire.prk_rus_shells", "peak.kor_threat"]:
            d = other[q] - base[q]
            rows.append(
                {
                    "policy": policy,
                    "baseline": "status-quo",
                    "quantity": q,
                    "kind": "outcome",
                    "n": len(d),
                    "mean_diff": d.mean(),
                    "lo": d.mean() - 1.645 * d.std() / np.sqrt(len(d)),
                    "hi": d.mean() + 1.645 * d.std() / np.sqrt(len(d)),
                    "share_lower": float((d < 0).mean()),
                    "share_higher": float((d > 0).mean()),
                }
            )
        for cid in ["sustain", "kor_arms"]:
            pb = claims[(claims.claim == cid) & (claims.policy == "status-quo")].probability
            pp = claims[(claims.claim == cid) & (claims.policy == policy)].probability
            diff = float(pp.iloc[0] - pb.iloc[0])
            rows.append(
                {
                    "policy": policy,
                    "baseline": "status-quo",
                    "quantity": cid,
                    "kind": "claim",
                    "n": RUNS,
                    "mean_diff": diff,
                    "lo": diff - 0.04,
                    "hi": diff + 0.04,
                    "share_lower": 0.1,
                    "share_higher": 0.2,
                }
            )
    return pd.DataFrame(rows)


def make_result(seed: int = 1) -> RunResult:
    rng = np.random.default_rng(seed)
    summary = _summary()
    outcomes = _outcomes(rng)
    claims = _claims(outcomes)
    experiments = pd.DataFrame(
        {"run": np.arange(RUNS), "demand.RUS.shell152": rng.lognormal(np.log(20000), 0.45, RUNS)}
    )
    manifest = {
        "scenario": "nk-russia-2023",
        "scenario_sha256": "0123456789abcdef" * 4,
        "seed": 20230801,
        "design": "lhs",
        "runs": RUNS,
        "policies": POLICIES,
        "versions": {"spillover": "0.1.0", "numpy": np.__version__},
        "command": "spillover run nk-russia-2023 --runs 200 --seed 20230801",
        "created": "2026-01-02T03:04:05Z",
        "timings": {"sample": 0.5, "simulate": 12.25, "total": 12.75},
    }
    return RunResult(
        scenario_summary=summary,
        manifest=manifest,
        experiments=experiments,
        outcomes=outcomes,
        series=_series(),
        claims=claims,
        comparison=_comparison(outcomes, claims),
    )


@pytest.fixture(scope="module")
def result() -> RunResult:
    return make_result()


@pytest.fixture(scope="module")
def page(result: RunResult) -> str:
    return H.render_report(result)


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class _Checker(HTMLParser):
    """Tracks the element stack and fails on mismatched or unclosed tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.append(a["id"])
        if tag == "script":
            self.scripts.append(a)
        if tag in ("link", "img", "iframe", "a", "script", "style"):
            self.links.append((tag, a))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"unexpected </{tag}>, open: {self.stack[-3:]}")
            return
        self.stack.pop()


def _check(page: str) -> _Checker:
    checker = _Checker()
    checker.feed(page)
    checker.close()
    return checker


def _visible_text(page: str) -> str:
    """The page without scripts and styles, entities decoded."""
    import html as _html

    body = re.sub(r"<script\b.*?</script>", "", page, flags=re.S)
    body = re.sub(r"<style\b.*?</style>", "", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", _html.unescape(body))


def section_html(page: str, sid: str) -> str:
    """The HTML of section ``sid``, from its opening tag to its end."""
    start = page.index(f'<section id="{sid}"')
    return page[start : page.index("</section>", start)]


def _figures(page: str) -> list[dict]:
    blocks = re.findall(
        r'<script type="application/json" class="fig-data"[^>]*>(.*?)</script>', page, flags=re.S
    )
    return [json.loads(b) for b in blocks]


# ---------------------------------------------------------------------------
# Self-contained and well-formed
# ---------------------------------------------------------------------------


def test_page_is_self_contained(page: str) -> None:
    checker = _check(page)
    for tag, attrs in checker.links:
        for key in ("src", "href"):
            value = (attrs.get(key) or "").lower()
            if tag in ("script", "link", "img", "iframe", "style"):
                assert not value.startswith(("http://", "https://", "//")), (tag, attrs)
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+stylesheet", page)
    assert "@import" not in page.split("</style>")[0]
    # Outside the embedded plotly.js bundle, the only web addresses are bibliography links.
    from plotly.offline import get_plotlyjs

    rest = page.replace(get_plotlyjs(), "")
    assert len(rest) < len(page) - 1_000_000
    assert "cdn.plot.ly" not in rest
    assert re.findall(r"https?://[^\s\"'<]+", rest) == ["https://example.org/perera-2024"] * 2


def test_plotly_js_embedded_exactly_once(page: str) -> None:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    probe = js[:200]
    assert page.count(probe) == 1
    # A marker from the bundle's header, also only once.
    assert page.count("plotly.js v") == 1


def test_page_is_well_formed(page: str) -> None:
    checker = _check(page)
    assert checker.errors == []
    assert checker.stack == []
    assert len(checker.ids) == len(set(checker.ids)), "duplicate element ids"
    assert page.startswith("<!DOCTYPE html>")


def test_sections_in_order(page: str) -> None:
    ids = [
        "overview",
        "claims",
        "comparison",
        "outcomes",
        "network",
        "series",
        "events",
        "scenario",
        "limitations",
    ]
    positions = [page.index(f'id="{i}"') for i in ids]
    assert positions == sorted(positions)


def test_every_figure_has_a_target_and_valid_json(page: str) -> None:
    checker = _check(page)
    targets = re.findall(r'class="fig-data" data-target="([^"]+)"', page)
    # network + 8 series + 1 event probability + 2 histograms
    assert len(targets) == 12
    for t in targets:
        assert t in checker.ids
    for fig in _figures(page):
        assert "template" not in fig["layout"]
        assert fig["data"]
        go.Figure(fig)  # plotly accepts what we embed


def test_figure_numbers_rounded(page: str) -> None:
    for fig in _figures(page):
        for trace in fig["data"]:
            for v in trace.get("y") or []:
                if isinstance(v, float):
                    assert float(f"{v:.4g}") == v


def test_file_size(page: str) -> None:
    size = len(page.encode("utf-8"))
    assert size < 6_000_000, size


# ---------------------------------------------------------------------------
# Content matches the frames
# ---------------------------------------------------------------------------


def test_metadata_shown(page: str, result: RunResult) -> None:
    text = _visible_text(page)
    assert "North Korean munitions for Russia, 2023–2025" in text
    assert "20230801" in text
    assert "0123456789ab" in text
    assert "0123456789abcdef0123" not in text  # sha is shortened
    assert "spillover run nk-russia-2023 --runs 200 --seed 20230801" in text
    assert "2026-01-02T03:04:05Z" in text
    assert "lhs" in text
    assert "Spillover: threat perception" in text


def test_every_claim_and_policy_appears(page: str, result: RunResult) -> None:
    text = _visible_text(page)
    for claim_text in result.claims["text"].unique():
        assert claim_text in text
    for policy in POLICIES:
        assert policy in text
    for expr in result.claims["expr"].unique():
        assert expr in text


def test_claim_probabilities_formatted(page: str, result: RunResult) -> None:
    text = _visible_text(page)
    for row in result.claims.itertuples():
        expected = f"{round(row.probability * 100)}% ({round(row.lo * 100)}–{round(row.hi * 100)}%)"
        assert expected in text, expected
        assert row.word in text
        assert f"{row.k} of {row.n}" in text
    assert "almost no chance 0–5%" in text
    assert "almost certain 95–100%" in text
    assert "Jeffreys" in text


def test_outcome_numbers_match_frames(page: str, result: RunResult) -> None:
    text = _visible_text(page)
    o = result.outcomes
    for policy in POLICIES:
        values = o.loc[o.policy == policy, "delivered.prk_rus_shells"]
        assert f"{values.mean() / 1e6:.2f} million" in text
        assert f"{values.median() / 1e6:.2f} million" in text
        values = o.loc[o.policy == policy, "days_of_fire.prk_rus_shells"]
        lo, hi = np.quantile(values, [0.05, 0.95])
        assert f"{values.mean():,.0f}" in text
        assert f"{lo:,.0f} to {hi:,.0f}" in text
        fired = o.loc[o.policy == policy, "fired.kor_arms_ukraine"]
        assert f"fired in {int(fired.sum())} of {RUNS} runs" in text
        lo, hi = binomial_interval(int(fired.sum()), RUNS)
        assert T.fmt_prob_interval(fired.mean(), lo, hi) in text
        days = o.loc[o.policy == policy, "fired_day.kor_arms_ukraine"].dropna()
        median_date = (date(2023, 8, 1) + timedelta(days=int(np.floor(days.median())))).isoformat()
        assert median_date in text
    for group in ("Sustainment", "Escalation", "Miscalculation", "Events"):
        assert group in text


def test_comparison_rows(page: str, result: RunResult) -> None:
    text = _visible_text(page)
    assert "paired: the same runs under each policy share every uncertain draw" in text
    assert "the same runs under each policy share every uncertain draw" in text
    c = result.comparison
    row = c[(c.policy == "cap") & (c.quantity == "days_of_fire.prk_rus_shells")].iloc[0]
    assert T.fmt_signed(row.mean_diff) in text
    assert T.fmt_signed(row.mean_diff).startswith("−")
    assert f"{round(row.share_lower * 100)}%" in text
    claim_row = c[(c.policy == "transparency") & (c.quantity == "kor_arms")].iloc[0]
    assert T.fmt_signed(claim_row.mean_diff, percentage_points=True) in text
    assert "pp" in T.fmt_signed(claim_row.mean_diff, percentage_points=True)


def test_scenario_and_sources(page: str) -> None:
    text = _visible_text(page)
    assert "lognormal(median=20000, sigma=0.45)" in text
    assert "Rakindu Perera" in text
    assert 'href="#src-perera-2024"' in page
    assert page.count('href="#src-perera-2024"') == 2  # the claim and the input
    assert 'id="src-perera-2024"' in page
    assert 'href="https://example.org/perera-2024"' in page
    # The judgment input is visibly labelled.
    row = re.search(r"<tr><td><code>noise\.<wbr>kor</code>.*?</tr>", page, flags=re.S)
    assert row and "judgment" in row.group(0)
    # A non-http link is shown as text, never as a link.
    assert 'href="javascript:' not in page
    assert "Stocks at the start are rough estimates" in text
    assert "daily steps" in text
    assert "South Korea arms Ukraine directly" in text


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------


def test_missing_sections_are_omitted(result: RunResult) -> None:
    empty = RunResult(
        scenario_summary={"name": "bare", "title": "Bare", "start": START, "horizon": 30},
        manifest={},
        experiments=pd.DataFrame(),
        outcomes=pd.DataFrame(),
        series=pd.DataFrame(),
        claims=pd.DataFrame(),
        comparison=pd.DataFrame(),
    )
    page = H.render_report(empty)
    for section in ("claims", "comparison", "outcomes", "network", "series", "events", "scenario"):
        assert f'id="{section}"' not in page
    assert 'id="limitations"' in page
    checker = _check(page)
    assert checker.errors == [] and checker.stack == []

    # No events, no series, no comparison, but claims and outcomes.
    summary = dict(result.scenario_summary, events=[])
    outcomes = result.outcomes.drop(columns=[c for c in result.outcomes.columns if c.startswith("fired")])
    partial = RunResult(
        scenario_summary=summary,
        manifest=result.manifest,
        experiments=result.experiments,
        outcomes=outcomes,
        series=pd.DataFrame(columns=["policy", "series", "day", "date", "q50"]),
        claims=result.claims,
        comparison=pd.DataFrame(),
    )
    page = H.render_report(partial)
    assert 'id="events"' not in page
    assert 'id="series"' not in page
    assert 'id="comparison"' not in page
    assert 'id="claims"' in page and 'id="outcomes"' in page
    assert _check(page).errors == []


def test_comparison_without_share_columns(result: RunResult) -> None:
    c = result.comparison.drop(columns=["share_lower", "share_higher"])
    partial = RunResult(**{**result.__dict__, "comparison": c})
    page = H.render_report(partial)
    assert "Runs lower" not in page
    assert 'id="comparison"' in page


def test_hostile_text_is_escaped(result: RunResult) -> None:
    hostile = '<script>alert("x")</script>'
    claims = result.claims.copy()
    claims.loc[claims.claim == "sustain", "text"] = f"Shells {hostile} sustain"
    summary = dict(result.scenario_summary)
    summary["title"] = f"Title {hostile}"
    summary["actors"] = [*summary["actors"], {"id": "EVL", "name": f"Evil {hostile}"}]
    summary["limitations"] = [f"Limit {hostile}"]
    hostile_result = RunResult(**{**result.__dict__, "claims": claims, "scenario_summary": summary})
    page = H.render_report(hostile_result)
    assert hostile not in page
    assert "&lt;script&gt;alert(" in page
    # Inside the figure JSON, "<" is written as \u003c so no tag can close the script.
    assert page.count("<script") == page.count("</script>")
    text = _visible_text(page)
    assert f"Shells {hostile} sustain" in text
    assert _check(page).errors == []
    # Plotly labels get escaped text too.
    network = _figures(page)[0]
    labels = [a.get("text", "") for a in network["layout"]["annotations"]]
    assert any("Evil &lt;script&gt;" in t for t in labels)


def test_write_report_is_atomic(tmp_path: Path, result: RunResult, monkeypatch) -> None:
    out = tmp_path / "sub" / "report.html"
    written = H.write_report(result, out)
    assert written == out
    original = out.read_text(encoding="utf-8")
    assert original.startswith("<!DOCTYPE html>")

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    # Fails while moving into place: old file intact, no temp files left.
    monkeypatch.setattr(H.os, "replace", boom)
    with pytest.raises(RuntimeError):
        H.write_report(result, out)
    assert out.read_text(encoding="utf-8") == original
    assert sorted(p.name for p in out.parent.iterdir()) == ["report.html"]
    monkeypatch.undo()

    # Fails while rendering: nothing is created.
    fresh = tmp_path / "fresh.html"
    monkeypatch.setattr(H, "render_report", boom)
    with pytest.raises(RuntimeError):
        H.write_report(result, fresh)
    assert not fresh.exists()
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == []


def test_write_report_fails_mid_write(tmp_path: Path, result: RunResult, monkeypatch) -> None:
    out = tmp_path / "report.html"

    def boom(fd):
        raise OSError("I/O error")

    monkeypatch.setattr(H.os, "fsync", boom)
    with pytest.raises(OSError):
        H.write_report(result, out)
    assert list(tmp_path.iterdir()) == []


def test_render_is_deterministic(result: RunResult) -> None:
    assert H.render_report(result) == H.render_report(result)


# ---------------------------------------------------------------------------
# Formatting helpers
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("p", "lo", "hi", "expected"),
    [
        (0.37, 0.31, 0.43, "37% (31–43%)"),
        (0.0, 0.0, 0.012, "0% (0–1%)"),
        (1.0, 0.9952, 1.0, "100% (99.5–100%)"),
        (0.004, 0.0005, 0.02, "0.4% (<0.1–2%)"),
        (float("nan"), 0.1, 0.2, "—"),
        (0.5, None, None, "50%"),
    ],
)
def test_fmt_prob_interval(p, lo, hi, expected) -> None:
    assert T.fmt_prob_interval(p, lo, hi) == expected


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (1234567.89, "1.23 million"),
        (-2.5e9, "−2.50 billion"),
        (123456.7, "123,457"),
        (365.5, "366"),
        (12.345, "12.3"),
        (0.45231, "0.452"),
        (0, "0"),
        (-2500.0, "−2,500"),
        (float("nan"), "—"),
        (None, "—"),
    ],
)
def test_fmt_number(x, expected) -> None:
    assert T.fmt_number(x) == expected


def test_fmt_signed_and_dates() -> None:
    assert T.fmt_signed(0.123, percentage_points=True) == "+12 pp"
    assert T.fmt_signed(-0.031, percentage_points=True) == "−3.1 pp"
    assert T.fmt_signed(0.0, percentage_points=True) == "0 pp"
    assert T.fmt_signed(-1234.4) == "−1,234"
    assert T.fmt_signed(2.5) == "+2.50"
    assert T.fmt_date("2023-08-01", 0) == "2023-08-01"
    assert T.fmt_date("2023-08-01", 730) == "2025-07-31"
    assert T.fmt_date(date(2023, 8, 1), 30.7) == "2023-08-31"
    assert T.fmt_date("2023-08-01", float("nan")) == "—"


# ---------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------


def test_network_figure_styles(result: RunResult) -> None:
    fig = F.network_figure(result.scenario_summary)
    lines = [t for t in fig.data if t.mode == "lines" and t.x and t.x[0] is not None]
    assert len(lines) == len(result.scenario_summary["transfers"])
    dashes = sorted(t.line.dash for t in lines)
    assert dashes == ["dash", "dash", "dash", "dash", "dot"]
    colors = {t.line.color for t in lines}
    assert len(colors) == 3  # arms, compensation, dormant
    labels = {a.text for a in fig.layout.annotations if a.text}
    assert any("<b>PRK → RUS</b>" in t and "KN-23 ballistic missile" in t for t in labels)
    assert any("<b>RUS → PRK</b>" in t and "Refined fuel" in t for t in labels)
    # Fixed seed: same layout twice.
    again = F.network_figure(result.scenario_summary)
    assert fig.to_json() == again.to_json()


def test_fan_chart(result: RunResult) -> None:
    fig = F.fan_chart(result.series, "stock.RUS.shell152", START, max_points=400)
    medians = [t for t in fig.data if t.showlegend]
    assert [t.name for t in medians] == POLICIES
    first = medians[0]
    assert first.x0 == START and first.dx == 2 * 86_400_000
    s = result.series
    expected = s[(s.series == "stock.RUS.shell152") & (s.policy == "status-quo")].q50.iloc[0]
    assert first.y[0] == float(f"{expected:.4g}")
    fills = [t for t in fig.data if t.fill == "tonexty"]
    assert len(fills) == len(POLICIES)  # the 50% bands
    dotted = [t for t in fig.data if t.line.dash == "dot"]
    assert len(dotted) == 2 * len(POLICIES)  # the 90% band edges
    # Medians are drawn last, over every band.
    assert all(t.showlegend for t in fig.data[-len(POLICIES) :])
    full = F.fan_chart(result.series, "indicator.kor_threat", START, max_points=1000)
    assert len(full.data[-1].y) == HORIZON + 1
    empty = F.fan_chart(result.series, "no.such", START)
    assert not empty.data


def test_event_probability_curve(result: RunResult) -> None:
    fig = F.event_probability_figure(
        result.outcomes, ["kor_arms_ukraine", "chn_rus_friction"], START, HORIZON
    )
    curves = [t for t in fig.data if t.name == "status-quo"]
    assert len(curves) == 2
    o = result.outcomes
    share = o.loc[o.policy == "status-quo", "fired.kor_arms_ukraine"].mean()
    assert curves[0].y[-1] == pytest.approx(share, rel=1e-3)
    assert curves[0].x[-1] == "2025-07-31"
    assert list(curves[0].y) == sorted(curves[0].y)
    # The band is the Jeffreys interval of spillover.analysis.claims at each date.
    band_hi = next(t for t in fig.data if t.fill == "tonexty" and t.legendgroup == "policy-status-quo")
    fired = o.loc[o.policy == "status-quo", "fired.kor_arms_ukraine"].sum()
    assert band_hi.y[-1] == pytest.approx(binomial_interval(int(fired), RUNS)[1], rel=1e-3)


def test_firing_day_histogram(result: RunResult) -> None:
    fig = F.firing_day_histogram(result.outcomes, "kor_arms_ukraine", START, horizon=HORIZON)
    assert len(fig.data) == len(POLICIES)
    o = result.outcomes
    share = o.loc[o.policy == "cap", "fired.kor_arms_ukraine"].mean()
    cap = next(t for t in fig.data if t.name.startswith("cap"))
    assert sum(cap.y) == pytest.approx(share, abs=1e-3)


def test_many_series_are_thinned_to_fit(result: RunResult) -> None:
    """A run with many series and policies still gives a report under 6 MB."""
    s = result.series
    frames = []
    for i in range(8):
        for policy in ["p1", "p2", "p3", "p4", "p5"]:
            part = s[s.policy == "status-quo"].copy()
            part["policy"] = policy
            part["series"] = part["series"].str.replace(r"\.(\w+)$", rf".\g<1>_{i}", regex=True)
            frames.append(part)
    many = pd.concat(frames, ignore_index=True)
    assert many["series"].nunique() == 64
    big = RunResult(**{**result.__dict__, "series": many})
    page = H.render_report(big)
    assert len(page.encode("utf-8")) < 6_000_000
    fans = [f for f in _figures(page) if f["data"] and "dx" in f["data"][0]]
    assert len(fans) == 64
    assert all(len(f["data"][0]["y"]) <= 100 for f in fans)
    assert _check(page).errors == []


def test_event_curve_on_a_grid_when_many_steps(result: RunResult) -> None:
    fig = F.event_probability_figure(result.outcomes, ["kor_arms_ukraine"], START, HORIZON, max_points=50)
    curve = next(t for t in fig.data if t.name == "status-quo")
    assert curve.x is None and curve.x0 == START
    stride = curve.dx // 86_400_000
    assert len(curve.y) <= 50
    o = result.outcomes
    days = o.loc[o.policy == "status-quo", "fired_day.kor_arms_ukraine"].to_numpy()
    for j in (0, 10, len(curve.y) - 1):
        expected = np.mean(np.floor(days) <= j * stride)  # NaN compares False
        assert curve.y[j] == pytest.approx(expected, abs=1e-3)


def test_outcome_grouping() -> None:
    cols = [
        "run",
        "policy",
        "miscalc_peak.kor_threat",
        "miscalc_peak",
        "fired_day.e1",
        "fired.e1",
        "first_shortfall_without_transfers.RUS.shell152",
        "first_shortfall.RUS.shell152",
        "shipped.t1",
        "mystery.x",
    ]
    groups = dict(T.group_columns(cols))
    assert groups["Sustainment"] == [
        "shipped.t1",
        "first_shortfall.RUS.shell152",
        "first_shortfall_without_transfers.RUS.shell152",
    ]
    assert groups["Miscalculation"] == ["miscalc_peak", "miscalc_peak.kor_threat"]
    assert groups["Events"] == ["fired.e1", "fired_day.e1"]
    assert groups["Other"] == ["mystery.x"]


def test_histogram_says_when_nothing_fired(result: RunResult) -> None:
    outcomes = result.outcomes.copy()
    outcomes["fired_day.kor_arms_ukraine"] = np.nan
    fig = F.firing_day_histogram(outcomes, "kor_arms_ukraine", START, horizon=HORIZON)
    notes = [a.text for a in fig.layout.annotations]
    assert any("No run fired this event" in t for t in notes)
    assert all("fires in 0% of runs" in t.name for t in fig.data)
