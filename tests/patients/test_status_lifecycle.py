"""Status moves go through one table; any other move is a 409 naming the allowed ones."""

import datetime as dt

import pytest
from django.utils import timezone

from patients.models import Episode, Patient, StatusEvent
from patients.services.patient import ALLOWED_TRANSITIONS, patient_transition

ALL = Patient.Status.values
ILLEGAL = [(a, b) for a in ALL for b in ALL if b not in ALLOWED_TRANSITIONS[a]]
PATH = {
    "referral": [],
    "intake_scheduled": ["intake_scheduled"],
    "intake_in_progress": ["intake_in_progress"],
    "active": ["intake_in_progress", "active"],
    "discharged": ["discharged"],
    "readmitted": ["discharged", "readmitted"],
}


def bring_to(patient, status, user):
    for step in PATH[status]:
        reason = "completed" if step == "discharged" else ""
        patient = patient_transition(patient=patient, to_status=step, user=user, reason=reason)
    return patient


def url(patient):
    return f"/api/v1/patients/{patient.pk}/transition/"


@pytest.mark.parametrize(("current", "target"), ILLEGAL)
def test_every_illegal_move_is_409_with_allowed_next_states(
    current, target, clinician, api_as, patient_a
):
    patient = bring_to(patient_a, current, clinician)
    events = StatusEvent.objects.count()
    response = api_as(clinician).post(url(patient), {"to_status": target, "reason": "completed"})
    assert response.status_code == 409
    body = response.json()
    assert body["current_status"] == current
    assert body["allowed"] == sorted(ALLOWED_TRANSITIONS[current])
    patient.refresh_from_db()
    assert patient.status == current
    assert StatusEvent.objects.count() == events


def test_the_happy_path_records_an_event_for_each_step(clinician, api_as, patient_a):
    client = api_as(clinician)
    for target in ["intake_scheduled", "intake_in_progress", "active"]:
        response = client.post(url(patient_a), {"to_status": target})
        assert response.status_code == 200, response.content
        assert response.json()["status"] == target
    moves = list(
        StatusEvent.objects.filter(patient=patient_a).values_list("from_status", "to_status")
    )
    assert moves == [
        ("", "referral"),
        ("referral", "intake_scheduled"),
        ("intake_scheduled", "intake_in_progress"),
        ("intake_in_progress", "active"),
    ]
    assert patient_a.history.first().history_change_reason == "status: active"


def test_discharge_needs_a_reason_and_closes_the_episode(clinician, api_as, patient_a):
    client = api_as(clinician)
    bring_to(patient_a, "active", clinician)
    missing = client.post(url(patient_a), {"to_status": "discharged"})
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    ok = client.post(url(patient_a), {"to_status": "discharged", "reason": "against_advice"})
    assert ok.status_code == 200
    episode = Episode.objects.get(patient=patient_a)
    assert episode.discharge_reason == "against_advice"
    assert episode.discharged_on == timezone.localdate()


def test_readmission_opens_a_new_episode_and_keeps_the_old_one(clinician, api_as, patient_a):
    bring_to(patient_a, "discharged", clinician)
    response = api_as(clinician).post(url(patient_a), {"to_status": "readmitted"})
    assert response.status_code == 200
    episodes = list(
        Episode.objects.filter(patient=patient_a).values_list("number", "discharged_on")
    )
    assert episodes == [(1, timezone.localdate()), (2, None)]
    assert response.json()["allowed_next_statuses"] == [
        "discharged",
        "intake_in_progress",
        "intake_scheduled",
    ]


def test_dates_cannot_be_in_the_future_or_before_the_episode(clinician, api_as, patient_a):
    client = api_as(clinician)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    future = client.post(
        url(patient_a), {"to_status": "intake_scheduled", "effective_on": tomorrow.isoformat()}
    )
    assert future.status_code == 400
    assert "effective_on" in future.json()["errors"]
    past = client.post(
        url(patient_a), {"to_status": "intake_scheduled", "effective_on": "2001-01-01"}
    )
    assert past.status_code == 400


def test_unknown_status_is_400(clinician, api_as, patient_a):
    response = api_as(clinician).post(url(patient_a), {"to_status": "cured"})
    assert response.status_code == 400
    assert "to_status" in response.json()["errors"]


def test_medical_staff_cannot_move_status(medical_staff, api_as, patient_a):
    response = api_as(medical_staff).post(url(patient_a), {"to_status": "intake_scheduled"})
    assert response.status_code == 403
    patient_a.refresh_from_db()
    assert patient_a.status == "referral"


def test_status_events_are_listed_and_the_read_audited(clinician, api_as, patient_a):
    from clinic.models import AuditEvent

    response = api_as(clinician).get(f"/api/v1/patients/{patient_a.pk}/status-events/")
    assert response.status_code == 200
    assert [e["to_status"] for e in response.json()] == ["referral"]
    assert AuditEvent.objects.filter(action="read", patient_id=patient_a.pk).exists()
