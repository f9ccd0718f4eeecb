"""Reads are audited, every change keeps history with the acting user, and list queries do not
grow with the page."""

import pytest

from clinic.access import Role
from clinic.models import AuditEvent
from patients.services.patient import care_team_add
from tests.factories import (
    draft_session,
    group_session,
    register_patient,
    signed_session,
    staff_user,
)
from treatment.models import GroupSession, IndividualSession
from treatment.services import sessions as services


def test_list_and_retrieve_write_one_read_row_per_note(clinician, api_as, patient_a):
    notes = [draft_session(patient_a, clinician) for _ in range(3)]
    client = api_as(clinician)
    client.get("/api/v1/sessions/")
    client.get(f"/api/v1/sessions/{notes[0].pk}/")
    reads = AuditEvent.objects.filter(action="read", object_type="session_note", actor=clinician)
    assert reads.count() == 4
    assert set(reads.values_list("patient_id", flat=True)) == {patient_a.pk}
    assert set(reads.values_list("site_id", flat=True)) == {patient_a.site_id}


def test_audit_rows_never_hold_note_text(clinician, api_as, patient_a):
    session = signed_session(patient_a, clinician, data="Very private words.")
    services.session_addendum_add(
        session=session, user=clinician, text="More private words.", reason="late entry"
    )
    details = " ".join(AuditEvent.objects.values_list("detail", flat=True))
    assert "private" not in details


def test_create_update_and_sign_keep_history_with_the_acting_user(clinician, api_as, patient_a):
    client = api_as(clinician)
    created = client.post(
        "/api/v1/sessions/",
        {
            "patient": str(patient_a.pk),
            "session_type": "individual_counseling",
            "started_at": "2026-01-05T10:00:00Z",
            "duration_minutes": 45,
            "modality": "in_person",
            "data": "First draft.",
        },
        format="json",
    ).json()
    client.patch(
        f"/api/v1/sessions/{created['id']}/",
        {"assessment": "Engaged.", "plan": "Weekly."},
        format="json",
    )
    client.post(f"/api/v1/sessions/{created['id']}/sign/")
    history = IndividualSession.objects.get(pk=created["id"]).history.order_by("history_date")
    assert [h.history_type for h in history] == ["+", "~", "~"]
    assert {h.history_user for h in history} == {clinician}
    assert history[0].assessment == "" and history[1].assessment == "Engaged."
    assert history[2].history_change_reason == "signed"
    events = AuditEvent.objects.filter(object_id=created["id"]).exclude(action="read")
    assert [e.detail for e in events.order_by("id")] == [
        "draft individual_counseling",
        "fields: assessment, plan",
        "signed",
    ]


def test_group_changes_keep_history_for_the_group_and_each_row(clinician, site_a):
    patient = register_patient(site_a)
    group = group_session(site_a, clinician, rows=[(patient, "attended", "")])
    services.group_session_update(
        group=group, user=clinician, attendance=[{"patient": patient, "status": "absent"}]
    )
    services.group_session_sign(group=group, user=clinician)
    assert group.history.first().history_user == clinician
    assert group.history.first().history_change_reason == "signed"
    row = group.attendance.get()
    assert [h.status for h in row.history.order_by("history_date")] == ["attended", "absent"]
    assert {h.history_user for h in row.history.all()} == {clinician}
    assert AuditEvent.objects.filter(object_type="group_session", detail="signed").exists()


def test_admin_history_pages_are_scoped_to_the_users_sites(clinician, outsider, client, patient_a):
    session = draft_session(patient_a, clinician)
    client.force_login(clinician)
    url = f"/admin/treatment/individualsession/{session.pk}/history/"
    assert client.get(url).status_code == 200
    version = session.history.first().history_id
    assert client.get(f"{url}{version}/").status_code == 200
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    assert client.get(f"{url}{version}/").status_code == 404


# --- query counts stay flat as pages grow ---------------------------------------------------------


def _queries(client, url, django_assert_max_num_queries, limit=40):
    with django_assert_max_num_queries(limit) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _grow_sessions(patient, author, n):
    for _ in range(n):
        session = signed_session(patient, author, session_type="case_management")
        services.session_addendum_add(session=session, user=author, text="x", reason="y")


def test_session_list_queries_do_not_grow_with_the_page(
    clinician, api_as, patient_a, django_assert_max_num_queries
):
    client = api_as(clinician)
    _grow_sessions(patient_a, clinician, 2)
    small = _queries(client, "/api/v1/sessions/", django_assert_max_num_queries)
    _grow_sessions(register_patient(patient_a.site), clinician, 6)
    large = _queries(client, "/api/v1/sessions/", django_assert_max_num_queries)
    assert large == small


def test_group_list_retrieve_and_patient_view_queries_do_not_grow(
    clinician, api_as, site_a, django_assert_max_num_queries
):
    client = api_as(clinician)
    colleague = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    regular = register_patient(site_a)

    def grow(n, roster):
        groups = []
        for _ in range(n):
            rows = [(register_patient(site_a), "attended", "ok") for _ in range(roster)]
            group = group_session(
                site_a,
                clinician,
                facilitators=[clinician, colleague],
                rows=[(regular, "attended", ""), *rows],
            )
            services.group_session_sign(group=group, user=clinician)
            services.group_addendum_add(
                group=group, user=clinician, text="x", reason="y", patient=regular
            )
            groups.append(group)
        return groups

    attendance_url = f"/api/v1/patients/{regular.pk}/group-attendance/"
    first = grow(2, roster=1)
    counts_small = [
        _queries(client, "/api/v1/group-sessions/", django_assert_max_num_queries),
        _queries(client, f"/api/v1/group-sessions/{first[0].pk}/", django_assert_max_num_queries),
        _queries(client, attendance_url, django_assert_max_num_queries),
    ]
    bigger = grow(4, roster=5)[0]
    assert GroupSession.objects.get(pk=bigger.pk).attendance.count() == 6
    counts_large = [
        _queries(client, "/api/v1/group-sessions/", django_assert_max_num_queries),
        _queries(client, f"/api/v1/group-sessions/{bigger.pk}/", django_assert_max_num_queries),
        _queries(client, attendance_url, django_assert_max_num_queries),
    ]
    assert counts_large == counts_small


def test_counselling_note_list_queries_do_not_grow(
    clinician, clinic_admin, api_as, patient_a, django_assert_max_num_queries
):
    care_team_add(patient=patient_a, staff=clinician, role="counselor", user=clinic_admin)
    client = api_as(clinician)

    def grow(n):
        for _ in range(n):
            note = services.counselling_note_create(
                patient=patient_a,
                user=clinician,
                occurred_at=patient_a.created_at,
                content="Notes.",
            )
            services.counselling_note_sign(note=note, user=clinician)
            services.counselling_note_addendum_add(note=note, user=clinician, text="x", reason="y")

    grow(2)
    small = _queries(client, "/api/v1/counselling-notes/", django_assert_max_num_queries)
    grow(6)
    assert _queries(client, "/api/v1/counselling-notes/", django_assert_max_num_queries) == small


@pytest.mark.parametrize(
    "url", ["/admin/treatment/individualsession/", "/admin/treatment/groupsession/"]
)
def test_admin_lists_open_for_clinicians(url, clinician, client, patient_a, site_a):
    draft_session(patient_a, clinician)
    group_session(site_a, clinician, rows=[(patient_a, "attended", "")])
    client.force_login(clinician)
    assert client.get(url).status_code == 200
