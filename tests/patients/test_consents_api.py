"""The consents API: list and filters, create, retrieve, revoke; the matrix role by role."""

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from patients.models import Consent
from patients.services.consent import consent_revoke
from tests.factories import record_consent, register_patient

URL = "/api/v1/consents/"
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC), tick=False):
        yield


def create_body(for_patient, **overrides):
    body = {
        "patient": str(for_patient.pk),
        "kind": "part2_disclosure",
        "signed_on": "2026-03-02",
        "signature_method": "electronic",
        "recipient_name": "Lakeside Family Practice",
        "purposes": ["treatment"],
        "information": ["diagnosis", "medications"],
        "expires_on": "2027-03-01",
    }
    body.update(overrides)
    return body


def client_for(persona, personas, api_as, token_api):
    return token_api if persona == "integration" else api_as(personas[persona])


def snapshot():
    return (
        sorted(
            Consent.objects.values_list(
                "pk", "revoked_on", "revocation_method", "expiry_event_occurred_on"
            )
        ),
        Consent.history.count(),
        AuditEvent.objects.filter(object_type="consent").exclude(action="read").count(),
    )


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()


# --- Create -------------------------------------------------------------------------------------


def test_front_desk_records_a_part2_consent(front_desk, api_as, patient_a):
    response = api_as(front_desk).post(URL, create_body(patient_a), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["patient"] == str(patient_a.pk)
    assert body["status"] == "active"
    assert body["discloser_name"] == patient_a.site.name
    assert body["recorded_by"] == "frontdesk"
    assert "2.31" in body["revocation_statement"]
    consent = Consent.objects.get(pk=body["id"])
    assert consent.history.get().history_user == front_desk
    event = AuditEvent.objects.get(action="create", object_type="consent")
    assert (event.actor, event.patient_id, event.source) == (front_desk, patient_a.pk, "api")


def test_a_tpo_consent_by_api_fills_in_the_tpo_scope(clinician, api_as, patient_a):
    body = create_body(patient_a, tpo=True, recipient_name="", purposes=[])
    response = api_as(clinician).post(URL, body, format="json")
    assert response.status_code == 201, response.content
    assert set(response.json()["recipient_classes"]) == {
        "treating_providers",
        "health_plans_and_payers",
        "program_operations",
    }
    assert response.json()["tpo_statement"]


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"signature_method": "verbal_witnessed", "witness_name": "W"}, {"signature_method"}),
        ({"expires_on": None}, {"expires_on"}),
        ({"recipient_name": ""}, {"recipient_name"}),
        ({"purposes": [], "information": []}, {"purposes", "information"}),
        ({"kind": "everything"}, {"kind"}),
        ({"signed_on": "yesterday"}, {"signed_on"}),
        ({"information": ["counselling_notes"]}, {"information"}),
        (
            {"signer": "legal_representative"},
            {"representative_name", "representative_relationship"},
        ),
        ({"expires_on": "2026-01-01"}, {"expires_on"}),
    ],
)
def test_invalid_consents_are_400_with_field_errors_and_change_nothing(
    clinician, api_as, patient_a, overrides, fields
):
    before = snapshot()
    response = api_as(clinician).post(URL, create_body(patient_a, **overrides), format="json")
    body = assert_problem(response, 400)
    assert set(body["errors"]) == fields
    assert snapshot() == before


def test_error_messages_do_not_echo_what_was_sent(clinician, api_as, patient_a):
    phi = "Jane Doe 1980-02-03"
    response = api_as(clinician).post(
        URL,
        create_body(patient_a, kind=phi, purposes=[phi], signature_method=phi),
        format="json",
    )
    assert_problem(response, 400)
    assert phi not in response.content.decode()
    listing = api_as(clinician).get(URL, {"status": phi, "kind": phi})
    assert_problem(listing, 400)
    assert phi not in listing.content.decode()


def test_a_patient_at_another_site_is_an_unknown_patient(outsider, api_as, patient_a):
    before = snapshot()
    response = api_as(outsider).post(URL, create_body(patient_a), format="json")
    body = assert_problem(response, 400)
    assert body["errors"] == {"patient": ["Unknown patient."]}
    unknown = api_as(outsider).post(
        URL, create_body(patient_a, patient="00000000-0000-0000-0000-000000000000"), format="json"
    )
    assert assert_problem(unknown, 400)["errors"] == body["errors"]
    malformed = api_as(outsider).post(URL, create_body(patient_a, patient="x"), format="json")
    assert assert_problem(malformed, 400)["errors"] == body["errors"]
    assert snapshot() == before


