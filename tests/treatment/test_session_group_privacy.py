"""Group notes never show one patient's details in another patient's record. The roster is shown
only with the group itself, and only rows of patients at sites the viewer may see."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import group_session, register_patient, staff_user
from treatment.models import GroupAttendance, GroupSession
from treatment.services import sessions as services


@pytest.fixture
def both_sites_clinician(site_a, site_b):
    return staff_user(roles=[Role.CLINICIAN], sites=[site_a, site_b], username="roving")


@pytest.fixture
def group(both_sites_clinician, site_a, site_b):
    """A group at site A with two site-A patients and one site-B patient (telehealth)."""
    first, second, remote = (
        register_patient(site_a),
        register_patient(site_a),
        register_patient(site_b),
    )
    g = group_session(
        site_a,
        both_sites_clinician,
        summary="Members discussed triggers at work.",
        rows=[
            (first, "attended", "Shared a craving plan."),
            (second, "excused", "Away for a family matter."),
            (remote, "attended", "Joined by video; good insight."),
        ],
    )
    services.group_session_sign(group=g, user=both_sites_clinician)
    g.refresh_from_db()
    return g, first, second, remote


def _identifiers(patient):
    row = GroupAttendance.objects.get(patient=patient)
    return [patient.first_name, patient.last_name, patient.mrn, str(patient.pk), row.note]


def test_a_patients_group_attendance_shows_only_their_own_row(clinician, api_as, group):
    g, first, second, remote = group
    response = api_as(clinician).get(f"/api/v1/patients/{first.pk}/group-attendance/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert set(row) == {
        "id",
        "group_session",
        "started_at",
        "duration_minutes",
        "topic",
        "topic_label",
        "modality",
        "site",
        "facilitators",
        "group_status",
        "status",
        "note",
        "addenda",
    }
    assert (row["status"], row["note"]) == ("attended", "Shared a craving plan.")
    assert row["group_session"] == str(g.pk)
    assert row["topic_label"] == "Relapse prevention"
    assert [f["name"] for f in row["facilitators"]] == [
        g.facilitators.get().staff_profile.display_name
    ]
    text = response.content.decode()
    for other in (second, remote):
        for value in _identifiers(other):
            assert value not in text, "another patient's detail leaked into this record"
    assert g.summary not in text, "the group summary may mention others"


def test_addenda_about_another_patients_row_stay_out_of_this_record(
    both_sites_clinician, clinician, api_as, group
):
    g, first, second, _remote = group
    services.group_addendum_add(
        group=g, user=both_sites_clinician, text="Left at the break.", reason="late", patient=second
    )
    services.group_addendum_add(
        group=g, user=both_sites_clinician, text="Arrived late.", reason="late", patient=first
    )
    services.group_addendum_add(
        group=g, user=both_sites_clinician, text="Room was changed.", reason="correction"
    )
    response = api_as(clinician).get(f"/api/v1/patients/{first.pk}/group-attendance/")
    [row] = response.json()["results"]
    assert [a["text"] for a in row["addenda"]] == ["Arrived late."]
    assert "Left at the break." not in response.content.decode()
    assert "Room was changed." not in response.content.decode()


def test_staff_at_the_other_site_see_their_patients_row_but_not_the_group(outsider, api_as, group):
    g, first, second, remote = group
    client = api_as(outsider)
    response = client.get(f"/api/v1/patients/{remote.pk}/group-attendance/")
    assert response.status_code == 200
    [row] = response.json()["results"]
    assert row["note"] == "Joined by video; good insight."
    text = response.content.decode()
    for other in (first, second):
        for value in _identifiers(other):
            assert value not in text
    assert client.get(f"/api/v1/group-sessions/{g.pk}/").status_code == 404
    assert client.get(f"/api/v1/patients/{first.pk}/group-attendance/").status_code == 404


def test_the_roster_shows_only_patients_at_the_viewers_sites(
    clinician, both_sites_clinician, api_as, group
):
    g, first, second, remote = group
    response = api_as(clinician).get(f"/api/v1/group-sessions/{g.pk}/")
    assert response.status_code == 200
    roster = response.json()["roster"]
    assert {r["mrn"] for r in roster} == {first.mrn, second.mrn}
    assert remote.mrn not in response.content.decode()
    everyone = api_as(both_sites_clinician).get(f"/api/v1/group-sessions/{g.pk}/").json()
    assert {r["mrn"] for r in everyone["roster"]} == {first.mrn, second.mrn, remote.mrn}


def test_the_group_list_has_no_roster(clinician, api_as, group):
    _g, first, *_ = group
    response = api_as(clinician).get("/api/v1/group-sessions/")
    [item] = response.json()["results"]
    assert "roster" not in item
    assert first.mrn not in response.content.decode()


def test_reading_the_roster_is_audited_per_patient_row(clinician, api_as, group):
    g, first, second, _remote = group
    api_as(clinician).get(f"/api/v1/group-sessions/{g.pk}/")
    read = AuditEvent.objects.filter(action="read", object_type="group_attendance")
    assert set(read.values_list("patient_id", flat=True)) == {first.pk, second.pk}
    assert AuditEvent.objects.filter(
        action="read", object_type="group_session", object_id=str(g.pk)
    ).exists()


def test_unknown_or_malformed_patient_ids_are_404(clinician, api_as, db):
    client = api_as(clinician)
    assert client.get("/api/v1/patients/not-a-uuid/group-attendance/").status_code == 404
    missing = "00000000-0000-0000-0000-000000000000"
    assert client.get(f"/api/v1/patients/{missing}/group-attendance/").status_code == 404


def test_the_admin_patient_page_shows_only_their_own_row(clinician, client, group):
    g, first, second, remote = group
    client.force_login(clinician)
    page = client.get(f"/admin/treatment/groupattendance/?patient={first.pk}")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Shared a craving plan." in text
    for other in (second, remote):
        for value in _identifiers(other):
            assert value not in text
    assert g.summary not in text
    row = GroupAttendance.objects.get(patient=first)
    detail = client.get(f"/admin/treatment/groupattendance/{row.pk}/change/").content.decode()
    for value in _identifiers(second):
        assert value not in detail
    assert g.summary not in detail


def test_the_admin_attendance_list_is_empty_without_a_patient(clinician, client, group):
    client.force_login(clinician)
    page = client.get("/admin/treatment/groupattendance/")
    assert page.status_code == 200
    assert list(page.context["cl"].result_list) == []


def test_the_admin_group_page_shows_the_roster_of_visible_patients(clinician, client, group):
    g, _first, _second, _remote = group
    client.force_login(clinician)
    text = client.get(f"/admin/treatment/groupsession/{g.pk}/change/").content.decode()
    assert "Shared a craving plan." in text and "Away for a family matter." in text
    assert "Joined by video; good insight." not in text


# --- roster rules --------------------------------------------------------------------------------


def _create(client, site_code, facilitators, attendance, **overrides):
    body = {
        "site": site_code,
        "topic": "cbt_skills",
        "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "duration_minutes": 60,
        "facilitators": [f.pk for f in facilitators],
        "attendance": attendance,
    }
    body.update(overrides)
    return client.post("/api/v1/group-sessions/", body, format="json")


def test_a_group_takes_at_most_the_configured_number(clinician, api_as, site_a, settings):
    settings.TREATMENT_GROUP_MAX_PATIENTS = 2
    people = [register_patient(site_a) for _ in range(3)]
    rows = [{"patient": str(p.pk), "status": "attended"} for p in people]
    response = _create(api_as(clinician), "SITEA", [clinician], rows)
    assert response.status_code == 400
    assert response.json()["errors"]["attendance"] == ["A group takes at most 2 patients."]
    assert not GroupSession.objects.exists()
    assert _create(api_as(clinician), "SITEA", [clinician], rows[:2]).status_code == 201


def test_the_default_group_maximum_is_twelve(settings):
    assert settings.TREATMENT_GROUP_MAX_PATIENTS == 12


def test_one_or_two_facilitators_working_at_the_site(
    clinician, medical_staff, outsider, api_as, site_a
):
    client = api_as(clinician)
    three = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    response = _create(client, "SITEA", [clinician, medical_staff, three], [])
    assert response.status_code == 400
    assert "facilitators" in response.json()["errors"]
    response = _create(client, "SITEA", [clinician, outsider], [])
    assert response.json()["errors"]["facilitators"] == [
        "Each facilitator must work at the group's site."
    ]
    response = _create(client, "SITEA", [clinician], [], topic="other")
    assert response.status_code == 400
    assert not GroupSession.objects.exists()
    response = _create(client, "SITEA", [clinician, medical_staff], [], topic="other", title="Art")
    assert response.status_code == 201
    assert response.json()["topic_label"] == "Art"


def test_patients_outside_the_callers_sites_cannot_be_listed(clinician, api_as, patient_b):
    response = _create(
        api_as(clinician),
        "SITEA",
        [clinician],
        [{"patient": str(patient_b.pk), "status": "absent"}],
    )
    assert response.status_code == 400
    assert not GroupSession.objects.exists()


def test_attendance_is_updated_and_mistaken_rows_taken_off_while_unsigned(
    clinician, api_as, site_a
):
    first, second = register_patient(site_a), register_patient(site_a)
    g = group_session(site_a, clinician, rows=[(first, "attended", ""), (second, "attended", "")])
    client = api_as(clinician)
    response = client.patch(
        f"/api/v1/group-sessions/{g.pk}/",
        {
            "attendance": [
                {"patient": str(first.pk), "status": "absent", "note": "No call."},
                {"patient": str(second.pk), "removed": True},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    assert [(r["mrn"], r["status"]) for r in response.json()["roster"]] == [(first.mrn, "absent")]
    assert client.get(f"/api/v1/patients/{second.pk}/group-attendance/").json()["results"] == []
    removed = GroupAttendance.objects.get(patient=second)
    assert removed.archived_at is not None
    assert removed.history.first().history_user == clinician
