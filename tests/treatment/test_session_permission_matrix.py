"""Sessions, group sessions and counselling notes, persona by persona. The matrix says
session_note: clinician view/add/change, medical staff view/add, clinic admin view; domain rules
(author, counselling signatures) narrow it further. Every refused request changes nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic import access
from tests.factories import draft_session, group_session, register_patient, signed_session
from treatment.models import (
    GroupAttendance,
    GroupSession,
    IndividualSession,
    SessionAddendum,
)
from treatment.services import sessions as services

PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]


def _client(persona, personas, api_as, token_api):
    return token_api if persona == "integration" else api_as(personas[persona])


def _session_state():
    return (
        list(IndividualSession.objects.order_by("pk").values()),
        list(SessionAddendum.objects.order_by("pk").values()),
        IndividualSession.history.count(),
    )


@pytest.fixture
def notes(clinician, patient_a):
    return {
        "draft": draft_session(patient_a, clinician),
        "signed": signed_session(patient_a, clinician, session_type="case_management"),
    }


def _session_ops(patient, notes, user):
    started = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    create = {
        "patient": str(patient.pk),
        "session_type": "medical_visit",
        "started_at": started,
        "duration_minutes": 15,
        "modality": "telephone",
        "data": "Checked in by phone.",
    }
    draft, signed = notes["draft"].pk, notes["signed"].pk
    return {
        "list": ("get", "/api/v1/sessions/", None),
        "retrieve": ("get", f"/api/v1/sessions/{draft}/", None),
        "create": ("post", "/api/v1/sessions/", create),
        "partial_update": ("patch", f"/api/v1/sessions/{draft}/", {"plan": "Changed."}),
        "sign": ("post", f"/api/v1/sessions/{draft}/sign/", None),
        "addenda_list": ("get", f"/api/v1/sessions/{signed}/addenda/", None),
        "addenda_add": (
            "post",
            f"/api/v1/sessions/{signed}/addenda/",
            {"text": "More.", "reason": "late entry"},
        ),
    }


# Operations run in this order (later ones may see what earlier allowed ones did).
SESSION_EXPECTED = {
    #                 front_desk clinician medical clinic_admin integration outsider
    "list": (403, 200, 200, 200, 403, 200),
    "retrieve": (403, 200, 200, 200, 403, 404),
    "addenda_list": (403, 200, 200, 200, 403, 404),
    "addenda_add": (403, 201, 403, 403, 403, 404),
    "create": (403, 201, 201, 403, 403, 400),
    "partial_update": (403, 200, 403, 403, 403, 404),
    "sign": (403, 200, 403, 403, 403, 404),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_session_api_per_persona(persona, personas, api_as, token_api, patient_a, notes):
    client = _client(persona, personas, api_as, token_api)
    ops = _session_ops(patient_a, notes, personas[persona])
    for operation, statuses in SESSION_EXPECTED.items():
        method, url, body = ops[operation]
        expected = statuses[PERSONAS.index(persona)]
        before = _session_state()
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == expected, (persona, operation, response.content)
        if expected >= 400:
            assert response["Content-Type"] == "application/problem+json"
            assert _session_state() == before, f"refused {operation} changed something"
        if operation == "list" and expected == 200:
            ids = {r["id"] for r in response.json()["results"]}
            assert ids == (set() if persona == "outsider" else {str(n.pk) for n in notes.values()})


def test_the_matrix_rows_used_here():
    assert access.allowed("clinician", "session_note", "change")
    assert not access.allowed("medical_staff", "session_note", "change")
    assert access.allowed("medical_staff", "session_note", "add")
    assert access.allowed("clinic_admin", "session_note", "view")
    assert not access.allowed("clinic_admin", "session_note", "add")


@pytest.mark.parametrize("persona", ["clinician", "medical_staff", "clinic_admin", "outsider"])
@pytest.mark.parametrize("method", ["delete", "put"])
def test_delete_and_put_are_405_and_nothing_changes(persona, method, personas, api_as, notes):
    before = _session_state()
    for note in notes.values():
        response = getattr(api_as(personas[persona]), method)(
            f"/api/v1/sessions/{note.pk}/", {}, format="json"
        )
        assert response.status_code == 405
    assert _session_state() == before


def test_anonymous_gets_401(api, notes):
    assert api.get("/api/v1/sessions/").status_code == 401
    assert api.delete(f"/api/v1/sessions/{notes['draft'].pk}/").status_code == 401


# --- group sessions ------------------------------------------------------------------------------


def _group_state():
    return (
        list(GroupSession.objects.order_by("pk").values()),
        list(GroupAttendance.objects.order_by("pk").values()),
        GroupSession.history.count(),
    )


GROUP_EXPECTED = {
    "list": (403, 200, 200, 200, 403, 200),
    "retrieve": (403, 200, 200, 200, 403, 404),
    "patient_attendance": (403, 200, 200, 200, 403, 404),
    "create": (403, 201, 201, 403, 403, 400),
    "partial_update": (403, 200, 403, 403, 403, 404),
    "sign": (403, 200, 403, 403, 403, 404),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_group_api_per_persona(persona, personas, api_as, token_api, clinician, site_a, patient_a):
    group = group_session(site_a, clinician, rows=[(patient_a, "attended", "On time.")])
    other = register_patient(site_a)
    user = personas[persona]
    ops = {
        "list": ("get", "/api/v1/group-sessions/", None),
        "retrieve": ("get", f"/api/v1/group-sessions/{group.pk}/", None),
        "create": (
            "post",
            "/api/v1/group-sessions/",
            {
                "site": "SITEA",
                "topic": "psychoeducation",
                "started_at": timezone.now().isoformat(),
                "duration_minutes": 60,
                "facilitators": [user.pk],
                "attendance": [{"patient": str(other.pk), "status": "attended"}],
            },
        ),
        "partial_update": (
            "patch",
            f"/api/v1/group-sessions/{group.pk}/",
            {"attendance": [{"patient": str(patient_a.pk), "status": "absent"}]},
        ),
        "sign": ("post", f"/api/v1/group-sessions/{group.pk}/sign/", None),
        "patient_attendance": ("get", f"/api/v1/patients/{patient_a.pk}/group-attendance/", None),
    }
    client = _client(persona, personas, api_as, token_api)
    for operation, statuses in GROUP_EXPECTED.items():
        method, url, body = ops[operation]
        expected = statuses[PERSONAS.index(persona)]
        before = _group_state()
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == expected, (persona, operation, response.content)
        if expected >= 400:
            assert _group_state() == before, f"refused {operation} changed something"


def test_a_facilitator_who_did_not_create_the_group_may_edit_it(
    clinician, api_as, site_a, patient_a
):
    from clinic.access import Role
    from tests.factories import staff_user

    cofacilitator = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    bystander = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    group = group_session(
        site_a, clinician, facilitators=[clinician, cofacilitator], rows=[(patient_a, "absent", "")]
    )
    body = {"attendance": [{"patient": str(patient_a.pk), "status": "excused"}]}
    before = _group_state()
    url = f"/api/v1/group-sessions/{group.pk}/"
    assert api_as(bystander).patch(url, body, format="json").status_code == 403
    assert _group_state() == before
    assert api_as(cofacilitator).patch(url, body, format="json").status_code == 200
    services.group_session_sign(group=group, user=cofacilitator)
    assert GroupAttendance.objects.get().status == "excused"
