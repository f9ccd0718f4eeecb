"""Submitting, listing and retrieving assessments through the API."""

import datetime as dt

import pytest
from django.utils import timezone

from assessments.models import Alert, Assessment
from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from patients.models import Patient
from tests.factories import (
    cows_answers,
    phq9_answers,
    register_patient,
    staff_user,
    submit_assessment,
)

PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}


def url_for(patient):
    return f"/api/v1/patients/{patient.pk}/assessments/"


def post(client, patient, instrument, answers, **extra):
    body = {"instrument": instrument, "answers": answers, "setting": "intake", **extra}
    return client.post(url_for(patient), body, format="json")


def set_sex_at_birth(patient, sex, monkeypatch):
    """Works before and after the patient record gains `sex_at_birth`."""
    if any(f.name == "sex_at_birth" for f in Patient._meta.get_fields()):
        Patient.objects.filter(pk=patient.pk).update(sex_at_birth=sex)
    else:
        monkeypatch.setattr(Patient, "sex_at_birth", sex, raising=False)


# --- Round trips ---------------------------------------------------------------------------------


def test_it_scores_cows_from_the_pulse_and_stores_the_result(clinician, api_as, patient_a):
    # Item 1 from pulse 112 scores 2; the items below add 20.
    answers = cows_answers(pulse=112, item_2=4, item_3=5, item_4=5, item_5=4, item_6=2)
    response = post(api_as(clinician), patient_a, "cows", answers, setting="withdrawal_check")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["instrument"] == "cows"
    assert body["instrument_version"] == "1.0"
    assert body["total"] == 22
    assert body["band"] == "moderate"
    assert body["result"]["item_scores"]["item_1"] == 2
    assert body["answers"] == answers
    assert body["setting"] == "withdrawal_check"
    assert body["alerts"] == []
    stored = Assessment.objects.get(pk=body["id"])
    assert stored.result["band_label"] == "Moderate"
    assert stored.administered_by == clinician
    assert stored.recorded_by == clinician


def test_cows_at_the_medical_review_threshold_raises_a_withdrawal_alert(
    clinician, api_as, patient_a
):
    # Pulse 130 scores 4; the items add 21: total 25.
    answers = cows_answers(pulse=130, item_2=4, item_3=5, item_4=5, item_5=4, item_6=2, item_7=1)
    response = post(api_as(clinician), patient_a, "cows", answers)
    assert response.json()["total"] == 25
    [alert] = response.json()["alerts"]
    assert alert["code"] == "cows_medical_review"
    assert alert["severity"] == "high"
    assert alert["requires_clinician_ack"] is False


def test_phq9_item_9_raises_a_suicide_risk_alert_that_needs_a_clinician(
    clinician, api_as, patient_a
):
    response = post(api_as(clinician), patient_a, "phq9", phq9_answers(item_9=1))
    assert response.status_code == 201
    body = response.json()
    assert body["total"] == 1
    assert body["band"] == "minimal"
    assert [f["code"] for f in body["flags"]] == ["suicide_risk"]
    [alert] = body["alerts"]
    assert alert["code"] == "phq9_item9_suicide_risk"
    assert alert["kind"] == "suicide_risk"
    assert alert["requires_clinician_ack"] is True
    stored = Alert.objects.get(pk=alert["id"])
    assert stored.patient == patient_a
    assert stored.source_type == "assessment"
    assert stored.source_id == body["id"]
    assert stored.status == "open"
    assert stored.raised_by == clinician


def test_phq9_without_item_9_raises_no_alert(clinician, api_as, patient_a):
    response = post(api_as(clinician), patient_a, "phq9", phq9_answers(each=1))
    assert response.json()["alerts"] == []
    assert not Alert.objects.exists()


