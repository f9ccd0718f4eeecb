"""PHQ-2 depression screen: the first two PHQ-9 items (Kroenke, Spitzer & Williams 2003)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Flag, InstrumentDefinition, Item, Result
from .phq9 import FREQUENCY_2_WEEKS, TOPICS

ITEMS = (
    Item("item_1", TOPICS[0], FREQUENCY_2_WEEKS),
    Item("item_2", TOPICS[1], FREQUENCY_2_WEEKS),
)
POSITIVE = Flag("positive_screen", "PHQ-2 of 3 or more: positive screen; give the PHQ-9.")


def score_phq2(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Sum of two items; >= 3 is an action threshold (give the PHQ-9), not a severity band."""
    item_scores = {code: answers[code] for code in ("item_1", "item_2")}
    total = sum(item_scores.values())
    flags = [POSITIVE.to_dict()] if total >= 3 else []
    return Result(total, flags=flags, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="phq2",
    version="1.0",
    title="Patient Health Questionnaire-2 (PHQ-2)",
    description="Two-item depression screen (PHQ-9 items 1-2), total 0-6; no severity bands.",
    items=ITEMS,
    bands=(),
    total_range=(0, 6),
    loinc_panel="55757-9",
    loinc_total="55758-7",
    licence="Public domain (PHQ screeners: no permission required to reproduce or distribute).",
    allows_partial=False,
    scorer=score_phq2,
    flags=(POSITIVE,),
)
