"""Merging a confirmed duplicate into the surviving record, losing nothing."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from clinic.audit import record_event
from clinic.models import AuditEvent
from patients.models import CareTeamMember, Episode, Patient


def _movable_relations():
    """Every foreign key to Patient from any app, except history tables and the merge pointer.

    Discovered at run time so records added by later modules (assessments, plans, ...) move too.
    """
    for rel in Patient._meta.related_objects:
        model = rel.related_model
        if not rel.one_to_many or rel.field.name == "merged_into":
            continue
        if model.__name__.startswith("Historical"):
            continue
        yield model, rel.field


@transaction.atomic
def patient_merge(*, survivor: Patient, duplicate: Patient, user, reason: str) -> Patient:
    """Move all records of `duplicate` onto `survivor`, archive the duplicate with a pointer, audit.

    Rows are re-saved one by one (not bulk-updated) so each move leaves a history row.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError({"duplicate": ["A patient cannot be merged into itself."]})
    if not reason.strip():
        raise ValidationError({"reason": ["Say why these records are the same person."]})
    # Lock both rows in a fixed order so two merges cannot deadlock.
    locked = {
        p.pk: p
        for p in Patient.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    if duplicate.archived_at is not None or duplicate.merged_into_id:
        raise ValidationError({"duplicate": ["This record is archived or already merged."]})
    if survivor.archived_at is not None:
        raise ValidationError({"survivor": ["The surviving record is archived."]})

    moved = 0
    note = f"merged from {duplicate.mrn}"
    next_episode = (survivor.episodes.aggregate(m=Max("number"))["m"] or 0) + 1
    for episode in Episode.objects.filter(patient=duplicate).order_by("number"):
        episode.number = next_episode
        next_episode += 1
        episode.patient = survivor
        episode._change_reason = note
        episode.save()
        moved += 1
    today = timezone.localdate()
    for member in CareTeamMember.objects.filter(patient=duplicate, end_date__isnull=True):
        clash = CareTeamMember.objects.filter(
            patient=survivor, staff=member.staff, role=member.role, end_date__isnull=True
        ).exists()
        if clash:
            member.end_date = today
            member._change_reason = note
            member.save()
    for model, field in _movable_relations():
        if model is Episode:
            continue
        for obj in model._base_manager.filter(**{field.name: duplicate}):
            setattr(obj, field.name, survivor)
            obj._change_reason = note
            obj.save()
            moved += 1

    duplicate.merged_into = survivor
    duplicate.archived_at = timezone.now()
    duplicate.archived_by = user
    duplicate.archive_reason = f"merged into {survivor.mrn}"
    duplicate._change_reason = f"merged into {survivor.mrn}"
    duplicate.save()
    for patient, detail in ((survivor, note), (duplicate, f"merged into {survivor.mrn}")):
        record_event(
            action=AuditEvent.Action.UPDATE,
            actor=user,
            object_type="patient",
            object_id=patient.pk,
            patient_id=patient.pk,
            site_id=patient.site_id,
            detail=f"{detail}; {moved} related record(s) moved",
        )
    return survivor
