"""DAST-10: Drug Abuse Screening Test, 10 items (Skinner 1982)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Band, Choice, Flag, InstrumentDefinition, Item, Result, band_fields

# Answers are stored as given (1 = yes, 0 = no); reversal happens only when scoring, so the raw
# record never has to be reinterpreted.
NO_YES = (Choice(0, "No"), Choice(1, "Yes"))
REVERSED = frozenset({"item_3"})

TOPICS = (
    "Drug use other than for medical reasons",
    "Use of more than one drug at a time",
    "Always able to stop using when wanted",
    "Blackouts or flashbacks from drug use",
    "Felt bad or guilty about drug use",
    "Partner or family complained about drug use",
    "Neglected family because of drug use",
    "Illegal activities to obtain drugs",
    "Withdrawal symptoms when stopping",
    "Medical problems from drug use",
)
CODES = tuple(f"item_{n}" for n in range(1, 11))
ITEMS = tuple(
    Item(
        code,
        topic,
        NO_YES,
        help="Reverse-scored: No scores 1, Yes scores 0." if code in REVERSED else "",
    )
    for code, topic in zip(CODES, TOPICS, strict=True)
)

BANDS = (
    Band(0, 0, "No problems reported", "none"),
    Band(1, 2, "Low level", "low"),
    Band(3, 5, "Moderate level", "moderate"),
    Band(6, 8, "Substantial level", "substantial"),
    Band(9, 10, "Severe level", "severe"),
)
FURTHER_ASSESSMENT = Flag("further_assessment", "DAST-10 of 3 or more: further assessment needed.")


def scored_value(code: str, answer: int) -> int:
    """Points an answer earns: yes = 1, except item 3 where no = 1."""
    return 1 - answer if code in REVERSED else answer


def score_dast10(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Count of problem answers over the past 12 months (alcohol and tobacco excluded)."""
    item_scores = {code: scored_value(code, answers[code]) for code in CODES}
    total = sum(item_scores.values())
    band, label = band_fields(BANDS, total)
    flags = [FURTHER_ASSESSMENT.to_dict()] if total >= 3 else []
    return Result(total, band, label, flags=flags, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="dast10",
    version="1.0",
    title="Drug Abuse Screening Test (DAST-10)",
    description=(
        "Ten yes/no items about the past 12 months, excluding alcohol and tobacco. Answer 1 for "
        "yes and 0 for no; item 3 is reverse-scored (no scores 1). Total 0-10."
    ),
    items=ITEMS,
    bands=BANDS,
    total_range=(0, 10),
    loinc_panel="82666-9",
    loinc_total="82667-7",
    licence="Copyright Harvey A. Skinner and CAMH; free for non-commercial use with credit.",
    allows_partial=False,
    scorer=score_dast10,
    flags=(FURTHER_ASSESSMENT,),
)
