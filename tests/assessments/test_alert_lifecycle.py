"""Alert lifecycle: raise once, acknowledge, resolve; who may do which, and nothing else moves."""

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.test import override_settings

from assessments.models import Alert
from assessments.services.alert import (
    Forbidden,
    alert_acknowledge,
    alert_raise,
    alert_resolve,
    alert_thresholds,
)
from clinic.access import Role
from clinic.errors import Conflict
from clinic.models import AuditEvent
from tests.factories import cows_answers, phq9_answers, staff_user, submit_assessment

PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]


@pytest.fixture
def suicide_alert(patient_a, clinician):
    [alert] = submit_assessment(patient_a, clinician, answers=phq9_answers(item_9=1)).alerts_raised
    return alert


@pytest.fixture
def withdrawal_alert(patient_a, clinician):
    return alert_raise(
        patient=patient_a,
        code="cows_medical_review",
        kind="withdrawal",
        severity="high",
        text="COWS 25 or more: medical review.",
        source_type="vitals",
        source_id="3f0e0c47-1d7b-4a53-9a38-2c6c1f5b8a10",
    )


@pytest.fixture
def clinician_and_medical(site_a):
    return staff_user(roles=[Role.MEDICAL_STAFF, Role.CLINICIAN], sites=[site_a], username="md")


def act(client, alert, verb, note="Safety plan made with the patient."):
    return client.post(f"/api/v1/alerts/{alert.pk}/{verb}/", {"note": note}, format="json")


def state(alert):
    return (
        Alert.objects.filter(pk=alert.pk).values().get(),
        alert.history.count(),
        AuditEvent.objects.filter(object_type="alert", action="update").count(),
    )


def client_for(persona, personas, api_as, token_api):
    return token_api if persona == "integration" else api_as(personas[persona])


# --- Raising -------------------------------------------------------------------------------------


def test_the_same_code_from_the_same_source_is_raised_once(patient_a, withdrawal_alert):
    again = alert_raise(
        patient=patient_a,
        code="cows_medical_review",
        kind="withdrawal",
        severity="high",
        text="COWS 25 or more: medical review.",
        source_type="vitals",
        source_id=withdrawal_alert.source_id,
    )
    assert again.pk == withdrawal_alert.pk
    assert Alert.objects.count() == 1
    assert AuditEvent.objects.filter(object_type="alert", action="create").count() == 1


def test_another_source_or_a_resolved_alert_allows_a_new_one(
    patient_a, clinician, withdrawal_alert
):
    values = {
        "patient": patient_a,
        "code": "cows_medical_review",
        "kind": "withdrawal",
        "severity": "high",
        "text": "COWS 25 or more: medical review.",
        "source_type": "vitals",
    }
    other = alert_raise(**values, source_id="another")
    assert other.pk != withdrawal_alert.pk
    alert_resolve(alert=withdrawal_alert, user=clinician, note="Reviewed.")
    fresh = alert_raise(**values, source_id=withdrawal_alert.source_id)
    assert fresh.pk != withdrawal_alert.pk
    assert Alert.objects.count() == 3


def test_the_database_refuses_a_duplicate_unresolved_alert(patient_a, withdrawal_alert):
    from django.db import IntegrityError, transaction

    values = Alert.objects.filter(pk=withdrawal_alert.pk).values().get()
    values.pop("id")
    with pytest.raises(IntegrityError), transaction.atomic():
        Alert.objects.bulk_create([Alert(**values)])


def test_a_suicide_risk_alert_always_needs_a_clinician_whatever_the_caller_says(patient_a):
    alert = alert_raise(
        patient=patient_a,
        code="manual_concern",
        kind="suicide_risk",
        severity="high",
        text="Concern raised.",
        requires_clinician_ack=False,
    )
    assert alert.requires_clinician_ack is True


def test_a_raise_with_bad_values_is_refused(patient_a):
    with pytest.raises(ValidationError) as caught:
        alert_raise(patient=patient_a, code="Bad Code", kind="x", severity="urgent", text="t")
    assert {"code", "severity"} <= set(caught.value.message_dict)
    assert not Alert.objects.exists()


def test_raising_keeps_history_and_an_audit_event(suicide_alert, clinician, patient_a):
    [row] = suicide_alert.history.all()
    assert row.history_type == "+"
    assert row.history_user == clinician
    event = AuditEvent.objects.get(object_type="alert", action="create")
    assert event.patient_id == patient_a.pk
    assert event.detail == "raised phq9_item9_suicide_risk"


# --- Status table --------------------------------------------------------------------------------


def test_open_acknowledged_resolved_keeps_who_when_and_history(clinician, api_as, suicide_alert):
    client = api_as(clinician)
    acknowledged = act(client, suicide_alert, "acknowledge", note="Seen the patient.")
    assert acknowledged.status_code == 200, acknowledged.content
    body = acknowledged.json()
    assert body["status"] == "acknowledged"
    assert body["acknowledged_by"] == clinician.pk
    assert body["acknowledge_note"] == "Seen the patient."
    assert body["acknowledged_at"]

    resolved = act(client, suicide_alert, "resolve", note="Safety plan made.")
    assert resolved.status_code == 200
    assert resolved.json()["status"] == "resolved"
    assert resolved.json()["resolved_by"] == clinician.pk

    rows = list(suicide_alert.history.order_by("history_date"))
    assert [r.status for r in rows] == ["open", "acknowledged", "resolved"]
    assert [r.history_user for r in rows[1:]] == [clinician, clinician]
    assert [r.history_change_reason for r in rows[1:]] == ["acknowledged", "resolved"]
    details = AuditEvent.objects.filter(object_type="alert", action="update")
    assert sorted(details.values_list("detail", flat=True)) == ["acknowledged", "resolved"]


