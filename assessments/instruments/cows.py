"""COWS: Clinical Opiate Withdrawal Scale (Wesson & Ling 2003).

Answers are the scale's own non-contiguous point values, never a free 0-5 slider. Item 1 is not
entered: it is computed from the resting pulse so that the stored record keeps the measurement.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import KIND_INTEGER, Band, Choice, InstrumentDefinition, Item, Result, band_fields


def _choices(*pairs: tuple[int, str]) -> tuple[Choice, ...]:
    return tuple(Choice(value, label) for value, label in pairs)


PULSE = Item(
    "resting_pulse_bpm",
    "Resting pulse (beats per minute)",
    kind=KIND_INTEGER,
    min_value=20,
    max_value=250,
    help="Measured after sitting or lying for one minute; item 1 is scored from it.",
)
ITEMS = (
    PULSE,
    Item(
        "item_2",
        "Sweating in the past half hour (not from heat or activity)",
        _choices(
            (0, "No chills or flushing"),
            (1, "Reports chills or flushing"),
            (2, "Flushed or visibly moist face"),
            (3, "Beads of sweat on brow or face"),
            (4, "Sweat streaming off face"),
        ),
    ),
    Item(
        "item_3",
        "Restlessness during assessment",
        _choices(
            (0, "Able to sit still"),
            (1, "Reports difficulty sitting still but manages"),
            (3, "Frequent shifting or extra arm and leg movements"),
            (5, "Cannot sit still for more than a few seconds"),
        ),
    ),
    Item(
        "item_4",
        "Pupil size",
        _choices(
            (0, "Pinned or normal for room light"),
            (1, "Possibly larger than normal"),
            (2, "Moderately dilated"),
            (5, "So dilated that only the rim of the iris shows"),
        ),
    ),
    Item(
        "item_5",
        "Bone or joint aches (new aches only)",
        _choices(
            (0, "None"),
            (1, "Mild diffuse discomfort"),
            (2, "Reports severe diffuse aching"),
            (4, "Rubbing joints or muscles, cannot sit still from discomfort"),
        ),
    ),
    Item(
        "item_6",
        "Runny nose or tearing (not from a cold or allergy)",
        _choices(
            (0, "None"),
            (1, "Nasal stuffiness or unusually moist eyes"),
            (2, "Nose running or tearing"),
            (4, "Nose constantly running or tears streaming"),
        ),
    ),
    Item(
        "item_7",
        "Stomach or bowel upset in the past half hour",
        _choices(
            (0, "None"),
            (1, "Stomach cramps"),
            (2, "Nausea or loose stool"),
            (3, "Vomiting or diarrhoea"),
            (5, "Repeated vomiting or diarrhoea"),
        ),
    ),
    Item(
        "item_8",
        "Tremor of outstretched hands",
        _choices(
            (0, "None"),
            (1, "Felt but not seen"),
            (2, "Slight visible tremor"),
            (4, "Gross tremor or muscle twitching"),
        ),
    ),
    Item(
        "item_9",
        "Yawning during assessment",
        _choices(
            (0, "None"),
            (1, "Once or twice"),
            (2, "Three or more times"),
            (4, "Several times a minute"),
        ),
    ),
    Item(
        "item_10",
        "Anxiety or irritability",
        _choices(
            (0, "None"),
            (1, "Reports growing irritability or anxiety"),
            (2, "Obviously irritable or anxious"),
            (4, "So irritable or anxious that taking part is difficult"),
        ),
    ),
    Item(
        "item_11",
        "Gooseflesh",
        _choices(
            (0, "Smooth skin"),
            (3, "Piloerection can be felt or hairs stand up on arms"),
            (5, "Prominent piloerection"),
        ),
    ),
)
ENTERED_CODES = tuple(f"item_{n}" for n in range(2, 12))

BANDS = (
    Band(0, 4, "Below mild", "below_mild"),
    Band(5, 12, "Mild", "mild"),
    Band(13, 24, "Moderate", "moderate"),
    Band(25, 36, "Moderately severe", "moderately_severe"),
    Band(37, 48, "Severe", "severe"),
)


def pulse_points(bpm: int) -> int:
    """COWS item 1: <= 80 scores 0, 81-100 scores 1, 101-120 scores 2, above 120 scores 4."""
    if bpm <= 80:
        return 0
    if bpm <= 100:
        return 1
    if bpm <= 120:
        return 2
    return 4


def score_cows(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Sum of item 1 (from the pulse) and items 2-11. Buprenorphine start thresholds such as >= 8
    are protocol choices and belong to the alert settings, not to the severity band."""
    item_scores = {"item_1": pulse_points(answers["resting_pulse_bpm"])}
    item_scores.update({code: answers[code] for code in ENTERED_CODES})
    total = sum(item_scores.values())
    band, label = band_fields(BANDS, total)
    return Result(total, band, label, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="cows",
    version="1.0",
    title="Clinical Opiate Withdrawal Scale (COWS)",
    description=(
        "Clinician-rated opioid withdrawal signs: eleven items with the scale's own point values, "
        "total 0-48. Give the resting pulse; item 1 is computed from it."
    ),
    items=ITEMS,
    bands=BANDS,
    total_range=(0, 48),
    loinc_panel="",
    loinc_total="",
    licence="Licence unresolved; treated as free for clinical use.",
    allows_partial=False,
    scorer=score_cows,
    unknown_item_hints=(
        ("item_1", "item_1 is computed from resting_pulse_bpm; give the pulse instead."),
    ),
)
