"""SOWS: Handelsman's 16-item Subjective Opiate Withdrawal Scale (Handelsman et al. 1987).

Not Gossop's 10-item Short Opiate Withdrawal Scale, which shares the acronym: the version string
says which scale was given so scores from the two are never mixed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Band, InstrumentDefinition, Item, Result, band_fields, choices

INTENSITY_NOW = choices("Not at all", "A little", "Moderately", "Quite a bit", "Extremely")
TOPICS = (
    "Anxiety",
    "Urge to yawn",
    "Perspiring",
    "Tearing eyes",
    "Runny nose",
    "Gooseflesh",
    "Shaking",
    "Hot flushes",
    "Cold flushes",
    "Aching bones and muscles",
    "Restlessness",
    "Nausea",
    "Urge to vomit",
    "Muscle twitching",
    "Stomach cramps",
    "Urge to use now",
)
CODES = tuple(f"item_{n}" for n in range(1, 17))
ITEMS = tuple(Item(code, topic, INTENSITY_NOW) for code, topic in zip(CODES, TOPICS, strict=True))

BANDS = (
    Band(0, 0, "None", "none"),
    Band(1, 10, "Mild", "mild"),
    Band(11, 20, "Moderate", "moderate"),
    Band(21, 64, "Severe", "severe"),
)
BANDS_NOTE = (
    "SOWS has no severity bands of its own; these follow the CTN-0094 harmonisation "
    "(0 none, 1-10 mild, 11-20 moderate, 21 or more severe)."
)


def score_sows(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Sum of 16 items rated 0-4 for how the patient feels now."""
    item_scores = {code: answers[code] for code in CODES}
    total = sum(item_scores.values())
    band, label = band_fields(BANDS, total)
    return Result(total, band, label, notes=[BANDS_NOTE], item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="sows",
    version="1.0-handelsman16",
    title="Subjective Opiate Withdrawal Scale (Handelsman, 16 items)",
    description=(
        "Patient-rated opioid withdrawal right now: sixteen items 0-4, total 0-64. This is "
        "Handelsman's SOWS (1987), not Gossop's 10-item Short Opiate Withdrawal Scale. "
        + BANDS_NOTE
    ),
    items=ITEMS,
    bands=BANDS,
    total_range=(0, 64),
    loinc_panel="",
    loinc_total="",
    licence="Copyright of the publisher (Taylor & Francis); topic labels only are shipped.",
    allows_partial=False,
    scorer=score_sows,
)
