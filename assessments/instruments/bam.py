"""BAM: Brief Addiction Monitor, Likert scoring (Cacciola et al. 2013; VA).

Seventeen questions about the past 30 days. Item 7 is split into 7a-7g (days of use by drug class),
which only elaborate item 6: optional and never scored. Item 17 (satisfaction with progress) is
asked but belongs to no subscale. There is no total: Use, Risk and Protective point in different
directions, so each is reported and flagged on its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Choice, Flag, InstrumentDefinition, Item, Result, Subscale, choices, sum_items

HEALTH = choices("Excellent", "Very good", "Good", "Fair", "Poor")
DAYS = choices("0 days", "1-3 days", "4-8 days", "9-15 days", "16-30 days")
AMOUNT = choices("Not at all", "Slightly", "Moderately", "Considerably", "Extremely")
# The income question is answered no or yes; the Likert BAM scores them 0 and 4.
NO_YES_0_4 = (Choice(0, "No"), Choice(4, "Yes"))
_DRUG_CLASS_HELP = "Optional: elaborates item 6; not scored."


def _drug_class(letter: str, label: str) -> Item:
    return Item(f"item_7{letter}", label, DAYS, required=False, scored=False, help=_DRUG_CLASS_HELP)


ITEMS = (
    Item("item_1", "Physical health", HEALTH),
    Item("item_2", "Nights with trouble sleeping", DAYS),
    Item("item_3", "Days feeling depressed, anxious, angry or very upset", DAYS),
    Item("item_4", "Days drinking any alcohol", DAYS),
    Item("item_5", "Days of heavy drinking", DAYS),
    Item("item_6", "Days using illegal drugs or misusing prescription medicines", DAYS),
    _drug_class("a", "Days using marijuana or cannabis"),
    _drug_class("b", "Days using sedatives or tranquillisers"),
    _drug_class("c", "Days using cocaine or crack"),
    _drug_class("d", "Days using other stimulants"),
    _drug_class("e", "Days using opioids"),
    _drug_class("f", "Days using inhalants"),
    _drug_class("g", "Days using other drugs"),
    Item("item_8", "Bothered by cravings or urges to use", AMOUNT),
    Item("item_9", "Confidence in staying abstinent next 30 days", AMOUNT),
    Item("item_10", "Days attending self-help meetings", DAYS),
    Item("item_11", "Days in situations or company that raise the risk of use", DAYS),
    Item("item_12", "Religion or spirituality supports recovery", AMOUNT),
    Item("item_13", "Days spent mostly at work, school or volunteering", DAYS),
    Item("item_14", "Enough legal income for necessities", NO_YES_0_4),
    Item("item_15", "Bothered by arguments or problems with family or friends", AMOUNT),
    Item("item_16", "Days in contact with family or friends who support recovery", DAYS),
    Item(
        "item_17",
        "Satisfaction with progress toward recovery goals",
        AMOUNT,
        scored=False,
        help="Overall progress check; in no subscale.",
    ),
)
DRUG_CLASS_CODES = tuple(f"item_7{letter}" for letter in "abcdefg")


def _items(*numbers: int) -> tuple[str, ...]:
    return tuple(f"item_{n}" for n in numbers)


USE = Subscale("use", "Use", _items(4, 5, 6))
RISK = Subscale("risk", "Risk factors", _items(1, 2, 3, 8, 11, 15))
PROTECTIVE = Subscale("protective", "Protective factors", _items(9, 10, 12, 13, 14, 16))
SUBSCALES = (USE, RISK, PROTECTIVE)

ANY_USE = Flag("any_use", "BAM Use 1 or more: alcohol or drug use in the past 30 days; discuss.")
HIGH_RISK = Flag("high_risk", "BAM Risk 12 or more: risk factors need attention.")
LOW_PROTECTION = Flag(
    "low_protection", "BAM Protective 12 or less: recovery supports need attention."
)
DRUG_CLASS_NOTE = "Items 7a-7g report drug use although item 6 is 0 days; review the answers."


def score_bam(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Three subscale sums with their published thresholds: Use >= 1, Risk >= 12, Protective <= 12.

    Not a total: the subscales point in different directions.
    """
    subscales = {s.code: sum_items(answers, s.items) for s in SUBSCALES}
    flags = []
    if subscales["use"] >= 1:
        flags.append(ANY_USE.to_dict())
    if subscales["risk"] >= 12:
        flags.append(HIGH_RISK.to_dict())
    if subscales["protective"] <= 12:
        flags.append(LOW_PROTECTION.to_dict())
    notes = []
    if answers["item_6"] == 0 and any(answers.get(code, 0) > 0 for code in DRUG_CLASS_CODES):
        notes.append(DRUG_CLASS_NOTE)
    scored = {code for s in SUBSCALES for code in s.items}
    item_scores = {i.code: answers[i.code] for i in ITEMS if i.code in scored}
    return Result(None, subscales=subscales, flags=flags, notes=notes, item_scores=item_scores)


DEFINITION = InstrumentDefinition(
    code="bam",
    version="1.0",
    title="Brief Addiction Monitor (BAM), Likert scoring",
    description=(
        "Seventeen questions about the past 30 days, each scored 0-4; items 7a-7g (days of use by "
        "drug class) are optional and unscored. Subscales Use (items 4-6), Risk (1, 2, 3, 8, 11, "
        "15) and Protective (9, 10, 12, 13, 14, 16). No total."
    ),
    items=ITEMS,
    bands=(),
    total_range=None,
    loinc_panel="",
    loinc_total="",
    licence="U.S. Department of Veterans Affairs (VISN 4 MIRECC); free to use.",
    allows_partial=False,
    scorer=score_bam,
    flags=(ANY_USE, HIGH_RISK, LOW_PROTECTION),
    subscales=SUBSCALES,
)
