"""Diagnosis suggestion (stateless) and the problem list: confirm, change with reason, status."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from assessments.models import Diagnosis
from clinic.models import AuditEvent
from tests.factories import confirm_diagnosis, register_patient

URL = "/api/v1/diagnoses/"


def suggest_url(patient):
    return f"/api/v1/patients/{patient.pk}/diagnosis-suggestion/"


# --- Suggestion ----------------------------------------------------------------------------------


def test_it_suggests_from_the_checklist_without_storing(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        suggest_url(patient_a),
        {"criteria_met": [1, 2, 3, 4, 10], "withdrawal": "none"},
        format="json",
    )
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["severity"] == "moderate"
    assert data["remission"] == "none"
    assert data["icd10_code"] == "F19.20"
    assert data["display"].endswith("(kratom)")
    assert data["criteria"] == [1, 2, 3, 4, 10]
    assert Diagnosis.objects.count() == 0


def test_it_suggests_remission_and_withdrawal_codes(clinician, api_as, patient_a):
    client = api_as(clinician)
    remission = client.post(
        suggest_url(patient_a),
        {"criteria_met": [1, 2, 3], "months_since_last_met": 14},
        format="json",
    ).json()
    assert (remission["icd10_code"], remission["remission"]) == ("F19.11", "sustained")
    withdrawal = client.post(
        suggest_url(patient_a),
        {"criteria_met": [1, 2, 3, 4, 5, 6, 11], "withdrawal": "uncomplicated"},
        format="json",
    ).json()
    assert withdrawal["icd10_code"] == "F19.230"


@pytest.mark.parametrize(
    ("payload", "key"),
    [
        ({"criteria_met": [0, 12]}, "criteria_met[0]"),
        ({"criteria_met": [1, 1]}, "criteria_met"),
        ({"criteria_met": [1, 2], "months_since_last_met": -1}, "months_since_last_met"),
        ({"criteria_met": [1, 2], "withdrawal": "severe"}, "withdrawal"),
        (
            {"criteria_met": [1, 2, 3], "months_since_last_met": 6, "withdrawal": "uncomplicated"},
            "withdrawal",
        ),
        ({"criteria_met": [1, 2], "on_maintenance": True}, "on_maintenance"),
        ({}, "criteria_met"),
    ],
)
def test_bad_checklist_answers_are_400s(payload, key, clinician, api_as, patient_a):
    response = api_as(clinician).post(suggest_url(patient_a), payload, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()["errors"], response.json()


def test_suggestion_for_another_sites_patient_is_404(outsider, api_as, patient_a):
    response = api_as(outsider).post(
        suggest_url(patient_a), {"criteria_met": [1, 2]}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("front_desk", 403),
        ("medical_staff", 403),
        ("clinic_admin", 403),
        ("clinician", 200),
        ("integration", 403),
    ],
)
def test_suggestion_needs_the_right_to_diagnose(
    persona, status, personas, api_as, token_api, patient_a
):
    client = token_api if persona == "integration" else api_as(personas[persona])
    response = client.post(suggest_url(patient_a), {"criteria_met": [1, 2]}, format="json")
    assert response.status_code == status


# --- Confirm -------------------------------------------------------------------------------------


def confirm(client, patient, **extra):
    payload = {"patient": str(patient.pk), "criteria_met": [1, 2, 3, 4, 5], **extra}
    return client.post(URL, payload, format="json")


def test_confirming_the_suggestion_stores_it_unchanged(clinician, api_as, patient_a):
    response = confirm(api_as(clinician), patient_a, onset_date="2023-04-01")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["icd10_code"] == data["suggested_code"] == "F19.20"
    assert data["code_changed"] is False
    assert data["severity"] == "moderate"
    assert data["status"] == "active"
    assert data["confirmed_by"] == "clinician"
    assert data["criteria_met"] == [1, 2, 3, 4, 5]
    entry = Diagnosis.objects.get(pk=data["id"])
    assert entry.history.get().history_user == clinician
    assert AuditEvent.objects.filter(
        action="create", object_type="diagnosis", object_id=str(entry.pk)
    ).exists()
    # The audit trail records that it happened, not the diagnosis itself.
    assert not any("F19" in d for d in AuditEvent.objects.values_list("detail", flat=True))


def test_a_remission_diagnosis_starts_in_remission(clinician, api_as, patient_a):
    response = confirm(
        api_as(clinician),
        patient_a,
        months_since_last_met=4,
        controlled_environment=True,
    )
    data = response.json()
    assert data["icd10_code"] == "F19.21"
    assert data["status"] == "in_remission"
    assert data["specifiers"] == ["in early remission", "in a controlled environment"]


def test_a_changed_code_without_reason_is_a_400_and_nothing_is_stored(clinician, api_as, patient_a):
    response = confirm(api_as(clinician), patient_a, icd10_code="F19.10", severity="mild")
    assert response.status_code == 400
    assert "change_reason" in response.json()["errors"]
    assert Diagnosis.objects.count() == 0


def test_a_changed_code_with_reason_is_kept_beside_the_suggestion(clinician, api_as, patient_a):
    response = confirm(
        api_as(clinician),
        patient_a,
        icd10_code="F19.10",
        severity="mild",
        change_reason="Two criteria were reported under duress; re-interviewed.",
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["icd10_code"], data["suggested_code"]) == ("F19.10", "F19.20")
    assert data["code_changed"] is True
    assert data["severity"] == "mild"
    assert data["change_reason"].startswith("Two criteria")


def test_an_unknown_icd_code_is_a_400(clinician, api_as, patient_a):
    response = confirm(api_as(clinician), patient_a, icd10_code="F11.20", change_reason="opioids")
    assert response.status_code == 400
    assert "not in the ICD-10-CM table" in response.json()["errors"]["icd10_code"][0]
    assert Diagnosis.objects.count() == 0


def test_a_code_that_contradicts_the_severity_is_a_400(clinician, api_as, patient_a):
    # F19.10 is mild; the checklist says moderate and the clinician did not say otherwise.
    response = confirm(api_as(clinician), patient_a, icd10_code="F19.10", change_reason="why")
    assert response.status_code == 400
    assert "does not match" in response.json()["errors"]["icd10_code"][0]


def test_no_disorder_means_no_code_to_confirm(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        URL, {"patient": str(patient_a.pk), "criteria_met": [4]}, format="json"
    )
    assert response.status_code == 400
    assert "icd10_code" in response.json()["errors"]


def test_onset_cannot_be_in_the_future(clinician, api_as, patient_a):
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    response = confirm(api_as(clinician), patient_a, onset_date=tomorrow)
    assert response.status_code == 400
    assert "onset_date" in response.json()["errors"]


def test_a_second_open_diagnosis_for_the_substance_is_a_409(clinician, api_as, patient_a):
    first = confirm_diagnosis(patient_a, clinician)
    response = confirm(api_as(clinician), patient_a, criteria_met=[1, 2, 3, 4, 5, 6, 7])
    assert response.status_code == 409
    assert response.json()["current_id"] == str(first.pk)
    assert Diagnosis.objects.count() == 1


def test_replacing_the_open_diagnosis_resolves_it(clinician, api_as, patient_a):
    first = confirm_diagnosis(patient_a, clinician)
    response = confirm(
        api_as(clinician), patient_a, criteria_met=[1, 2, 3, 4, 5, 6, 7], replaces=str(first.pk)
    )
    assert response.status_code == 201
    first.refresh_from_db()
    assert first.status == "resolved"
    assert first.history.first().history_user == clinician


def test_another_patients_diagnosis_cannot_be_replaced(clinician, api_as, patient_a, site_a):
    other = confirm_diagnosis(register_patient(site_a), clinician)
    response = confirm(api_as(clinician), patient_a, replaces=str(other.pk))
    assert response.status_code == 400
    assert "replaces" in response.json()["errors"]


# --- Status --------------------------------------------------------------------------------------


def test_status_changes_keep_history_with_the_acting_user(clinician, api_as, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    client = api_as(clinician)
    response = client.patch(
        f"{URL}{entry.pk}/",
        {"status": "in_remission", "status_reason": "No criteria for 4 months"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "in_remission"
    assert response.json()["status_changed_by"] == "clinician"
    history = client.get(f"{URL}{entry.pk}/history/").json()
    assert [h["status"] for h in history] == ["active", "in_remission"]
    assert history[-1]["history_user"] == "clinician"
    assert AuditEvent.objects.filter(action="update", object_id=str(entry.pk)).exists()


def test_a_disallowed_transition_is_a_409_and_changes_nothing(clinician, api_as, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    client = api_as(clinician)
    assert (
        client.patch(
            f"{URL}{entry.pk}/", {"status": "ruled_out", "status_reason": "x"}, format="json"
        ).status_code
        == 200
    )
    response = client.patch(f"{URL}{entry.pk}/", {"status": "active"}, format="json")
    assert response.status_code == 409
    entry.refresh_from_db()
    assert entry.status == "ruled_out"


def test_ruling_out_needs_a_reason(clinician, api_as, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    response = api_as(clinician).patch(f"{URL}{entry.pk}/", {"status": "ruled_out"}, format="json")
    assert response.status_code == 400
    assert "status_reason" in response.json()["errors"]
    entry.refresh_from_db()
    assert entry.status == "active"


def test_only_the_status_can_be_patched(clinician, api_as, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    response = api_as(clinician).patch(
        f"{URL}{entry.pk}/", {"status": "resolved", "icd10_code": "F19.10"}, format="json"
    )
    assert response.status_code == 400
    assert "icd10_code" in response.json()["errors"]
    entry.refresh_from_db()
    assert (entry.status, entry.icd10_code) == ("active", "F19.20")


def test_put_is_not_offered(clinician, api_as, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    response = api_as(clinician).put(f"{URL}{entry.pk}/", {"status": "resolved"}, format="json")
    assert response.status_code == 405


# --- Reads ---------------------------------------------------------------------------------------


def test_reads_are_audited(medical_staff, clinician, api_as, patient_a):
    entry = confirm_diagnosis(patient_a, clinician)
    client = api_as(medical_staff)
    client.get(URL)
    client.get(f"{URL}{entry.pk}/")
    client.get(f"{URL}{entry.pk}/history/")
    reads = AuditEvent.objects.filter(action="read", object_type="diagnosis", actor=medical_staff)
    assert reads.count() == 3
    assert set(reads.values_list("patient_id", flat=True)) == {patient_a.pk}


def test_list_queries_do_not_grow_with_page_size(clinician, api_as, site_a):
    client = api_as(clinician)
    confirm_diagnosis(register_patient(site_a), clinician)

    def run(size):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": size})
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.json()["results"])

    small = run(1)
    for _ in range(4):
        entry = confirm_diagnosis(register_patient(site_a), clinician)
    from assessments.services.diagnosis import diagnosis_update_status

    diagnosis_update_status(diagnosis=entry, user=clinician, status="resolved")
    large = run(5)
    assert (small[1], large[1]) == (1, 5)
    assert small[0] == large[0]


def test_the_database_refuses_a_changed_code_without_reason(clinician, patient_a):
    from django.db import IntegrityError, transaction

    entry = confirm_diagnosis(patient_a, clinician)
    with pytest.raises(IntegrityError), transaction.atomic():
        Diagnosis.objects.filter(pk=entry.pk).update(icd10_code="F19.10")
    with pytest.raises(IntegrityError), transaction.atomic():
        Diagnosis.objects.filter(pk=entry.pk).update(
            icd10_code="F19.10", code_changed=True, change_reason=""
        )
