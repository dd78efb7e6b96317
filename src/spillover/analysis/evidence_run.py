"""A run conditioned on evidence: what the engine records, and what the analysis adds.

:func:`spillover.api.run` makes an :class:`EvidenceRun` before the runs (it tells the
engine which quantities to record), then applies it to the result: weights, ESS, the
prior/posterior tables, resample-move when asked, and the files of the run folder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from spillover.ensemble.runner import Plan, execute
from spillover.ensemble.settings import Execution
from spillover.results.assemble import Assembler, Ensemble
from spillover.results.folder import RunFolder
from spillover.results.result import RunResult


class EvidenceRun:
    """The evidence of a run: loaded and checked before the run, applied after it."""

    def __init__(self, evset: Any, as_of: dt.date | None, pl: Plan, resample: bool = False) -> None:
        from spillover.analysis.conditioning import snapshot_spec

        self.evset, self.as_of, self.pl, self.resample = evset, as_of, pl, resample
        pl.batch.observe = snapshot_spec(pl.structure, evset, pl.batch.variants)

    @classmethod
    def load(cls, paths: Sequence[str | Path], as_of: dt.date | str | None, pl: Plan,
             resample: bool = False) -> EvidenceRun:
        from spillover.scenario.evidence_load import load_evidence

        day = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        return cls(load_evidence(list(paths), pl.scenario), day, pl, resample)

    def request(self) -> dict[str, Any]:
        """What a resumed run needs to apply the same evidence (recorded in the manifest)."""
        return {"files": self.evset.files, "as_of": None if self.as_of is None else self.as_of.isoformat(),
                "resample": self.resample}

    @classmethod
    def resumed(cls, folder: RunFolder, pl: Plan) -> EvidenceRun | None:
        """The evidence an interrupted run was started with (None without), loaded again.

        Raises
        ------
        ResumeRefused
            When an evidence file is gone or has changed since the run started.
        """
        import hashlib

        from spillover.results.folder import ResumeRefused

        req = folder.manifest.get("evidence_request")
        if req is None:
            return None
        for f in req["files"]:
            path = Path(f["file"])
            if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != f["sha256"]:
                what = "is gone" if not path.is_file() else "has changed"
                raise ResumeRefused(f"cannot resume {folder.path}: its evidence file {path} {what} since the "
                                    "run started; run it again")
        return cls.load([f["file"] for f in req["files"]], req["as_of"], pl, bool(req["resample"]))

    def apply(self, result: RunResult, ens: Ensemble, ex: Execution, folder: RunFolder | None = None) -> None:
        """Weigh the runs; the prior/posterior tables go to ``result.extra["evidence"]``."""
        from spillover.analysis.claims import claim_columns, claims_of
        from spillover.analysis.compare import analysed_columns
        from spillover.analysis.conditioning import condition
        from spillover.analysis.evidence_outcomes import weighted_comparison, weighted_outcomes
        from spillover.scenario.outcomes import headline_columns

        sc = ens.structure.scenario
        claims = claims_of(sc)
        outcomes, experiments = result.outcomes, result.experiments
        key = headline_columns([str(c) for c in outcomes.columns])
        if folder is not None:  # a sampled large run: the claims and comparisons read every run
            wanted = sorted(set(claim_columns(claims)) | set(analysed_columns(sc)) | set(key))
            outcomes = folder.columns(wanted, ens.policies)
            experiments = pd.read_parquet(folder.path / "experiments.parquet")
        assert ens.observed is not None
        cond = condition(self.evset, self.as_of, ens.observed, experiments, outcomes, claims, ex.seed)
        after = None
        if self.resample and not cond.confident and cond.used:
            cond, after = self._resample(cond, ens, ex, experiments, outcomes, claims)
        cond.outcomes = weighted_outcomes(outcomes, cond.weights, key, posterior=after)
        cond.comparison = weighted_comparison(outcomes if after is None else after, sc, ens.policies,
                                              cond.weights)
        result.extra["evidence"] = cond
        from spillover.analysis.headline import weigh_judgments

        weigh_judgments(result, cond)  # the key judgments read the posterior and its ESS
        result.manifest["evidence"] = {"files": self.evset.files, "policy": self.evset.policy,
                                       **cond.summary()}

    def _resample(self, cond: Any, ens: Ensemble, ex: Execution, experiments: pd.DataFrame,
                  outcomes: pd.DataFrame, claims: Any) -> tuple[Any, pd.DataFrame]:
        """Resample-move from the weighted runs; the final population run under every policy
        (its outcomes are returned beside the conditioning)."""
        from spillover.analysis.conditioning import resampled
        from spillover.analysis.evidence import Frame, log_likelihoods
        from spillover.analysis.smc import Simulator, resample_move
        from spillover.ensemble.design import RowsDesign

        used = self.evset.as_of(self.as_of)
        assert ens.observed is not None and self.pl.batch.observe is not None
        frame = Frame.of(ens.observed, experiments, self.evset.nuisance, ex.seed)
        sim = Simulator(self.pl, ex, self.evset, used, self.pl.batch.observe)
        smc = resample_move(sim, ex.runs, ex.seed, ex.design, log_likelihoods(used, frame))
        values = {c: smc.experiments[c].to_numpy() for c in smc.experiments.columns if c != "run"}
        asm = Assembler(self.pl.batch)
        execute(self.pl, RowsDesign(values, smc.experiments["run"].to_numpy()), asm, ex.but(progress=None))
        after = asm.outcomes(self.pl.policies)
        observed = asm.observed_table()
        assert observed is not None
        cond = resampled(cond, self.evset, smc, outcomes, experiments, after, claims, ex.seed, observed)
        return cond, after

    def write(self, result: RunResult, path: Path) -> None:
        """``weights.parquet`` and the prior/posterior tables beside the run's tables; with
        ``series_full/`` (``--save-series``), the weighted daily series too."""
        from spillover.analysis.evidence_series import weighted_series
        from spillover.results.store import write_table

        cond = result.extra["evidence"]
        if cond.posterior_experiments is None:  # resample-move's new runs kept no daily series
            cond.series = weighted_series(path, cond.weights, self.pl.policies, self.pl.scenario.start)
        if cond.series is not None:
            write_table(path / "evidence_series.parquet", cond.series)
        write_table(path / "weights.parquet", cond.weights)
        write_table(path / "evidence_claims.parquet", cond.claims)
        write_table(path / "evidence_inputs.parquet", cond.inputs)
        write_table(path / "evidence_fit.parquet", cond.fit)
        if cond.outcomes is not None:
            write_table(path / "evidence_outcomes.parquet", cond.outcomes)
        if cond.comparison is not None:
            write_table(path / "evidence_comparison.parquet", cond.comparison)
        if cond.posterior_experiments is not None:
            write_table(path / "posterior_experiments.parquet", cond.posterior_experiments)

