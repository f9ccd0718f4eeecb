"""The appointments API: booking, actions, filters, the permission matrix and site scoping."""

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from clinic.services import api_token_create
from patients.models import Appointment
from patients.services import scheduling
from tests.factories import SiteFactory, book_appointment, register_patient, staff_user

CHICAGO = zoneinfo.ZoneInfo("America/Chicago")
HONOLULU = zoneinfo.ZoneInfo("Pacific/Honolulu")
URL = "/api/v1/appointments/"


def at(hour, minute=0, day=4, zone=CHICAGO):
    return dt.datetime(2031, 3, day, hour, minute, tzinfo=zone)


def past(hour, minute=0):
    return dt.datetime(2024, 3, 4, hour, minute, tzinfo=CHICAGO)


def _state(appointment=None):
    """Everything a refused request must leave untouched."""
    rows = sorted(
        Appointment.objects.values_list(
            "pk", "start", "end", "staff_id", "status", "type", "modality", "cancel_reason"
        )
    )
    writes = AuditEvent.objects.filter(object_type="appointment").exclude(action="read").count()
    return rows, Appointment.history.count(), writes


def _booking(patient, staff, /, **overrides):
    body = {
        "patient": str(patient.pk),
        "staff": staff.pk,
        "type": "intake_assessment",
        "modality": "telehealth",
        "start": at(9).isoformat(),
        "end": at(10).isoformat(),
    }
    body.update(overrides)
    return body


@pytest.fixture
def appointment(patient_a, clinician):
    return book_appointment(patient_a, clinician, past(9))


# --- Booking -------------------------------------------------------------------------------------


def test_front_desk_books_an_appointment(front_desk, clinician, api_as, patient_a):
    response = api_as(front_desk).post(URL, _booking(patient_a, clinician), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient"] == str(patient_a.pk)
    assert body["patient_mrn"] == patient_a.mrn
    assert body["site"] == "SITEA"
    assert body["staff"] == clinician.pk
    assert body["staff_name"] == clinician.staff_profile.display_name
    assert (body["type"], body["modality"], body["status"]) == (
        "intake_assessment",
        "telehealth",
        "scheduled",
    )
    assert body["allowed_next"] == ["checked_in", "no_show", "cancelled"]
    assert dt.datetime.fromisoformat(body["start"]) == at(9)
    appointment = Appointment.objects.get(pk=body["id"])
    assert appointment.created_by == front_desk
    assert appointment.history.get().history_user == front_desk
    assert AuditEvent.objects.filter(
        action="create", object_id=body["id"], patient_id=patient_a.pk
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end": at(9).isoformat()}, "end"),
        ({"end": at(8).isoformat()}, "end"),
        ({"end": at(17, 30).isoformat()}, "end"),
        ({"start": "2031-03-04T09:00:00"}, "start"),
        ({"start": "tomorrow"}, "start"),
        ({"type": "yoga"}, "type"),
        ({"modality": "fax"}, "modality"),
        ({"patient": "not-a-uuid"}, "patient"),
        ({"patient": "00000000-0000-0000-0000-000000000000"}, "patient"),
        ({"staff": 987654}, "staff"),
        ({"site": "SITEB"}, "site"),
        ({"site": "NOPE"}, "site"),
    ],
)
def test_bad_bookings_are_400_with_field_errors_and_change_nothing(
    overrides, field, front_desk, clinician, api_as, patient_a, site_b
):
    before = _state()
    response = api_as(front_desk).post(
        URL, _booking(patient_a, clinician, **overrides), format="json"
    )
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]
    assert _state() == before


def test_missing_fields_are_named(front_desk, api_as):
    response = api_as(front_desk).post(URL, {}, format="json")
    assert response.status_code == 400
    assert {"patient", "staff", "type", "start", "end"} <= set(response.json()["errors"])


