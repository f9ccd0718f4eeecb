"""DSM-5-TR substance use disorder criteria checklist.

Kratom has no class of its own: it is recorded as Other (or Unknown) Substance Use Disorder with the
substance named. This module counts criteria and names severity only; mapping to ICD-10-CM codes is
the diagnosis module's job, because those codes change yearly and are data.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import KIND_INTEGER, Band, Choice, InstrumentDefinition, Item, Result, band_fields

NOT_MET_MET = (Choice(0, "Not met"), Choice(1, "Met"))
CRITERIA = (
    "Larger amounts or longer than intended",
    "Persistent wish or failed efforts to cut down",
    "Much time obtaining, using or recovering",
    "Craving",
    "Failure to fulfil role obligations",
    "Continued use despite social or interpersonal problems",
    "Important activities given up or reduced",
    "Recurrent use in hazardous situations",
    "Continued use despite physical or psychological problems",
    "Tolerance",
    "Withdrawal",
)
CODES = tuple(f"criterion_{n}" for n in range(1, 12))
MONTHS = "months_since_last_criterion"

ITEMS = (
    *(Item(code, topic, NOT_MET_MET) for code, topic in zip(CODES, CRITERIA, strict=True)),
    Item(
        MONTHS,
        "Months since any criterion other than craving was last met",
        required=False,
        scored=False,
        kind=KIND_INTEGER,
        min_value=0,
        max_value=1200,
        help="Optional; used for the remission specifier (early 3 to under 12, sustained 12+).",
    ),
)

BANDS = (
    Band(0, 1, "No disorder", "none"),
    Band(2, 3, "Mild", "mild"),
    Band(4, 5, "Moderate", "moderate"),
    Band(6, 11, "Severe", "severe"),
)
NO_DISORDER_NOTE = (
    "A remission specifier applies only after criteria for a disorder were met; none was given."
)


def remission_for(months: int | None) -> str:
    """Early remission: 3 to under 12 months with no criterion but craving; sustained: 12+.

    Values match ``assessments.diagnosis.Remission`` ("none", "early", "sustained").
    """
    if months is None or months < 3:
        return "none"
    return "early" if months < 12 else "sustained"


def score_dsm5(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Count met criteria; severity 0-1 none, 2-3 mild, 4-5 moderate, 6+ severe.

    ``details["criteria_met"]`` lists criterion numbers (1-11) in the form
    ``assessments.diagnosis`` takes, so the diagnosis module can use the checklist directly.
    """
    item_scores = {code: answers[code] for code in CODES}
    count = sum(item_scores.values())
    band, label = band_fields(BANDS, count)
    months = answers.get(MONTHS)
    remission = remission_for(months)
    notes = []
    if remission != "none" and band == "none":
        remission = "none"
        notes.append(NO_DISORDER_NOTE)
    return Result(
        count,
        band,
        label,
        notes=notes,
        item_scores=item_scores,
        details={
            "criteria_count": count,
            "criteria_met": [n for n, code in enumerate(CODES, start=1) if answers[code]],
            "remission": remission,
            MONTHS: months,
        },
    )


DEFINITION = InstrumentDefinition(
    code="dsm5",
    version="1.0",
    title="DSM-5-TR substance use disorder criteria",
    description=(
        "Eleven criteria within a 12-month period, each met or not; severity by count (0-1 none, "
        "2-3 mild, 4-5 moderate, 6 or more severe). For a remission assessment record the criteria "
        "met when the disorder was present and the months since any criterion other than craving "
        "was last met."
    ),
    items=ITEMS,
    bands=BANDS,
    total_range=(0, 11),
    loinc_panel="",
    loinc_total="",
    licence=(
        "Criteria summarised as topic labels in our own words; the DSM-5-TR text is copyright of "
        "the American Psychiatric Association and is not reproduced."
    ),
    allows_partial=False,
    scorer=score_dsm5,
)
