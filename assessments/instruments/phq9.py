"""PHQ-9 depression severity (Kroenke, Spitzer & Williams 2001)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Band, Flag, InstrumentDefinition, Item, Result, band_fields, choices

FREQUENCY_2_WEEKS = choices(
    "Not at all", "Several days", "More than half the days", "Nearly every day"
)

TOPICS = (
    "Little interest or pleasure",
    "Low mood or hopelessness",
    "Sleep problems",
    "Tiredness or low energy",
    "Appetite change",
    "Feeling bad about oneself",
    "Trouble concentrating",
    "Slowed or restless movement",
    "Thoughts of death or self-harm",
)
SCORED_CODES = tuple(f"item_{n}" for n in range(1, 10))
ITEM_LOINC = {"item_9": "44260-8"}

ITEMS = (
    *(
        Item(code, topic, FREQUENCY_2_WEEKS, loinc=ITEM_LOINC.get(code, ""))
        for code, topic in zip(SCORED_CODES, TOPICS, strict=True)
    ),
    Item(
        "difficulty",
        "How difficult these problems make daily life",
        choices(
            "Not difficult at all", "Somewhat difficult", "Very difficult", "Extremely difficult"
        ),
        required=False,
        scored=False,
        help="Asked when any problem is reported; not part of the total.",
    ),
)

BANDS = (
    Band(0, 4, "Minimal", "minimal"),
    Band(5, 9, "Mild", "mild"),
    Band(10, 14, "Moderate", "moderate"),
    Band(15, 19, "Moderately severe", "moderately_severe"),
    Band(20, 27, "Severe", "severe"),
)
SUICIDE_RISK = Flag(
    "suicide_risk",
    "PHQ-9 item 9 (thoughts of death or self-harm) above 0: same-day suicide risk assessment "
    "needed.",
)


def score_phq9(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Sum items 1-9; item 9 above 0 raises the suicide-risk flag whatever the total."""
    item_scores = {code: answers[code] for code in SCORED_CODES}
    total = sum(item_scores.values())
    band, label = band_fields(BANDS, total)
    flags = [SUICIDE_RISK.to_dict()] if answers["item_9"] > 0 else []
    return Result(total, band, label, flags=flags, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="phq9",
    version="1.0",
    title="Patient Health Questionnaire-9 (PHQ-9)",
    description=(
        "Depression severity over the past two weeks: nine items scored 0-3, total 0-27. "
        "An optional tenth item on functional difficulty is recorded but not scored."
    ),
    items=ITEMS,
    bands=BANDS,
    total_range=(0, 27),
    loinc_panel="44249-1",
    loinc_total="44261-6",
    licence="Public domain (PHQ screeners: no permission required to reproduce or distribute).",
    allows_partial=False,
    scorer=score_phq9,
    flags=(SUICIDE_RISK,),
)
