"""Who may do what with diagnoses: the permission matrix, persona by persona, API and admin."""

import pytest

from assessments.models import Diagnosis
from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import confirm_diagnosis

PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}
URL = "/api/v1/diagnoses/"
OPERATIONS = {
    "list": ("view", "get", URL),
    "retrieve": ("view", "get", URL + "{id}/"),
    "history": ("view", "get", URL + "{id}/history/"),
    "create": ("add", "post", URL),
    "partial_update": ("change", "patch", URL + "{id}/"),
}


@pytest.fixture
def existing(patient_a, clinician):
    return confirm_diagnosis(patient_a, clinician)


def snapshot():
    return (
        list(Diagnosis.objects.values_list("id", "status", "icd10_code")),
        Diagnosis.history.count(),
        AuditEvent.objects.exclude(action="read").count(),
        AuditEvent.objects.filter(action="read", object_type="diagnosis").count(),
    )


def payload_for(operation, patient, existing):
    if operation == "create":
        return {
            "patient": str(patient.pk),
            "criteria_met": [1, 2, 3, 4, 5, 6],
            "replaces": str(existing.pk),
        }
    if operation == "partial_update":
        return {"status": "resolved", "status_reason": "Completed treatment"}
    return None


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_diagnosis_api_follows_the_matrix(
    persona, operation, personas, api_as, token_api, patient_a, existing
):
    action, method, url = OPERATIONS[operation]
    client = token_api if persona == "integration" else api_as(personas[persona])
    before = snapshot()
    response = getattr(client, method)(
        url.format(id=existing.pk), payload_for(operation, patient_a, existing), format="json"
    )
    may = access.allowed(PERSONA_ROLE[persona], "diagnosis", action)
    if not may:
        assert response.status_code == 403, response.content
    elif persona == "outsider" and operation in {"retrieve", "history", "partial_update"}:
        assert response.status_code == 404
    elif persona == "outsider" and operation == "create":
        assert response.status_code == 400
        assert "patient" in response.json()["errors"]
    else:
        assert response.status_code in {200, 201}, response.content
        if operation == "list":
            ids = [d["id"] for d in response.json()["results"]]
            assert ids == ([] if persona == "outsider" else [str(existing.pk)])
        return
    assert snapshot() == before, "a refused request changed something"
    assert response["Content-Type"] == "application/problem+json"


def test_outsider_suggestion_is_404_and_nothing_is_stored(outsider, api_as, patient_a):
    response = api_as(outsider).post(
        f"/api/v1/patients/{patient_a.pk}/diagnosis-suggestion/",
        {"criteria_met": [1, 2, 3]},
        format="json",
    )
    assert response.status_code == 404
    assert Diagnosis.objects.count() == 0


# --- Admin -------------------------------------------------------------------------------------

ADMIN = "/admin/assessments/diagnosis/"


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "medical_staff", "clinic_admin"])
def test_admin_pages_follow_the_matrix(persona, personas, client, existing):
    client.force_login(personas[persona])
    role = PERSONA_ROLE[persona]
    may_view = access.allowed(role, "diagnosis", "view")
    assert client.get(ADMIN).status_code == (200 if may_view else 403)
    assert client.get(ADMIN + "add/").status_code == (
        200 if access.allowed(role, "diagnosis", "add") else 403
    )
    assert client.get(f"{ADMIN}{existing.pk}/change/").status_code == (200 if may_view else 403)


def test_admin_outsider_gets_404(outsider, client, existing):
    client.force_login(outsider)
    assert client.get(f"{ADMIN}{existing.pk}/change/").status_code == 404


def test_medical_staff_cannot_change_a_status_in_the_admin(medical_staff, client, existing):
    client.force_login(medical_staff)
    response = client.post(
        f"{ADMIN}{existing.pk}/change/", {"status": "resolved", "status_reason": ""}
    )
    assert response.status_code == 403
    existing.refresh_from_db()
    assert existing.status == "active"
