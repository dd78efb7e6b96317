"""The small excerpts of real data files committed under tests/data/ (see ATTRIBUTION.md)."""

from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).parent / "data"
GDELT = DATA / "gdelt" / "20191024143000.export.CSV"
CLASSIC = DATA / "sipri" / "trade-register-classic-excerpt.csv"
OVERLAP = DATA / "sipri" / "trade-register-classic-overlap-excerpt.csv"
NEW = DATA / "sipri" / "trade-register-new-excerpt.csv"
TIV_EXPORTS = DATA / "sipri" / "tiv-exports-1990-2023-excerpt.csv"
TIV_IMPORTS = DATA / "sipri" / "tiv-imports-1950-2024-excerpt.csv"
NMC = DATA / "cow" / "NMC-60-abridged-excerpt.csv"
