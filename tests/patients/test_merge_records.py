"""Merging a confirmed duplicate moves everything, loses nothing, and is audited."""

import datetime as dt

import pytest

from clinic.models import AuditEvent
from patients.models import (
    CareTeamMember,
    Coverage,
    EmergencyContact,
    Episode,
    Patient,
    StatusEvent,
)
from patients.services import contacts
from patients.services.patient import care_team_add, patient_transition
from tests.factories import register_patient

DOB = dt.date(1988, 3, 14)


@pytest.fixture
def pair(site_a, clinic_admin, clinician):
    survivor = register_patient(site_a, first_name="Lena", last_name="Marsh", date_of_birth=DOB)
    duplicate = register_patient(
        site_a, first_name="Lina", last_name="Marsh", date_of_birth=DOB, confirm_not_duplicate=True
    )
    contacts.emergency_contact_add(
        patient=duplicate,
        user=clinic_admin,
        name="Kai Marsh",
        relationship="sibling",
        phone="3125550111",
    )
    contacts.coverage_add(
        patient=duplicate,
        user=clinic_admin,
        payer_name="Acme Health",
        member_id="X1",
        priority="secondary",
        effective_date=dt.date(2025, 1, 1),
    )
    care_team_add(patient=duplicate, staff=clinician, role="counselor", user=clinic_admin)
    care_team_add(patient=survivor, staff=clinician, role="counselor", user=clinic_admin)
    patient_transition(patient=duplicate, to_status="intake_scheduled", user=clinic_admin)
    return survivor, duplicate


def url(survivor):
    return f"/api/v1/patients/{survivor.pk}/merge/"


def test_merge_moves_every_related_record(pair, clinic_admin, api_as):
    survivor, duplicate = pair
    response = api_as(clinic_admin).post(
        url(survivor), {"duplicate": str(duplicate.pk), "reason": "same person, typo in name"}
    )
    assert response.status_code == 200, response.content
    assert EmergencyContact.objects.get().patient_id == survivor.pk
    assert Coverage.objects.get().patient_id == survivor.pk
    assert list(
        Episode.objects.filter(patient=survivor).order_by("number").values_list("number", flat=True)
    ) == [1, 2]
    assert StatusEvent.objects.filter(patient=duplicate).count() == 0
    assert StatusEvent.objects.filter(patient=survivor).count() == 3
    # The duplicate's counselor row clashed with the survivor's: it ends rather than vanishing.
    assert CareTeamMember.objects.filter(patient=survivor).count() == 2
    assert CareTeamMember.objects.filter(patient=survivor, end_date__isnull=True).count() == 1

    duplicate.refresh_from_db()
    assert duplicate.merged_into_id == survivor.pk
    assert duplicate.archived_at is not None
    assert Patient.objects.filter(pk=duplicate.pk).exists()
    moved = EmergencyContact.objects.get().history.first()
    assert moved.history_change_reason == f"merged from {duplicate.mrn}"
    assert moved.history_user == clinic_admin
    details = set(
        AuditEvent.objects.filter(action="update", detail__contains="merged").values_list(
            "patient_id", flat=True
        )
    )
    assert details == {survivor.pk, duplicate.pk}


def test_only_clinic_admins_may_merge_and_refusal_changes_nothing(pair, front_desk, api_as):
    survivor, duplicate = pair
    response = api_as(front_desk).post(
        url(survivor), {"duplicate": str(duplicate.pk), "reason": "x"}
    )
    assert response.status_code == 403
    assert EmergencyContact.objects.get().patient_id == duplicate.pk
    duplicate.refresh_from_db()
    assert duplicate.merged_into_id is None


@pytest.mark.parametrize("case", ["self", "missing_reason", "unknown", "already_merged"])
def test_invalid_merges_are_400(case, pair, clinic_admin, api_as, patient_b):
    survivor, duplicate = pair
    client = api_as(clinic_admin)
    body = {"duplicate": str(duplicate.pk), "reason": "same"}
    if case == "self":
        body["duplicate"] = str(survivor.pk)
    elif case == "missing_reason":
        body["reason"] = ""
    elif case == "unknown":
        body["duplicate"] = "00000000-0000-0000-0000-000000000000"
    else:
        client.post(url(survivor), body)
    response = client.post(url(survivor), body)
    assert response.status_code == 400
    if case != "already_merged":
        assert EmergencyContact.objects.get().patient_id == duplicate.pk
