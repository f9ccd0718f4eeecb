"""Writes to the patient record: registration, demographics, status, care team, merge, archive.

Each service is one transaction, validates with full_clean(), and writes the audit event.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import record_event
from clinic.errors import Conflict
from clinic.models import AuditEvent, Site
from patients.duplicates import find_duplicates
from patients.models import CareTeamMember, Episode, MrnSequence, Patient, StatusEvent
from patients.validation import normalize_phone, search_name_for

# Fields a caller may set on registration or update (status, MRN and site move by their own rules).
DEMOGRAPHIC_FIELDS = frozenset(
    {
        "first_name",
        "middle_name",
        "last_name",
        "preferred_name",
        "date_of_birth",
        "sex_at_birth",
        "gender_identity",
        "pronouns",
        "preferred_language",
        "interpreter_needed",
        "phone_mobile",
        "phone_home",
        "email",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "preferred_contact_method",
        "consent_to_text",
        "consent_to_voicemail",
        "referral_source",
        "referral_notes",
        "primary_clinician",
    }
)
# Changes to these fields re-run the duplicate check.
IDENTITY_FIELDS = frozenset(
    {"first_name", "last_name", "date_of_birth", "phone_mobile", "phone_home", "email"}
)

S = Patient.Status
ALLOWED_TRANSITIONS: Mapping[str, frozenset[str]] = {
    S.REFERRAL: frozenset({S.INTAKE_SCHEDULED, S.INTAKE_IN_PROGRESS, S.DISCHARGED}),
    S.INTAKE_SCHEDULED: frozenset({S.INTAKE_IN_PROGRESS, S.REFERRAL, S.DISCHARGED}),
    S.INTAKE_IN_PROGRESS: frozenset({S.ACTIVE, S.DISCHARGED}),
    S.ACTIVE: frozenset({S.DISCHARGED}),
    S.DISCHARGED: frozenset({S.READMITTED}),
    S.READMITTED: frozenset({S.INTAKE_SCHEDULED, S.INTAKE_IN_PROGRESS, S.DISCHARGED}),
}


def allowed_next_statuses(status: str) -> list[str]:
    return sorted(ALLOWED_TRANSITIONS.get(status, ()))


def mrn_allocate(*, site: Site) -> str:
    """Next MRN for the site, e.g. NSH1-000042. Locks the site's counter row for the transaction."""
    with transaction.atomic():
        MrnSequence.objects.get_or_create(site=site)
        seq = MrnSequence.objects.select_for_update().get(site=site)
        seq.last_value += 1
        seq.save(update_fields=["last_value"])
        return f"{site.code}-{seq.last_value:06d}"


def _clean_fields(values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - DEMOGRAPHIC_FIELDS
    if unknown:
        raise ValidationError(
            {name: ["This field cannot be set here."] for name in sorted(unknown)}
        )
    cleaned = dict(values)
    errors: dict[str, list[str]] = {}
    for field in ("phone_mobile", "phone_home"):
        if field in cleaned:
            try:
                cleaned[field] = normalize_phone(cleaned[field] or "", field=field)
            except ValidationError as exc:
                errors.update(exc.message_dict)
    if cleaned.get("email"):
        cleaned["email"] = cleaned["email"].strip().lower()
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_duplicates(patient: Patient, *, exclude_id=None) -> None:
    candidates = find_duplicates(
        first_name=patient.first_name,
        last_name=patient.last_name,
        date_of_birth=patient.date_of_birth,
        phones=(patient.phone_mobile, patient.phone_home),
        email=patient.email,
        exclude_id=exclude_id,
    )
    if candidates:
        raise Conflict(
            "Possible duplicate patients found. Review them; to go ahead, resend with "
            "confirm_not_duplicate set to true.",
            extra={"candidates": [c.public() for c in candidates]},
        )


def _check_primary_clinician(patient: Patient) -> None:
    """The primary clinician must be a clinician who works at the patient's site."""
    user = patient.primary_clinician
    if user is None:
        return
    from clinic import access

    works_here = (
        user.staff_profile.sites.filter(pk=patient.site_id).exists()
        if hasattr(user, "staff_profile")
        else False
    )
    if access.Role.CLINICIAN not in access.user_roles(user) or not works_here:
        raise ValidationError(
            {"primary_clinician": ["Choose a clinician who works at the patient's site."]}
        )


def _refresh_search_name(patient: Patient) -> None:
    patient.search_name = search_name_for(
        patient.first_name, patient.middle_name, patient.last_name, patient.preferred_name
    )


@transaction.atomic
def patient_register(
    *,
    site: Site,
    created_by=None,
    confirm_not_duplicate: bool = False,
    effective_on: dt.date | None = None,
    **demographics: Any,
) -> Patient:
    """Register a new patient at `site`: duplicate check, MRN, first episode and status event."""
    patient = Patient(
        site=site, created_by=created_by, mrn="pending", **_clean_fields(demographics)
    )
    _refresh_search_name(patient)
    patient.full_clean(exclude=["mrn"])
    _check_primary_clinician(patient)
    if not confirm_not_duplicate:
        _check_duplicates(patient)
    patient.mrn = mrn_allocate(site=site)
    patient.save()
    started = effective_on or timezone.localdate()
    episode = Episode.objects.create(patient=patient, number=1, started_on=started)
    StatusEvent.objects.create(
        patient=patient,
        episode=episode,
        from_status="",
        to_status=patient.status,
        effective_on=started,
        recorded_by=created_by,
    )
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=created_by,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        site_id=site.pk,
        detail="registered" + (" (duplicate warning overridden)" if confirm_not_duplicate else ""),
    )
    return patient


