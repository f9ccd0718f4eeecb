"""GAD-7 anxiety severity (Spitzer et al. 2006)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Band, Flag, InstrumentDefinition, Item, Result, band_fields
from .phq9 import FREQUENCY_2_WEEKS

TOPICS = (
    "Nervous, anxious or on edge",
    "Unable to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Restlessness",
    "Easily annoyed or irritable",
    "Fear that something awful might happen",
)
CODES = tuple(f"item_{n}" for n in range(1, 8))
ITEMS = tuple(
    Item(code, topic, FREQUENCY_2_WEEKS) for code, topic in zip(CODES, TOPICS, strict=True)
)

BANDS = (
    Band(0, 4, "Minimal", "minimal"),
    Band(5, 9, "Mild", "mild"),
    Band(10, 14, "Moderate", "moderate"),
    Band(15, 21, "Severe", "severe"),
)
POSITIVE = Flag("positive_screen", "GAD-7 of 10 or more: positive screen; assess further.")


def score_gad7(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Sum of seven items; the >= 10 screen flag is kept apart from the severity band."""
    item_scores = {code: answers[code] for code in CODES}
    total = sum(item_scores.values())
    band, label = band_fields(BANDS, total)
    flags = [POSITIVE.to_dict()] if total >= 10 else []
    return Result(total, band, label, flags=flags, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="gad7",
    version="1.0",
    title="Generalized Anxiety Disorder-7 (GAD-7)",
    description="Anxiety severity over the past two weeks: seven items scored 0-3, total 0-21.",
    items=ITEMS,
    bands=BANDS,
    total_range=(0, 21),
    loinc_panel="69737-5",
    loinc_total="70274-6",
    licence="Public domain (PHQ screeners: no permission required to reproduce or distribute).",
    allows_partial=False,
    scorer=score_gad7,
    flags=(POSITIVE,),
)
