"""Who signs what: the author signs; counselling notes need a clinician; medical staff sign their
medical visits but never a counselling note (403, nothing changed)."""

import datetime as dt

import pytest
from django.utils import timezone

from clinic.access import Role
from clinic.models import AuditEvent
from tests.factories import draft_session, group_session, register_patient, staff_user
from treatment.models import IndividualSession
from treatment.services import sessions as services


def _state(session):
    row = IndividualSession.objects.values().get(pk=session.pk)
    return row, session.history.count(), AuditEvent.objects.filter(detail="signed").count()


def test_medical_staff_write_and_sign_a_medical_visit(medical_staff, api_as, patient_a):
    client = api_as(medical_staff)
    response = client.post(
        "/api/v1/sessions/",
        {
            "patient": str(patient_a.pk),
            "session_type": "medical_visit",
            "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
            "duration_minutes": 20,
            "modality": "telehealth_video",
            "note_format": "soap",
            "subjective": "Mild aches.",
            "objective": "BP 128/82, COWS 6.",
            "assessment": "Mild withdrawal.",
            "plan": "Continue taper.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    signed = client.post(f"/api/v1/sessions/{response.json()['id']}/sign/")
    assert signed.status_code == 200
    assert signed.json()["status"] == "signed"


@pytest.mark.parametrize("session_type", ["cbt", "met", "individual_counseling"])
def test_medical_staff_cannot_sign_a_counselling_note_even_their_own(
    session_type, medical_staff, api_as, patient_a
):
    session = draft_session(patient_a, medical_staff, session_type=session_type)
    before = _state(session)
    response = api_as(medical_staff).post(f"/api/v1/sessions/{session.pk}/sign/")
    assert response.status_code == 403
    assert response.json()["detail"] == "Only a clinician may sign a counselling note."
    assert _state(session) == before


def test_medical_staff_cannot_sign_a_clinicians_counselling_note(
    clinician, medical_staff, api_as, patient_a
):
    session = draft_session(patient_a, clinician, session_type="cbt")
    before = _state(session)
    assert api_as(medical_staff).post(f"/api/v1/sessions/{session.pk}/sign/").status_code == 403
    assert _state(session) == before


def test_a_clinician_may_sign_a_counselling_note_drafted_by_someone_else(
    clinician, medical_staff, api_as, patient_a
):
    session = draft_session(patient_a, medical_staff, session_type="individual_counseling")
    response = api_as(clinician).post(f"/api/v1/sessions/{session.pk}/sign/")
    assert response.status_code == 200
    assert response.json()["signed_by"] == clinician.pk
    assert response.json()["author"] == medical_staff.pk


def test_only_the_author_signs_other_notes(clinician, medical_staff, api_as, patient_a, site_a):
    visit = draft_session(patient_a, medical_staff, session_type="medical_visit")
    other_nurse = staff_user(roles=[Role.MEDICAL_STAFF], sites=[site_a])
    for user in (clinician, other_nurse):
        before = _state(visit)
        assert api_as(user).post(f"/api/v1/sessions/{visit.pk}/sign/").status_code == 403
        assert _state(visit) == before


def test_only_the_author_edits_a_draft(clinician, api_as, patient_a, site_a):
    session = draft_session(patient_a, clinician)
    colleague = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    before = _state(session)
    response = api_as(colleague).patch(
        f"/api/v1/sessions/{session.pk}/", {"plan": "Mine now"}, format="json"
    )
    assert response.status_code == 403
    assert _state(session) == before


def test_signing_needs_the_formats_fields(clinician, api_as, patient_a):
    session = draft_session(patient_a, clinician, note_format="soap", data="", subjective="s")
    response = api_as(clinician).post(f"/api/v1/sessions/{session.pk}/sign/")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"objective"}
    session.refresh_from_db()
    assert session.signed_at is None


def test_a_note_is_not_signed_before_its_session(clinician, api_as, patient_a):
    session = draft_session(patient_a, clinician, started_at=timezone.now() + dt.timedelta(days=1))
    response = api_as(clinician).post(f"/api/v1/sessions/{session.pk}/sign/")
    assert response.status_code == 400
    assert "started_at" in response.json()["errors"]


def test_a_note_of_another_format_is_refused(clinician, api_as, patient_a):
    session = draft_session(patient_a, clinician)
    response = api_as(clinician).patch(
        f"/api/v1/sessions/{session.pk}/", {"subjective": "SOAP text"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"]["subjective"] == [
        "This field is not part of a DAP note; leave it empty."
    ]


def test_the_author_must_work_at_the_patients_site(outsider, patient_a):
    with pytest.raises(Exception) as exc:
        draft_session(patient_a, outsider)
    assert exc.value.message_dict == {"patient": ["You do not work at this patient's site."]}
    assert not IndividualSession.objects.exists()


# --- groups --------------------------------------------------------------------------------------


def test_a_group_note_is_signed_by_a_clinician_facilitator(
    clinician, medical_staff, api_as, site_a
):
    patient = register_patient(site_a)
    group = group_session(
        site_a,
        clinician,
        facilitators=[clinician, medical_staff],
        rows=[(patient, "attended", "")],
    )
    assert api_as(medical_staff).post(f"/api/v1/group-sessions/{group.pk}/sign/").status_code == 403
    colleague = staff_user(roles=[Role.CLINICIAN], sites=[site_a])
    assert api_as(colleague).post(f"/api/v1/group-sessions/{group.pk}/sign/").status_code == 403
    group.refresh_from_db()
    assert group.signed_at is None
    response = api_as(clinician).post(f"/api/v1/group-sessions/{group.pk}/sign/")
    assert response.status_code == 200
    assert response.json()["status"] == "signed"


def test_a_group_needs_a_summary_and_a_roster_to_be_signed(clinician, api_as, site_a):
    group = group_session(site_a, clinician, summary="")
    response = api_as(clinician).post(f"/api/v1/group-sessions/{group.pk}/sign/")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"summary", "attendance"}


def test_services_refuse_a_signature_from_someone_else(clinician, medical_staff, patient_a):
    session = draft_session(patient_a, medical_staff, session_type="medical_visit")
    with pytest.raises(services.NotAllowed):
        services.session_sign(session=session, user=clinician)
