"""The fixed texts of a drafted scenario: its limitations and the notes on its sections."""

from __future__ import annotations

from spillover.data._draft_yaml import PLACEHOLDER

__all__ = ["HEAD", "LIMITATIONS", "SECTION_NOTES"]

#: The keys at the head of the file, before its sections.
HEAD = ("name", "title", "description", "start", "horizon")

#: What every draft says it cannot know (its notices are added after).
LIMITATIONS = [
    f"Drafted automatically. Every number noted '{PLACEHOLDER}' is a placeholder, not a judgment: "
    "set each one (and add production, demand, perception and events) before reading any result.",
    "SIPRI's register covers major conventional weapons, counted as items: it does not record shells, "
    "small arms or most ammunition, and dates deliveries by year only. Yearly numbers are spread evenly "
    "over each year; many are SIPRI estimates (see the notes).",
    "For each supplier, recipient and year one SIPRI file is used: the most recently generated one in "
    "the store with deliveries then.",
    "Hostility baselines map GDELT's mention-weighted Goldstein mean (-10 hostile .. +10 cooperative) "
    "linearly onto 0..1. GDELT codes news reports, not verified events, and its coverage varies.",
    "CINC (COW National Material Capabilities) is context in the actor descriptions, not a model input; "
    "the COW data end in 2016.",
]

#: The comment above each section of the file.
SECTION_NOTES = {
    "sources": "Sources: the store's files this draft read (sha256 in each note).",
    "actors": "Actors. CINC (COW composite index of national capability, a share of the world's) is "
    "context, not a model number.",
    "munitions": "One class per SIPRI armament category delivered among the actors, counted in items.",
    "stocks": "Initial stocks: placeholders. Suppliers start with what their transfers ship over the "
    "horizon, recipients with none.",
    "transfers": "Transfers: SIPRI deliveries, one per supplier, recipient and category. Each yearly "
    "step is the items delivered that year / days in the year; a step after the SIPRI data end is a "
    "placeholder.",
    "signals": "Signals: each transfer's delivered flow over its mean SIPRI rate (1 = a typical day).",
    "indicators": "Indicators: dyad hostility, resting at the GDELT baseline (beta). tau and the input "
    "weights are placeholders; a weight of 0 means the flow has no effect yet.",
    "levers": "Levers and policies: a minimal set. Add caps, channels and sanctions as your argument needs.",
    "claims": "Claims: one example only. Replace it with the claims of the argument you model.",
}
