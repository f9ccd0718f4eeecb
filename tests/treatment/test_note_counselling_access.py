"""Part 2 counselling notes: clinicians only (the matrix), and of them only the author, the primary
clinician and active care-team clinicians; anyone else gets 404. Every read is audited."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.access import Role
from clinic.models import AuditEvent
from patients.models import CareTeamMember
from patients.services.patient import care_team_add
from tests.factories import draft_session, staff_user
from treatment.models import CounsellingNote
from treatment.services import sessions as services

URL = "/api/v1/counselling-notes/"
CONTENT = "Explored grief about a lost job; ambivalence about stopping."


@pytest.fixture
def team(clinician, patient_a, site_a, clinic_admin):
    """The author (clinician, on the care team), a care-team therapist, the primary clinician,
    and a colleague at the same site who is not on the case."""
    therapist = staff_user(roles=[Role.CLINICIAN], sites=[site_a], username="therapist")
    primary = staff_user(roles=[Role.CLINICIAN], sites=[site_a], username="primary")
    colleague = staff_user(roles=[Role.CLINICIAN], sites=[site_a], username="colleague")
    care_team_add(patient=patient_a, staff=clinician, role="counselor", user=clinic_admin)
    care_team_add(patient=patient_a, staff=therapist, role="therapist", user=clinic_admin)
    patient_a.primary_clinician = primary
    patient_a.save(update_fields=["primary_clinician"])
    return {"author": clinician, "therapist": therapist, "primary": primary, "colleague": colleague}


@pytest.fixture
def note(team, patient_a):
    return services.counselling_note_create(
        patient=patient_a,
        user=team["author"],
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        content=CONTENT,
    )


@pytest.mark.parametrize("who", ["author", "therapist", "primary"])
def test_the_author_and_the_care_team_read_the_note(who, team, note, api_as):
    client = api_as(team[who])
    listed = client.get(URL).json()["results"]
    assert [n["id"] for n in listed] == [str(note.pk)]
    response = client.get(f"{URL}{note.pk}/")
    assert response.status_code == 200
    assert response.json()["content"] == CONTENT


def test_a_clinician_not_on_the_case_gets_404_and_the_attempt_is_audited(team, note, api_as):
    client = api_as(team["colleague"])
    assert client.get(URL).json()["results"] == []
    response = client.get(f"{URL}{note.pk}/")
    assert response.status_code == 404
    assert CONTENT not in response.content.decode()
    denied = AuditEvent.objects.get(outcome="denied", object_type="counselling_note")
    assert (denied.actor, denied.object_id, denied.patient_id) == (
        team["colleague"],
        str(note.pk),
        note.patient_id,
    )
    for path in (f"{URL}{note.pk}/addenda/", f"{URL}{note.pk}/sign/"):
        assert client.post(path, {"text": "x", "reason": "y"}, format="json").status_code == 404


def test_a_former_care_team_member_loses_access(team, note, api_as):
    CareTeamMember.objects.filter(staff=team["therapist"]).update(
        end_date=timezone.localdate() - dt.timedelta(days=1)
    )
    assert api_as(team["therapist"]).get(f"{URL}{note.pk}/").status_code == 404


def test_an_outsider_gets_404(outsider, note, api_as):
    assert api_as(outsider).get(f"{URL}{note.pk}/").status_code == 404
    assert api_as(outsider).get(URL).json()["results"] == []
    assert not AuditEvent.objects.filter(outcome="denied").exists()


@pytest.mark.parametrize("persona", ["clinic_admin", "medical_staff", "front_desk"])
def test_roles_without_counselling_access_get_403(persona, personas, note, api_as):
    client = api_as(personas[persona])
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{note.pk}/").status_code == 403


def test_the_integration_token_gets_403(token_api, note):
    assert token_api.get(URL).status_code == 403
    assert token_api.get(f"{URL}{note.pk}/").status_code == 403


def test_every_read_is_audited(team, note, api_as):
    client = api_as(team["therapist"])
    client.get(URL)
    client.get(f"{URL}{note.pk}/")
    reads = AuditEvent.objects.filter(
        action="read", object_type="counselling_note", actor=team["therapist"], outcome="success"
    )
    assert reads.count() == 2
    assert set(reads.values_list("patient_id", flat=True)) == {note.patient_id}


def test_only_the_care_team_writes_counselling_notes(team, patient_a, api_as):
    body = {
        "patient": str(patient_a.pk),
        "occurred_at": timezone.now().isoformat(),
        "content": "Notes.",
    }
    response = api_as(team["colleague"]).post(URL, body, format="json")
    assert response.status_code == 403
    assert not CounsellingNote.objects.exists()
    response = api_as(team["therapist"]).post(URL, body, format="json")
    assert response.status_code == 201
    assert response.json()["author"] == team["therapist"].pk


def test_the_author_signs_and_the_note_locks(team, note, api_as):
    assert api_as(team["therapist"]).post(f"{URL}{note.pk}/sign/").status_code == 403
    client = api_as(team["author"])
    assert client.post(f"{URL}{note.pk}/sign/").status_code == 200
    response = client.patch(f"{URL}{note.pk}/", {"content": "Rewritten"}, format="json")
    assert response.status_code == 409
    note.refresh_from_db()
    assert note.content == CONTENT
    added = api_as(team["therapist"]).post(
        f"{URL}{note.pk}/addenda/", {"text": "Follow-up thought.", "reason": "late"}, format="json"
    )
    assert added.status_code == 201


def test_counselling_notes_stay_out_of_the_general_note_list(team, note, patient_a, api_as):
    draft_session(patient_a, team["author"])
    response = api_as(team["author"]).get(f"/api/v1/sessions/?patient={patient_a.pk}")
    assert response.status_code == 200
    assert len(response.json()["results"]) == 1
    assert CONTENT not in response.content.decode()
    assert str(note.pk) not in response.content.decode()


def test_the_admin_follows_the_same_rule(team, note, client, clinic_admin):
    url = f"/admin/treatment/counsellingnote/{note.pk}/change/"
    client.force_login(team["therapist"])
    assert client.get(url).status_code == 200
    assert CONTENT in client.get(url).content.decode()
    client.force_login(team["colleague"])
    assert client.get("/admin/treatment/counsellingnote/").context["cl"].result_count == 0
    assert client.get(url).status_code == 404
    assert client.get(f"/admin/treatment/counsellingnote/{note.pk}/history/").status_code == 404
    client.force_login(clinic_admin)
    assert client.get("/admin/treatment/counsellingnote/").status_code == 403
    assert client.get(url).status_code == 403


def test_the_rule_is_documented():
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "notes.md").read_text()
    assert "42 CFR Part 2" in doc
    assert "care team" in doc
