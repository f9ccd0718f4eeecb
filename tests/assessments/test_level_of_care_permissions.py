"""Who may do what with level-of-care determinations, persona by persona, API and admin."""

import pytest

from assessments.models import DimensionRating, LevelOfCareDetermination
from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import level_of_care_data, record_level_of_care

PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}
URL = "/api/v1/level-of-care/"
OPERATIONS = {
    "list": ("view", "get", URL),
    "retrieve": ("view", "get", URL + "{id}/"),
    "create": ("add", "post", URL),
}


@pytest.fixture
def existing(patient_a, clinician):
    return record_level_of_care(patient_a, clinician)


def snapshot():
    return (
        list(LevelOfCareDetermination.objects.values_list("id", "is_current")),
        DimensionRating.objects.count(),
        LevelOfCareDetermination.history.count(),
        AuditEvent.objects.exclude(action="read").count(),
        AuditEvent.objects.filter(action="read", object_type="level_of_care").count(),
    )


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_level_of_care_api_follows_the_matrix(
    persona, operation, personas, api_as, token_api, patient_a, existing
):
    action, method, url = OPERATIONS[operation]
    client = token_api if persona == "integration" else api_as(personas[persona])
    payload = {"patient": str(patient_a.pk), **level_of_care_data()} if method == "post" else None
    before = snapshot()
    response = getattr(client, method)(url.format(id=existing.pk), payload, format="json")
    may = access.allowed(PERSONA_ROLE[persona], "level_of_care", action)
    if not may:
        assert response.status_code == 403, response.content
    elif persona == "outsider" and operation == "retrieve":
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


@pytest.mark.parametrize("persona", PERSONAS)
def test_editions_follow_the_view_right(persona, personas, api_as, token_api):
    client = token_api if persona == "integration" else api_as(personas[persona])
    response = client.get(URL + "editions/")
    may = access.allowed(PERSONA_ROLE[persona], "level_of_care", "view")
    assert response.status_code == (200 if may else 403)


# --- Admin -------------------------------------------------------------------------------------

ADMIN = "/admin/assessments/levelofcaredetermination/"


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "medical_staff", "clinic_admin"])
def test_admin_pages_follow_the_matrix(persona, personas, client, existing):
    client.force_login(personas[persona])
    role = PERSONA_ROLE[persona]
    may_view = access.allowed(role, "level_of_care", "view")
    assert client.get(ADMIN).status_code == (200 if may_view else 403)
    assert client.get(ADMIN + "add/").status_code == (
        200 if access.allowed(role, "level_of_care", "add") else 403
    )
    assert client.get(f"{ADMIN}{existing.pk}/change/").status_code == (200 if may_view else 403)


def test_admin_outsider_gets_404(outsider, client, existing):
    client.force_login(outsider)
    assert client.get(f"{ADMIN}{existing.pk}/change/").status_code == 404
