"""Scheduling rules through the service: the status table, double-booking, places and times."""

import datetime as dt
import zoneinfo

import pytest
from django.core.exceptions import ValidationError

from clinic.access import Role
from clinic.errors import Conflict
from clinic.models import AuditEvent, ProtectedDeletion
from patients.models import Appointment
from patients.services import scheduling
from patients.services.patient import patient_archive
from tests.factories import book_appointment, register_patient, staff_user

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
S = Appointment.Status


def at(hour, minute=0, day=4):
    """A fixed future morning in the sites' zone, so no test depends on today's date."""
    return dt.datetime(2031, 3, day, hour, minute, tzinfo=CHICAGO)


def past(hour, minute=0):
    return dt.datetime(2024, 3, 4, hour, minute, tzinfo=CHICAGO)


def _snapshot():
    return (
        sorted(Appointment.objects.values_list("pk", "start", "end", "staff_id", "status", "type")),
        Appointment.history.count(),
        AuditEvent.objects.exclude(action="read").count(),
    )


# --- The status table ----------------------------------------------------------------------------


def test_the_status_table_is_exactly_the_documented_workflow():
    assert scheduling.ALLOWED_TRANSITIONS == {
        "scheduled": ("checked_in", "no_show", "cancelled"),
        "checked_in": ("completed", "cancelled"),
        "completed": (),
        "no_show": (),
        "cancelled": (),
    }


def test_check_in_records_who_and_when(patient_a, clinician, front_desk):
    appointment = book_appointment(patient_a, clinician, past(9))
    now = past(8, 55)
    scheduling.appointment_transition(
        appointment=appointment, to_status=S.CHECKED_IN, user=front_desk, now=now
    )
    appointment.refresh_from_db()
    assert (appointment.checked_in_by, appointment.checked_in_at) == (front_desk, now)
    event = AuditEvent.objects.filter(object_type="appointment", action="update").latest("id")
    assert event.detail == "status: scheduled -> checked_in"
    assert event.patient_id == patient_a.pk
    assert event.actor == front_desk


def test_a_no_show_cannot_be_recorded_before_the_appointment_starts(
    patient_a, clinician, front_desk
):
    appointment = book_appointment(patient_a, clinician, at(9))
    with pytest.raises(Conflict):
        scheduling.appointment_no_show(appointment=appointment, user=front_desk)
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED


def test_cancel_needs_a_listed_reason_and_keeps_the_note_out_of_the_audit_trail(
    patient_a, clinician, front_desk
):
    appointment = book_appointment(patient_a, clinician, at(9))
    with pytest.raises(ValidationError) as excinfo:
        scheduling.appointment_cancel(appointment=appointment, reason="", user=front_desk)
    assert "reason" in excinfo.value.message_dict
    with pytest.raises(ValidationError):
        scheduling.appointment_cancel(appointment=appointment, reason="bored", user=front_desk)
    appointment.refresh_from_db()
    assert appointment.status == S.SCHEDULED

    scheduling.appointment_cancel(
        appointment=appointment, reason="transportation", note="bus strike", user=front_desk
    )
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancel_reason) == (S.CANCELLED, "transportation")
    assert appointment.cancel_note == "bus strike"
    event = AuditEvent.objects.filter(object_type="appointment").latest("id")
    assert event.detail == "status: scheduled -> cancelled; reason: transportation"
    assert "bus" not in event.detail


def test_only_a_cancellation_takes_a_reason(patient_a, clinician, front_desk):
    appointment = book_appointment(patient_a, clinician, past(9))
    with pytest.raises(ValidationError):
        scheduling.appointment_transition(
            appointment=appointment,
            to_status=S.CHECKED_IN,
            user=front_desk,
            cancel_reason="weather",
        )


# --- Double-booking ------------------------------------------------------------------------------


