"""Registration through the API: identity, contact rules, MRN, and the error bodies."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.models import AuditEvent
from patients.models import Episode, Patient, StatusEvent

BASE = {
    "site": "SITEA",
    "first_name": "Marisol",
    "last_name": "Ybarra",
    "date_of_birth": "1984-06-02",
}


def post(client, **overrides):
    return client.post("/api/v1/patients/", {**BASE, **overrides}, format="json")


def test_it_registers_with_an_mrn_first_episode_and_status_event(front_desk, api_as):
    response = post(api_as(front_desk), phone_mobile="(312) 555-0143", email="M.Y@Example.org")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mrn"] == "SITEA-000001"
    assert body["status"] == "referral"
    assert body["allowed_next_statuses"] == ["discharged", "intake_in_progress", "intake_scheduled"]
    assert body["phone_mobile"] == "+13125550143"
    assert body["email"] == "m.y@example.org"
    assert response["ETag"]
    patient = Patient.objects.get(pk=body["id"])
    assert patient.search_name == "marisol ybarra"
    episode = Episode.objects.get(patient=patient)
    assert episode.number == 1 and episode.started_on == timezone.localdate()
    event = StatusEvent.objects.get(patient=patient)
    assert (event.from_status, event.to_status, event.recorded_by) == ("", "referral", front_desk)
    assert AuditEvent.objects.filter(action="create", patient_id=patient.pk).exists()


def test_mrns_count_up_per_site(front_desk, api_as):
    client = api_as(front_desk)
    first = post(client).json()["mrn"]
    second = post(client, first_name="Other", last_name="Person", date_of_birth="1990-01-01")
    assert (first, second.json()["mrn"]) == ("SITEA-000001", "SITEA-000002")


def test_the_mrn_cannot_be_changed(front_desk, api_as, patient_a):
    response = api_as(front_desk).patch(
        f"/api/v1/patients/{patient_a.pk}/", {"mrn": "SITEA-999999"}, format="json"
    )
    assert response.status_code == 200
    patient_a.refresh_from_db()
    assert patient_a.mrn != "SITEA-999999"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("date_of_birth", "2999-01-01", "cannot be in the future"),
        ("date_of_birth", "1850-01-01", "more than 120 years ago"),
        ("phone_mobile", "555-01", "valid phone number"),
        ("phone_home", "call me maybe", "valid phone number"),
        ("postal_code", "6060", "ZIP code"),
        ("postal_code", "60601-12", "ZIP code"),
        ("state", "XX", "Not a valid choice"),
        ("email", "not-an-email", "valid email"),
        ("sex_at_birth", "m", "Not a valid choice"),
        ("preferred_language", "English!", "tag like en"),
        ("referral_source", "internet", "Not a valid choice"),
    ],
)
def test_bad_input_is_a_field_error_that_does_not_echo_the_value(
    front_desk, api_as, field, value, message
):
    response = post(api_as(front_desk), **{field: value})
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == [field]
    text = " ".join(body["errors"][field])
    assert message in text
    if len(value) > 3:
        assert value not in text
    assert not Patient.objects.exists()
    assert not AuditEvent.objects.filter(action="create").exists()


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("312-555-0143", "+13125550143"),
        ("(312) 555 0143", "+13125550143"),
        ("+1 312 555 0143", "+13125550143"),
        ("1-312-555-0143", "+13125550143"),
        ("+44 20 7946 0958", "+442079460958"),
    ],
)
def test_phones_are_stored_in_e164(front_desk, api_as, raw, e164):
    response = post(api_as(front_desk), phone_home=raw)
    assert response.status_code == 201, response.content
    assert response.json()["phone_home"] == e164


def test_zip_plus_four_and_us_states_are_accepted(front_desk, api_as):
    response = post(api_as(front_desk), postal_code="60601-1234", state="PR")
    assert response.status_code == 201


def test_a_site_outside_your_scope_is_refused(front_desk, api_as, site_b):
    response = post(api_as(front_desk), site="SITEB")
    assert response.status_code == 400
    assert "site" in response.json()["errors"]
    assert not Patient.objects.exists()


def test_primary_clinician_must_work_at_the_site(front_desk, clinician, outsider, api_as):
    client = api_as(front_desk)
    refused = post(client, primary_clinician=outsider.pk)
    assert refused.status_code == 400
    assert "primary_clinician" in refused.json()["errors"]
    ok = post(client, primary_clinician=clinician.pk)
    assert ok.status_code == 201
    assert ok.json()["primary_clinician"] == clinician.pk


def test_a_non_clinician_cannot_be_primary_clinician(front_desk, api_as):
    response = post(api_as(front_desk), primary_clinician=front_desk.pk)
    assert response.status_code == 400


def test_a_birthday_exactly_120_years_ago_is_accepted(front_desk, api_as):
    today = timezone.localdate()
    try:
        oldest = today.replace(year=today.year - 120)
    except ValueError:
        oldest = today.replace(year=today.year - 120, day=28)
    response = post(api_as(front_desk), date_of_birth=oldest.isoformat())
    assert response.status_code == 201
    too_old = post(
        api_as(front_desk),
        first_name="Older",
        date_of_birth=(oldest - dt.timedelta(days=1)).isoformat(),
    )
    assert too_old.status_code == 400


def test_stale_if_match_is_412_and_changes_nothing(front_desk, api_as, patient_a):
    client = api_as(front_desk)
    etag = client.get(f"/api/v1/patients/{patient_a.pk}/")["ETag"]
    first = client.patch(
        f"/api/v1/patients/{patient_a.pk}/",
        {"pronouns": "she/her"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert first.status_code == 200
    stale = client.patch(
        f"/api/v1/patients/{patient_a.pk}/",
        {"pronouns": "they/them"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    assert stale.json()["current_etag"] == first["ETag"]
    patient_a.refresh_from_db()
    assert patient_a.pronouns == "she/her"


def test_retrieve_shows_the_full_record_and_list_a_summary(clinician, api_as, patient_a):
    client = api_as(clinician)
    detail = client.get(f"/api/v1/patients/{patient_a.pk}/").json()
    listed = client.get("/api/v1/patients/").json()["results"][0]
    assert "referral_notes" in detail and "address_line1" in detail
    assert "referral_notes" not in listed and "address_line1" not in listed


def test_list_filters_by_status_site_and_clinician(clinician, api_as, site_a):
    from tests.factories import register_patient

    mine = register_patient(site_a, primary_clinician=clinician)
    register_patient(site_a)
    client = api_as(clinician)
    by_clinician = client.get(f"/api/v1/patients/?clinician={clinician.pk}").json()["results"]
    assert [p["id"] for p in by_clinician] == [str(mine.pk)]
    assert client.get("/api/v1/patients/?status=active").json()["count"] == 0
    assert client.get("/api/v1/patients/?status=referral&site=SITEA").json()["count"] == 2
    assert client.get("/api/v1/patients/?status=bogus").status_code == 400
