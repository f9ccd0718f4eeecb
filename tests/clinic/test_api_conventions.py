"""One error shape for every 4xx, request ids, pagination caps, throttling and the schema."""

import pytest

from tests.factories import register_patient

PROBLEM_KEYS = {"type", "title", "status", "detail", "request_id"}


def assert_problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert set(body) >= PROBLEM_KEYS, body
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_400_has_field_errors(front_desk, api_as):
    response = api_as(front_desk).post(
        "/api/v1/patients/",
        {"site": "SITEA", "first_name": "", "date_of_birth": "not-a-date"},
        format="json",
    )
    body = assert_problem(response, 400)
    assert set(body["errors"]) == {"first_name", "last_name", "date_of_birth"}
    assert all(isinstance(v, list) and v for v in body["errors"].values())


def test_400_from_model_validation_names_the_field(front_desk, api_as):
    response = api_as(front_desk).post(
        "/api/v1/patients/",
        {"site": "SITEA", "first_name": "A", "last_name": "B" * 101, "date_of_birth": "1990-01-01"},
        format="json",
    )
    body = assert_problem(response, 400)
    assert "last_name" in body["errors"]


def test_401_without_credentials(api, db):
    assert_problem(api.get("/api/v1/patients/"), 401)


def test_401_with_a_malformed_or_unknown_token(api, db):
    api.credentials(HTTP_AUTHORIZATION="Bearer nonsense")
    assert_problem(api.get("/api/v1/patients/"), 401)
    api.credentials(HTTP_AUTHORIZATION="Bearer abc.def")
    assert_problem(api.get("/api/v1/patients/"), 401)


def test_403_when_the_role_may_not(medical_staff, api_as):
    body = assert_problem(
        api_as(medical_staff).post("/api/v1/patients/", {"site": "SITEA"}, format="json"), 403
    )
    assert "role" in body["detail"]


def test_404_for_an_unknown_id_and_an_unknown_path(clinician, api_as):
    client = api_as(clinician)
    assert_problem(client.get("/api/v1/patients/00000000-0000-0000-0000-000000000000/"), 404)
    assert_problem(client.get("/api/v1/nothing-here/"), 404)


def test_405_for_delete(clinic_admin, api_as, patient_a):
    assert_problem(api_as(clinic_admin).delete(f"/api/v1/patients/{patient_a.pk}/"), 405)


def test_429_when_throttled(clinician, api_as, settings):
    from django.core.cache import cache

    cache.clear()
    settings.API_THROTTLE_RATES = {"anon": "2/min", "user": "2/min"}
    client = api_as(clinician)
    assert client.get("/api/v1/patients/").status_code == 200
    assert client.get("/api/v1/patients/").status_code == 200
    response = client.get("/api/v1/patients/")
    body = assert_problem(response, 429)
    assert body["retry_after"] > 0
    assert int(response["Retry-After"]) > 0
    cache.clear()


def test_every_response_carries_a_request_id(clinician, api_as):
    response = api_as(clinician).get("/api/v1/patients/")
    assert len(response["X-Request-ID"]) == 32
    echoed = api_as(clinician).get("/api/v1/patients/", HTTP_X_REQUEST_ID="abcdef-123456")
    assert echoed["X-Request-ID"] == "abcdef-123456"
    unsafe = api_as(clinician).get("/api/v1/patients/", HTTP_X_REQUEST_ID="<script>")
    assert unsafe["X-Request-ID"] != "<script>"


def test_page_size_is_capped(clinician, api_as, site_a, settings):
    settings.API_MAX_PAGE_SIZE = 3
    for _ in range(5):
        register_patient(site_a)
    body = api_as(clinician).get("/api/v1/patients/?page_size=1000").json()
    assert body["count"] == 5
    assert len(body["results"]) == 3
    assert body["next"]


def test_ordering_and_search(clinician, api_as, site_a):
    register_patient(site_a, first_name="Zed", last_name="Alpha")
    register_patient(site_a, first_name="Amy", last_name="Omega")
    client = api_as(clinician)
    names = [
        p["last_name"]
        for p in client.get("/api/v1/patients/?ordering=-last_name").json()["results"]
    ]
    assert names == ["Omega", "Alpha"]
    found = client.get("/api/v1/patients/?search=omeg").json()["results"]
    assert [p["last_name"] for p in found] == ["Omega"]


def test_schema_is_valid_openapi_3(db, api):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "var/schema-test.yaml")
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/patients/" in schema["paths"]
    assert "bearerAuth" in schema["components"]["securitySchemes"]


def test_swagger_ui_is_served_without_a_cdn(db, client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "unpkg" not in html and "jsdelivr" not in html


@pytest.mark.parametrize("path", ["/api/schema/", "/api/docs/"])
def test_docs_do_not_need_a_login(db, client, path):
    assert client.get(path).status_code == 200
