"""Published instrument definitions: what an integration needs to render a form."""

import json

import pytest
from django.core import checks
from django.test import override_settings

from assessments import instrument_catalog
from assessments.instruments import REGISTRY
from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent

PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}


@pytest.fixture(autouse=True)
def _fresh_wording_cache():
    instrument_catalog._load.cache_clear()
    yield
    instrument_catalog._load.cache_clear()


def test_the_list_publishes_every_instrument_and_the_recorded_cssrs(clinician, api_as):
    response = api_as(clinician).get("/api/v1/instruments/")
    assert response.status_code == 200
    body = response.json()
    codes = [d["code"] for d in body["results"]]
    assert codes == [*REGISTRY, "cssrs_recorded"]
    assert body["count"] == len(codes)
    kinds = {d["code"]: d["kind"] for d in body["results"]}
    assert kinds["cssrs_recorded"] == "recorded_result"
    assert {k for c, k in kinds.items() if c != "cssrs_recorded"} == {"instrument"}


def test_a_definition_gives_what_a_form_needs(clinician, api_as):
    body = api_as(clinician).get("/api/v1/instruments/cows/").json()
    assert body["code"] == "cows"
    assert body["version"] == "1.0"
    pulse = next(i for i in body["items"] if i["code"] == "resting_pulse_bpm")
    assert (pulse["kind"], pulse["min_value"], pulse["max_value"]) == ("integer", 20, 250)
    item_3 = next(i for i in body["items"] if i["code"] == "item_3")
    assert [c["value"] for c in item_3["choices"]] == [0, 1, 3, 5]
    assert body == REGISTRY["cows"].to_dict() | {"kind": "instrument"}


def test_the_recorded_cssrs_is_not_a_questionnaire(clinician, api_as):
    body = api_as(clinician).get("/api/v1/instruments/cssrs_recorded/").json()
    assert body["kind"] == "recorded_result"
    [item] = body["items"]
    assert item["code"] == "risk_level"
    assert [c["value"] for c in item["choices"]] == ["low", "moderate", "high"]
    assert body["total_range"] is None


def test_an_unknown_code_is_a_404_problem(clinician, api_as):
    response = api_as(clinician).get("/api/v1/instruments/kratom_dependence_scale/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "kratom" not in response.json()["detail"]


@pytest.mark.parametrize("persona", list(PERSONA_ROLE))
def test_whoever_may_view_assessments_may_read_definitions(persona, personas, api_as, token_api):
    client = token_api if persona == "integration" else api_as(personas[persona])
    expected = 200 if access.allowed(PERSONA_ROLE[persona], "assessment", "view") else 403
    assert client.get("/api/v1/instruments/").status_code == expected
    assert client.get("/api/v1/instruments/phq9/").status_code == expected


def test_anonymous_is_401(api, db):
    assert api.get("/api/v1/instruments/").status_code == 401


def test_definitions_are_not_patient_data_so_no_read_is_audited(clinician, api_as):
    api_as(clinician).get("/api/v1/instruments/")
    api_as(clinician).get("/api/v1/instruments/phq9/")
    assert not AuditEvent.objects.filter(action="read").exists()


def test_definitions_cannot_be_written(clinician, api_as):
    client = api_as(clinician)
    assert client.post("/api/v1/instruments/", {}, format="json").status_code == 405
    assert client.put("/api/v1/instruments/phq9/", {}, format="json").status_code == 405


# --- Licensed wording ----------------------------------------------------------------------------


def write_wording(tmp_path, data):
    path = tmp_path / "wording.json"
    path.write_text(json.dumps(data))
    return str(path)


def test_a_wording_file_sets_display_text_and_keeps_our_labels(clinician, api_as, tmp_path):
    path = write_wording(
        tmp_path,
        {"phq9": {"item_1": "Licensed wording one", "item_1:0": "Licensed never"}},
    )
    with override_settings(INSTRUMENT_DISPLAY_TEXT_FILE=path):
        body = api_as(clinician).get("/api/v1/instruments/phq9/").json()
        listed = api_as(clinician).get("/api/v1/instruments/").json()["results"]
    item_1 = body["items"][0]
    assert item_1["display_text"] == "Licensed wording one"
    assert item_1["label"] == REGISTRY["phq9"].items[0].label
    assert item_1["choices"][0]["display_text"] == "Licensed never"
    assert listed[0]["items"][0]["display_text"] == "Licensed wording one"
    assert body["items"][1]["display_text"] == body["items"][1]["label"]


@pytest.mark.parametrize(
    "data",
    [{"phq9": {"item_99": "x"}}, {"no_such": {"item_1": "x"}}, {"phq9": "not an object"}],
)
def test_a_bad_wording_file_fails_the_system_check(data, tmp_path):
    with override_settings(INSTRUMENT_DISPLAY_TEXT_FILE=write_wording(tmp_path, data)):
        errors = [e for e in checks.run_checks() if e.id == "assessments.E001"]
    assert errors


def test_a_missing_wording_file_fails_the_system_check(tmp_path):
    with override_settings(INSTRUMENT_DISPLAY_TEXT_FILE=str(tmp_path / "absent.json")):
        assert any(e.id == "assessments.E001" for e in checks.run_checks())
