"""SOCRATES 8D: Stages of Change Readiness and Treatment Eagerness Scale, drug version (Miller &
Tonigan 1996). Three subscales and no total: summing them would mix opposite signals."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import InstrumentDefinition, Item, Result, Subscale, choices, sum_items

AGREEMENT = choices(
    "Strongly disagree", "Disagree", "Undecided or unsure", "Agree", "Strongly agree", start=1
)
TOPICS = (
    "Wants to change drug use",
    "Wonders about being addicted",
    "Problems will worsen without change",
    "Has started changing drug use",
    "Cut back after using too much",
    "Wonders whether use hurts others",
    "Has a drug problem",
    "Already acting on change",
    "Changed and guarding against slipping back",
    "Has serious problems with drugs",
    "Wonders about control over use",
    "Drug use causing much harm",
    "Actively cutting down or stopping",
    "Wants help to avoid old drug problems",
    "Knows they have a drug problem",
    "Wonders about using too much",
    "Sees self as addicted",
    "Working hard to change",
    "Made changes and wants help keeping them",
)
CODES = tuple(f"item_{n}" for n in range(1, 20))
ITEMS = tuple(Item(code, topic, AGREEMENT) for code, topic in zip(CODES, TOPICS, strict=True))


def _items(*numbers: int) -> tuple[str, ...]:
    return tuple(f"item_{n}" for n in numbers)


SUBSCALES = (
    Subscale("recognition", "Recognition", _items(1, 3, 7, 10, 12, 15, 17)),
    Subscale("ambivalence", "Ambivalence", _items(2, 6, 11, 16)),
    Subscale("taking_steps", "Taking steps", _items(4, 5, 8, 9, 13, 14, 18, 19)),
)


def score_socrates(
    answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
) -> Result:
    """Three subscale sums (Recognition 7-35, Ambivalence 4-20, Taking steps 8-40)."""
    subscales = {s.code: sum_items(answers, s.items) for s in SUBSCALES}
    return Result(None, subscales=subscales, item_scores={c: answers[c] for c in CODES})


DEFINITION = InstrumentDefinition(
    code="socrates",
    version="1.0",
    title="SOCRATES 8D (drug use)",
    description=(
        "Nineteen items rated 1-5; subscales Recognition, Ambivalence and Taking steps. No total."
    ),
    items=ITEMS,
    bands=(),
    total_range=None,
    loinc_panel="",
    loinc_total="",
    licence="Public domain.",
    allows_partial=False,
    scorer=score_socrates,
    subscales=SUBSCALES,
)