# --- List, filters, retrieve --------------------------------------------------------------------


def test_list_filters_by_patient_kind_and_status(clinician, api_as, patient_a, site_a):
    other = register_patient(site_a)
    active = record_consent(patient_a)
    revoked = record_consent(patient_a, signed_on=dt.date(2026, 1, 5))
    consent_revoke(consent=revoked, method="written", user=clinician)
    pending = record_consent(patient_a, signed_on=dt.date(2026, 4, 1))
    notes = record_consent(
        patient_a, kind="part2_counselling_notes", information=["counselling_notes"]
    )
    theirs = record_consent(other)
    client = api_as(clinician)

    def ids(**params):
        response = client.get(URL, params)
        assert response.status_code == 200, response.content
        return {c["id"] for c in response.json()["results"]}

    assert ids() == {str(c.pk) for c in (active, revoked, pending, notes, theirs)}
    assert ids(patient=patient_a.pk) == {str(c.pk) for c in (active, revoked, pending, notes)}
    assert ids(kind="part2_counselling_notes") == {str(notes.pk)}
    assert ids(status="active") == {str(c.pk) for c in (active, notes, theirs)}
    assert ids(status="revoked") == {str(revoked.pk)}
    assert ids(status="pending", patient=patient_a.pk) == {str(pending.pk)}
    assert ids(status="expired") == set()


def test_status_filter_follows_the_calendar(clinician, api_as, patient_a):
    consent = record_consent(patient_a, expires_on=dt.date(2026, 3, 31))
    client = api_as(clinician)
    assert client.get(URL, {"status": "active"}).json()["count"] == 1
    with time_machine.travel(dt.datetime(2026, 4, 1, 18, tzinfo=dt.UTC), tick=False):
        client = api_as(clinician)  # a month later the old session has timed out
        body = client.get(URL, {"status": "expired"}).json()
        assert [c["id"] for c in body["results"]] == [str(consent.pk)]
        assert body["results"][0]["status"] == "expired"


def test_list_and_retrieve_write_read_audit_events(medical_staff, api_as, patient_a):
    consent = record_consent(patient_a)
    client = api_as(medical_staff)
    assert client.get(URL).status_code == 200
    assert client.get(f"{URL}{consent.pk}/").status_code == 200
    reads = AuditEvent.objects.filter(action="read", object_type="consent")
    assert reads.count() == 2
    assert set(reads.values_list("patient_id", flat=True)) == {patient_a.pk}
    assert set(reads.values_list("object_id", flat=True)) == {str(consent.pk)}


@pytest.mark.parametrize("page_size", [2, 12])
def test_list_query_count_is_constant_in_page_size(
    page_size, clinician, api_as, site_a, django_assert_max_num_queries
):
    for _ in range(3):
        patient = register_patient(site_a)
        for _ in range(4):
            consent = record_consent(patient, recorded_by=clinician)
        consent_revoke(consent=consent, method="written", user=clinician)
    client = api_as(clinician)
    with CaptureQueriesContext(connection) as baseline:
        client.get(URL, {"page_size": 1})
    with django_assert_max_num_queries(len(baseline.captured_queries)):
        response = client.get(URL, {"page_size": page_size, "status": "active"})
    assert len(response.json()["results"]) == min(page_size, 9)


# --- Revoke and the expiry event ----------------------------------------------------------------