def test_staff_from_another_site_is_refused(front_desk, outsider, api_as, patient_a):
    before = _state()
    response = api_as(front_desk).post(URL, _booking(patient_a, outsider), format="json")
    assert response.status_code == 400
    assert "staff" in response.json()["errors"]
    assert _state() == before


def test_double_booking_is_a_409_naming_the_clash_but_not_the_patient(
    front_desk, clinician, api_as, patient_a
):
    first = book_appointment(patient_a, clinician, at(9, 30))
    other = register_patient(patient_a.site)
    before = _state()
    response = api_as(front_desk).post(URL, _booking(other, clinician), format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["clashing_appointment"]["id"] == str(first.pk)
    assert dt.datetime.fromisoformat(body["clashing_appointment"]["start"]) == at(9, 30)
    assert patient_a.last_name not in response.content.decode()
    assert _state() == before


# --- Status actions ------------------------------------------------------------------------------

ACTIONS = {"check-in": "checked_in", "complete": "completed", "no-show": "no_show"}
ACTIONS["cancel"] = "cancelled"
PATH_TO = {
    "scheduled": [],
    "checked_in": ["checked_in"],
    "completed": ["checked_in", "completed"],
    "no_show": ["no_show"],
    "cancelled": ["cancelled"],
}


@pytest.mark.parametrize("source", list(PATH_TO))
@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_is_200_when_legal_and_409_listing_the_allowed_moves_otherwise(
    source, action, appointment, front_desk, api_as
):
    for step in PATH_TO[source]:
        kwargs = {"cancel_reason": "weather"} if step == "cancelled" else {}
        scheduling.appointment_transition(
            appointment=appointment, to_status=step, user=front_desk, **kwargs
        )
    body = {"reason": "patient_request"} if action == "cancel" else None
    before = _state()
    response = api_as(front_desk).post(f"{URL}{appointment.pk}/{action}/", body, format="json")
    target = ACTIONS[action]
    if target in scheduling.ALLOWED_TRANSITIONS[source]:
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target
        assert response.json()["allowed_next"] == scheduling.allowed_next(target)
        latest = appointment.history.first()
        assert (latest.status, latest.history_user) == (target, front_desk)
    else:
        assert response.status_code == 409, response.content
        problem = response.json()
        assert problem["status"] == 409
        assert problem["current_status"] == source
        assert problem["allowed"] == list(scheduling.ALLOWED_TRANSITIONS[source])
        assert _state() == before


def test_check_in_response_says_who_and_when(appointment, front_desk, api_as):
    response = api_as(front_desk).post(f"{URL}{appointment.pk}/check-in/")
    assert response.status_code == 200
    body = response.json()
    assert body["checked_in_by"] == "frontdesk"
    assert body["checked_in_at"] is not None


@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "bored"}, {"reason": "weather", "note": "x" * 201}]
)
def test_cancel_without_a_listed_reason_is_400_and_changes_nothing(
    body, appointment, front_desk, api_as
):
    before = _state()
    response = api_as(front_desk).post(f"{URL}{appointment.pk}/cancel/", body, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) & {"reason", "note"}
    assert _state() == before


