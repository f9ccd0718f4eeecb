"""AUDIT-C: the three AUDIT consumption items (Bush et al. 1998)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .audit import CONSUMPTION_ITEMS
from .base import Flag, InstrumentDefinition, Result

CODES = tuple(i.code for i in CONSUMPTION_ITEMS)
CUTOFF_BY_SEX = {"male": 4, "female": 3}
# With sex unknown the lower cut-off is used: missing a positive screen costs more than a follow-up.
UNKNOWN_SEX_CUTOFF = 3
UNKNOWN_SEX_NOTE = "Sex not recorded: the lower cut-off of 3 (used for women) was applied."

POSITIVE = Flag(
    "positive_screen",
    "AUDIT-C at or above the cut-off (4 for men, 3 for women or when sex is not recorded): "
    "positive screen; assess further.",
)


def score_audit_c(
    answers: Mapping[str, Any], *, context: Mapping[str, Any] | None = None
) -> Result:
    """Sum of three items; the positive cut-off depends on sex taken from ``context["sex"]``."""
    sex = (context or {}).get("sex")
    item_scores = {code: answers[code] for code in CODES}
    total = sum(item_scores.values())
    cutoff = CUTOFF_BY_SEX.get(sex, UNKNOWN_SEX_CUTOFF)
    notes = [] if sex in CUTOFF_BY_SEX else [UNKNOWN_SEX_NOTE]
    flags = [POSITIVE.to_dict()] if total >= cutoff else []
    return Result(
        total,
        flags=flags,
        notes=notes,
        item_scores=item_scores,
        details={"cutoff": cutoff, "sex": sex},
    )


DEFINITION = InstrumentDefinition(
    code="audit_c",
    version="1.0",
    title="AUDIT-Consumption (AUDIT-C)",
    description=(
        "AUDIT items 1-3, each 0-4, total 0-12. Positive at 4 or more for men and 3 or more for "
        "women; pass the patient's sex as context."
    ),
    items=CONSUMPTION_ITEMS,
    bands=(),
    total_range=(0, 12),
    loinc_panel="72109-2",
    loinc_total="75626-2",
    licence="Public domain.",
    allows_partial=False,
    scorer=score_audit_c,
    flags=(POSITIVE,),
    context_choices=(("sex", ("male", "female", None)),),
)