@pytest.mark.parametrize(
    ("sex", "expect_alert", "cutoff"),
    [("male", False, 4), ("female", True, 3), ("intersex", True, 3), ("declined", True, 3)],
)
def test_audit_c_uses_the_patients_sex_for_its_cut_off(
    sex, expect_alert, cutoff, clinician, api_as, patient_a, monkeypatch
):
    set_sex_at_birth(patient_a, sex, monkeypatch)
    answers = {"item_1": 1, "item_2": 1, "item_3": 1}  # total 3
    response = post(api_as(clinician), patient_a, "audit_c", answers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["total"] == 3
    assert body["result"]["details"]["cutoff"] == cutoff
    assert body["context"] == {"sex": sex if sex in ("male", "female") else None}
    assert [a["code"] for a in body["alerts"]] == (["audit_c_positive"] if expect_alert else [])
    if sex not in ("male", "female"):
        assert "lower threshold" in body["alerts"][0]["text"]


def test_asq_acute_positive_raises_one_critical_alert(clinician, api_as, patient_a):
    answers = {"item_1": 1, "item_2": 0, "item_3": 0, "item_4": 0, "item_5": 1}
    response = post(api_as(clinician), patient_a, "asq", answers)
    assert response.status_code == 201
    body = response.json()
    assert body["total"] is None
    assert body["band"] == "acute_positive"
    assert [a["code"] for a in body["alerts"]] == ["asq_acute_positive"]
    assert body["alerts"][0]["severity"] == "critical"


def test_a_recorded_cssrs_high_level_raises_a_critical_suicide_risk_alert(
    clinician, api_as, patient_a
):
    response = post(api_as(clinician), patient_a, "cssrs_recorded", {"risk_level": "high"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["band"] == "high"
    assert body["instrument_version"] == "1.0"
    [alert] = body["alerts"]
    assert (alert["code"], alert["severity"], alert["kind"]) == (
        "cssrs_high",
        "critical",
        "suicide_risk",
    )


def test_a_recorded_cssrs_low_level_raises_no_alert_by_default(clinician, api_as, patient_a):
    response = post(api_as(clinician), patient_a, "cssrs_recorded", {"risk_level": "low"})
    assert response.status_code == 201
    assert response.json()["alerts"] == []


def test_integration_may_submit_but_sees_no_alerts(token_api, patient_a):
    response = post(token_api, patient_a, "phq9", phq9_answers(item_9=2))
    assert response.status_code == 201, response.content
    assert "alerts" not in response.json()
    alert = Alert.objects.get()
    assert alert.code == "phq9_item9_suicide_risk"
    assert alert.raised_by.username == "lab"


def test_administered_at_may_be_in_the_past(clinician, api_as, patient_a):
    when = timezone.now() - dt.timedelta(days=2)
    response = post(
        api_as(clinician), patient_a, "phq9", phq9_answers(), administered_at=when.isoformat()
    )
    assert response.status_code == 201
    stored = Assessment.objects.get()
    assert abs(stored.administered_at - when) < dt.timedelta(seconds=1)


# --- Validation: 400 with errors keyed by field, nothing stored --------------------------------


def assert_nothing_stored():
    assert not Assessment.objects.exists()
    assert not Alert.objects.exists()
    assert not AuditEvent.objects.filter(object_type="assessment").exists()


def assert_400(response, keys):
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 400
    assert set(body["errors"]) == set(keys), body["errors"]
    return body


def test_unknown_instrument_is_a_400_naming_instrument(clinician, api_as, patient_a):
    body = assert_400(post(api_as(clinician), patient_a, "kds", {"item_1": 1}), {"instrument"})
    assert "phq9" in body["errors"]["instrument"][0]
    assert "kds" not in body["errors"]["instrument"][0]
    assert_nothing_stored()


def test_unknown_item_is_keyed_answers_dot_item(clinician, api_as, patient_a):
    answers = {**phq9_answers(), "item_99": 1}
    body = assert_400(post(api_as(clinician), patient_a, "phq9", answers), {"answers.item_99"})
    assert "not an item of phq9" in body["errors"]["answers.item_99"][0]
    assert_nothing_stored()


def test_missing_required_item_is_keyed_answers_dot_item(clinician, api_as, patient_a):
    answers = phq9_answers()
    del answers["item_9"]
    body = assert_400(post(api_as(clinician), patient_a, "phq9", answers), {"answers.item_9"})
    assert body["errors"]["answers.item_9"] == ["item_9 is required."]
    assert_nothing_stored()


def test_value_not_allowed_never_echoes_the_value(clinician, api_as, patient_a):
    answers = cows_answers()
    answers["item_3"] = 4  # restlessness allows 0, 1, 3, 5
    answers["item_4"] = "Jane Smith called"
    answers["resting_pulse_bpm"] = 999
    response = post(api_as(clinician), patient_a, "cows", answers)
    body = assert_400(response, {"answers.item_3", "answers.item_4", "answers.resting_pulse_bpm"})
    assert body["errors"]["answers.item_3"] == [
        "item_3 must be one of the whole numbers 0, 1, 3, 5."
    ]
    assert "Jane" not in response.content.decode()
    assert "999" not in response.content.decode()
    assert_nothing_stored()


def test_answers_that_are_not_an_object_are_keyed_answers(clinician, api_as, patient_a):
    assert_400(post(api_as(clinician), patient_a, "phq9", [1, 2, 3]), {"answers"})
    assert_nothing_stored()


def test_a_free_text_key_is_reported_without_echoing_it(clinician, api_as, patient_a):
    answers = {**phq9_answers(), "my name is Jane Smith": 1}
    response = post(api_as(clinician), patient_a, "phq9", answers)
    assert_400(response, {"answers"})
    assert "Jane" not in response.content.decode()


def test_asq_item_5_is_required_after_a_positive_screen(clinician, api_as, patient_a):
    answers = {"item_1": 1, "item_2": 0, "item_3": 0, "item_4": 0}
    assert_400(post(api_as(clinician), patient_a, "asq", answers), {"answers.item_5"})
    assert_nothing_stored()


def test_cssrs_recorded_validates_only_the_risk_level(clinician, api_as, patient_a):
    client = api_as(clinician)
    assert_400(
        post(client, patient_a, "cssrs_recorded", {"risk_level": "severe"}), {"answers.risk_level"}
    )
    assert_400(post(client, patient_a, "cssrs_recorded", {}), {"answers.risk_level"})
    assert_400(
        post(client, patient_a, "cssrs_recorded", {"risk_level": "low", "item_1": 1}),
        {"answers.item_1"},
    )
    assert_nothing_stored()


def test_administered_at_in_the_future_is_refused(clinician, api_as, patient_a):
    when = (timezone.now() + dt.timedelta(hours=1)).isoformat()
    response = post(api_as(clinician), patient_a, "phq9", phq9_answers(), administered_at=when)
    assert_400(response, {"administered_at"})
    assert_nothing_stored()


def test_missing_fields_and_bad_setting_are_400(clinician, api_as, patient_a):
    response = api_as(clinician).post(url_for(patient_a), {"setting": "party"}, format="json")
    assert_400(response, {"instrument", "answers", "setting"})
    assert_nothing_stored()


def test_a_patient_outside_the_callers_sites_is_404(outsider, api_as, patient_a):
    response = post(api_as(outsider), patient_a, "phq9", phq9_answers(item_9=3))
    assert response.status_code == 404
    assert response.json()["status"] == 404
    assert_nothing_stored()
    assert api_as(outsider).get(url_for(patient_a)).status_code == 404


def test_a_token_for_another_site_gets_404(token_api, patient_b):
    response = post(token_api, patient_b, "phq9", phq9_answers())
    assert response.status_code == 404
    assert_nothing_stored()


def test_an_archived_patient_takes_no_new_assessments(clinician, clinic_admin, api_as, patient_a):
    from patients.services.patient import patient_archive

    patient_archive(patient=patient_a, user=clinic_admin, reason="duplicate")
    response = post(api_as(clinician), patient_a, "phq9", phq9_answers())
    assert response.status_code == 409
    assert not Assessment.objects.exists()


# --- Listing a series ----------------------------------------------------------------------------


def test_a_series_lists_one_instrument_oldest_first(clinician, api_as, patient_a):
    now = timezone.now()
    for days, pulse in [(1, 130), (3, 100), (2, 110)]:
        submit_assessment(
            patient_a,
            clinician,
            "cows",
            cows_answers(pulse=pulse),
            administered_at=now - dt.timedelta(days=days),
        )
    submit_assessment(patient_a, clinician, "phq9")
    response = api_as(clinician).get(
        url_for(patient_a), {"instrument": "cows", "ordering": "administered_at"}
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["result"]["item_scores"]["item_1"] for r in results] == [1, 2, 4]
    assert response.json()["count"] == 3


def test_the_default_list_is_newest_first_and_only_this_patients(
    clinician, api_as, patient_a, site_a
):
    other = register_patient(site_a)
    first = submit_assessment(
        patient_a, clinician, administered_at=timezone.now() - dt.timedelta(1)
    )
    second = submit_assessment(patient_a, clinician)
    submit_assessment(other, clinician)
    results = api_as(clinician).get(url_for(patient_a)).json()["results"]
    assert [r["id"] for r in results] == [str(second.pk), str(first.pk)]


# --- Permissions from the matrix -----------------------------------------------------------------


def _client(persona, personas, api_as, token_api):
    return token_api if persona == "integration" else api_as(personas[persona])


@pytest.mark.parametrize("persona", PERSONAS)
def test_assessment_api_follows_the_matrix(persona, personas, api_as, token_api, patient_a):
    existing = submit_assessment(patient_a, personas["clinician"])
    client = _client(persona, personas, api_as, token_api)
    role = PERSONA_ROLE[persona]

    listed = client.get(url_for(patient_a))
    retrieved = client.get(f"/api/v1/assessments/{existing.pk}/")
    created = post(client, patient_a, "phq9", phq9_answers())

    if persona == "outsider":
        assert (listed.status_code, retrieved.status_code, created.status_code) == (404, 404, 404)
    else:
        view = 200 if access.allowed(role, "assessment", "view") else 403
        assert listed.status_code == view
        assert retrieved.status_code == view
        add = 201 if access.allowed(role, "assessment", "add") else 403
        assert created.status_code == add, created.content
    expected = 2 if created.status_code == 201 else 1
    assert Assessment.objects.count() == expected


def test_a_read_only_token_cannot_submit(integration_user, site_a, clinic_admin, patient_a):
    from rest_framework.test import APIClient

    from clinic.services import api_token_create

    _token, key = api_token_create(
        name="Reader", user=integration_user, sites=[site_a], scope="read", created_by=clinic_admin
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert post(client, patient_a, "phq9", phq9_answers()).status_code == 403
    assert client.get(url_for(patient_a)).status_code == 200
    assert not Assessment.objects.exists()


def test_medical_staff_with_the_clinician_role_sees_alerts_too(site_a, api_as, patient_a):
    both = staff_user(roles=[Role.MEDICAL_STAFF, Role.CLINICIAN], sites=[site_a])
    response = post(api_as(both), patient_a, "phq9", phq9_answers(item_9=1))
    assert [a["code"] for a in response.json()["alerts"]] == ["phq9_item9_suicide_risk"]


# --- Audit, history and query counts -------------------------------------------------------------


def test_submitting_writes_a_create_event_and_a_history_row(clinician, api_as, patient_a):
    response = post(api_as(clinician), patient_a, "phq9", phq9_answers())
    assessment = Assessment.objects.get(pk=response.json()["id"])
    event = AuditEvent.objects.get(action="create", object_type="assessment")
    assert event.object_id == str(assessment.pk)
    assert event.patient_id == patient_a.pk
    assert event.actor == clinician
    assert "Jane" not in event.detail
    [row] = assessment.history.all()
    assert row.history_type == "+"
    assert row.history_user == clinician


def test_list_and_retrieve_write_one_read_event_per_assessment_shown(clinician, api_as, patient_a):
    shown = [submit_assessment(patient_a, clinician) for _ in range(3)]
    client = api_as(clinician)
    client.get(url_for(patient_a))
    reads = AuditEvent.objects.filter(action="read", object_type="assessment")
    assert set(reads.values_list("object_id", flat=True)) == {str(a.pk) for a in shown}
    assert set(reads.values_list("patient_id", flat=True)) == {patient_a.pk}

    client.get(f"/api/v1/assessments/{shown[0].pk}/")
    assert reads.filter(object_id=str(shown[0].pk)).count() == 2
    event = reads.filter(object_id=str(shown[0].pk)).first()
    assert event.site_id == patient_a.site_id
    assert event.source == "api"


def test_a_refused_read_writes_no_read_event(outsider, api_as, patient_a, clinician):
    assessment = submit_assessment(patient_a, clinician)
    api_as(outsider).get(f"/api/v1/assessments/{assessment.pk}/")
    api_as(outsider).get(url_for(patient_a))
    assert not AuditEvent.objects.filter(action="read").exists()


@pytest.mark.parametrize("rows", [3, 20])
def test_list_query_count_does_not_grow_with_the_page(
    rows, clinician, api_as, patient_a, django_assert_max_num_queries
):
    for n in range(rows):
        submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=n % 2))
    client = api_as(clinician)
    client.get(url_for(patient_a))  # warm the session and role caches
    with django_assert_max_num_queries(16):
        response = client.get(url_for(patient_a), {"page_size": 50})
    assert len(response.json()["results"]) == rows
    assert sum(len(r["alerts"]) for r in response.json()["results"]) == rows // 2


# --- Schema ------------------------------------------------------------------------------------


def test_the_schema_documents_the_assessment_endpoints(db, api):
    paths = api.get("/api/schema/?format=json").json()["paths"]
    assert "/api/v1/patients/{patient_id}/assessments/" in paths
    assert "/api/v1/assessments/{id}/supersede/" in paths
    assert "/api/v1/instruments/{code}/" in paths
    assert "/api/v1/alerts/{id}/acknowledge/" in paths
