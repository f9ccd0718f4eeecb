"""Results recorded by a clinician from an administration outside this system. Pure: no Django.

The C-SSRS is licensed for electronic use only through a commercial vendor (clinical reference,
section 2), so its questions are never implemented here. A clinician who gave it on paper records
the risk level they reached (low, moderate, high); it is stored as an assessment with the code
``cssrs_recorded`` and only that level is validated. Alerts come from
``assessments.alert_rules.evaluate_cssrs``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from assessments.instruments.base import NON_FIELD_ERRORS, Choice, Item, ScoringError

CSSRS_RECORDED = "cssrs_recorded"
CSSRS_VERSION = "1.0"
RISK_LEVEL = Item(
    "risk_level",
    "C-SSRS risk level reached on the paper administration",
    (Choice("low", "Low"), Choice("moderate", "Moderate"), Choice("high", "High")),
    scored=False,
    help="The level the clinician reached; the C-SSRS questions themselves are not recorded here.",
)
_LEVEL_LABELS = {c.value: f"{c.label} risk (C-SSRS, recorded)" for c in RISK_LEVEL.choices}
HIGH_RISK_FLAG = {
    "code": "suicide_risk",
    "text": "C-SSRS risk level recorded as high: clinician suicide risk assessment today.",
}


def is_recorded_result(code: object) -> bool:
    return code == CSSRS_RECORDED


def cssrs_definition() -> dict[str, Any]:
    """How the recorded C-SSRS result is published next to the instrument definitions.

    It has the same shape as an instrument definition (so a form generator can render its one
    field) but ``kind`` says it is a recorded result and it has no total, bands or scoring.
    """
    return {
        "code": CSSRS_RECORDED,
        "kind": "recorded_result",
        "version": CSSRS_VERSION,
        "title": "C-SSRS risk level (recorded from a paper administration)",
        "description": (
            "Not a questionnaire: a clinician records the risk level (low, moderate or high) "
            "reached on a C-SSRS given on paper. Only the level is validated and stored."
        ),
        "licence": (
            "The C-SSRS questions are not reproduced: electronic use is licensed through a "
            "commercial vendor. Only the clinician's recorded risk level is stored."
        ),
        "loinc_panel": "",
        "loinc_total": "",
        "total_range": None,
        "allows_partial": False,
        "items": [RISK_LEVEL.to_dict()],
        "bands": [],
        "flags": [dict(HIGH_RISK_FLAG)],
        "subscales": [],
        "categories": [
            {"code": c.value, "label": _LEVEL_LABELS[c.value]} for c in RISK_LEVEL.choices
        ],
        "context": [],
    }


def cssrs_result(answers: object) -> dict[str, Any]:
    """Validate a recorded C-SSRS level and return the stored result (the shape of
    ``Result.to_dict()``). Raises :class:`ScoringError` keyed like the instrument library."""
    if not isinstance(answers, Mapping):
        raise ScoringError({NON_FIELD_ERRORS: ["Answers must be an object keyed by item code."]})
    errors: dict[str, list[str]] = {}
    for key in answers:
        if key != RISK_LEVEL.code:
            if isinstance(key, str) and key.replace("_", "").isalnum() and len(key) <= 64:
                errors[key] = [f"{key} is not an item of {CSSRS_RECORDED}; allowed: risk_level."]
            else:
                errors.setdefault(NON_FIELD_ERRORS, []).append(
                    f"An answer was given under a key that is not an item of {CSSRS_RECORDED}."
                )
    level = answers.get(RISK_LEVEL.code)
    if level is None:
        errors[RISK_LEVEL.code] = ["risk_level is required."]
    else:
        message = RISK_LEVEL.check(level)
        if message:
            errors[RISK_LEVEL.code] = [message]
    if errors:
        raise ScoringError(errors)
    return {
        "instrument": CSSRS_RECORDED,
        "version": CSSRS_VERSION,
        "total": None,
        "band": level,
        "band_label": _LEVEL_LABELS[level],
        "subscales": {},
        "flags": [dict(HIGH_RISK_FLAG)] if level == "high" else [],
        "notes": [],
        "item_scores": {},
        "details": {"risk_level": level},
    }