@transaction.atomic
def patient_update(
    *, patient: Patient, user, confirm_not_duplicate: bool = False, **changes: Any
) -> Patient:
    """Change demographics; re-check duplicates when identity fields change. History keeps the old
    values with the acting user."""
    changes = _clean_fields(changes)
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    changed = {f for f, v in changes.items() if getattr(patient, f) != v}
    for field in changed:
        setattr(patient, field, changes[field])
    if not changed:
        return patient
    _refresh_search_name(patient)
    patient.full_clean()
    if "primary_clinician" in changed:
        _check_primary_clinician(patient)
    if changed & IDENTITY_FIELDS and not confirm_not_duplicate:
        _check_duplicates(patient, exclude_id=patient.pk)
    patient.save()
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail="fields: " + ", ".join(sorted(changed)),
    )
    return patient


@transaction.atomic
def patient_transition(
    *,
    patient: Patient,
    to_status: str,
    user,
    effective_on: dt.date | None = None,
    reason: str = "",
    note: str = "",
) -> Patient:
    """Move a patient along the status lifecycle through the one table of allowed moves.

    Discharge needs a reason and closes the episode; readmission opens a new episode and keeps the
    old one. An illegal move is a Conflict naming the allowed next states.
    """
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if to_status not in Patient.Status.values:
        raise ValidationError({"to_status": ["Unknown status."]})
    allowed = allowed_next_statuses(patient.status)
    if to_status not in allowed:
        raise Conflict(
            f"A patient in status '{patient.status}' cannot move to '{to_status}'.",
            extra={"current_status": patient.status, "allowed": allowed},
        )
    today = timezone.localdate()
    effective_on = effective_on or today
    episode = patient.episodes.order_by("-number").first()
    errors: dict[str, list[str]] = {}
    if effective_on > today:
        errors["effective_on"] = ["The date cannot be in the future."]
    elif to_status != S.READMITTED and effective_on < episode.started_on:
        errors["effective_on"] = ["The date cannot be before the current episode started."]
    elif (
        to_status == S.READMITTED and episode.discharged_on and effective_on < episode.discharged_on
    ):
        errors["effective_on"] = ["Readmission cannot be before the last discharge."]
    if to_status == S.DISCHARGED and reason not in Episode.DischargeReason.values:
        errors["reason"] = [
            "A discharge needs a reason: " + ", ".join(Episode.DischargeReason.values) + "."
        ]
    if errors:
        raise ValidationError(errors)

    if to_status == S.DISCHARGED:
        episode.discharged_on = effective_on
        episode.discharge_reason = reason
        episode.full_clean()
        episode.save()
    elif to_status == S.READMITTED:
        episode = Episode.objects.create(
            patient=patient, number=episode.number + 1, started_on=effective_on
        )
    StatusEvent.objects.create(
        patient=patient,
        episode=episode,
        from_status=patient.status,
        to_status=to_status,
        effective_on=effective_on,
        reason=reason[:30],
        note=note[:200],
        recorded_by=user,
    )
    patient.status = to_status
    patient._change_reason = f"status: {to_status}"
    patient.save(update_fields=["status", "updated_at"])
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type="patient",
        object_id=patient.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"status -> {to_status}",
    )
    return patient


@transaction.atomic
def care_team_add(
    *, patient: Patient, staff, role: str, user, start_date: dt.date | None = None
) -> CareTeamMember:
    member = CareTeamMember(
        patient=patient, staff=staff, role=role, start_date=start_date or timezone.localdate()
    )
    member.full_clean()
    member.save()
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type="care_team",
        object_id=member.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"care team + {role}",
    )
    return member


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
