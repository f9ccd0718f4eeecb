"""CBT and MET sessions carry their number in the planned course ("5 of 12")."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.factories import draft_session, register_patient
from treatment.models import IndividualSession
from treatment.services.sessions import session_update

URL = "/api/v1/sessions/"


def _body(patient, **overrides):
    body = {
        "patient": str(patient.pk),
        "session_type": "cbt",
        "started_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "duration_minutes": 50,
        "modality": "in_person",
        "note_format": "dap",
        "data": "Practised thought records.",
    }
    body.update(overrides)
    return body


def test_the_first_cbt_session_is_1_of_12_by_default(clinician, api_as, patient_a):
    response = api_as(clinician).post(URL, _body(patient_a), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["course_session_number"], body["course_planned_sessions"]) == (1, 12)
    assert body["course_label"] == "1 of 12"


def test_met_defaults_to_four_planned_sessions(clinician, patient_a):
    session = draft_session(patient_a, clinician, session_type="met")
    assert session.course_label == "1 of 4"


def test_the_default_comes_from_settings(clinician, patient_a, settings):
    settings.TREATMENT_COURSE_PLANNED_SESSIONS = {"cbt": 8, "met": 3}
    assert draft_session(patient_a, clinician, session_type="cbt").course_label == "1 of 8"


def test_next_sessions_take_the_next_number_and_the_course_plan(clinician, patient_a):
    draft_session(patient_a, clinician, session_type="cbt", course_planned_sessions=16)
    second = draft_session(patient_a, clinician, session_type="cbt")
    assert second.course_label == "2 of 16"
    # Another patient's course, and the MET course, count separately.
    other = register_patient(patient_a.site)
    assert draft_session(other, clinician, session_type="cbt").course_label == "1 of 12"
    assert draft_session(patient_a, clinician, session_type="met").course_label == "1 of 4"


def test_an_explicit_number_is_kept(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        URL, _body(patient_a, course_session_number=5, course_planned_sessions=12), format="json"
    )
    assert response.status_code == 201
    assert response.json()["course_label"] == "5 of 12"


@pytest.mark.parametrize(
    ("number", "planned", "field"),
    [
        (0, 12, "course_session_number"),
        (13, 12, "course_session_number"),
        (1, 0, "course_planned_sessions"),
    ],
)
def test_impossible_numbers_are_400_and_nothing_is_saved(
    number, planned, field, clinician, api_as, patient_a
):
    response = api_as(clinician).post(
        URL,
        _body(patient_a, course_session_number=number, course_planned_sessions=planned),
        format="json",
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not IndividualSession.objects.exists()


def test_a_number_already_used_in_the_course_is_refused(clinician, api_as, patient_a):
    draft_session(patient_a, clinician, session_type="cbt", course_session_number=3)
    response = api_as(clinician).post(URL, _body(patient_a, course_session_number=3), format="json")
    assert response.status_code == 400
    assert response.json()["errors"]["course_session_number"] == [
        "Session 3 of this patient's CBT course is already recorded."
    ]
    assert IndividualSession.objects.count() == 1


def test_other_session_types_are_not_numbered(clinician, api_as, patient_a):
    response = api_as(clinician).post(
        URL,
        _body(patient_a, session_type="medical_visit", course_session_number=1),
        format="json",
    )
    assert response.status_code == 400
    assert "course_session_number" in response.json()["errors"]
    plain = draft_session(patient_a, clinician, session_type="peer_support")
    assert (plain.course_session_number, plain.course_planned_sessions) == (None, None)


def test_changing_a_drafts_type_renumbers_it_in_the_new_course(clinician, patient_a):
    draft_session(patient_a, clinician, session_type="met")
    session = draft_session(patient_a, clinician, session_type="cbt")
    session = session_update(session=session, user=clinician, session_type="met")
    assert session.course_label == "2 of 4"
    session = session_update(session=session, user=clinician, session_type="case_management")
    assert session.course_label == ""


def test_renumbering_a_draft_onto_a_used_number_is_refused(clinician, patient_a):
    draft_session(patient_a, clinician, session_type="cbt")
    second = draft_session(patient_a, clinician, session_type="cbt")
    with pytest.raises(ValidationError) as exc:
        session_update(session=second, user=clinician, course_session_number=1)
    assert "course_session_number" in exc.value.message_dict
    second.refresh_from_db()
    assert second.course_session_number == 2


def test_the_database_refuses_a_duplicate_or_out_of_range_number(clinician, patient_a):
    first = draft_session(patient_a, clinician, session_type="cbt")
    copy = IndividualSession(
        patient=patient_a,
        author=clinician,
        session_type="cbt",
        started_at=first.started_at,
        duration_minutes=50,
        modality="in_person",
        course_session_number=1,
        course_planned_sessions=12,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()
    copy.course_session_number, copy.course_planned_sessions = 13, 12
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_objective_ids_are_kept_as_distinct_uuids(clinician, api_as, patient_a):
    objective = "8a0a4c38-7f43-4a4e-9a39-0d2a8d5d5f11"
    client = api_as(clinician)
    created = client.post(
        URL, _body(patient_a, objective_ids=[objective, objective.upper()]), format="json"
    )
    assert created.status_code == 201
    assert created.json()["objective_ids"] == [objective]
    session = IndividualSession.objects.get()
    history = session.history.count()
    unchanged = client.patch(
        f"{URL}{session.pk}/", {"objective_ids": [objective.upper()]}, format="json"
    )
    assert unchanged.status_code == 200
    assert session.history.count() == history, "an unchanged list is not a change"
    bad = client.patch(f"{URL}{session.pk}/", {"objective_ids": ["nope"]}, format="json")
    assert bad.status_code == 400
    assert "objective_ids" in bad.json()["errors"]