@pytest.fixture
def booked(patient_a, clinician):
    """Clinician is busy 10:00-11:00."""
    return book_appointment(patient_a, clinician, at(10), minutes=60)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(11), at(12)),  # starts exactly when the other ends
        (at(9), at(10)),  # ends exactly when the other starts
    ],
)
def test_touching_appointments_are_not_a_double_booking(booked, clinician, start, end):
    other = register_patient(booked.site)
    appointment = scheduling.appointment_book(
        patient=other, staff=clinician, start=start, end=end, type="cbt"
    )
    assert appointment.status == S.SCHEDULED


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (at(10), at(11)),  # the same slot
        (at(9, 30), at(10, 1)),  # overlaps the start by a minute
        (at(10, 59), at(11, 30)),  # overlaps the end by a minute
        (at(10, 15), at(10, 45)),  # inside
        (at(9), at(12)),  # around
    ],
)
def test_any_overlap_with_an_active_appointment_is_refused(booked, clinician, start, end):
    other = register_patient(booked.site)
    before = _snapshot()
    with pytest.raises(Conflict) as excinfo:
        scheduling.appointment_book(
            patient=other, staff=clinician, start=start, end=end, type="cbt"
        )
    clash = excinfo.value.extra["clashing_appointment"]
    assert clash["id"] == str(booked.pk)
    assert dt.datetime.fromisoformat(clash["start"]) == booked.start
    assert dt.datetime.fromisoformat(clash["end"]) == booked.end
    text = str(excinfo.value.detail) + str(excinfo.value.extra)
    assert booked.patient.last_name not in text and booked.patient.first_name not in text
    assert _snapshot() == before


def test_a_checked_in_appointment_still_blocks(booked, clinician, front_desk):
    scheduling.appointment_check_in(appointment=booked, user=front_desk)
    with pytest.raises(Conflict):
        book_appointment(register_patient(booked.site), clinician, at(10, 30))


@pytest.mark.parametrize("release", ["cancel", "no_show"])
def test_cancelled_and_no_show_appointments_do_not_block(patient_a, clinician, front_desk, release):
    first = book_appointment(patient_a, clinician, past(10), minutes=60)
    if release == "cancel":
        scheduling.appointment_cancel(appointment=first, reason="weather", user=front_desk)
    else:
        scheduling.appointment_no_show(appointment=first, user=front_desk)
    second = book_appointment(register_patient(first.site), clinician, past(10), minutes=60)
    assert second.status == S.SCHEDULED


def test_another_staff_member_may_be_booked_at_the_same_time(booked, site_a):
    colleague = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    assert book_appointment(booked.patient, colleague, at(10), minutes=60).pk


def test_reschedule_rechecks_for_clashes_and_changes_nothing_when_refused(
    booked, clinician, front_desk
):
    later = book_appointment(register_patient(booked.site), clinician, at(13), minutes=60)
    before = _snapshot()
    with pytest.raises(Conflict) as excinfo:
        scheduling.appointment_update(appointment=later, user=front_desk, start=at(10, 30))
    assert excinfo.value.extra["clashing_appointment"]["id"] == str(booked.pk)
    assert _snapshot() == before


def test_reschedule_may_overlap_its_own_old_slot_and_keeps_the_length(booked, front_desk):
    moved = scheduling.appointment_update(appointment=booked, user=front_desk, start=at(10, 30))
    assert (moved.start, moved.end) == (at(10, 30), at(11, 30))
    assert moved.history.first().history_change_reason == "rescheduled"
    assert moved.history.first().history_user == front_desk
    event = AuditEvent.objects.filter(object_type="appointment", action="update").latest("id")
    assert event.detail == "fields: end, start"


def test_changing_the_staff_member_rechecks_the_new_persons_diary(booked, site_a, front_desk):
    colleague = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    theirs = book_appointment(register_patient(site_a), colleague, at(10, 30))
    with pytest.raises(Conflict) as excinfo:
        scheduling.appointment_update(appointment=booked, user=front_desk, staff=colleague)
    assert excinfo.value.extra["clashing_appointment"]["id"] == str(theirs.pk)
    booked.refresh_from_db()
    assert booked.staff_id != colleague.pk


