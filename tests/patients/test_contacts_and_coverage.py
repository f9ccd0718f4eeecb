"""Emergency contacts and insurance coverage through the API."""

import pytest

from patients.models import Coverage, EmergencyContact
from tests.factories import register_patient


def add_coverage(client, patient, **overrides):
    body = {
        "patient": str(patient.pk),
        "payer_name": "Prairie Health",
        "member_id": "PH123",
        "priority": "primary",
        "effective_date": "2025-01-01",
        **overrides,
    }
    return client.post("/api/v1/coverages/", body, format="json")


def test_front_desk_adds_a_contact_with_a_normalised_phone(front_desk, api_as, patient_a):
    response = api_as(front_desk).post(
        "/api/v1/emergency-contacts/",
        {
            "patient": str(patient_a.pk),
            "name": "Rae Doe",
            "relationship": "sibling",
            "phone": "312.555.0177",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["phone"] == "+13125550177"
    assert EmergencyContact.objects.get().history.first().history_user == front_desk


def test_only_one_primary_contact(front_desk, api_as, patient_a):
    client = api_as(front_desk)
    for name in ("A One", "B Two"):
        client.post(
            "/api/v1/emergency-contacts/",
            {
                "patient": str(patient_a.pk),
                "name": name,
                "relationship": "friend",
                "phone": "3125550177",
                "is_primary": True,
            },
            format="json",
        )
    primaries = list(
        EmergencyContact.objects.filter(is_primary=True).values_list("name", flat=True)
    )
    assert primaries == ["B Two"]


def test_bad_phone_or_relationship_is_400_and_nothing_saved(front_desk, api_as, patient_a):
    response = api_as(front_desk).post(
        "/api/v1/emergency-contacts/",
        {"patient": str(patient_a.pk), "name": "X", "relationship": "cousin", "phone": "12"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"relationship"}
    response = api_as(front_desk).post(
        "/api/v1/emergency-contacts/",
        {"patient": str(patient_a.pk), "name": "X", "relationship": "friend", "phone": "12"},
        format="json",
    )
    assert set(response.json()["errors"]) == {"phone"}
    assert not EmergencyContact.objects.exists()


def test_a_patient_at_another_site_is_unknown(front_desk, api_as, patient_b):
    response = add_coverage(api_as(front_desk), patient_b)
    assert response.status_code == 400
    assert response.json()["errors"] == {"patient": ["Unknown patient."]}


def test_overlapping_primaries_are_refused(front_desk, api_as, patient_a):
    client = api_as(front_desk)
    assert add_coverage(client, patient_a, end_date="2025-12-31").status_code == 201
    overlap = add_coverage(client, patient_a, payer_name="Other", effective_date="2025-06-01")
    assert overlap.status_code == 400
    assert "overlap" in overlap.json()["errors"]["effective_date"][0]
    after = add_coverage(client, patient_a, payer_name="Next", effective_date="2026-01-01")
    assert after.status_code == 201
    secondary = add_coverage(client, patient_a, priority="secondary", effective_date="2025-06-01")
    assert secondary.status_code == 201
    assert Coverage.objects.count() == 3


def test_end_before_start_is_400(front_desk, api_as, patient_a):
    response = add_coverage(api_as(front_desk), patient_a, end_date="2024-01-01")
    assert response.status_code == 400
    assert "end date" in str(response.json()["errors"])


def test_update_rechecks_overlap_and_cannot_move_patients(front_desk, api_as, patient_a, site_a):
    client = api_as(front_desk)
    first = add_coverage(client, patient_a, end_date="2025-06-30").json()
    add_coverage(client, patient_a, payer_name="Later", effective_date="2025-07-01")
    widened = client.patch(
        f"/api/v1/coverages/{first['id']}/", {"end_date": "2025-12-31"}, format="json"
    )
    assert widened.status_code == 400
    other = register_patient(site_a)
    moved = client.patch(
        f"/api/v1/coverages/{first['id']}/", {"patient": str(other.pk)}, format="json"
    )
    assert moved.status_code == 400


def test_archive_keeps_the_row(front_desk, api_as, patient_a):
    client = api_as(front_desk)
    coverage = add_coverage(client, patient_a).json()
    response = client.post(f"/api/v1/coverages/{coverage['id']}/archive/", {"reason": "ended"})
    assert response.status_code == 200
    assert client.get(f"/api/v1/coverages/?patient={patient_a.pk}").json()["count"] == 0
    assert Coverage.objects.filter(archived_at__isnull=False).count() == 1
    assert client.delete(f"/api/v1/coverages/{coverage['id']}/").status_code == 405


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("front_desk", 201),
        ("clinician", 403),
        ("medical_staff", 403),
        ("clinic_admin", 201),
        ("outsider", 403),
    ],
)
def test_who_may_add_coverage(persona, expected, personas, api_as, patient_a):
    response = add_coverage(api_as(personas[persona]), patient_a)
    assert response.status_code == expected
    assert Coverage.objects.count() == (1 if expected == 201 else 0)


def test_integration_token_may_add_coverage(token_api, patient_a):
    assert add_coverage(token_api, patient_a).status_code == 201


def test_care_team_member_is_added_by_clinicians(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        "/api/v1/care-team/",
        {
            "patient": str(patient_a.pk),
            "staff": clinician.pk,
            "role": "therapist",
            "start_date": "2025-02-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    duplicate = api_as(clinician).post(
        "/api/v1/care-team/",
        {
            "patient": str(patient_a.pk),
            "staff": clinician.pk,
            "role": "therapist",
            "start_date": "2025-02-02",
        },
        format="json",
    )
    assert duplicate.status_code == 400


@pytest.mark.parametrize("endpoint", ["emergency-contacts", "coverages", "care-team"])
def test_every_list_is_limited_to_the_callers_sites(
    endpoint, clinic_admin, outsider, api_as, patient_a
):
    from patients.services import contacts
    from patients.services.patient import care_team_add

    contacts.emergency_contact_add(
        patient=patient_a, user=clinic_admin, name="N", relationship="friend", phone="3125550111"
    )
    contacts.coverage_add(
        patient=patient_a,
        user=clinic_admin,
        payer_name="P",
        member_id="1",
        effective_date="2025-01-01",
    )
    care_team_add(patient=patient_a, staff=clinic_admin, role="supervisor", user=clinic_admin)
    assert api_as(clinic_admin).get(f"/api/v1/{endpoint}/").json()["count"] == 1
    assert api_as(outsider).get(f"/api/v1/{endpoint}/").json()["count"] == 0
