"""The admin for sessions and notes: DAP/SOAP forms, sign buttons, group rosters, counselling
notes. Every save goes through the services, and their refusals show on the form."""

import datetime as dt

from django.utils import timezone

from clinic.models import AuditEvent
from patients.services.patient import care_team_add
from tests.admin_utils import admin_post_data
from tests.factories import draft_session, group_session, register_patient
from treatment.models import CounsellingNote, GroupAttendance, GroupSession, IndividualSession

SESSION_ADD = "/admin/treatment/individualsession/add/"
GROUP_ADD = "/admin/treatment/groupsession/add/"


def _when(hours_ago=2):
    moment = timezone.localtime(timezone.now() - dt.timedelta(hours=hours_ago))
    return {"_0": moment.strftime("%Y-%m-%d"), "_1": moment.strftime("%H:%M:%S")}


def _session_form(client, patient, **overrides):
    data = admin_post_data(client.get(SESSION_ADD))
    when = _when()
    data.update(
        {
            "patient": str(patient.pk),
            "session_type": "cbt",
            "started_at_0": when["_0"],
            "started_at_1": when["_1"],
            "duration_minutes": "50",
            "modality": "in_person",
            "note_format": "dap",
            "data": "Reviewed homework.",
            "assessment": "Progressing.",
            "plan": "Next week.",
        }
    )
    data.update(overrides)
    return data