def test_cancel_keeps_reason_and_note(appointment, front_desk, api_as):
    response = api_as(front_desk).post(
        f"{URL}{appointment.pk}/cancel/",
        {"reason": "clinic_closure", "note": "boiler repair"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["cancel_reason"] == "clinic_closure"
    assert response.json()["cancel_note"] == "boiler repair"
    assert response.json()["allowed_next"] == []


def test_no_show_before_the_start_is_409(front_desk, clinician, api_as, patient_a):
    future = book_appointment(patient_a, clinician, at(9))
    response = api_as(front_desk).post(f"{URL}{future.pk}/no-show/")
    assert response.status_code == 409
    future.refresh_from_db()
    assert future.status == "scheduled"


# --- Reschedule ----------------------------------------------------------------------------------


def test_reschedule_moves_the_slot_and_keeps_its_length(front_desk, clinician, api_as, patient_a):
    booked = book_appointment(patient_a, clinician, at(9), minutes=45)
    response = api_as(front_desk).patch(
        f"{URL}{booked.pk}/", {"start": at(14).isoformat()}, format="json"
    )
    assert response.status_code == 200, response.content
    assert dt.datetime.fromisoformat(response.json()["end"]) == at(14, 45)
    assert booked.history.first().history_user == front_desk


def test_reschedule_into_a_clash_is_409_and_changes_nothing(
    front_desk, clinician, api_as, patient_a
):
    first = book_appointment(patient_a, clinician, at(9))
    second = book_appointment(register_patient(patient_a.site), clinician, at(11))
    before = _state()
    response = api_as(front_desk).patch(
        f"{URL}{second.pk}/", {"start": at(9, 30).isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["clashing_appointment"]["id"] == str(first.pk)
    assert _state() == before


def test_staff_change_is_rechecked(front_desk, clinician, api_as, patient_a, site_a, outsider):
    booked = book_appointment(patient_a, clinician, at(9))
    before = _state()
    response = api_as(front_desk).patch(f"{URL}{booked.pk}/", {"staff": outsider.pk}, format="json")
    assert response.status_code == 400
    assert "staff" in response.json()["errors"]
    assert _state() == before
    colleague = staff_user(roles=[Role.MEDICAL_STAFF], sites=[site_a])
    response = api_as(front_desk).patch(
        f"{URL}{booked.pk}/", {"staff": colleague.pk, "type": "medical_check"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["staff"], response.json()["type"]) == (colleague.pk, "medical_check")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "completed"}, "status"),
        ({"patient": "00000000-0000-0000-0000-000000000000"}, "patient"),
        ({"site": "SITEB"}, "site"),
        ({"end": "2031-03-04T08:00:00-06:00"}, "end"),
        ({"start": "2031-03-04T09:00:00"}, "start"),
        ({"type": "yoga"}, "type"),
    ],
)
def test_bad_patches_are_400_and_change_nothing(body, field, appointment, front_desk, api_as):
    before = _state()
    response = api_as(front_desk).patch(f"{URL}{appointment.pk}/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert _state() == before


def test_a_finished_appointment_cannot_be_rescheduled(appointment, front_desk, api_as):
    scheduling.appointment_check_in(appointment=appointment, user=front_desk)
    before = _state()
    response = api_as(front_desk).patch(
        f"{URL}{appointment.pk}/", {"start": at(9).isoformat()}, format="json"
    )
    assert response.status_code == 409
    assert _state() == before


@pytest.mark.parametrize("method", ["put", "delete"])
def test_put_and_delete_are_not_offered(method, appointment, clinic_admin, api_as):
    before = _state()
    response = getattr(api_as(clinic_admin), method)(f"{URL}{appointment.pk}/", {}, format="json")
    assert response.status_code in {403, 405}
    assert _state() == before


# --- Permission matrix, persona by persona --------------------------------------------------------

PERSONAS = [
    "front_desk",
    "clinician",
    "medical_staff",
    "clinic_admin",
    "integration",
    "outsider",
    "read_token",
    "no_role",
]
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
    "read_token": Role.INTEGRATION,
    "no_role": None,
}
OPERATIONS = {
    "list": ("view", "get", URL, None),
    "retrieve": ("view", "get", URL + "{id}/", None),
    "create": ("add", "post", URL, "booking"),
    "partial_update": ("change", "patch", URL + "{id}/", {"modality": "telehealth"}),
    "check_in": ("change", "post", URL + "{id}/check-in/", None),
    "cancel": ("change", "post", URL + "{id}/cancel/", {"reason": "weather"}),
}


@pytest.fixture
def client_for(request, api_as):
    """Only the persona under test is created, which keeps the matrix quick."""

    def make(persona):
        if persona == "integration":
            return request.getfixturevalue("token_api")
        if persona == "read_token":
            _token, key = api_token_create(
                name="Reader",
                user=request.getfixturevalue("integration_user"),
                sites=[request.getfixturevalue("site_a")],
                created_by=request.getfixturevalue("clinic_admin"),
            )
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            return client
        if persona == "no_role":
            site = request.getfixturevalue("site_a")
            return api_as(staff_user(roles=[], sites=[site], username="norole"))
        return api_as(request.getfixturevalue(persona))

    return make


def _may(persona, action):
    role = PERSONA_ROLE[persona]
    if role is None or (persona == "read_token" and action != "view"):
        return False
    return access.allowed(role, "appointment", action)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_appointment_api_follows_the_matrix(
    persona, operation, client_for, appointment, clinician, patient_a
):
    action, method, url, body = OPERATIONS[operation]
    if body == "booking":
        body = _booking(patient_a, clinician)
    client = client_for(persona)
    before = _state()
    response = getattr(client, method)(url.format(id=appointment.pk), body, format="json")

    if not _may(persona, action):
        assert response.status_code == 403, response.content
    elif persona == "outsider" and operation not in {"list", "create"}:
        assert response.status_code == 404
    elif persona == "outsider" and operation == "create":
        assert response.status_code == 400
        assert "patient" in response.json()["errors"]
    else:
        assert response.status_code in {200, 201}, response.content
        if operation == "list":
            ids = [a["id"] for a in response.json()["results"]]
            assert ids == ([] if persona == "outsider" else [str(appointment.pk)])
        return
    assert _state() == before, "a refused request changed something"
    assert response["Content-Type"] == "application/problem+json"


def test_anonymous_gets_401(api, appointment):
    before = _state()
    assert api.post(f"{URL}{appointment.pk}/check-in/").status_code == 401
    assert _state() == before


def test_token_writes_record_the_integration_account(token_api, appointment):
    response = token_api.post(f"{URL}{appointment.pk}/check-in/")
    assert response.status_code == 200
    assert appointment.history.first().history_user.username == "lab"
    event = AuditEvent.objects.filter(object_type="appointment", action="update").latest("id")
    assert event.token_prefix


# --- Scoping -------------------------------------------------------------------------------------


@pytest.fixture
def appointment_b(patient_b, outsider):
    return book_appointment(patient_b, outsider, past(9))


def test_list_excludes_other_sites(front_desk, api_as, appointment, appointment_b):
    ids = [a["id"] for a in api_as(front_desk).get(URL).json()["results"]]
    assert ids == [str(appointment.pk)]


def test_clinic_admin_sees_every_site(clinic_admin, api_as, appointment, appointment_b):
    ids = {a["id"] for a in api_as(clinic_admin).get(URL).json()["results"]}
    assert ids == {str(appointment.pk), str(appointment_b.pk)}


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("get", "", None),
        ("patch", "", {"modality": "telehealth"}),
        ("post", "check-in/", None),
        ("post", "complete/", None),
        ("post", "no-show/", None),
        ("post", "cancel/", {"reason": "weather"}),
    ],
)
def test_outsider_gets_404_for_another_sites_appointment(
    method, suffix, body, outsider, api_as, appointment
):
    before = _state()
    response = getattr(api_as(outsider), method)(
        f"{URL}{appointment.pk}/{suffix}", body, format="json"
    )
    assert response.status_code == 404
    assert _state() == before
    assert not AuditEvent.objects.filter(patient_id=appointment.patient_id, action="read").exists()


