"""Double-booking under concurrency, on PostgreSQL: the row lock and the exclusion constraint."""

import datetime as dt
import threading
import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction

from clinic.access import ROLE_GROUPS, Role
from clinic.errors import Conflict
from patients.models import Appointment
from patients.services import scheduling
from tests.factories import SiteFactory, register_patient, staff_user

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
START = dt.datetime(2031, 3, 4, 10, tzinfo=CHICAGO)
THREADS = 6
CONSTRAINT = "appointment_no_staff_overlap"


@pytest.fixture
def roles_survive_the_flush(django_db_blocker):
    """A transactional test ends by flushing every table, including the role groups that a data
    migration created; put them back so later tests (and --reuse-db runs) still find them."""
    yield
    with django_db_blocker.unblock():
        for name in ROLE_GROUPS.values():
            Group.objects.get_or_create(name=name)


@pytest.fixture
def defence(request, monkeypatch, django_db_blocker):
    """Run with both defences, or with only one of them, to show each holds on its own.

    Requested before `transactional_db`, so the constraint comes back after the tables are flushed.
    """
    mode = request.param
    if mode == "lock only":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
                [CONSTRAINT],
            )
            (definition,) = cursor.fetchone()
            cursor.execute(f"ALTER TABLE patients_appointment DROP CONSTRAINT {CONSTRAINT}")
    if mode == "constraint only":
        monkeypatch.setattr(scheduling, "_lock_staff", lambda staff: None)
    yield mode
    if mode == "lock only":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                f"ALTER TABLE patients_appointment ADD CONSTRAINT {CONSTRAINT} {definition}"
            )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "defence", ["lock and constraint", "lock only", "constraint only"], indirect=True
)
def test_only_one_of_several_simultaneous_bookings_of_a_slot_wins(
    roles_survive_the_flush, defence, transactional_db
):
    site = SiteFactory(code="RACE1")
    clinician = staff_user(roles=[Role.CLINICIAN], sites=[site], username="racer")
    patients = [register_patient(site) for _ in range(THREADS)]
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def book(patient, offset):
        try:
            barrier.wait(timeout=10)
            scheduling.appointment_book(
                patient=patient,
                staff=clinician,
                start=START + dt.timedelta(minutes=offset),
                end=START + dt.timedelta(minutes=offset + 50),
                type="counseling",
            )
            outcomes.append("booked")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:  # surfaced by the assertion below
            outcomes.append(repr(exc))
        finally:
            connection.close()

    # Every attempt overlaps every other (offsets 0..25 min, 50 min long).
    threads = [threading.Thread(target=book, args=(p, 5 * i)) for i, p in enumerate(patients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(outcomes) == ["booked"] + ["conflict"] * (THREADS - 1)
    assert Appointment.objects.filter(staff=clinician).count() == 1


@pytest.mark.postgres
def test_the_database_refuses_an_overlap_that_bypasses_the_service(db, site_a, clinician):
    patient = register_patient(site_a)
    base = {"patient": patient, "site": site_a, "staff": clinician, "type": "cbt"}
    Appointment.objects.create(**base, start=START, end=START + dt.timedelta(hours=1))
    # Touching is fine at the database level too.
    Appointment.objects.create(
        **base, start=START + dt.timedelta(hours=1), end=START + dt.timedelta(hours=2)
    )
    with pytest.raises(IntegrityError, match="appointment_no_staff_overlap"), transaction.atomic():
        Appointment.objects.create(
            **base, start=START + dt.timedelta(minutes=30), end=START + dt.timedelta(hours=1)
        )
    # A cancelled row does not hold the slot.
    Appointment.objects.create(
        **base,
        start=START + dt.timedelta(minutes=30),
        end=START + dt.timedelta(minutes=45),
        status="cancelled",
        cancel_reason="weather",
    )