def test_only_scheduled_appointments_can_be_rescheduled(booked, front_desk):
    scheduling.appointment_check_in(appointment=booked, user=front_desk)
    with pytest.raises(Conflict):
        scheduling.appointment_update(appointment=booked, user=front_desk, start=at(15))


def test_an_unchanged_reschedule_writes_nothing(booked, front_desk):
    before = _snapshot()
    scheduling.appointment_update(appointment=booked, user=front_desk, start=booked.start)
    assert _snapshot() == before


# --- Where and when ------------------------------------------------------------------------------


def _book(**overrides):
    values = {"type": "counseling", "start": at(9), "end": at(10)}
    values.update(overrides)
    return scheduling.appointment_book(**values)


def _errors(**overrides):
    before = _snapshot()
    with pytest.raises(ValidationError) as excinfo:
        _book(**overrides)
    assert _snapshot() == before
    return excinfo.value.message_dict


def test_end_must_be_after_start(patient_a, clinician):
    assert "end" in _errors(patient=patient_a, staff=clinician, end=at(9))
    assert "end" in _errors(patient=patient_a, staff=clinician, end=at(8))


def test_an_appointment_lasts_at_most_eight_hours(patient_a, clinician):
    assert "end" in _errors(patient=patient_a, staff=clinician, end=at(17, 1))
    assert _book(patient=patient_a, staff=clinician, end=at(17)).pk


def test_times_must_carry_a_time_zone(patient_a, clinician):
    errors = _errors(patient=patient_a, staff=clinician, start=dt.datetime(2031, 3, 4, 9))
    assert "start" in errors


def test_the_appointment_is_at_the_patients_own_site(patient_a, clinician, site_b):
    errors = _errors(patient=patient_a, staff=clinician, site=site_b)
    assert errors["site"] == ["Appointments are booked at the patient's own site."]


def test_the_staff_member_must_work_at_the_site(patient_a, outsider, front_desk):
    assert "staff" in _errors(patient=patient_a, staff=outsider)


def test_an_inactive_staff_member_cannot_be_booked(patient_a, clinician):
    clinician.is_active = False
    clinician.save()
    assert "staff" in _errors(patient=patient_a, staff=clinician)


def test_an_archived_patient_cannot_be_booked(patient_a, clinician, clinic_admin):
    patient_archive(patient=patient_a, user=clinic_admin, reason="duplicate")
    patient_a.refresh_from_db()
    assert "patient" in _errors(patient=patient_a, staff=clinician)


def test_unknown_type_or_modality_is_refused(patient_a, clinician):
    assert "type" in _errors(patient=patient_a, staff=clinician, type="yoga")
    assert "modality" in _errors(patient=patient_a, staff=clinician, modality="carrier pigeon")


def test_booking_writes_history_and_a_create_event(patient_a, clinician, front_desk):
    appointment = book_appointment(patient_a, clinician, at(9), user=front_desk)
    assert appointment.history.get().history_user == front_desk
    event = AuditEvent.objects.get(action="create", object_type="appointment")
    assert (event.object_id, event.patient_id) == (str(appointment.pk), patient_a.pk)
    assert event.site_id == patient_a.site_id


def test_appointments_are_never_deleted(booked):
    with pytest.raises(ProtectedDeletion):
        booked.delete()
    with pytest.raises(ProtectedDeletion):
        Appointment.objects.all().delete()
    assert Appointment.objects.filter(pk=booked.pk).exists()


def test_local_day_bounds_follow_daylight_saving_time():
    # 2031-03-09 is the spring-forward day in Chicago: 23 hours long.
    start, end = scheduling.local_day_bounds(dt.date(2031, 3, 9), CHICAGO)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=23)
    assert start.utcoffset() == dt.timedelta(hours=-6)