def test_reads_are_audited_with_the_patient(front_desk, api_as, appointment):
    api_as(front_desk).get(f"{URL}{appointment.pk}/")
    api_as(front_desk).get(URL)
    reads = AuditEvent.objects.filter(action="read", object_type="appointment")
    assert reads.count() == 2
    assert set(reads.values_list("patient_id", flat=True)) == {appointment.patient_id}


# --- Filters -------------------------------------------------------------------------------------


@pytest.fixture
def diary(site_a, clinician, medical_staff, patient_a):
    """Three appointments at site A on two local days, with two staff and two types."""
    other = register_patient(site_a)
    return {
        "early": book_appointment(patient_a, clinician, at(9), type="cbt"),
        "late": book_appointment(other, medical_staff, at(22, 30), type="medical_check"),
        "next_day": book_appointment(other, clinician, at(9, day=5), type="cbt"),
    }


def _ids(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return {a["id"] for a in response.json()["results"]}


def test_filters_by_staff_patient_status_type_and_site(
    front_desk, api_as, diary, clinician, patient_a
):
    client = api_as(front_desk)
    early, late, next_day = (str(diary[k].pk) for k in ("early", "late", "next_day"))
    assert _ids(client, staff=clinician.pk) == {early, next_day}
    assert _ids(client, patient=str(patient_a.pk)) == {early}
    assert _ids(client, type="medical_check") == {late}
    assert _ids(client, site="SITEA") == {early, late, next_day}
    assert _ids(client, site="SITEB") == set()
    scheduling.appointment_check_in(appointment=diary["early"], user=front_desk)
    assert _ids(client, status="checked_in") == {early}
    assert client.get(URL + "?status=checked_in&status=scheduled").json()["count"] == 3


def test_date_is_a_day_in_the_sites_time_zone(front_desk, api_as, diary):
    client = api_as(front_desk)
    # 22:30 in Chicago on the 4th is 04:30 UTC on the 5th: it still belongs to the 4th.
    assert _ids(client, date="2031-03-04") == {str(diary["early"].pk), str(diary["late"].pk)}
    assert _ids(client, date="2031-03-05") == {str(diary["next_day"].pk)}


def test_date_follows_each_sites_own_zone(clinic_admin, api_as, diary):
    hawaii = SiteFactory(code="HNL1", name="Island Clinic", timezone="Pacific/Honolulu")
    staff = staff_user(roles=[Role.CLINICIAN], sites=[hawaii])
    # 20:00 in Honolulu on the 4th is 06:00 UTC on the 5th (and 00:00 in Chicago on the 5th).
    island = book_appointment(register_patient(hawaii), staff, at(20, zone=HONOLULU))
    ids = _ids(api_as(clinic_admin), date="2031-03-04")
    assert str(island.pk) in ids
    assert str(island.pk) not in _ids(api_as(clinic_admin), date="2031-03-05")


def test_date_range_is_inclusive_in_local_days(front_desk, api_as, diary):
    client = api_as(front_desk)
    everything = {str(a.pk) for a in diary.values()}
    assert _ids(client, date_from="2031-03-04", date_to="2031-03-05") == everything
    assert _ids(client, date_from="2031-03-05") == {str(diary["next_day"].pk)}
    assert _ids(client, date_to="2031-03-04") == everything - {str(diary["next_day"].pk)}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"date": "2031-13-40"}, "date"),
        ({"date_from": "2031-03-05", "date_to": "2031-03-04"}, "date_to"),
        ({"status": "lost"}, "status"),
        ({"patient": "x"}, "patient"),
    ],
)
def test_bad_filters_are_400(params, field, front_desk, api_as):
    response = api_as(front_desk).get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_list_query_count_does_not_grow_with_the_page(front_desk, api_as, site_a, clinician):
    client = api_as(front_desk)
    patients = [register_patient(site_a) for _ in range(2)]
    for i in range(8):
        book_appointment(patients[i % 2], clinician, at(8 + i))

    def count(page_size):
        client.get(URL, {"page_size": 1, "date": "2031-03-04"})  # warm the session
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": page_size, "date": "2031-03-04"})
        assert len(response.json()["results"]) == page_size
        return len(ctx.captured_queries)

    assert count(2) == count(8)
