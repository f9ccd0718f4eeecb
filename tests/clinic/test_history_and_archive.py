"""Every change keeps history with the acting user; nothing clinical is hard-deleted."""

import pytest

from clinic.models import AuditEvent, ProtectedDeletion
from patients.models import Patient
from tests.admin_utils import admin_post_data


def test_api_update_keeps_a_history_row_with_the_acting_user(front_desk, api_as, patient_a):
    old_name = patient_a.preferred_name
    response = api_as(front_desk).patch(
        f"/api/v1/patients/{patient_a.pk}/", {"preferred_name": "Sunny"}, format="json"
    )
    assert response.status_code == 200
    latest = patient_a.history.first()
    assert latest.history_type == "~"
    assert latest.history_user == front_desk
    assert latest.preferred_name == "Sunny"
    assert latest.prev_record.preferred_name == old_name
    assert AuditEvent.objects.filter(action="update", patient_id=patient_a.pk).exists()


def test_token_update_records_the_integration_user_in_history(token_api, patient_a):
    response = token_api.patch(
        f"/api/v1/patients/{patient_a.pk}/", {"preferred_name": "Lab"}, format="json"
    )
    assert response.status_code == 200
    assert patient_a.history.first().history_user.username == "lab"


def test_admin_update_keeps_history_with_the_admin_user(front_desk, client, patient_a):
    client.force_login(front_desk)
    url = f"/admin/patients/patient/{patient_a.pk}/change/"
    response = client.post(url, admin_post_data(client.get(url), preferred_name="Desk"))
    assert response.status_code == 302, response.content
    assert patient_a.history.first().history_user == front_desk
    assert patient_a.history.first().preferred_name == "Desk"


def test_admin_history_page_is_available(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.get(f"/admin/patients/patient/{patient_a.pk}/history/")
    assert response.status_code == 200


@pytest.mark.parametrize("persona", ["clinic_admin", "front_desk", "clinician"])
def test_api_delete_is_refused_and_nothing_changes(persona, personas, api_as, patient_a):
    response = api_as(personas[persona]).delete(f"/api/v1/patients/{patient_a.pk}/")
    assert response.status_code == 405
    assert response.json()["status"] == 405
    assert Patient.objects.filter(pk=patient_a.pk, archived_at__isnull=True).exists()


def test_model_and_queryset_delete_are_refused(patient_a):
    with pytest.raises(ProtectedDeletion):
        patient_a.delete()
    with pytest.raises(ProtectedDeletion):
        Patient.objects.all().delete()
    assert Patient.objects.filter(pk=patient_a.pk).exists()


def test_admin_offers_no_delete(clinic_admin, client, patient_a):
    client.force_login(clinic_admin)
    assert client.get(f"/admin/patients/patient/{patient_a.pk}/delete/").status_code == 403
    changelist = client.get("/admin/patients/patient/")
    assert b"delete_selected" not in changelist.content


def test_archive_hides_from_default_list_and_keeps_the_record(clinic_admin, api_as, patient_a):
    client = api_as(clinic_admin)
    response = client.post(
        f"/api/v1/patients/{patient_a.pk}/archive/", {"reason": "duplicate"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["archived_at"]
    assert client.get("/api/v1/patients/").json()["results"] == []
    archived = client.get("/api/v1/patients/?archived=true").json()["results"]
    assert [p["id"] for p in archived] == [str(patient_a.pk)]
    assert patient_a.history.first().history_change_reason == "archived"
    assert AuditEvent.objects.filter(action="archive", patient_id=patient_a.pk).exists()


def test_archive_without_reason_is_400_and_changes_nothing(clinic_admin, api_as, patient_a):
    response = api_as(clinic_admin).post(f"/api/v1/patients/{patient_a.pk}/archive/", {})
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    patient_a.refresh_from_db()
    assert patient_a.archived_at is None
