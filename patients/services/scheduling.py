"""Booking, rescheduling and the appointment status workflow.

Rules kept here, in one place:
- where: the appointment's site is the patient's own site, and the staff member works there
  (so whoever may see the patient sees their appointments, and nobody else does);
- when: timezone-aware, end after start, at most MAX_APPOINTMENT_LENGTH;
- no double-booking: a staff member's scheduled or checked-in appointments never overlap
  (half-open intervals: one may start exactly when another ends);
- status: only the moves in ALLOWED_TRANSITIONS, through `appointment_transition`.

Race-freedom: `appointment_book` and `appointment_update` lock the staff member's StaffProfile
row (SELECT ... FOR UPDATE) before looking for overlaps, so two bookings for the same person
queue up instead of both seeing a free slot. On PostgreSQL an exclusion constraint backs this up.
Lock order is always appointment row, then staff profile, so the two never deadlock.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from clinic.audit import record_event
from clinic.errors import Conflict
from clinic.models import AuditEvent, Site, StaffProfile
from patients.models import Appointment, Patient
from patients.models.appointment import site_zone

Status = Appointment.Status

# The whole workflow. Completed, no-show and cancelled are final: a late arrival after a no-show
# gets a new appointment, so the record of the missed one stays true.
ALLOWED_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.SCHEDULED: (Status.CHECKED_IN, Status.NO_SHOW, Status.CANCELLED),
    Status.CHECKED_IN: (Status.COMPLETED, Status.CANCELLED),
    Status.COMPLETED: (),
    Status.NO_SHOW: (),
    Status.CANCELLED: (),
}

# Fields a reschedule may change. Patient and site are fixed: cancel and book again instead.
RESCHEDULABLE_FIELDS = ("start", "end", "staff", "type", "modality")

_CHANGE_REASONS = {
    Status.CHECKED_IN: "checked in",
    Status.COMPLETED: "completed",
    Status.NO_SHOW: "no-show",
    Status.CANCELLED: "cancelled",
}


# --- Pure rules ----------------------------------------------------------------------------------


def allowed_next(status: str) -> list[str]:
    """Statuses reachable from `status`, in table order (what a 409 body lists)."""
    return [str(s) for s in ALLOWED_TRANSITIONS.get(status, ())]


def local_day_bounds(day: dt.date, zone) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of a calendar day in `zone`, as aware datetimes (23 or 25 h across DST)."""
    start = dt.datetime.combine(day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def local_day_of(appointment: Appointment) -> dt.date:
    return timezone.localtime(appointment.start, site_zone(appointment.site)).date()


def _clash_conflict(clash: Appointment) -> Conflict:
    # The id and the time only: never who the other patient is.
    return Conflict(
        "The staff member already has an appointment at this time.",
        extra={
            "clashing_appointment": {
                "id": str(clash.pk),
                "start": clash.start.isoformat(),
                "end": clash.end.isoformat(),
            }
        },
    )


# --- Checks that read the database ---------------------------------------------------------------


def _check_place(*, patient: Patient, site: Site, staff) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if patient.is_archived:
        errors["patient"] = ["This patient's record is archived."]
    if site.pk != patient.site_id:
        errors["site"] = ["Appointments are booked at the patient's own site."]
    elif not site.is_active:
        errors["site"] = ["This site is not active."]
    if staff is None or not staff.is_active:
        errors["staff"] = ["Unknown or inactive staff member."]
    elif not StaffProfile.objects.filter(user=staff, sites=site).exists():
        errors["staff"] = ["This staff member does not work at the appointment's site."]
    return errors


def _lock_staff(staff) -> None:
    """Serialise every booking for this staff member until the transaction ends."""
    list(StaffProfile.objects.select_for_update().filter(user=staff).values_list("pk"))


def _check_staff_free(*, staff, start, end, exclude_pk=None) -> None:
    clashes = Appointment.objects.blocking().overlapping(start, end).filter(staff=staff)
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    clash = clashes.order_by("start").first()
    if clash is not None:
        raise _clash_conflict(clash)


def _save_guarded(appointment: Appointment, **save_kwargs) -> None:
    """Save; if the PostgreSQL exclusion constraint still fires, answer 409, not 500."""
    try:
        with transaction.atomic():
            appointment.save(**save_kwargs)
    except IntegrityError as exc:
        if "appointment_no_staff_overlap" not in str(exc):
            raise
        clash = (
            Appointment.objects.blocking()
            .overlapping(appointment.start, appointment.end)
            .filter(staff_id=appointment.staff_id)
            .exclude(pk=appointment.pk)
            .first()
        )
        if clash is None:
            raise Conflict("The staff member already has an appointment at this time.") from exc
        raise _clash_conflict(clash) from exc


def _audit(appointment: Appointment, *, action: str, user, token=None, detail: str = "") -> None:
    record_event(
        action=action,
        actor=user,
        object_type="appointment",
        object_id=appointment.pk,
        patient_id=appointment.patient_id,
        site_id=appointment.site_id,
        token=token,
        detail=detail,
    )


# --- Services ------------------------------------------------------------------------------------


@transaction.atomic
def appointment_book(
    *,
    patient: Patient,
    staff,
    start: dt.datetime,
    end: dt.datetime,
    type: str,
    modality: str = Appointment.Modality.IN_PERSON,
    site: Site | None = None,
    user=None,
    token=None,
) -> Appointment:
    """Book a new appointment (status scheduled). 400 on bad input, 409 on a staff clash."""
    site = site or patient.site
    appointment = Appointment(
        patient=patient,
        site=site,
        staff=staff,
        type=type,
        modality=modality,
        start=start,
        end=end,
        created_by=user,
    )
    errors = _check_place(patient=patient, site=site, staff=staff)
    try:
        appointment.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    _lock_staff(staff)
    _check_staff_free(staff=staff, start=start, end=end)
    appointment._history_user = user
    _save_guarded(appointment)
    _audit(appointment, action=AuditEvent.Action.CREATE, user=user, token=token)
    return appointment


@transaction.atomic
def appointment_update(
    *, appointment: Appointment, user=None, token=None, **changes
) -> Appointment:
    """Reschedule or reassign a scheduled appointment; the place and clash checks run again.

    Moving `start` alone keeps the appointment's length (a reschedule moves the slot).
    """
    unknown = sorted(set(changes) - set(RESCHEDULABLE_FIELDS))
    if unknown:
        raise ValidationError({f: ["This field cannot be changed here."] for f in unknown})
    appointment = (
        Appointment.objects.select_related("patient", "site").select_for_update(of=("self",))
    ).get(pk=appointment.pk)
    if appointment.status != Status.SCHEDULED:
        raise Conflict(
            "Only scheduled appointments can be rescheduled or reassigned.",
            extra={"current_status": appointment.status},
        )
    if "start" in changes and "end" not in changes and changes["start"] is not None:
        changes["end"] = changes["start"] + (appointment.end - appointment.start)
    changed = sorted(f for f, v in changes.items() if getattr(appointment, f) != v)
    if not changed:
        return appointment
    for field in changed:
        setattr(appointment, field, changes[field])
    errors = _check_place(
        patient=appointment.patient, site=appointment.site, staff=appointment.staff
    )
    try:
        appointment.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    _lock_staff(appointment.staff)
    _check_staff_free(
        staff=appointment.staff,
        start=appointment.start,
        end=appointment.end,
        exclude_pk=appointment.pk,
    )
    appointment._history_user = user
    appointment._change_reason = "rescheduled"
    _save_guarded(appointment)
    _audit(
        appointment,
        action=AuditEvent.Action.UPDATE,
        user=user,
        token=token,
        detail="fields: " + ", ".join(changed),
    )
    return appointment


@transaction.atomic
def appointment_transition(
    *,
    appointment: Appointment,
    to_status: str,
    user=None,
    token=None,
    cancel_reason: str = "",
    cancel_note: str = "",
    now: dt.datetime | None = None,
) -> Appointment:
    """The one way an appointment's status changes; a move not in the table is a 409."""
    now = now or timezone.now()
    appointment = (
        Appointment.objects.select_related("patient", "site").select_for_update(of=("self",))
    ).get(pk=appointment.pk)
    current = appointment.status
    if to_status not in ALLOWED_TRANSITIONS.get(current, ()):
        raise Conflict(
            f"An appointment cannot go from {current} to {to_status}.",
            extra={"current_status": current, "allowed": allowed_next(current)},
        )
    errors: dict[str, list[str]] = {}
    if to_status == Status.CANCELLED:
        if cancel_reason not in Appointment.CancelReason.values:
            errors["reason"] = [
                "Choose a reason: " + ", ".join(Appointment.CancelReason.values) + "."
            ]
        if len(cancel_note) > 200:
            errors["note"] = ["Keep the note to 200 characters."]
    elif cancel_reason or cancel_note:
        errors["reason"] = ["Only a cancellation takes a reason."]
    if errors:
        raise ValidationError(errors)
    if to_status == Status.NO_SHOW and now < appointment.start:
        raise Conflict(
            "A no-show can only be recorded once the appointment has started.",
            extra={"current_status": current, "allowed": allowed_next(current)},
        )

    appointment.status = to_status
    appointment.status_changed_at = now
    appointment.status_changed_by = user
    fields = ["status", "status_changed_at", "status_changed_by", "updated_at"]
    if to_status == Status.CHECKED_IN:
        appointment.checked_in_at = now
        appointment.checked_in_by = user
        fields += ["checked_in_at", "checked_in_by"]
    if to_status == Status.CANCELLED:
        appointment.cancel_reason = cancel_reason
        appointment.cancel_note = cancel_note.strip()
        fields += ["cancel_reason", "cancel_note"]
    appointment.full_clean()
    appointment._history_user = user
    appointment._change_reason = _CHANGE_REASONS[to_status]
    appointment.save(update_fields=fields)
    detail = f"status: {current} -> {to_status}"
    if cancel_reason:
        detail += f"; reason: {cancel_reason}"  # a code from a fixed list, never the free text
    _audit(appointment, action=AuditEvent.Action.UPDATE, user=user, token=token, detail=detail)
    return appointment


def appointment_check_in(*, appointment: Appointment, user=None, token=None) -> Appointment:
    """The front desk checks the patient in; who and when are recorded."""
    return appointment_transition(
        appointment=appointment, to_status=Status.CHECKED_IN, user=user, token=token
    )


def appointment_complete(*, appointment: Appointment, user=None, token=None) -> Appointment:
    return appointment_transition(
        appointment=appointment, to_status=Status.COMPLETED, user=user, token=token
    )


def appointment_no_show(*, appointment: Appointment, user=None, token=None) -> Appointment:
    return appointment_transition(
        appointment=appointment, to_status=Status.NO_SHOW, user=user, token=token
    )


def appointment_cancel(
    *, appointment: Appointment, reason: str, note: str = "", user=None, token=None
) -> Appointment:
    return appointment_transition(
        appointment=appointment,
        to_status=Status.CANCELLED,
        user=user,
        token=token,
        cancel_reason=reason,
        cancel_note=note,
    )


def appointments_for_day(
    queryset: QuerySet[Appointment] | None, *, site: Site, day: dt.date
) -> list[Appointment]:
    """A site's appointments starting on `day` in the site's own time zone, by time then staff."""
    start, end = local_day_bounds(day, site_zone(site))
    qs = queryset if queryset is not None else Appointment.objects.all()
    return list(
        qs.filter(site=site, start__gte=start, start__lt=end)
        .select_related("patient", "staff__staff_profile", "checked_in_by")
        .order_by("start", "staff__staff_profile__display_name", "pk")
    )
