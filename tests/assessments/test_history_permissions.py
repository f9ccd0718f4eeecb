"""Who may do what with substance histories: the permission matrix, persona by persona."""

import pytest

from assessments.models import KratomProductUse, SubstanceHistory
from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import record_substance_history, substance_history_data

PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}
URL = "/api/v1/substance-histories/"
OPERATIONS = {
    "list": ("view", "get", URL),
    "retrieve": ("view", "get", URL + "{id}/"),
    "create": ("add", "post", URL),
    "revise": ("add", "post", URL + "{id}/revise/"),
}


@pytest.fixture
def existing(patient_a, clinician):
    return record_substance_history(patient_a, clinician)


def snapshot():
    return (
        SubstanceHistory.objects.count(),
        SubstanceHistory.history.count(),
        KratomProductUse.objects.count(),
        list(SubstanceHistory.objects.values_list("id", "is_current")),
        AuditEvent.objects.exclude(action="read").count(),
        AuditEvent.objects.filter(action="read", object_type="substance_history").count(),
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_substance_history_api_follows_the_matrix(
    persona, operation, personas, api_as, token_api, patient_a, existing
):
    action, method, url = OPERATIONS[operation]
    client = token_api if persona == "integration" else api_as(personas[persona])
    payload = substance_history_data()
    if operation == "create":
        payload["patient"] = str(patient_a.pk)
    before = snapshot()
    response = getattr(client, method)(url.format(id=existing.pk), payload, format="json")

    may = access.allowed(PERSONA_ROLE[persona], "substance_history", action)
    if not may:
        assert response.status_code == 403, response.content
    elif persona == "outsider" and operation in {"retrieve", "revise"}:
        assert response.status_code == 404
    elif persona == "outsider" and operation == "create":
        assert response.status_code == 400
        assert "patient" in response.json()["errors"]
    else:
        assert response.status_code in {200, 201}, response.content
        if operation == "list":
            ids = [h["id"] for h in response.json()["results"]]
            assert ids == ([] if persona == "outsider" else [str(existing.pk)])
        return
    assert snapshot() == before, "a refused request changed something"
    assert response["Content-Type"] == "application/problem+json"


def test_front_desk_and_integration_have_no_right_at_all():
    for role in (Role.FRONT_DESK, Role.INTEGRATION):
        assert not any(access.allowed(role, "substance_history", a) for a in access.ACTIONS), role


def test_outsider_list_filtered_by_another_sites_patient_is_empty(
    outsider, api_as, patient_a, existing
):
    response = api_as(outsider).get(URL, {"patient": str(patient_a.pk)})
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert not AuditEvent.objects.filter(action="read", patient_id=patient_a.pk).exists()


def test_anonymous_gets_401(api, existing):
    assert api.get(f"{URL}{existing.pk}/").status_code == 401
