"""Search by name, MRN, birth date, phone or email, limited to the caller's sites."""

import datetime as dt

import pytest

from tests.factories import register_patient


@pytest.fixture
def people(site_a, site_b):
    return {
        "jose": register_patient(
            site_a,
            first_name="José",
            last_name="Núñez-García",
            date_of_birth=dt.date(1975, 2, 3),
            phone_mobile="312 555 0190",
            email="jng@example.org",
        ),
        "mary": register_patient(
            site_a, first_name="Mary", last_name="Smith", date_of_birth=dt.date(1990, 7, 8)
        ),
        "other_site": register_patient(
            site_b, first_name="Jose", last_name="Nunez", date_of_birth=dt.date(1975, 2, 3)
        ),
    }


def found(client, q):
    response = client.get("/api/v1/patients/", {"search": q})
    assert response.status_code == 200
    return [p["last_name"] for p in response.json()["results"]]


@pytest.mark.parametrize(
    "query",
    ["nunez", "NÚÑEZ", "Núñez-García", "nunez garcia", "jose nun", "garc", "José"],
)
def test_name_search_is_partial_accent_case_and_hyphen_insensitive(
    people, clinician, api_as, query
):
    assert found(api_as(clinician), query) == ["Núñez-García"]


def test_search_by_mrn_dob_phone_email(people, clinician, api_as):
    client = api_as(clinician)
    jose = people["jose"]
    assert found(client, jose.mrn) == ["Núñez-García"]
    assert found(client, jose.mrn.lower()) == ["Núñez-García"]
    assert found(client, "1975-02-03") == ["Núñez-García"]
    assert found(client, "02/03/1975") == ["Núñez-García"]
    assert found(client, "(312) 555-0190") == ["Núñez-García"]
    assert found(client, "JNG@example.org") == ["Núñez-García"]


def test_search_never_crosses_sites(people, outsider, api_as):
    assert found(api_as(outsider), "nunez") == ["Nunez"]


@pytest.mark.postgres
@pytest.mark.parametrize("typo", ["smiht", "smtih", "smyth"])
def test_typos_are_tolerated_on_postgres(people, clinician, api_as, typo):
    assert found(api_as(clinician), typo) == ["Smith"]


@pytest.mark.postgres
def test_the_name_search_uses_the_trigram_index(db):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE indexname = 'patient_search_name_trgm'"
        )
        (definition,) = cursor.fetchone()
    assert "gin_trgm_ops" in definition


def test_list_query_count_does_not_grow_with_page_size(
    clinician, api_as, site_a, django_assert_max_num_queries
):
    for _ in range(3):
        register_patient(site_a)
    client = api_as(clinician)
    client.get("/api/v1/patients/")  # warm the session
    with django_assert_max_num_queries(16) as small:
        client.get("/api/v1/patients/?page_size=2")
    for _ in range(20):
        register_patient(site_a)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/api/v1/patients/?page_size=50&search=a")
