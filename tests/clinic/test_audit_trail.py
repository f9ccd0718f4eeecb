"""Every read of patient data leaves an audit event; the trail itself cannot be changed."""

import pytest

from clinic.models import AuditEvent, ProtectedDeletion
from tests.factories import register_patient


def test_api_retrieve_writes_one_read_event_with_context(clinician, api_as, patient_a):
    client = api_as(clinician)
    response = client.get(f"/api/v1/patients/{patient_a.pk}/", HTTP_X_REQUEST_ID="req-12345678")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="read", patient_id=patient_a.pk)
    assert event.actor == clinician
    assert event.object_type == "patient"
    assert event.object_id == str(patient_a.pk)
    assert event.source == "api"
    assert event.outcome == "success"
    assert event.request_id == "req-12345678"
    assert event.ip_address == "127.0.0.1"
    assert event.site_id == patient_a.site_id


def test_api_list_writes_one_read_event_per_patient_shown(clinician, api_as, site_a):
    patients = [register_patient(site_a) for _ in range(3)]
    response = api_as(clinician).get("/api/v1/patients/")
    assert response.status_code == 200
    read_ids = set(AuditEvent.objects.filter(action="read").values_list("patient_id", flat=True))
    assert read_ids == {p.pk for p in patients}


def test_token_reads_name_the_token(token_api, patient_a):
    token_api.get(f"/api/v1/patients/{patient_a.pk}/")
    event = AuditEvent.objects.get(action="read", patient_id=patient_a.pk)
    assert event.token_prefix
    assert event.actor.username == "lab"


def test_admin_change_view_writes_a_read_event(clinician, client, patient_a):
    client.force_login(clinician)
    client.get(f"/admin/patients/patient/{patient_a.pk}/change/")
    event = AuditEvent.objects.get(action="read", patient_id=patient_a.pk)
    assert event.source == "admin"
    assert event.actor == clinician


def test_admin_changelist_writes_read_events_for_listed_patients(clinician, client, patient_a):
    client.force_login(clinician)
    client.get("/admin/patients/patient/")
    assert AuditEvent.objects.filter(action="read", patient_id=patient_a.pk).count() == 1


def test_registration_writes_a_create_event(patient_a):
    assert AuditEvent.objects.filter(action="create", patient_id=patient_a.pk).exists()


def test_login_and_failed_login_are_audited(client, clinician):
    client.post("/admin/login/", {"username": "clinician", "password": "wrong-password"})
    assert AuditEvent.objects.filter(action="login_failed", outcome="failure").count() == 1
    client.post("/admin/login/", {"username": "clinician", "password": "correct-horse-battery"})
    assert AuditEvent.objects.filter(action="login", actor=clinician).count() == 1


def test_audit_events_cannot_be_updated_or_deleted(db):
    event = AuditEvent.objects.create(action="read", object_type="patient")
    event.detail = "tampered"
    with pytest.raises(ProtectedDeletion):
        event.save()
    with pytest.raises(ProtectedDeletion):
        event.delete()
    with pytest.raises(ProtectedDeletion):
        AuditEvent.objects.filter(pk=event.pk).update(detail="x")
    with pytest.raises(ProtectedDeletion):
        AuditEvent.objects.all().delete()
    event.refresh_from_db()
    assert event.detail == ""


def test_audit_admin_is_read_only_even_for_clinic_admins(clinic_admin, client):
    event = AuditEvent.objects.create(action="read", object_type="patient")
    client.force_login(clinic_admin)
    assert client.get("/admin/clinic/auditevent/add/").status_code == 403
    assert client.get(f"/admin/clinic/auditevent/{event.pk}/delete/").status_code == 403
    response = client.post(
        f"/admin/clinic/auditevent/{event.pk}/change/", {"detail": "tampered", "action": "read"}
    )
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.detail == ""
