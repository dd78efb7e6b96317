"""The NumPy step's working arrays (:class:`Kernel`) and the state before day 0.

:mod:`spillover.engine.step` steps them day by day; :mod:`spillover.engine.compiled` packs
the same arrays for the compiled step, so that both start from identical numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit

from spillover.engine.draws import Draws
from spillover.engine.kinds import SignalKind
from spillover.engine.levers import LeverEffects, lever_effects, period_of_day
from spillover.engine.network import Edges, build_edges, edge_weights
from spillover.engine.params import Params
from spillover.engine.state import State
from spillover.engine.structure import Structure


@dataclass
class Flows:
    """Per-transfer parameters as contiguous (F, R) rows for the daily loop."""

    ratio: np.ndarray
    cap: np.ndarray
    reserve: np.ndarray
    loss: np.ndarray
    limit: np.ndarray
    mult: np.ndarray  # active × event multiplier × cap lever
    delay: np.ndarray  # int64 days in transit


@dataclass
class Kernel:
    st: Structure
    p: Params
    lev: LeverEffects  # the lever period in force
    levs: list[LeverEffects]  # every lever period's
    draws: Draws
    B: np.ndarray  # (T, Ktot) schedule basis
    offsets: np.ndarray  # (nS,)
    tr_series: np.ndarray  # (F,) series index or -1
    sig_cov: np.ndarray  # (R, S) effective covertness of each signal (the period in force)
    sig_covs: list[np.ndarray]  # every lever period's
    edges: Edges
    w_true: np.ndarray  # (E, R) edge weights (event effects may scale them)
    w_seen: np.ndarray  # (E, R) edge weights times each observer's perception
    beta: np.ndarray  # (K, R)
    tau: np.ndarray  # (K, R)
    n: np.ndarray  # (R, O, S) current perception noise
    tmult: np.ndarray  # (R, F) event multipliers on transfers
    smult: np.ndarray  # (R, nS) event multipliers on schedules
    sact: np.ndarray  # (R, nS) 0 for a dormant production line not yet started, else 1
    gate: np.ndarray  # (R, nS) sact × the levers' factor on production
    active: np.ndarray  # (R, F)
    window: int
    steady: np.ndarray  # (T,) no row's schedule changes since yesterday
    nodelay: np.ndarray  # (F,) transfers delivered the day they ship, every row and period
    dem_index: dict[int, int]  # flat (a·M+m) -> demand (engine order)
    ref: np.ndarray  # (S, R) reference rates of the signals
    period_of_day: np.ndarray  # (T,) the lever period in force
    period: int = 0
    factors: list[np.ndarray] = field(default_factory=list)  # per period: exp(perception) of the seen edges
    exact: bool = False  # every observer sees exactly: I_true is I
    cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # rates, production, demand
    fl: Flows = field(init=False)  # set once the kernel exists (it reads the kernel's arrays)

    @property
    def ar1(self) -> bool:
        return self.draws.noise.ndim == 4


def _bank(st: Structure) -> tuple[np.ndarray, np.ndarray]:
    B = np.concatenate([s.basis for s in st.series], axis=1) if st.series else np.zeros((st.T, 0))
    sizes = [s.basis.shape[1] for s in st.series]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)
    return np.ascontiguousarray(B), offsets


def _signal_covertness(st: Structure, p: Params, lev: LeverEffects) -> np.ndarray:
    cov = p.sig_cov.copy()
    for i in np.flatnonzero(st.sig_kind == SignalKind.FLOW):
        f = st.sig_target[i]
        cov[:, i] = p.cov[:, f] * (1.0 - lev.transparency[:, f])
    return cov


def seen_edges(k: Kernel) -> np.ndarray:
    """The signal edges whose target indicator's observer perceives with error."""
    e, K = k.edges, len(k.st.indicators)
    obs = k.st.ind_observer[e.target]
    return np.flatnonzero(e.is_signal & (obs >= 0)) if K else np.zeros(0, np.int64)


def factors(k: Kernel, sig_cov: np.ndarray) -> np.ndarray:
    """(seen edges, R) exp(covertness·(1−transparency)·(bias + noise·n)) of each seen edge."""
    p, e, K = k.p, k.edges, len(k.st.indicators)
    sel = seen_edges(k)
    o, sig = k.st.ind_observer[e.target][sel], e.source[sel] - K
    expo = sig_cov[:, sig] * (p.bias[:, o] + p.noise[:, o] * k.n[:, o, sig])
    with np.errstate(over="ignore"):  # an infinite factor stops the run by name (NonFiniteError)
        return np.exp(expo).T


