"""The substance-history admin: a clinician's intake form, saved through the service."""

import pytest

from assessments.models import SubstanceHistory
from clinic import access
from clinic.models import AuditEvent
from tests.factories import record_substance_history

BASE = "/admin/assessments/substancehistory/"
INLINES = ["products", "other_substances", "prior_treatments", "medications", "allergies"]


def management(prefix, total):
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def intake_post(patient, *, unit="g", goal_words="Cut down so I can sleep again."):
    data = {
        "patient": str(patient.pk),
        "reasons_for_use": ["pain", "mood_anxiety"],
        "reasons_for_use_other": "",
        "withdrawal_symptoms": ["aches"],
        "withdrawal_symptoms_other": "",
        "withdrawal_seizures": "no",
        "withdrawal_hospitalised": "no",
        "liver_disease": "no",
        "hypertension": "no",
        "seizure_disorder": "no",
        "cardiac_arrhythmia": "unknown",
        "qt_prolonging_medications": "no",
        "pregnancy_status": "not_applicable",
        "pregnancy_weeks": "",
        "psychiatric_conditions": [],
        "psychiatric_conditions_other": "",
        "prior_suicide_attempt": "no",
        "psychiatric_hospitalisation": "no",
        "current_mental_health_care": "no",
        "psychiatric_notes": "",
        "employment": "part_time",
        "housing": "stable",
        "relationship": "single",
        "legal": "none",
        "goal": "reduce",
        "goal_in_own_words": goal_words,
    }
    for prefix in INLINES:
        data.update(management(prefix, 1 if prefix in {"products", "medications"} else 0))
    data.update(
        {
            "products-0-form": "leaf_powder",
            "products-0-form_other": "",
            "products-0-amount": "4",
            "products-0-unit": unit,
            "products-0-mg_per_unit": "",
            "products-0-capsule_contents": "",
            "products-0-doses_per_day": "2",
            "products-0-years_of_use": "",
            "products-0-age_at_first_use": "",
            "products-0-last_use_at_0": "",
            "products-0-last_use_at_1": "",
            "products-0-route": "oral",
            "products-0-route_other": "",
            "medications-0-name": "Ondansetron",
            "medications-0-dose": "4 mg as needed",
            "medications-0-qt_prolonging": "on",
        }
    )
    return data


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "medical_staff", "clinic_admin"])
def test_admin_pages_follow_the_matrix(persona, personas, client, patient_a, clinician):
    record = record_substance_history(patient_a, clinician)
    client.force_login(personas[persona])
    role = {"front_desk": "front_desk", "medical_staff": "medical_staff"}.get(persona, persona)
    may_view = access.allowed(role, "substance_history", "view")
    may_add = access.allowed(role, "substance_history", "add")
    assert client.get(BASE).status_code == (200 if may_view else 403)
    assert client.get(BASE + "add/").status_code == (200 if may_add else 403)
    assert client.get(f"{BASE}{record.pk}/change/").status_code == (200 if may_view else 403)


def test_front_desk_does_not_see_the_assessments_app(front_desk, client):
    client.force_login(front_desk)
    response = client.get("/admin/")
    assert response.status_code == 200
    assert b"substancehistory" not in response.content
    assert b"diagnosis" not in response.content
    assert b"levelofcare" not in response.content


def test_clinician_enters_an_intake_with_rows_through_the_service(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(BASE + "add/", intake_post(patient_a))
    assert response.status_code == 302, response.context["errors"] if response.context else ""
    record = SubstanceHistory.objects.get(patient=patient_a)
    assert record.recorded_by == clinician
    assert record.reasons_for_use == ["pain", "mood_anxiety"]
    assert record.products.get().amount == 4
    assert record.history.get().history_user == clinician
    assert record.products.get().history.get().history_user == clinician
    assert AuditEvent.objects.filter(action="create", object_type="substance_history").exists()

    page = client.get(f"{BASE}{record.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "8.00 g/day" in text  # derived: 4 g x 2 doses, read-only
    assert "QT-prolonging medication: yes" in text


def test_a_wrong_unit_shows_on_the_row_and_saves_nothing(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(BASE + "add/", intake_post(patient_a, unit="mg"))
    assert response.status_code == 200
    assert "Leaf powder is recorded in g" in response.content.decode()
    assert SubstanceHistory.objects.count() == 0


def test_a_missing_goal_saves_nothing(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(BASE + "add/", intake_post(patient_a, goal_words="  "))
    assert response.status_code == 200
    assert SubstanceHistory.objects.count() == 0


def test_a_second_intake_in_the_admin_supersedes_the_first(clinician, client, patient_a):
    first = record_substance_history(patient_a, clinician)
    client.force_login(clinician)
    response = client.post(BASE + "add/", intake_post(patient_a))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.is_current is False
    assert SubstanceHistory.objects.get(is_current=True).revision == 2


def test_saved_intakes_are_read_only_in_the_admin(clinician, client, patient_a):
    record = record_substance_history(patient_a, clinician)
    client.force_login(clinician)
    response = client.post(f"{BASE}{record.pk}/change/", intake_post(patient_a))
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.goal == "stop"
    assert client.get(f"{BASE}{record.pk}/delete/").status_code == 403


def test_outsider_gets_404_and_no_read_is_audited(outsider, client, patient_a, clinician):
    record = record_substance_history(patient_a, clinician)
    client.force_login(outsider)
    assert client.get(f"{BASE}{record.pk}/change/").status_code == 404
    assert not AuditEvent.objects.filter(action="read", patient_id=patient_a.pk).exists()


def test_change_view_audits_the_read(medical_staff, client, patient_a, clinician):
    record = record_substance_history(patient_a, clinician)
    client.force_login(medical_staff)
    client.get(f"{BASE}{record.pk}/change/")
    event = AuditEvent.objects.get(action="read", object_type="substance_history")
    assert event.source == "admin" and event.patient_id == patient_a.pk