def test_revoke_keeps_the_consent_and_records_who_and_how(front_desk, api_as, patient_a):
    consent = record_consent(patient_a)
    response = api_as(front_desk).post(
        f"{URL}{consent.pk}/revoke/", {"method": "verbal"}, format="json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "revoked"
    assert body["revocation_method"] == "verbal"
    assert body["revoked_on"] == "2026-03-02"
    assert body["revoked_by"] == "frontdesk"
    assert consent.history.first().history_user == front_desk
    event = AuditEvent.objects.get(action="update", object_type="consent")
    assert event.detail == "revoked method=verbal"
    assert event.source == "api"


def test_revoke_twice_is_409_and_changes_nothing(clinician, api_as, patient_a):
    consent = record_consent(patient_a)
    client = api_as(clinician)
    client.post(f"{URL}{consent.pk}/revoke/", {"method": "written"}, format="json")
    before = snapshot()
    body = assert_problem(
        client.post(f"{URL}{consent.pk}/revoke/", {"method": "electronic"}, format="json"), 409
    )
    assert body["revoked_on"] == "2026-03-02"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "method"),
        ({"method": "telepathy"}, "method"),
        ({"method": "written", "revoked_on": "2026-03-09"}, "revoked_on"),
    ],
)
def test_revoke_with_bad_input_is_400_and_changes_nothing(
    clinician, api_as, patient_a, body, field
):
    consent = record_consent(patient_a)
    before = snapshot()
    response = api_as(clinician).post(f"{URL}{consent.pk}/revoke/", body, format="json")
    assert field in assert_problem(response, 400)["errors"]
    assert snapshot() == before


def test_expiry_event_can_be_recorded_once(clinician, api_as, patient_a):
    consent = record_consent(patient_a, expires_on=None, expiry_event="Discharge")
    client = api_as(clinician)
    response = client.post(f"{URL}{consent.pk}/expiry-event/", {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "expired"
    assert response.json()["expiry_event_recorded_by"] == "clinician"
    assert_problem(client.post(f"{URL}{consent.pk}/expiry-event/", {}, format="json"), 409)


# --- No update, no delete -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "medical_staff", "clinic_admin"])
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_signed_consents_cannot_be_edited_or_deleted(persona, method, personas, api_as, patient_a):
    consent = record_consent(patient_a)
    before = snapshot()
    client = api_as(personas[persona])
    response = getattr(client, method)(
        f"{URL}{consent.pk}/", {"recipient_name": "Someone else"}, format="json"
    )
    assert_problem(response, 405)
    assert snapshot() == before


def test_anonymous_callers_get_401(api, patient_a):
    consent = record_consent(patient_a)
    assert_problem(api.get(URL), 401)
    assert_problem(api.post(f"{URL}{consent.pk}/revoke/", {"method": "written"}), 401)


# --- The matrix, persona by persona -------------------------------------------------------------

OPERATIONS = {
    "list": ("view", "get", URL, None),
    "retrieve": ("view", "get", URL + "{id}/", None),
    "create": ("add", "post", URL, "create"),
    "revoke": ("change", "post", URL + "{id}/revoke/", {"method": "written"}),
}


@pytest.mark.parametrize("persona", list(PERSONA_ROLE))
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_consent_api_follows_the_matrix(persona, operation, personas, api_as, token_api, patient_a):
    consent = record_consent(patient_a)
    action, method, url, body = OPERATIONS[operation]
    if body == "create":
        body = create_body(patient_a)
    client = client_for(persona, personas, api_as, token_api)
    before = snapshot()
    response = getattr(client, method)(url.format(id=consent.pk), body, format="json")

    if not access.allowed(PERSONA_ROLE[persona], "consent", action):
        assert_problem(response, 403)
    elif persona == "outsider" and operation in {"retrieve", "revoke"}:
        assert_problem(response, 404)
    elif persona == "outsider" and operation == "create":
        assert assert_problem(response, 400)["errors"] == {"patient": ["Unknown patient."]}
    else:
        assert response.status_code in {200, 201}, response.content
        if operation == "list":
            ids = [c["id"] for c in response.json()["results"]]
            assert ids == ([] if persona == "outsider" else [str(consent.pk)])
        return
    assert snapshot() == before, "a refused request changed something"


def test_the_matrix_is_what_the_issue_asked_for():
    expected = {
        Role.FRONT_DESK: {"view", "add", "change"},
        Role.CLINICIAN: {"view", "add", "change"},
        Role.INTEGRATION: {"view"},
        Role.MEDICAL_STAFF: {"view"},
    }
    for role, actions in expected.items():
        assert {a for a in access.ACTIONS if access.allowed(role, "consent", a)} == actions


def test_schema_documents_the_consent_endpoints(db, api):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    assert {URL, URL + "{id}/", URL + "{id}/revoke/", URL + "{id}/expiry-event/"} <= set(paths)
    assert "delete" not in paths[URL + "{id}/"]
    assert "patch" not in paths[URL + "{id}/"]
