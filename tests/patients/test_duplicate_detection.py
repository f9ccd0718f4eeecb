"""Likely duplicates are caught at registration and on edits; the 409 shows only what it must."""

import datetime as dt

import pytest

from clinic.models import AuditEvent
from patients.duplicates import damerau_levenshtein, find_duplicates, names_equivalent
from patients.models import Patient
from tests.factories import register_patient

DOB = dt.date(1979, 11, 5)


@pytest.fixture
def william(site_a):
    return register_patient(
        site_a,
        first_name="William",
        last_name="O'Connor-Díaz",
        date_of_birth=DOB,
        phone_mobile="312-555-0100",
        email="wod@example.org",
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("Bill", "O'Connor-Díaz"),  # nickname
        ("WILLIAM", "oconnor-diaz"),  # case, accent, apostrophe
        ("William", "O Connor Diaz"),  # hyphen vs spaces
        ("Wiliam", "O'Connor-Díaz"),  # one dropped letter
        ("Willaim", "O'Connor-Díaz"),  # transposition
        ("William", "OConnro-Diaz"),  # transposition in surname
        ("William", "Díaz"),  # one part of a double-barrelled surname
        ("O'Connor-Díaz", "William"),  # first and last swapped
    ],
)
def test_it_finds_same_birthday_similar_name(william, first, last):
    found = find_duplicates(first_name=first, last_name=last, date_of_birth=DOB)
    assert [c.patient.pk for c in found] == [william.pk]
    assert found[0].reasons == ("same date of birth, similar name",)


@pytest.mark.parametrize(
    ("first", "last", "dob"),
    [
        ("William", "O'Connor-Díaz", dt.date(1979, 11, 6)),  # other birthday
        ("Margaret", "O'Connor-Díaz", DOB),  # sibling-like: other given name
        ("William", "Thompson", DOB),  # other family name
    ],
)
def test_it_does_not_flag_different_people(william, first, last, dob):
    assert find_duplicates(first_name=first, last_name=last, date_of_birth=dob) == []


def test_same_phone_or_email_is_a_candidate_whatever_the_name(william):
    by_phone = find_duplicates(
        first_name="Zed", last_name="Zulu", date_of_birth=None, phones=("+13125550100",)
    )
    by_email = find_duplicates(
        first_name="Zed", last_name="Zulu", date_of_birth=None, email="WOD@example.org"
    )
    assert by_phone[0].reasons == ("same phone",)
    assert by_email[0].reasons == ("same email",)


def test_api_answers_409_with_only_mrn_name_dob_site(front_desk, api_as, william):
    response = api_as(front_desk).post(
        "/api/v1/patients/",
        {
            "site": "SITEA",
            "first_name": "Bill",
            "last_name": "OConnor Diaz",
            "date_of_birth": "1979-11-05",
        },
        format="json",
    )
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == 409
    (candidate,) = body["candidates"]
    assert set(candidate) == {"id", "mrn", "name", "date_of_birth", "site", "reasons"}
    assert candidate["mrn"] == william.mrn
    assert Patient.objects.count() == 1
    read = AuditEvent.objects.get(action="read", patient_id=william.pk)
    assert read.actor == front_desk


def test_confirming_registers_anyway_and_says_so_in_the_audit(front_desk, api_as, william):
    response = api_as(front_desk).post(
        "/api/v1/patients/",
        {
            "site": "SITEA",
            "first_name": "Bill",
            "last_name": "OConnor Diaz",
            "date_of_birth": "1979-11-05",
            "confirm_not_duplicate": True,
        },
        format="json",
    )
    assert response.status_code == 201
    event = AuditEvent.objects.get(action="create", patient_id=response.json()["id"])
    assert "overridden" in event.detail


def test_candidates_at_other_sites_are_found(front_desk, api_as, site_b):
    other = register_patient(site_b, first_name="Ana", last_name="Lima", date_of_birth=DOB)
    response = api_as(front_desk).post(
        "/api/v1/patients/",
        {"site": "SITEA", "first_name": "Ana", "last_name": "Lima", "date_of_birth": "1979-11-05"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["candidates"][0]["site"] == other.site.code


def test_editing_demographics_rechecks(front_desk, api_as, william, site_a):
    other = register_patient(site_a, first_name="Willa", last_name="Stone", date_of_birth=DOB)
    client = api_as(front_desk)
    response = client.patch(
        f"/api/v1/patients/{other.pk}/", {"phone_mobile": "3125550100"}, format="json"
    )
    assert response.status_code == 409
    other.refresh_from_db()
    assert other.phone_mobile == ""
    confirmed = client.patch(
        f"/api/v1/patients/{other.pk}/",
        {"phone_mobile": "3125550100", "confirm_not_duplicate": True},
        format="json",
    )
    assert confirmed.status_code == 200


def test_editing_other_fields_does_not_recheck(front_desk, api_as, william, site_a):
    twin = register_patient(
        site_a,
        first_name="Bill",
        last_name="OConnor",
        date_of_birth=DOB,
        confirm_not_duplicate=True,
    )
    response = api_as(front_desk).patch(
        f"/api/v1/patients/{twin.pk}/", {"pronouns": "he/him"}, format="json"
    )
    assert response.status_code == 200


def test_duplicate_check_endpoint_searches_before_registering(front_desk, api_as, william):
    response = api_as(front_desk).post(
        "/api/v1/patients/duplicate-check/",
        {"first_name": "Will", "last_name": "O'Connor-Diaz", "date_of_birth": "1979-11-05"},
        format="json",
    )
    assert response.status_code == 200
    assert [c["mrn"] for c in response.json()] == [william.mrn]


def test_medical_staff_may_not_use_the_duplicate_check(medical_staff, api_as, william):
    response = api_as(medical_staff).post(
        "/api/v1/patients/duplicate-check/",
        {"first_name": "Will", "last_name": "X", "date_of_birth": "1979-11-05"},
        format="json",
    )
    assert response.status_code == 403


def test_distance_counts_a_swap_as_one_edit():
    assert damerau_levenshtein("jonh", "john") == 1
    assert damerau_levenshtein("smtih", "smith") == 1
    assert damerau_levenshtein("abc", "abc") == 0
    assert names_equivalent("Bob", "Robert")
    assert not names_equivalent("Bob", "Roberta")