def test_a_clinician_writes_a_session_note_in_the_admin(clinician, client, patient_a):
    client.force_login(clinician)
    page = client.get(SESSION_ADD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "note-dap" in html and "note-soap" in html
    assert "treatment/admin/note_format.js" in html
    response = client.post(SESSION_ADD, _session_form(client, patient_a))
    assert response.status_code == 302, response.context["adminform"].form.errors
    session = IndividualSession.objects.get()
    assert (session.author, session.course_label) == (clinician, "1 of 12")
    assert session.history.first().history_user == clinician
    assert AuditEvent.objects.filter(action="create", object_type="session_note").count() == 1


def test_the_admin_form_shows_the_services_errors_and_saves_nothing(clinician, client, patient_a):
    draft_session(patient_a, clinician, session_type="cbt")
    client.force_login(clinician)
    response = client.post(
        SESSION_ADD,
        _session_form(client, patient_a, course_session_number="1", subjective="SOAP words"),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) >= {"course_session_number", "subjective"}
    assert IndividualSession.objects.count() == 1
    assert AuditEvent.objects.filter(action="create", object_type="session_note").count() == 1


def test_the_author_signs_with_the_button(clinician, client, patient_a):
    session = draft_session(patient_a, clinician, session_type="cbt")
    client.force_login(clinician)
    page = client.get(f"/admin/treatment/individualsession/{session.pk}/change/")
    assert "Sign and lock" in page.content.decode()
    response = client.post(f"/admin/treatment/individualsession/{session.pk}/sign/")
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.signed_by == clinician
    page = client.get(f"/admin/treatment/individualsession/{session.pk}/change/")
    assert "Sign and lock" not in page.content.decode()
    # A signed DAP note shows no SOAP fieldset.
    assert "note-soap" not in page.content.decode()


def test_medical_staff_get_no_sign_button_and_403_on_a_counselling_note(
    clinician, medical_staff, client, patient_a
):
    session = draft_session(patient_a, clinician, session_type="met")
    client.force_login(medical_staff)
    page = client.get(f"/admin/treatment/individualsession/{session.pk}/change/")
    assert page.status_code == 200
    assert "Sign and lock" not in page.content.decode()
    response = client.post(f"/admin/treatment/individualsession/{session.pk}/sign/")
    assert response.status_code == 403
    session.refresh_from_db()
    assert session.signed_at is None


def test_a_sign_refused_for_missing_fields_is_a_message(clinician, client, patient_a):
    session = draft_session(patient_a, clinician, plan="")
    client.force_login(clinician)
    response = client.post(f"/admin/treatment/individualsession/{session.pk}/sign/", follow=True)
    assert "Not signed" in response.content.decode()
    session.refresh_from_db()
    assert session.signed_at is None


def test_no_delete_in_the_admin(clinician, clinic_admin, client, patient_a):
    session = draft_session(patient_a, clinician)
    client.force_login(clinic_admin)
    assert client.get(f"/admin/treatment/individualsession/{session.pk}/delete/").status_code == 403
    assert b"delete_selected" not in client.get("/admin/treatment/individualsession/").content


# --- groups --------------------------------------------------------------------------------------


def _group_form(client, site, facilitators, rows, url=GROUP_ADD):
    data = admin_post_data(client.get(url))
    when = _when()
    data.update(
        {
            "site": str(site.pk),
            "topic": "relapse_prevention",
            "started_at_0": when["_0"],
            "started_at_1": when["_1"],
            "duration_minutes": "90",
            "modality": "in_person",
            "facilitators": [str(f.pk) for f in facilitators],
            "summary": "Triggers and plans.",
            "attendance-TOTAL_FORMS": str(len(rows)),
        }
    )
    for i, (patient, status, note) in enumerate(rows):
        data.update(
            {
                f"attendance-{i}-patient": str(patient.pk),
                f"attendance-{i}-status": status,
                f"attendance-{i}-note": note,
            }
        )
    return data


def test_a_group_with_its_roster_is_recorded_in_the_admin(clinician, client, site_a):
    people = [register_patient(site_a) for _ in range(2)]
    client.force_login(clinician)
    page = client.get(GROUP_ADD)
    assert 'type="radio"' in page.content.decode()
    data = _group_form(
        client, site_a, [clinician], [(people[0], "attended", "Calm."), (people[1], "absent", "")]
    )
    response = client.post(GROUP_ADD, data)
    assert response.status_code == 302, (
        response.context["adminform"].form.errors,
        [f.errors for f in response.context["inline_admin_formsets"][0].formset.forms],
        response.context["inline_admin_formsets"][0].formset.non_form_errors(),
    )
    group = GroupSession.objects.get()
    assert list(group.facilitators.all()) == [clinician]
    assert sorted(GroupAttendance.objects.values_list("status", flat=True)) == [
        "absent",
        "attended",
    ]
    assert GroupAttendance.objects.get(status="attended").history.first().history_user == clinician


def test_an_over_full_roster_is_refused_on_the_form(clinician, client, site_a, settings):
    settings.TREATMENT_GROUP_MAX_PATIENTS = 1
    people = [register_patient(site_a) for _ in range(2)]
    client.force_login(clinician)
    data = _group_form(client, site_a, [clinician], [(p, "attended", "") for p in people])
    response = client.post(GROUP_ADD, data)
    assert response.status_code == 200
    errors = response.context["inline_admin_formsets"][0].formset.non_form_errors()
    assert "A group takes at most 1 patients." in errors
    assert not GroupSession.objects.exists()
    assert not GroupAttendance.objects.exists()


def test_a_signed_groups_roster_is_read_only_in_the_admin(clinician, client, site_a):
    patient = register_patient(site_a)
    group = group_session(site_a, clinician, rows=[(patient, "attended", "Calm.")])
    client.force_login(clinician)
    assert client.post(f"/admin/treatment/groupsession/{group.pk}/sign/").status_code == 302
    url = f"/admin/treatment/groupsession/{group.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = admin_post_data(page, summary="Rewritten")
    data.update({"attendance-0-status": "absent"})
    client.post(url, data)
    group.refresh_from_db()
    assert group.summary != "Rewritten"
    assert GroupAttendance.objects.get().status == "attended"


# --- counselling notes ---------------------------------------------------------------------------


def _note_form(client, patient):
    add = "/admin/treatment/counsellingnote/add/"
    data = admin_post_data(client.get(add))
    when = _when()
    data.update(
        {
            "patient": str(patient.pk),
            "occurred_at_0": when["_0"],
            "occurred_at_1": when["_1"],
            "content": "Process notes.",
        }
    )
    return add, data


def test_a_care_team_clinician_writes_a_counselling_note_in_the_admin(
    clinician, clinic_admin, client, patient_a
):
    care_team_add(patient=patient_a, staff=clinician, role="therapist", user=clinic_admin)
    client.force_login(clinician)
    url, data = _note_form(client, patient_a)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    note = CounsellingNote.objects.get()
    assert note.author == clinician


def test_a_clinician_off_the_case_is_told_and_nothing_is_saved(clinician, client, patient_a):
    client.force_login(clinician)
    url, data = _note_form(client, patient_a)
    response = client.post(url, data)
    assert response.status_code == 200
    assert "care team" in " ".join(response.context["adminform"].form.non_field_errors())
    assert not CounsellingNote.objects.exists()


def test_counselling_notes_are_hidden_from_other_roles_in_the_admin(
    front_desk, medical_staff, clinic_admin, client
):
    for user in (front_desk, medical_staff, clinic_admin):
        client.force_login(user)
        assert client.get("/admin/treatment/counsellingnote/").status_code == 403
        index = client.get("/admin/").content.decode()
        assert "counsellingnote" not in index
