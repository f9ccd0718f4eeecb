"""Readiness Ruler: importance, confidence and readiness to change, each marked on a ruler.

Some versions run 0-10 and others 1-10, so the scale is stored with every response and a 0 is
rejected on a 1-10 ruler. A clinic may use one ruler or all three; at least one is required.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .base import (
    KIND_INTEGER,
    NON_FIELD_ERRORS,
    Choice,
    ErrorMap,
    InstrumentDefinition,
    Item,
    Result,
)

SCALES = ("0-10", "1-10")
RULER_CODES = ("importance", "confidence", "readiness")
_RULER_HELP = "Whole number on the stored scale: 0-10, or 1-10 when the scale is 1-10."

ITEMS = (
    Item(
        "scale",
        "Ruler scale used",
        tuple(Choice(scale, scale.replace("-", " to ")) for scale in SCALES),
        scored=False,
    ),
    Item(
        "importance",
        "Importance of changing",
        required=False,
        kind=KIND_INTEGER,
        min_value=0,
        max_value=10,
        help=_RULER_HELP,
    ),
    Item(
        "confidence",
        "Confidence in being able to change",
        required=False,
        kind=KIND_INTEGER,
        min_value=0,
        max_value=10,
        help=_RULER_HELP,
    ),
    Item(
        "readiness",
        "Readiness to change now",
        required=False,
        kind=KIND_INTEGER,
        min_value=0,
        max_value=10,
        help=_RULER_HELP,
    ),
)


def check_rulers(answers: Mapping[str, Any]) -> ErrorMap:
    """At least one ruler, and none below the stored scale's minimum."""
    errors: ErrorMap = {}
    if not any(code in answers for code in RULER_CODES):
        errors[NON_FIELD_ERRORS] = ["Give at least one of importance, confidence, readiness."]
    if answers.get("scale") == "1-10":
        for code in RULER_CODES:
            if answers.get(code) == 0:
                errors[code] = [f"{code} must be a whole number from 1 to 10 on the 1-10 scale."]
    return errors


def score_readiness_ruler(
    answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
) -> Result:
    """No total: each ruler is reported on its own, together with the scale it was marked on."""
    rulers = {code: answers[code] for code in RULER_CODES if code in answers}
    return Result(
        None, subscales=rulers, item_scores=dict(rulers), details={"scale": answers["scale"]}
    )


DEFINITION = InstrumentDefinition(
    code="readiness_ruler",
    version="1.0",
    title="Readiness Ruler",
    description=(
        "Importance, confidence and readiness to change, each on a 0-10 or 1-10 ruler (give the "
        "scale). No total."
    ),
    items=ITEMS,
    bands=(),
    total_range=None,
    loinc_panel="",
    loinc_total="",
    licence="Free to use.",
    allows_partial=False,
    scorer=score_readiness_ruler,
    cross_validator=check_rulers,
)
