"""Emergency contacts and insurance coverage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.audit import record_event
from clinic.models import AuditEvent
from patients.models import Coverage, EmergencyContact, Patient
from patients.validation import normalize_phone

CONTACT_FIELDS = frozenset({"name", "relationship", "phone", "is_primary"})
COVERAGE_FIELDS = frozenset(
    {
        "payer_name",
        "plan_name",
        "member_id",
        "group_number",
        "subscriber_name",
        "subscriber_relationship",
        "priority",
        "effective_date",
        "end_date",
    }
)


def _audit(user, obj, action: str, detail: str) -> None:
    record_event(
        action=action,
        actor=user,
        object_type=type(obj).__name__.lower(),
        object_id=obj.pk,
        patient_id=obj.patient_id,
        site_id=obj.patient.site_id,
        detail=detail,
    )


def _only(fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({f: ["This field cannot be set here."] for f in sorted(unknown)})


def _set_contact(contact: EmergencyContact, fields: dict[str, Any]) -> None:
    _only(fields, CONTACT_FIELDS)
    for key, value in fields.items():
        setattr(contact, key, normalize_phone(value) if key == "phone" else value)
    contact.full_clean()
    if contact.is_primary:
        # One primary contact: the new one takes over, the old one keeps its history.
        for other in (
            contact.patient.emergency_contacts.active()
            .filter(is_primary=True)
            .exclude(pk=contact.pk)
        ):
            other.is_primary = False
            other.save(update_fields=["is_primary", "updated_at"])
    contact.save()


@transaction.atomic
def emergency_contact_add(*, patient: Patient, user, **fields: Any) -> EmergencyContact:
    contact = EmergencyContact(patient=patient)
    _set_contact(contact, fields)
    _audit(user, contact, AuditEvent.Action.CREATE, "emergency contact added")
    return contact


@transaction.atomic
def emergency_contact_update(*, contact: EmergencyContact, user, **fields: Any) -> EmergencyContact:
    contact = EmergencyContact.objects.select_for_update().get(pk=contact.pk)
    _set_contact(contact, fields)
    _audit(user, contact, AuditEvent.Action.UPDATE, "fields: " + ", ".join(sorted(fields)))
    return contact


def overlapping_primaries(coverage: Coverage):
    """Active primary coverages of the patient whose dates overlap this one's."""
    qs = Coverage.objects.active().filter(
        patient_id=coverage.patient_id, priority=Coverage.Priority.PRIMARY
    )
    if coverage.pk:
        qs = qs.exclude(pk=coverage.pk)
    if coverage.end_date is not None:
        qs = qs.filter(effective_date__lte=coverage.end_date)
    return qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=coverage.effective_date))


def _save_coverage(coverage: Coverage, fields: dict[str, Any]) -> None:
    _only(fields, COVERAGE_FIELDS)
    for key, value in fields.items():
        setattr(coverage, key, value)
    coverage.full_clean()
    if coverage.priority == Coverage.Priority.PRIMARY and overlapping_primaries(coverage).exists():
        raise ValidationError(
            {"effective_date": ["These dates overlap another primary coverage of this patient."]}
        )
    coverage.save()


@transaction.atomic
def coverage_add(*, patient: Patient, user, **fields: Any) -> Coverage:
    # Lock the patient so two simultaneous primaries cannot both pass the overlap check.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    coverage = Coverage(patient=patient)
    _save_coverage(coverage, fields)
    _audit(user, coverage, AuditEvent.Action.CREATE, "coverage added")
    return coverage


@transaction.atomic
def coverage_update(*, coverage: Coverage, user, **fields: Any) -> Coverage:
    Patient.objects.select_for_update().get(pk=coverage.patient_id)
    coverage = Coverage.objects.select_for_update().get(pk=coverage.pk)
    _save_coverage(coverage, fields)
    _audit(user, coverage, AuditEvent.Action.UPDATE, "fields: " + ", ".join(sorted(fields)))
    return coverage


@transaction.atomic
def record_archive(*, obj: EmergencyContact | Coverage, user, reason: str) -> Any:
    """Archive a contact or coverage row; it keeps its history and drops out of default lists."""
    obj = type(obj).objects.select_for_update().get(pk=obj.pk)
    if obj.archived_at is None:
        obj.archived_at = timezone.now()
        obj.archived_by = user
        obj.archive_reason = reason[:200]
        obj._change_reason = "archived"
        obj.save()
        _audit(user, obj, AuditEvent.Action.ARCHIVE, "archived")
    return obj


def coverage_in_force(patient: Patient, on: dt.date | None = None):
    on = on or timezone.localdate()
    return (
        Coverage.objects.active()
        .filter(patient=patient, effective_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
    )
