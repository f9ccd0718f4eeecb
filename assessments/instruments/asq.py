"""ASQ: NIMH Ask Suicide-Screening Questions (Horowitz et al.), validated for youth and adults.

Items 1-4 are answered yes, no or declined (a refusal counts as positive). Item 5 (thoughts of
suicide right now) is required when any of 1-4 is yes or declined.

Our rule when item 5 is given although items 1-4 are all no: it is accepted, not rejected. A "no"
there changes nothing; a "yes" or a refusal is never discarded and makes the screen acute positive
with a note asking for review, because rejecting the submission could lose the only record of
imminent risk. A refusal of item 5 itself is treated as acute positive: imminent risk has not been
ruled out. The NIMH instructions do not cover these two cases; this is our conservative choice.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import Category, Choice, ErrorMap, Flag, InstrumentDefinition, Item, Result

NO, YES, DECLINED = 0, 1, 2
ANSWERS = (Choice(NO, "No"), Choice(YES, "Yes"), Choice(DECLINED, "Declined to answer"))
SCREEN_CODES = ("item_1", "item_2", "item_3", "item_4")

ITEMS = (
    Item("item_1", "Wished to be dead (past few weeks)", ANSWERS),
    Item("item_2", "Thought self or family better off if self were dead (past few weeks)", ANSWERS),
    Item("item_3", "Thoughts of killing oneself (past week)", ANSWERS),
    Item("item_4", "Ever tried to kill oneself", ANSWERS),
    Item(
        "item_5",
        "Thoughts of killing oneself right now",
        ANSWERS,
        required=False,
        help="Ask only when any of items 1-4 is yes or declined; then it is required.",
    ),
)

NEGATIVE = Category("negative", "Negative screen")
NON_ACUTE = Category("non_acute_positive", "Non-acute positive screen (potential risk)")
ACUTE = Category("acute_positive", "Acute positive screen (imminent risk)")

# Flag codes are the ones assessments.alert_rules reads: every positive raises "asq_positive",
# an acute positive adds "asq_acute".
SUICIDE_RISK = Flag(
    "asq_positive",
    "ASQ positive: a brief suicide safety assessment is needed before the patient leaves.",
)
ACUTE_RISK = Flag(
    "asq_acute",
    "ASQ acute positive (imminent risk): immediate full safety evaluation; the patient must not "
    "leave or be left alone until evaluated.",
)

DECLINED_SCREEN_NOTE = "A declined answer on items 1-4 counts as a positive screen."
DECLINED_ITEM_5_NOTE = (
    "Item 5 was declined: treated as acute positive because imminent risk was not ruled out."
)
UNEXPECTED_ITEM_5_NOTE = (
    "Item 5 was answered although items 1-4 were all no; a yes or refusal there is never "
    "discarded, so the screen is acute positive. Review the answers."
)


def check_item_5(answers: Mapping[str, Any]) -> ErrorMap:
    """Item 5 becomes required as soon as items 1-4 hold any yes or refusal."""
    if (
        any(answers.get(code) in (YES, DECLINED) for code in SCREEN_CODES)
        and "item_5" not in answers
    ):
        return {"item_5": ["item_5 is required when any of item_1 to item_4 is yes or declined."]}
    return {}


def score_asq(answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None) -> Result:
    """Classify negative / non-acute positive / acute positive; flags carry the required action."""
    screen_positive = any(answers[code] != NO for code in SCREEN_CODES)
    item_5 = answers.get("item_5")
    notes: list[str] = []
    if any(answers[code] == DECLINED for code in SCREEN_CODES):
        notes.append(DECLINED_SCREEN_NOTE)
    if item_5 in (YES, DECLINED):
        category = ACUTE
        if item_5 == DECLINED:
            notes.append(DECLINED_ITEM_5_NOTE)
        if not screen_positive:
            notes.append(UNEXPECTED_ITEM_5_NOTE)
    elif screen_positive:
        category = NON_ACUTE
    else:
        category = NEGATIVE
    flags = []
    if category is not NEGATIVE:
        flags.append(SUICIDE_RISK.to_dict())
    if category is ACUTE:
        flags.append(ACUTE_RISK.to_dict())
    return Result(None, category.code, category.label, flags=flags, notes=notes)


DEFINITION = InstrumentDefinition(
    code="asq",
    version="1.0",
    title="Ask Suicide-Screening Questions (ASQ)",
    description=(
        "Four yes/no suicide screening questions (0 no, 1 yes, 2 declined) and a fifth about "
        "thoughts right now, asked when any of the four is yes or declined. No total. Clinical "
        "judgement can always override a negative screen."
    ),
    items=ITEMS,
    bands=(),
    total_range=None,
    loinc_panel="",
    loinc_total="",
    licence="Free (NIMH).",
    allows_partial=False,
    scorer=score_asq,
    flags=(SUICIDE_RISK, ACUTE_RISK),
    categories=(NEGATIVE, NON_ACUTE, ACUTE),
    cross_validator=check_item_5,
)
