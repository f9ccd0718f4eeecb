"""The permission matrix: the document, the API and the admin all follow the one table in code."""

from pathlib import Path

import pytest

from clinic import access
from clinic.access import ACTIONS, RECORD_TYPES, ROLE_GROUPS, Role
from clinic.models import AuditEvent
from patients.models import Patient

ROOT = Path(__file__).resolve().parents[2]
PERSONAS = ["front_desk", "clinician", "medical_staff", "clinic_admin", "integration", "outsider"]
PERSONA_ROLE = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
    "integration": Role.INTEGRATION,
    "outsider": Role.CLINICIAN,
}


def test_docs_permissions_md_shows_exactly_the_matrix_in_code():
    doc = (ROOT / "docs" / "permissions.md").read_text()
    assert access.render_matrix_markdown() in doc


def test_every_role_has_a_group_created_by_migration(db):
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group

    Group.objects.all().delete()
    importlib.import_module("clinic.migrations.0002_roles").create_roles(apps, None)
    assert set(Group.objects.values_list("name", flat=True)) == set(ROLE_GROUPS.values())


def test_front_desk_has_no_clinical_access():
    clinical = [
        "assessment",
        "substance_history",
        "diagnosis",
        "level_of_care",
        "alert",
        "treatment_plan",
        "session_note",
        "counselling_note",
        "taper",
        "vitals",
        "lab_result",
        "drug_screen",
        "medication",
        "discharge",
    ]
    for record_type in clinical:
        for action in ACTIONS:
            assert not access.allowed(Role.FRONT_DESK, record_type, action), record_type


def test_integration_has_no_admin_only_records():
    for record_type in ["site", "staff", "api_token", "audit_event", "counselling_note"]:
        for action in ACTIONS:
            assert not access.allowed(Role.INTEGRATION, record_type, action)


def test_only_clinicians_may_touch_part2_counselling_notes():
    for role in ROLE_GROUPS:
        expected = role == Role.CLINICIAN
        assert access.allowed(role, "counselling_note", "view") is expected, role


def test_nobody_may_change_the_audit_trail():
    for role in ROLE_GROUPS:
        for action in ("add", "change", "archive"):
            assert not access.allowed(role, "audit_event", action)


def test_unknown_record_type_or_action_is_a_programming_error():
    with pytest.raises(KeyError):
        access.allowed(Role.CLINICIAN, "nonsense", "view")
    with pytest.raises(KeyError):
        access.allowed(Role.CLINICIAN, "patient", "delete")


def test_matrix_covers_only_known_record_types():
    for table in access.PERMISSIONS.values():
        assert set(table) <= set(RECORD_TYPES)


# --- The API, role by role, from the same table ---------------------------------------------


def _client_for(persona, personas, api_as, token_api):
    if persona == "integration":
        return token_api
    return api_as(personas[persona])


def _snapshot(patient):
    patient.refresh_from_db()
    return (
        Patient.objects.count(),
        patient.history.count(),
        {f.name: getattr(patient, f.attname) for f in Patient._meta.concrete_fields},
    )


OPERATIONS = {
    "list": ("view", "get", "/api/v1/patients/", None),
    "retrieve": ("view", "get", "/api/v1/patients/{id}/", None),
    "create": (
        "add",
        "post",
        "/api/v1/patients/",
        {"site": "SITEA", "first_name": "Ada", "last_name": "Quill", "date_of_birth": "1980-02-03"},
    ),
    "partial_update": ("change", "patch", "/api/v1/patients/{id}/", {"preferred_name": "Q"}),
    "archive": ("archive", "post", "/api/v1/patients/{id}/archive/", {"reason": "duplicate"}),
}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_patient_api_follows_the_matrix(persona, operation, personas, api_as, token_api, patient_a):
    action, method, url, body = OPERATIONS[operation]
    client = _client_for(persona, personas, api_as, token_api)
    before = _snapshot(patient_a)
    response = getattr(client, method)(url.format(id=patient_a.pk), body, format="json")

    may = access.allowed(PERSONA_ROLE[persona], "patient", action)
    if not may:
        assert response.status_code == 403, response.content
    elif persona == "outsider" and operation in {"retrieve", "partial_update", "archive"}:
        assert response.status_code == 404
    elif persona == "outsider" and operation == "create":
        assert response.status_code == 400
        assert "site" in response.json()["errors"]
    else:
        assert response.status_code in {200, 201}, response.content
        if operation == "list":
            ids = [p["id"] for p in response.json()["results"]]
            assert ids == ([] if persona == "outsider" else [str(patient_a.pk)])
        return
    assert _snapshot(patient_a) == before, "a refused request changed something"
    assert response["Content-Type"] == "application/problem+json"


def test_outsider_list_is_empty(outsider, api_as, patient_a):
    response = api_as(outsider).get("/api/v1/patients/")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_anonymous_gets_401_and_nothing_changes(api, patient_a):
    before = _snapshot(patient_a)
    response = api.patch(f"/api/v1/patients/{patient_a.pk}/", {"first_name": "X"}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert _snapshot(patient_a) == before


# --- The admin, role by role ----------------------------------------------------------------


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "medical_staff", "clinic_admin"])
def test_admin_patient_pages_follow_the_matrix(persona, personas, client, patient_a):
    client.force_login(personas[persona])
    role = PERSONA_ROLE[persona]
    changelist = client.get("/admin/patients/patient/")
    add = client.get("/admin/patients/patient/add/")
    change = client.get(f"/admin/patients/patient/{patient_a.pk}/change/")
    view_ok = access.allowed(role, "patient", "view")
    assert changelist.status_code == (200 if view_ok else 403)
    assert add.status_code == (200 if access.allowed(role, "patient", "add") else 403)
    assert change.status_code == (200 if view_ok else 403)


def test_admin_audit_log_is_visible_only_to_clinic_admins(personas, client):
    for persona in ["front_desk", "clinician", "medical_staff", "clinic_admin"]:
        client.force_login(personas[persona])
        response = client.get("/admin/clinic/auditevent/")
        assert response.status_code == (200 if persona == "clinic_admin" else 403), persona


def test_outsider_admin_gets_404_for_another_sites_patient(outsider, client, patient_a):
    client.force_login(outsider)
    response = client.get(f"/admin/patients/patient/{patient_a.pk}/change/")
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(patient_id=patient_a.pk, action="read").exists()


def test_integration_account_cannot_use_the_admin(integration_user, client):
    client.force_login(integration_user)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
