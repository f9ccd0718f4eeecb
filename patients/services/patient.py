"""Writes to patient records. Each service is one transaction and validates with full_clean()."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from clinic.audit import record_event
from clinic.models import AuditEvent, Site
from patients.models import MrnSequence, Patient


def mrn_allocate(*, site: Site) -> str:
    """Next MRN for the site, e.g. NSH1-000042. Locks the site's counter row for the transaction."""
    with transaction.atomic():
        MrnSequence.objects.get_or_create(site=site)
        seq = MrnSequence.objects.select_for_update().get(site=site)
        seq.last_value += 1
        seq.save(update_fields=["last_value"])
        return f"{site.code}-{seq.last_value:06d}"


@transaction.atomic
def patient_register(
    *,
    site: Site,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    middle_name: str = "",
    preferred_name: str = "",
    created_by=None,
) -> Patient:
    patient = Patient(
        site=site,
        first_name=first_name,
        middle_name=middle_name,
        last_name=last_name,
        preferred_name=preferred_name,
        date_of_birth=date_of_birth,
        created_by=created_by,
        mrn="pending",
    )
    patient.full_clean(exclude=["mrn"])
    patient.mrn = mrn_allocate(site=site)
    patient.save()
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=created_by,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        site_id=site.pk,
    )
    return patient


@transaction.atomic
def patient_archive(*, patient: Patient, user, reason: str) -> Patient:
    """Archive instead of delete: the record stays, hidden from default lists."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.archived_at is None:
        patient.archived_at = timezone.now()
        patient.archived_by = user
        patient.archive_reason = reason[:200]
        patient._change_reason = "archived"
        patient.save(update_fields=["archived_at", "archived_by", "archive_reason", "updated_at"])
        record_event(
            action=AuditEvent.Action.ARCHIVE,
            actor=user,
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            site_id=patient.site_id,
        )
    return patient


@transaction.atomic
def patient_update(*, patient: Patient, user, **changes) -> Patient:
    """Change demographics; history keeps the old values with the acting user."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    for field, value in changes.items():
        setattr(patient, field, value)
    patient.full_clean()
    patient.save()
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail="fields: " + ", ".join(sorted(changes)),
    )
    return patient