def perceived(k: Kernel, fac: np.ndarray) -> np.ndarray:
    """Edge weights times each seen edge's perception factor; other edges are exact."""
    seen = k.w_true.copy()
    sel = seen_edges(k)
    if len(sel):
        seen[sel] *= fac
    return seen


def make_flows(k: Kernel) -> Flows:
    p, lev = k.p, k.lev
    c = np.ascontiguousarray
    return Flows(
        ratio=c(p.ratio.T), cap=c(p.cap.T), reserve=c(p.reserve.T), loss=c(lev.loss.T), limit=c(p.limit.T),
        mult=c((k.active * k.tmult * lev.cap).T), delay=c(lev.delay.T),
    )


def _steady(st: Structure, p: Params, B: np.ndarray) -> np.ndarray:
    steady = np.r_[False, (B[1:] == B[:-1]).all(axis=1)]
    days = np.unique(p.step_day)
    steady[days[(days > 0) & (days < st.T)]] = False
    return steady


def _sact(st: Structure, R: int) -> np.ndarray:
    sact = np.ones((R, len(st.series)))
    for s in st.lines.prod:
        a, m = st.series[s].key
        if st.scenario.production[a][m].dormant:
            sact[:, s] = 0.0
    return sact


def make_kernel(st: Structure, p: Params, draws: Draws) -> Kernel:
    levs = [lever_effects(st, p, g) for g in range(p.lever_values.shape[1])]
    B, offsets = _bank(st)
    tr_series = np.full(st.F, -1, dtype=np.int64)
    for i, s in enumerate(st.series):
        if s.kind == "transfer":
            tr_series[st.transfers.index(s.key[0])] = i
    ar1 = draws.noise.ndim == 4
    edges = build_edges(st)
    sact = _sact(st, p.R)
    sig_covs = [_signal_covertness(st, p, lev) for lev in levs]
    k = Kernel(
        st=st, p=p, lev=levs[0], levs=levs, draws=draws, B=B, offsets=offsets, tr_series=tr_series,
        sig_cov=sig_covs[0], sig_covs=sig_covs, edges=edges, w_true=edge_weights(edges, p.W, p.Vs),
        w_seen=np.empty(0), beta=np.ascontiguousarray(p.beta.T), tau=np.ascontiguousarray(p.tau.T),
        n=draws.noise[0] if ar1 else draws.noise,
        tmult=np.ones((p.R, st.F)), smult=np.ones((p.R, len(st.series))), sact=sact,
        gate=sact * levs[0].gate, active=p.active.copy(),
        window=max(int(lev.delay.max(initial=0)) for lev in levs) + 1, steady=_steady(st, p, B),
        nodelay=np.all([(lev.delay == 0).all(axis=0) for lev in levs], axis=0),
        dem_index={int(c): j for j, c in enumerate(st.lines.dem_flat)}, ref=np.ascontiguousarray(p.sig_ref.T),
        period_of_day=period_of_day(p, st.T),
    )
    k.factors = [factors(k, cov) for cov in sig_covs]
    k.w_seen = perceived(k, k.factors[0])
    k.exact = not ar1 and all(np.array_equal(perceived(k, f), k.w_true) for f in k.factors)
    k.fl = make_flows(k)
    return k


def initial_state(st: Structure, p: Params, window: int) -> State:
    """Day-0 state: initial stocks, indicators at their initial value or rest level."""
    R, A, M, F, E = p.R, st.A, st.M, st.F, len(st.events)
    rest = np.where(st.ind_logistic, expit(p.beta), 0.0)
    I0 = np.where(np.isnan(p.initial), rest, p.initial)
    zeros_am = np.zeros((R, A, M))
    P = len(st.lines.dem)
    return State(
        t=-1, S=p.S0.copy(), pipe=np.zeros((F, window, R)), delay=np.zeros((F, R), dtype=np.int64),
        levels=np.stack([I0.T, I0.T]),
        E=np.zeros((R, E), dtype=bool), fired_at=np.full((R, E), np.nan),
        hazard=np.zeros((R, E)), above=np.zeros((R, E), dtype=np.int64),
        fired_at_true=np.full((R, E), np.nan),
        hazard_true=np.zeros((R, E)), above_true=np.zeros((R, E), dtype=np.int64),
        produced=zeros_am.copy(), fired=zeros_am.copy(), demanded=zeros_am.copy(),
        shortfall=zeros_am.copy(), flows=np.zeros((5, F, R)),
        demand_today=np.zeros((R, P)), fired_today=np.zeros((R, P)), z=np.zeros((len(st.signals), R)),
        leaked=np.zeros((R, st.C)), leaked_today=np.zeros((R, st.C)),
        prod_today=np.zeros((R, len(st.lines.prod))), paid=np.zeros((R, F)),
    )