def test_an_alert_without_clinician_ack_may_be_resolved_straight_from_open(
    medical_staff, api_as, withdrawal_alert
):
    response = act(api_as(medical_staff), withdrawal_alert, "resolve", note="Reviewed, stable.")
    assert response.status_code == 200
    assert response.json()["status"] == "resolved"
    assert response.json()["acknowledged_at"] is None


def test_a_suicide_risk_alert_cannot_skip_acknowledgement(clinician, api_as, suicide_alert):
    before = state(suicide_alert)
    response = act(api_as(clinician), suicide_alert, "resolve")
    assert response.status_code == 409
    assert response.json()["current_status"] == "open"
    assert state(suicide_alert) == before


@pytest.mark.parametrize(
    ("moves", "verb"),
    [
        (["acknowledge"], "acknowledge"),
        (["acknowledge", "resolve"], "acknowledge"),
        (["acknowledge", "resolve"], "resolve"),
    ],
)
def test_illegal_moves_are_409_and_change_nothing(moves, verb, clinician, api_as, suicide_alert):
    client = api_as(clinician)
    for move in moves:
        assert act(client, suicide_alert, move).status_code == 200
    before = state(suicide_alert)
    response = act(client, suicide_alert, verb)
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert state(suicide_alert) == before


def test_resolving_needs_a_note(clinician, api_as, withdrawal_alert):
    before = state(withdrawal_alert)
    response = act(api_as(clinician), withdrawal_alert, "resolve", note="")
    assert response.status_code == 400
    assert "note" in response.json()["errors"]
    assert state(withdrawal_alert) == before


# --- Who may acknowledge -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_a_clinician_may_acknowledge_a_suicide_risk_alert(
    persona, personas, api_as, token_api, suicide_alert
):
    before = state(suicide_alert)
    response = act(client_for(persona, personas, api_as, token_api), suicide_alert, "acknowledge")
    expected = {"clinician": 200, "outsider": 404}.get(persona, 403)
    assert response.status_code == expected, response.content
    if expected != 200:
        assert state(suicide_alert) == before
        assert response["Content-Type"] == "application/problem+json"


def test_medical_staff_who_are_also_clinicians_may_acknowledge(
    clinician_and_medical, api_as, suicide_alert
):
    response = act(api_as(clinician_and_medical), suicide_alert, "acknowledge")
    assert response.status_code == 200
    assert response.json()["acknowledged_by"] == clinician_and_medical.pk


def test_medical_staff_get_a_403_that_says_why(medical_staff, api_as, suicide_alert):
    response = act(api_as(medical_staff), suicide_alert, "acknowledge")
    assert response.status_code == 403
    assert "clinician" in response.json()["detail"]


def test_medical_staff_may_not_resolve_an_acknowledged_suicide_risk_alert(
    medical_staff, clinician, api_as, suicide_alert
):
    alert_acknowledge(alert=suicide_alert, user=clinician)
    before = state(suicide_alert)
    assert act(api_as(medical_staff), suicide_alert, "resolve").status_code == 403
    assert state(suicide_alert) == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_other_alerts_follow_the_matrix(persona, personas, api_as, token_api, withdrawal_alert):
    response = act(
        client_for(persona, personas, api_as, token_api), withdrawal_alert, "acknowledge"
    )
    expected = {"clinician": 200, "medical_staff": 200, "outsider": 404}.get(persona, 403)
    assert response.status_code == expected


def test_the_services_enforce_the_rule_without_the_api(
    front_desk, medical_staff, integration_user, suicide_alert
):
    for user in (front_desk, medical_staff, integration_user):
        with pytest.raises(Forbidden):
            alert_acknowledge(alert=suicide_alert, user=user)
    suicide_alert.refresh_from_db()
    assert suicide_alert.status == "open"


def test_the_service_refuses_an_illegal_move(clinician, suicide_alert):
    alert_acknowledge(alert=suicide_alert, user=clinician)
    with pytest.raises(Conflict):
        alert_acknowledge(alert=suicide_alert, user=clinician)


# --- Thresholds are settings ---------------------------------------------------------------------


@override_settings(ALERT_THRESHOLDS={"cows_medical_review_min": 10})
def test_a_clinic_threshold_changes_when_an_alert_fires(clinician, patient_a):
    assessment = submit_assessment(
        patient_a, clinician, "cows", cows_answers(pulse=130, item_3=5, item_2=1)
    )
    assert assessment.total == 10
    assert [a.code for a in assessment.alerts_raised] == ["cows_medical_review"]
    assert "10 or more" in assessment.alerts_raised[0].text


@override_settings(ALERT_THRESHOLDS={"cssrs_alert_levels": ["high", "moderate"]})
def test_a_clinic_may_alert_on_moderate_cssrs_levels(clinician, patient_a):
    assessment = submit_assessment(
        patient_a, clinician, "cssrs_recorded", {"risk_level": "moderate"}
    )
    [alert] = assessment.alerts_raised
    assert (alert.code, alert.severity, alert.requires_clinician_ack) == (
        "cssrs_moderate",
        "high",
        True,
    )


@pytest.mark.parametrize(
    "bad",
    [{"cows_medical_review_min": 0}, {"no_such_threshold": 3}, {"phq9_item9_min": "1"}, [1]],
)
def test_bad_thresholds_fail_the_system_check(bad):
    with override_settings(ALERT_THRESHOLDS=bad):
        with pytest.raises(ImproperlyConfigured):
            alert_thresholds()
        errors = checks.run_checks()
    assert any(e.id == "assessments.E002" for e in errors)


def test_default_thresholds_pass_the_system_check():
    assert not [e for e in checks.run_checks() if e.id.startswith("assessments.")]
