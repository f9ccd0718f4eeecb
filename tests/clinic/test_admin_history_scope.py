"""Admin history pages are scoped like change pages: simple-history would otherwise fall back to
the history table for a record outside the user's sites and show it."""

from clinic.models import AuditEvent


def test_history_pages_of_another_sites_patient_are_404(outsider, client, patient_a):
    client.force_login(outsider)
    url = f"/admin/patients/patient/{patient_a.pk}/history/"
    version = patient_a.history.first().history_id
    for page in (url, f"{url}{version}/"):
        response = client.get(page)
        assert response.status_code == 404
        assert patient_a.last_name not in response.content.decode()
    assert not AuditEvent.objects.filter(patient_id=patient_a.pk, action="read").exists()


def test_history_pages_at_the_users_site_open_and_are_audited(front_desk, client, patient_a):
    client.force_login(front_desk)
    url = f"/admin/patients/patient/{patient_a.pk}/history/"
    assert client.get(url).status_code == 200
    assert client.get(f"{url}{patient_a.history.first().history_id}/").status_code == 200
    reads = AuditEvent.objects.filter(patient_id=patient_a.pk, action="read", source="admin")
    assert reads.count() == 2


def test_a_malformed_id_is_404(front_desk, client, db):
    client.force_login(front_desk)
    assert client.get("/admin/patients/patient/not-a-uuid/history/").status_code == 404
