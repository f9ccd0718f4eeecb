"""AUDIT: WHO Alcohol Use Disorders Identification Test (Babor et al. 2001)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Band, Choice, Flag, InstrumentDefinition, Item, Result, band_fields, choices

HOW_OFTEN_PAST_YEAR = choices(
    "Never", "Less than monthly", "Monthly", "Weekly", "Daily or almost daily"
)
# Items 9 and 10 have three answers scored 0, 2 and 4: there is no 1 or 3.
NO_OR_WHEN = (
    Choice(0, "No"),
    Choice(2, "Yes, but not in the past year"),
    Choice(4, "Yes, during the past year"),
)

CONSUMPTION_ITEMS = (
    Item(
        "item_1",
        "How often alcohol is drunk",
        choices(
            "Never",
            "Monthly or less",
            "2-4 times a month",
            "2-3 times a week",
            "4 or more times a week",
        ),
    ),
    Item(
        "item_2",
        "Standard drinks on a typical drinking day",
        choices("1 or 2", "3 or 4", "5 or 6", "7 to 9", "10 or more"),
    ),
    Item("item_3", "How often six or more drinks on one occasion", HOW_OFTEN_PAST_YEAR),
)
ITEMS = (
    *CONSUMPTION_ITEMS,
    Item("item_4", "Could not stop once started (past year)", HOW_OFTEN_PAST_YEAR),
    Item("item_5", "Failed expected duties because of drinking (past year)", HOW_OFTEN_PAST_YEAR),
    Item("item_6", "Morning drink needed after heavy drinking (past year)", HOW_OFTEN_PAST_YEAR),
    Item("item_7", "Guilt or remorse after drinking (past year)", HOW_OFTEN_PAST_YEAR),
    Item("item_8", "Could not remember the night before (past year)", HOW_OFTEN_PAST_YEAR),
    Item("item_9", "Someone injured because of the drinking", NO_OR_WHEN, help="Scored 0, 2 or 4."),
    Item(
        "item_10",
        "Others concerned or suggested cutting down",
        NO_OR_WHEN,
        help="Scored 0, 2 or 4.",
    ),
)
CODES = tuple(i.code for i in ITEMS)

BANDS = (
    Band(0, 7, "Zone I (0-7): alcohol education", "zone_1"),
    Band(8, 15, "Zone II (8-15): simple advice", "zone_2"),
    Band(16, 19, "Zone III (16-19): simple advice, brief counselling, monitoring", "zone_3"),
    Band(20, 40, "Zone IV (20-40): referral for diagnostic evaluation and treatment", "zone_4"),
)
POSITIVE = Flag("positive_screen", "AUDIT of 8 or more: positive screen for hazardous drinking.")


def score_audit(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Sum of ten items; WHO risk zones as bands and the >= 8 screen as a separate flag."""
    item_scores = {code: answers[code] for code in CODES}
    total = sum(item_scores.values())
    band, label = band_fields(BANDS, total)
    flags = [POSITIVE.to_dict()] if total >= 8 else []
    return Result(total, band, label, flags=flags, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="audit",
    version="1.0",
    title="Alcohol Use Disorders Identification Test (AUDIT)",
    description=(
        "Ten items: 1-8 scored 0-4, 9-10 scored 0, 2 or 4; total 0-40 with WHO risk zones I-IV."
    ),
    items=ITEMS,
    bands=BANDS,
    total_range=(0, 40),
    loinc_panel="72110-0",
    loinc_total="75624-7",
    licence="World Health Organization; free for non-commercial use.",
    allows_partial=False,
    scorer=score_audit,
    flags=(POSITIVE,),
)
