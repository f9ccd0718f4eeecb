"""Writes to the substance-use history: a new revision each time, never an edit in place.

``data`` is the whole intake: the record's own fields plus lists of child rows under
``products``, ``other_substances``, ``prior_treatments``, ``medications`` and ``allergies``.
Every row is checked before anything is written; errors are keyed by where they are
(``products[1].unit``), and a bad row means nothing is saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from assessments.models import (
    Allergy,
    CurrentMedication,
    KratomProductUse,
    OtherSubstanceUse,
    PriorTreatment,
    SubstanceHistory,
)
from assessments.services._intake import Errors, check_clean, lock_patient, unknown_keys
from clinic.audit import record_event
from clinic.errors import Conflict
from clinic.models import AuditEvent
from patients.models import Patient

RECORD_TYPE = "substance_history"
CHILDREN: dict[str, type] = {
    "products": KratomProductUse,
    "other_substances": OtherSubstanceUse,
    "prior_treatments": PriorTreatment,
    "medications": CurrentMedication,
    "allergies": Allergy,
}
_NOT_INPUT = {"id", "position", "substance_history"}


def _input_fields(model) -> set[str]:
    return {
        f.name
        for f in model._meta.concrete_fields
        if f.editable and f.name not in _NOT_INPUT and not f.name.startswith("archive")
    }


RECORD_FIELDS = frozenset(_input_fields(SubstanceHistory) - {"patient"})
CHILD_FIELDS = {name: frozenset(_input_fields(model)) for name, model in CHILDREN.items()}


@transaction.atomic
def substance_history_record(
    *, patient: Patient, user, data: Mapping[str, Any]
) -> SubstanceHistory:
    """Record an intake history; it supersedes the patient's current one, if any."""
    patient = lock_patient(patient)
    current = (
        SubstanceHistory.objects.select_for_update()
        .filter(patient=patient, is_current=True)
        .first()
    )
    return _new_revision(patient=patient, user=user, data=data, previous=current)


@transaction.atomic
def substance_history_revise(
    *, history: SubstanceHistory, user, data: Mapping[str, Any]
) -> SubstanceHistory:
    """Revise the current history: the new revision supersedes it, and it stays as it was.

    Revising a superseded revision is a conflict (409): someone revised it in the meantime.
    """
    patient = lock_patient(history.patient)
    history = SubstanceHistory.objects.select_for_update().get(pk=history.pk)
    if not history.is_current:
        current = SubstanceHistory.objects.filter(patient=patient, is_current=True).first()
        raise Conflict(
            "This revision has been superseded; revise the current one.",
            extra={"current_id": str(current.pk) if current else None},
        )
    return _new_revision(patient=patient, user=user, data=data, previous=history)


def _new_revision(
    *, patient: Patient, user, data: Mapping[str, Any], previous: SubstanceHistory | None
) -> SubstanceHistory:
    errors: Errors = unknown_keys(data, RECORD_FIELDS | set(CHILDREN))
    values = {k: v for k, v in data.items() if k in RECORD_FIELDS}
    if isinstance(values.get("goal_in_own_words"), str):
        values["goal_in_own_words"] = values["goal_in_own_words"].strip()
    record = SubstanceHistory(
        patient=patient,
        recorded_by=user,
        revision=(previous.revision + 1) if previous else _next_revision(patient),
        **values,
    )
    # The one-current constraint is kept by the lock and the supersede below.
    check_clean(record, errors, exclude=["patient"])

    rows: dict[str, list] = {}
    for name, model in CHILDREN.items():
        rows[name] = []
        for index, row_data in enumerate(data.get(name) or []):
            prefix = f"{name}[{index}]"
            errors.update(unknown_keys(row_data, CHILD_FIELDS[name], prefix))
            row = model(
                position=index, **{k: v for k, v in row_data.items() if k in CHILD_FIELDS[name]}
            )
            row.substance_history = record
            check_clean(row, errors, prefix=prefix, exclude=["substance_history"])
            rows[name].append(row)
    if errors:
        raise ValidationError(errors)

    now = timezone.now()
    if previous is not None:
        previous.is_current = False
        previous.superseded_at = now
        previous._history_user = user
        previous._change_reason = f"superseded by revision {record.revision}"
        previous.save(update_fields=["is_current", "superseded_at", "updated_at"])
        record.supersedes = previous
    record._history_user = user
    record.save()
    for name, model in CHILDREN.items():
        for row in rows[name]:
            row.substance_history = record
        if rows[name]:
            bulk_create_with_history(rows[name], model, default_user=user)
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=user,
        object_type=RECORD_TYPE,
        object_id=record.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"revision {record.revision}",
    )
    return record


def _next_revision(patient: Patient) -> int:
    last = (
        SubstanceHistory.objects.filter(patient=patient)
        .order_by("-revision")
        .values_list("revision", flat=True)
        .first()
    )
    return (last or 0) + 1
