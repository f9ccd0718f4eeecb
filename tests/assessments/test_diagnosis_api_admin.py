"""The diagnosis admin: the suggestion beside the confirmation, then status changes only."""

from assessments.models import Diagnosis
from tests.factories import confirm_diagnosis

ADMIN = "/admin/assessments/diagnosis/"


def checklist(patient, **extra):
    data = {
        "patient": str(patient.pk),
        "substance": "kratom",
        "criteria_met_choices": ["1", "2", "3", "4", "10"],
        "months_since": "",
        "checklist_withdrawal": "none",
        "code": "",
        "confirmed_severity": "",
        "confirmed_remission": "",
        "confirmed_withdrawal": "",
        "change_reason": "",
        "onset_date": "",
    }
    data.update(extra)
    return data


def test_the_suggestion_is_shown_before_anything_is_confirmed(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(ADMIN + "add/", checklist(patient_a))
    assert response.status_code == 200
    assert "Suggested: F19.20" in response.content.decode()
    assert Diagnosis.objects.count() == 0


def test_choosing_the_suggested_code_confirms_it(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(ADMIN + "add/", checklist(patient_a, code="F19.20"))
    assert response.status_code == 302, response.content.decode()[:2000]
    entry = Diagnosis.objects.get()
    assert (entry.icd10_code, entry.code_changed, entry.confirmed_by) == (
        "F19.20",
        False,
        clinician,
    )
    assert entry.history.get().history_user == clinician
    page = client.get(f"{ADMIN}{entry.pk}/change/").content.decode()
    assert "Suggested: <strong>F19.20</strong>" in page
    assert "Confirmed: <strong>F19.20</strong>" in page


def test_another_code_needs_a_reason(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(
        ADMIN + "add/", checklist(patient_a, code="F19.10", confirmed_severity="mild")
    )
    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    assert Diagnosis.objects.count() == 0
    response = client.post(
        ADMIN + "add/",
        checklist(
            patient_a, code="F19.10", confirmed_severity="mild", change_reason="Re-interviewed"
        ),
    )
    assert response.status_code == 302
    assert Diagnosis.objects.get().code_changed is True


def test_an_open_diagnosis_must_be_resolved_or_replaced(clinician, client, patient_a):
    first = confirm_diagnosis(patient_a, clinician)
    client.force_login(clinician)
    response = client.post(ADMIN + "add/", checklist(patient_a, code="F19.20"))
    assert response.status_code == 200
    assert Diagnosis.objects.count() == 1
    response = client.post(ADMIN + "add/", checklist(patient_a, code="F19.20", replace_open="on"))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.status == "resolved"


def test_status_changes_in_the_admin_go_through_the_service(clinician, client, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    client.force_login(clinician)
    response = client.post(
        f"{ADMIN}{entry.pk}/change/", {"status": "in_remission", "status_reason": "4 months"}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.status, entry.status_changed_by) == ("in_remission", clinician)
    assert entry.history.first().history_user == clinician


def test_a_disallowed_status_shows_an_error_and_changes_nothing(clinician, client, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    client.force_login(clinician)
    client.post(f"{ADMIN}{entry.pk}/change/", {"status": "ruled_out", "status_reason": "no"})
    response = client.post(f"{ADMIN}{entry.pk}/change/", {"status": "active", "status_reason": ""})
    assert response.status_code == 200
    assert "cannot become active" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == "ruled_out"
