"""Recording ASAM level-of-care determinations.

A determination is recorded whole (six ratings with rationale, levels, reason) and never edited;
a new one replaces the patient's current one. Ratings are validated with
``assessments.asam.validate_rating`` and never combined into an average: placement is the
clinician's judgement, driven by the highest-risk dimensions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from assessments import asam
from assessments.models import DimensionRating, LevelOfCareDetermination
from assessments.services._intake import Errors, check_clean, lock_patient, unknown_keys
from clinic import access
from clinic.audit import record_event
from clinic.models import AuditEvent
from patients.models import Patient

RECORD_TYPE = "level_of_care"
RATING_FIELDS = frozenset({"dimension", "rating", "rationale"})


@transaction.atomic
def level_of_care_record(
    *,
    patient: Patient,
    user,
    edition: str,
    ratings: Sequence[Mapping[str, Any]],
    indicated_level: str,
    provided_level: str = "",
    difference_reason: str = "",
    difference_note: str = "",
    assessed_on: dt.date | None = None,
    assessor=None,
) -> LevelOfCareDetermination:
    """Record a determination; it replaces the patient's current one, which is kept.

    ``ratings`` holds one ``{"dimension": "d1".."d6", "rating": 0-4, "rationale": str}`` per
    dimension. ``assessor`` defaults to the acting user and must be someone who may record
    determinations at the patient's site.
    """
    patient = lock_patient(patient)
    assessor = assessor or user
    errors: Errors = {}
    determination = LevelOfCareDetermination(
        patient=patient,
        edition=edition,
        indicated_level=indicated_level,
        provided_level=provided_level or "",
        difference_reason=difference_reason or "",
        difference_note=(difference_note or "").strip(),
        assessed_on=assessed_on or timezone.localdate(),
        assessor=assessor,
        recorded_by=user,
    )
    check_clean(determination, errors, exclude=["patient"])
    if not _may_assess(assessor, patient):
        errors.setdefault("assessor", []).append(
            "Not a clinician who may record determinations at the patient's site."
        )

    rows: list[DimensionRating] = []
    index_of: dict[str, int] = {}
    codes = {d.code for d in asam.dimensions(edition)} if edition in asam.EDITIONS else set()
    for index, row_data in enumerate(ratings):
        prefix = f"ratings[{index}]"
        errors.update(unknown_keys(row_data, RATING_FIELDS, prefix))
        row = DimensionRating(**{k: v for k, v in row_data.items() if k in RATING_FIELDS})
        row.determination = determination
        check_clean(row, errors, prefix=prefix, exclude=["determination"])
        if codes and row.dimension not in codes:
            errors.setdefault(f"{prefix}.dimension", []).append(
                f"Not a dimension of edition {edition}."
            )
        elif row.dimension in index_of:
            errors.setdefault(f"{prefix}.dimension", []).append("This dimension is rated twice.")
        else:
            index_of[row.dimension] = index
        rows.append(row)
    if codes:
        _rating_errors(errors, edition, rows, index_of, determination)
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    previous = (
        LevelOfCareDetermination.objects.select_for_update()
        .filter(patient=patient, is_current=True)
        .first()
    )
    if previous is not None:
        previous.is_current = False
        previous.replaced_at = now
        previous._history_user = user
        previous._change_reason = "replaced by a new determination"
        previous.save(update_fields=["is_current", "replaced_at", "updated_at"])
        determination.replaces = previous
    determination._history_user = user
    determination.save()
    for row in rows:
        row.determination = determination
    bulk_create_with_history(rows, DimensionRating, default_user=user)
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=user,
        object_type=RECORD_TYPE,
        object_id=determination.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"edition {edition}",
    )
    return determination


def _rating_errors(errors, edition, rows, index_of, determination) -> None:
    """Completeness and range of the ratings, from the pure validator, keyed by row."""
    ratings = {code: rows[i].rating for code, i in index_of.items()}
    try:
        asam.validate_rating(
            edition,
            ratings,
            determination.indicated_level,
            determination.provided_level,
            determination.difference_reason,
        )
    except asam.AsamError as exc:
        for key, messages in exc.errors.items():
            if not key.startswith("ratings."):
                continue  # levels and reason: reported by the model's own clean()
            code = key.removeprefix("ratings.")
            where = f"ratings[{index_of[code]}].rating" if code in index_of else key
            if where not in errors:
                errors[where] = list(messages)


def _may_assess(assessor, patient: Patient) -> bool:
    if not access.can(assessor, RECORD_TYPE, "add"):
        return False
    sites = access.visible_site_ids(assessor)
    return sites is access.ALL_SITES or patient.site_id in sites
