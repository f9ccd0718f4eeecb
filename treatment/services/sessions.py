"""Sessions and notes: drafts, signing (which locks the note), addenda, group rosters and Part 2
counselling notes.

Each service is one transaction, checks the domain rules (the pure ones live in
`treatment.note_rules`), validates with full_clean(), keeps history with the acting user and writes
an audit event. The permission matrix is checked by the callers (API, admin); the rules here are the
ones the matrix cannot express: who authored a note, who may sign which kind, who is on the case.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic import access
from clinic.audit import record_event
from clinic.errors import ClinicError, Conflict
from clinic.models import AuditEvent, Site
from patients.models import CareTeamMember, Patient
from treatment import note_rules
from treatment.models import (
    CounsellingNote,
    CounsellingNoteAddendum,
    GroupAddendum,
    GroupAttendance,
    GroupSession,
    IndividualSession,
    NoteLocked,
    SessionAddendum,
)


class NotAllowed(ClinicError):
    """The role may do this kind of thing, but not to this record (HTTP 403)."""

    status = 403
    title = "Permission denied"
    type = "permission-denied"


COURSE_FIELDS = frozenset({"course_session_number", "course_planned_sessions"})
SESSION_FIELDS = frozenset(
    {
        "session_type",
        "started_at",
        "duration_minutes",
        "modality",
        "appointment_id",
        "objective_ids",
        "note_format",
        *COURSE_FIELDS,
        *note_rules.NOTE_FIELDS,
    }
)
GROUP_FIELDS = frozenset(
    {"topic", "title", "started_at", "duration_minutes", "modality", "summary"}
)
COUNSELLING_FIELDS = frozenset({"occurred_at", "content", "session"})
LOCKED = "This note is signed and locked; add an addendum instead."


# --- helpers -------------------------------------------------------------------------------------


def _only(fields: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({f: ["This field cannot be set here."] for f in sorted(unknown)})


def _works_at(user, site_id: int) -> bool:
    profile = getattr(user, "staff_profile", None)
    return profile is not None and profile.sites.filter(pk=site_id, is_active=True).exists()


def _may_see_site(user, site_id: int) -> bool:
    site_ids = access.visible_site_ids(user)
    return site_ids is access.ALL_SITES or site_id in site_ids


def _model_errors(obj) -> dict[str, list[str]]:
    try:
        obj.full_clean()
    except ValidationError as exc:
        return {
            ("non_field_errors" if k == NON_FIELD_ERRORS else k): v
            for k, v in exc.message_dict.items()
        }
    return {}


def _raise_if(errors: Mapping[str, list[str]]) -> None:
    if errors:
        raise ValidationError(dict(errors))


def _stamp(obj, user, reason: str = "") -> None:
    """History rows carry the acting user even outside a request (shell, admin actions, tests)."""
    obj._history_user = user
    if reason:
        obj._change_reason = reason


def _audit(user, *, action: str, object_type: str, obj, patient_id, site_id, detail: str) -> None:
    record_event(
        action=action,
        actor=user,
        object_type=object_type,
        object_id=obj.pk,
        patient_id=patient_id,
        site_id=site_id,
        detail=detail,
    )


def _normalise_objective_ids(value) -> tuple[list[str] | None, list[str]]:
    """A list of distinct UUIDs (as strings), or None; errors say what is wrong without echoing."""
    if value is None:
        return None, []
    if not isinstance(value, list | tuple):
        return None, ["Send a list of objective ids (UUIDs)."]
    ids: list[str] = []
    for item in value:
        try:
            text = str(uuid.UUID(str(item)))
        except ValueError:
            return None, ["Each objective id must be a UUID."]
        if text not in ids:
            ids.append(text)
    return ids, []


def _clean_text_fields(fields: dict[str, Any], names: Iterable[str]) -> None:
    for name in names:
        if isinstance(fields.get(name), str):
            fields[name] = fields[name].strip()


# --- individual sessions -------------------------------------------------------------------------


def _number_in_course(session: IndividualSession) -> dict[str, list[str]]:
    """Fill in defaults (next number, the course's planned count or the setting) and check."""
    if session.session_type not in note_rules.COURSE_TYPES:
        return note_rules.course_errors(
            session_type=session.session_type,
            number=session.course_session_number,
            planned=session.course_planned_sessions,
            used=(),
        )
    course = (
        IndividualSession.objects.active()
        .filter(patient_id=session.patient_id, session_type=session.session_type)
        .exclude(pk=session.pk)
        .exclude(course_session_number=None)
    )
    used = set(course.values_list("course_session_number", flat=True))
    if session.course_planned_sessions is None:
        current = (
            course.order_by("-course_session_number")
            .values_list("course_planned_sessions", flat=True)
            .first()
        )
        session.course_planned_sessions = (
            current or settings.TREATMENT_COURSE_PLANNED_SESSIONS[session.session_type]
        )
    if session.course_session_number is None:
        session.course_session_number = note_rules.next_course_number(used)
    return note_rules.course_errors(
        session_type=session.session_type,
        number=session.course_session_number,
        planned=session.course_planned_sessions,
        used=used,
    )


def _apply_session_fields(session: IndividualSession, fields: dict[str, Any]) -> None:
    errors: dict[str, list[str]] = {}
    _clean_text_fields(fields, note_rules.NOTE_FIELDS)
    if "objective_ids" in fields:
        fields["objective_ids"], problems = _normalise_objective_ids(fields["objective_ids"])
        if problems:
            errors["objective_ids"] = problems
    for name, value in fields.items():
        setattr(session, name, value)
    errors.update(
        note_rules.note_format_errors(
            session.note_format,
            {n: getattr(session, n) for n in note_rules.NOTE_FIELDS},
            require=False,
        )
    )
    if session.session_type in IndividualSession.SessionType.values:
        errors.update(_number_in_course(session))
    _raise_if({**_model_errors(session), **errors})


@transaction.atomic
def session_create(*, patient: Patient, user, **fields: Any) -> IndividualSession:
    """Draft a session note. The author is `user`, who must work at the patient's site; CBT and MET
    sessions get the next number in the patient's course unless one is given."""
    _only(fields, SESSION_FIELDS)
    # The patient row is the lock that keeps two simultaneous drafts from taking the same number.
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.archived_at is not None:
        raise ValidationError({"patient": ["This patient's record is archived."]})
    if not _works_at(user, patient.site_id):
        raise ValidationError({"patient": ["You do not work at this patient's site."]})
    session = IndividualSession(patient=patient, author=user)
    _apply_session_fields(session, dict(fields))
    _stamp(session, user)
    session.save()
    _audit(
        user,
        action=AuditEvent.Action.CREATE,
        object_type="session_note",
        obj=session,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"draft {session.session_type}",
    )
    return session


@transaction.atomic
def session_update(*, session: IndividualSession, user, **changes: Any) -> IndividualSession:
    """Change a draft. Only its author may; a signed note is locked (409)."""
    _only(changes, SESSION_FIELDS)
    Patient.objects.select_for_update().get(pk=session.patient_id)
    session = IndividualSession.objects.select_for_update().get(pk=session.pk)
    if session.is_signed:
        raise NoteLocked(LOCKED)
    if session.author_id != user.pk:
        raise NotAllowed("Only the author may edit a draft note.")
    changes = dict(changes)
    _clean_text_fields(changes, note_rules.NOTE_FIELDS)
    if "objective_ids" in changes:
        changes["objective_ids"], problems = _normalise_objective_ids(changes["objective_ids"])
        _raise_if({"objective_ids": problems} if problems else {})
    changes = {k: v for k, v in changes.items() if getattr(session, k) != v}
    if not changes:
        return session
    if "session_type" in changes and not changes.keys() & COURSE_FIELDS:
        # Another kind of session: renumber in its own course rather than carry the old number.
        session.course_session_number = session.course_planned_sessions = None
    _apply_session_fields(session, dict(changes))
    _stamp(session, user)
    session.save()
    _audit(
        user,
        action=AuditEvent.Action.UPDATE,
        object_type="session_note",
        obj=session,
        patient_id=session.patient_id,
        site_id=session.patient.site_id,
        detail="fields: " + ", ".join(sorted(changes)),
    )
    return session


def session_sign_refusal(*, session: IndividualSession, user) -> str | None:
    """Why `user` may not sign `session` (for the admin to hide its button), or None."""
    return note_rules.sign_refusal(
        session_type=session.session_type,
        roles=access.user_roles(user),
        is_author=session.author_id == user.pk,
    )


@transaction.atomic
def session_sign(*, session: IndividualSession, user) -> IndividualSession:
    """Sign and lock the note. Counselling types need a clinician (403 for medical staff); the
    format's fields must all be filled (400); a signed note cannot be signed again (409)."""
    session = (
        IndividualSession.objects.select_for_update().select_related("patient").get(pk=session.pk)
    )
    refusal = session_sign_refusal(session=session, user=user)
    if refusal:
        raise NotAllowed(refusal)
    if session.is_signed:
        raise Conflict("This note is already signed.")
    errors = note_rules.note_format_errors(
        session.note_format,
        {n: getattr(session, n) for n in note_rules.NOTE_FIELDS},
        require=True,
    )
    if session.started_at > timezone.now():
        errors["started_at"] = ["A note cannot be signed before its session has started."]
    _raise_if(errors)
    session.signed_at = timezone.now()
    session.signed_by = user
    _stamp(session, user, "signed")
    session.save(update_fields=["signed_at", "signed_by", "updated_at"])
    _audit(
        user,
        action=AuditEvent.Action.UPDATE,
        object_type="session_note",
        obj=session,
        patient_id=session.patient_id,
        site_id=session.patient.site_id,
        detail="signed",
    )
    return session


def _new_addendum(model, *, user, text: str, reason: str, **links):
    addendum = model(author=user, text=(text or "").strip(), reason=(reason or "").strip(), **links)
    _raise_if(_model_errors(addendum))
    _stamp(addendum, user)
    addendum.save()
    return addendum


@transaction.atomic
def session_addendum_add(
    *, session: IndividualSession, user, text: str, reason: str
) -> SessionAddendum:
    """Add to a signed note (the only change a signed note takes). By its author or a clinician."""
    session = (
        IndividualSession.objects.select_for_update().select_related("patient").get(pk=session.pk)
    )
    if session.author_id != user.pk and access.Role.CLINICIAN not in access.user_roles(user):
        raise NotAllowed("Only the author or a clinician may add an addendum.")
    if not session.is_signed:
        raise Conflict("A draft is edited, not amended: addenda follow signing.")
    addendum = _new_addendum(SessionAddendum, user=user, text=text, reason=reason, session=session)
    _audit(
        user,
        action=AuditEvent.Action.CREATE,
        object_type="session_addendum",
        obj=addendum,
        patient_id=session.patient_id,
        site_id=session.patient.site_id,
        detail="addendum",
    )
    return addendum


# --- group sessions ------------------------------------------------------------------------------


def _facilitator_errors(site_id: int, facilitators) -> dict[str, list[str]]:
    people = list(dict.fromkeys(facilitators))
    if not 1 <= len(people) <= 2:
        return {"facilitators": ["A group has one or two facilitators."]}
    if not all(_works_at(person, site_id) for person in people):
        return {"facilitators": ["Each facilitator must work at the group's site."]}
    return {}


def _apply_attendance(group: GroupSession, user, rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Add, change or (with `removed`) archive roster rows. Returns what changed, for the audit."""
    rows = list(rows)
    current = {
        row.patient_id: row
        for row in GroupAttendance.objects.select_for_update().filter(
            group=group, archived_at__isnull=True
        )
    }
    errors: list[str] = []
    seen: set = set()
    changed: list[str] = []
    for number, item in enumerate(rows, start=1):
        patient = item["patient"]
        if patient.pk in seen:
            errors.append(f"Row {number}: this patient is listed twice.")
            continue
        seen.add(patient.pk)
        if not _may_see_site(user, patient.site_id) or patient.archived_at is not None:
            errors.append(f"Row {number}: unknown patient.")
            continue
        row = current.get(patient.pk)
        if item.get("removed"):
            if row is None:
                errors.append(f"Row {number}: this patient is not on the roster.")
                continue
            row.archived_at, row.archived_by = timezone.now(), user
            row.archive_reason = "removed from roster"
            _stamp(row, user, "removed from roster")
            row.save()
            del current[patient.pk]
            changed.append("removed")
            continue
        if row is None:
            row = GroupAttendance(group=group, patient=patient, status="")
        status = item.get("status", row.status)
        note = (item.get("note", row.note) or "").strip()
        if row.pk is not None and (row.status, row.note) == (status, note):
            continue
        row.status, row.note = status, note
        problems = _model_errors(row)
        problems.pop("non_field_errors", None)
        if problems:
            errors.extend(
                f"Row {number}: {field}: {' '.join(msgs)}" for field, msgs in problems.items()
            )
            continue
        changed.append("changed" if row.pk else "added")
        _stamp(row, user)
        row.save()
        current[patient.pk] = row
    limit = settings.TREATMENT_GROUP_MAX_PATIENTS
    if len(current) > limit:
        errors.append(f"A group takes at most {limit} patients.")
    if errors:
        raise ValidationError({"attendance": errors})
    return changed


@transaction.atomic
def group_session_create(
    *,
    site: Site,
    user,
    facilitators: Iterable,
    attendance: Iterable[Mapping[str, Any]] = (),
    **fields: Any,
) -> GroupSession:
    """Record a group with its facilitators (1-2, working at the site) and its roster rows
    (`{"patient", "status", "note"}`), up to TREATMENT_GROUP_MAX_PATIENTS."""
    _only(fields, GROUP_FIELDS)
    if not _works_at(user, site.pk):
        raise ValidationError({"site": ["You do not work at this site."]})
    fields = dict(fields)
    _clean_text_fields(fields, ("title", "summary"))
    group = GroupSession(site=site, created_by=user, **fields)
    facilitators = list(facilitators)
    _raise_if({**_model_errors(group), **_facilitator_errors(site.pk, facilitators)})
    _stamp(group, user)
    group.save()
    group.facilitators.set(facilitators)
    _apply_attendance(group, user, attendance)
    _audit(
        user,
        action=AuditEvent.Action.CREATE,
        object_type="group_session",
        obj=group,
        patient_id=None,
        site_id=site.pk,
        detail=f"group {group.topic}",
    )
    return group


def may_edit_group(group: GroupSession, user) -> bool:
    return group.created_by_id == user.pk or group.facilitators.filter(pk=user.pk).exists()


@transaction.atomic
def group_session_update(
    *,
    group: GroupSession,
    user,
    facilitators: Iterable | None = None,
    attendance: Iterable[Mapping[str, Any]] | None = None,
    **changes: Any,
) -> GroupSession:
    """Change an unsigned group: its details, facilitators and roster rows. By its author or a
    facilitator; a signed group is locked (409)."""
    _only(changes, GROUP_FIELDS)
    group = GroupSession.objects.select_for_update().get(pk=group.pk)
    if group.is_signed:
        raise NoteLocked(LOCKED)
    if not may_edit_group(group, user):
        raise NotAllowed("Only the group's facilitators or its author may edit it.")
    changes = dict(changes)
    _clean_text_fields(changes, ("title", "summary"))
    changed = sorted(k for k, v in changes.items() if getattr(group, k) != v)
    for name in changed:
        setattr(group, name, changes[name])
    errors = _model_errors(group) if changed else {}
    if facilitators is not None:
        facilitators = list(facilitators)
        errors.update(_facilitator_errors(group.site_id, facilitators))
    _raise_if(errors)
    if changed:
        _stamp(group, user)
        group.save()
    if facilitators is not None and set(facilitators) != set(group.facilitators.all()):
        group.facilitators.set(facilitators)
        changed.append("facilitators")
    if attendance is not None and _apply_attendance(group, user, attendance):
        changed.append("attendance")
    if changed:
        _audit(
            user,
            action=AuditEvent.Action.UPDATE,
            object_type="group_session",
            obj=group,
            patient_id=None,
            site_id=group.site_id,
            detail="fields: " + ", ".join(changed),
        )
    return group


def group_sign_refusal(*, group: GroupSession, user) -> str | None:
    """Group notes are counselling notes: a facilitator who is a clinician signs them."""
    if access.Role.CLINICIAN not in access.user_roles(user):
        return "Only a clinician may sign a group note."
    if not group.facilitators.filter(pk=user.pk).exists():
        return "Only one of the group's facilitators may sign its note."
    return None


@transaction.atomic
def group_session_sign(*, group: GroupSession, user) -> GroupSession:
    """Sign and lock the group note and its roster. Needs a summary and at least one row."""
    group = GroupSession.objects.select_for_update().get(pk=group.pk)
    refusal = group_sign_refusal(group=group, user=user)
    if refusal:
        raise NotAllowed(refusal)
    if group.is_signed:
        raise Conflict("This group note is already signed.")
    errors: dict[str, list[str]] = {}
    if not group.summary.strip():
        errors["summary"] = ["A group note needs a summary before it is signed."]
    if not group.attendance.filter(archived_at__isnull=True).exists():
        errors["attendance"] = ["Record at least one patient's attendance before signing."]
    if group.started_at > timezone.now():
        errors["started_at"] = ["A note cannot be signed before its session has started."]
    _raise_if(errors)
    group.signed_at = timezone.now()
    group.signed_by = user
    _stamp(group, user, "signed")
    group.save(update_fields=["signed_at", "signed_by", "updated_at"])
    _audit(
        user,
        action=AuditEvent.Action.UPDATE,
        object_type="group_session",
        obj=group,
        patient_id=None,
        site_id=group.site_id,
        detail="signed",
    )
    return group


@transaction.atomic
def group_addendum_add(
    *, group: GroupSession, user, text: str, reason: str, patient: Patient | None = None
) -> GroupAddendum:
    """Add to a signed group note; with `patient`, the addendum is about that patient's row only
    (and shows in their record). By a facilitator or a clinician."""
    group = GroupSession.objects.select_for_update().get(pk=group.pk)
    clinician = access.Role.CLINICIAN in access.user_roles(user)
    if not clinician and not group.facilitators.filter(pk=user.pk).exists():
        raise NotAllowed("Only a facilitator or a clinician may add an addendum.")
    if not group.is_signed:
        raise Conflict("A draft is edited, not amended: addenda follow signing.")
    row = None
    if patient is not None:
        row = (
            GroupAttendance.objects.filter(group=group, patient=patient, archived_at__isnull=True)
            .select_related("patient")
            .first()
        )
        if row is None or not _may_see_site(user, row.patient.site_id):
            raise ValidationError({"patient": ["This patient is not on the group's roster."]})
    addendum = _new_addendum(
        GroupAddendum, user=user, text=text, reason=reason, group=group, attendance=row
    )
    _audit(
        user,
        action=AuditEvent.Action.CREATE,
        object_type="group_addendum",
        obj=addendum,
        patient_id=row.patient_id if row else None,
        site_id=group.site_id,
        detail="addendum",
    )
    return addendum


# --- Part 2 counselling notes --------------------------------------------------------------------


def on_care_team(user, patient: Patient, *, on: dt.date | None = None) -> bool:
    """The patient's primary clinician, or an active care-team member today."""
    if patient.primary_clinician_id == user.pk:
        return True
    on = on or timezone.localdate()
    return (
        CareTeamMember.objects.filter(patient=patient, staff=user, start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .exists()
    )


def _check_session_link(fields: Mapping[str, Any], patient_id) -> None:
    session = fields.get("session")
    if session is not None and session.patient_id != patient_id:
        raise ValidationError({"session": ["Choose a session of the same patient."]})


@transaction.atomic
def counselling_note_create(*, patient: Patient, user, **fields: Any) -> CounsellingNote:
    """Draft a Part 2 counselling note. Only clinicians on the patient's care team write them."""
    _only(fields, COUNSELLING_FIELDS)
    if access.Role.CLINICIAN not in access.user_roles(user) or not on_care_team(user, patient):
        raise NotAllowed("Only clinicians on the patient's care team may write counselling notes.")
    if patient.archived_at is not None:
        raise ValidationError({"patient": ["This patient's record is archived."]})
    fields = dict(fields)
    _clean_text_fields(fields, ("content",))
    _check_session_link(fields, patient.pk)
    note = CounsellingNote(patient=patient, author=user, **fields)
    _raise_if(_model_errors(note))
    _stamp(note, user)
    note.save()
    _audit(
        user,
        action=AuditEvent.Action.CREATE,
        object_type="counselling_note",
        obj=note,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail="draft",
    )
    return note


@transaction.atomic
def counselling_note_update(*, note: CounsellingNote, user, **changes: Any) -> CounsellingNote:
    _only(changes, COUNSELLING_FIELDS)
    note = CounsellingNote.objects.select_for_update().select_related("patient").get(pk=note.pk)
    if note.is_signed:
        raise NoteLocked(LOCKED)
    if note.author_id != user.pk:
        raise NotAllowed("Only the author may edit a draft note.")
    changes = dict(changes)
    _clean_text_fields(changes, ("content",))
    _check_session_link(changes, note.patient_id)
    changed = sorted(k for k, v in changes.items() if getattr(note, k) != v)
    if not changed:
        return note
    for name in changed:
        setattr(note, name, changes[name])
    _raise_if(_model_errors(note))
    _stamp(note, user)
    note.save()
    _audit(
        user,
        action=AuditEvent.Action.UPDATE,
        object_type="counselling_note",
        obj=note,
        patient_id=note.patient_id,
        site_id=note.patient.site_id,
        detail="fields: " + ", ".join(changed),
    )
    return note


@transaction.atomic
def counselling_note_sign(*, note: CounsellingNote, user) -> CounsellingNote:
    """The author, a clinician, signs and locks the note."""
    note = CounsellingNote.objects.select_for_update().select_related("patient").get(pk=note.pk)
    if note.author_id != user.pk or access.Role.CLINICIAN not in access.user_roles(user):
        raise NotAllowed("Only the author, a clinician, may sign a counselling note.")
    if note.is_signed:
        raise Conflict("This note is already signed.")
    if note.occurred_at > timezone.now():
        raise ValidationError(
            {"occurred_at": ["A note cannot be signed before its session has started."]}
        )
    note.signed_at = timezone.now()
    note.signed_by = user
    _stamp(note, user, "signed")
    note.save(update_fields=["signed_at", "signed_by", "updated_at"])
    _audit(
        user,
        action=AuditEvent.Action.UPDATE,
        object_type="counselling_note",
        obj=note,
        patient_id=note.patient_id,
        site_id=note.patient.site_id,
        detail="signed",
    )
    return note


@transaction.atomic
def counselling_note_addendum_add(
    *, note: CounsellingNote, user, text: str, reason: str
) -> CounsellingNoteAddendum:
    """Add to a signed counselling note; by anyone the Part 2 rule lets read it."""
    if not CounsellingNote.objects.visible_to(user).filter(pk=note.pk).exists():
        raise NotAllowed("Only the author or the patient's care team may add to this note.")
    note = CounsellingNote.objects.select_for_update().select_related("patient").get(pk=note.pk)
    if not note.is_signed:
        raise Conflict("A draft is edited, not amended: addenda follow signing.")
    addendum = _new_addendum(
        CounsellingNoteAddendum, user=user, text=text, reason=reason, note=note
    )
    _audit(
        user,
        action=AuditEvent.Action.CREATE,
        object_type="counselling_addendum",
        obj=addendum,
        patient_id=note.patient_id,
        site_id=note.patient.site_id,
        detail="addendum",
    )
    return addendum
