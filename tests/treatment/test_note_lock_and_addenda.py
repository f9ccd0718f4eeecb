"""A signed note is locked: every edit path refuses, nothing changes; only addenda are added, and
addenda themselves never change."""

import pytest
from django.db import transaction
from django.utils import timezone

from clinic.models import AuditEvent, ProtectedDeletion
from tests.admin_utils import admin_post_data
from tests.factories import draft_session, group_session, register_patient, signed_session
from treatment.models import (
    GroupAttendance,
    GroupSession,
    IndividualSession,
    NoteLocked,
    SessionAddendum,
)
from treatment.services import sessions as services


def _snapshot(session):
    row = IndividualSession.objects.values().get(pk=session.pk)
    row.pop("updated_at")
    return row, session.history.count()


@pytest.fixture
def signed(clinician, patient_a):
    return signed_session(patient_a, clinician)


def test_signing_locks_the_note_and_records_who_and_when(clinician, api_as, patient_a):
    session = draft_session(patient_a, clinician)
    response = api_as(clinician).post(f"/api/v1/sessions/{session.pk}/sign/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "signed"
    assert body["signed_by"] == clinician.pk
    session.refresh_from_db()
    assert session.signed_by == clinician and session.signed_at <= timezone.now()
    assert session.history.first().history_change_reason == "signed"
    assert session.history.first().history_user == clinician
    assert AuditEvent.objects.filter(
        action="update", object_type="session_note", object_id=str(session.pk), detail="signed"
    ).exists()


def test_api_patch_of_a_signed_note_is_409_and_nothing_changes(clinician, api_as, signed):
    before = _snapshot(signed)
    response = api_as(clinician).patch(
        f"/api/v1/sessions/{signed.pk}/", {"plan": "Rewritten"}, format="json"
    )
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert "addendum" in response.json()["detail"]
    assert _snapshot(signed) == before


def test_signing_twice_is_409(clinician, api_as, signed):
    before = _snapshot(signed)
    response = api_as(clinician).post(f"/api/v1/sessions/{signed.pk}/sign/")
    assert response.status_code == 409
    assert _snapshot(signed) == before


def test_the_service_refuses_to_change_a_signed_note(clinician, signed):
    before = _snapshot(signed)
    with pytest.raises(NoteLocked):
        services.session_update(session=signed, user=clinician, plan="Rewritten")
    assert _snapshot(signed) == before


def test_model_save_refuses_content_changes_to_a_signed_note(signed):
    before = _snapshot(signed)
    signed.assessment = "Rewritten"
    with pytest.raises(NoteLocked):
        signed.save()
    signed.refresh_from_db()
    signed.signed_at = None
    with pytest.raises(NoteLocked):
        signed.save()
    assert _snapshot(signed) == before


def test_bulk_updates_cannot_reach_a_signed_note(clinician, patient_a, signed):
    draft = draft_session(patient_a, clinician, session_type="case_management")
    before = _snapshot(signed)
    with pytest.raises(NoteLocked):
        IndividualSession.objects.update(plan="Rewritten")
    signed.plan = "Rewritten"
    with pytest.raises(NoteLocked), transaction.atomic():
        IndividualSession.objects.bulk_update([signed], ["plan"])
    assert _snapshot(signed) == before
    # Drafts alone can still be bulk-updated (nothing signed is touched).
    IndividualSession.objects.filter(pk=draft.pk).update(plan="Revised")


def test_the_admin_shows_a_signed_note_read_only_and_saves_no_change(clinician, client, signed):
    client.force_login(clinician)
    url = f"/admin/treatment/individualsession/{signed.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert "plan" not in page.context["adminform"].form.fields
    before = _snapshot(signed)
    response = client.post(url, admin_post_data(page, plan="Rewritten"))
    assert response.status_code == 302
    assert _snapshot(signed) == before


def test_an_addendum_is_added_to_a_signed_note(clinician, api_as, signed):
    before = _snapshot(signed)
    response = api_as(clinician).post(
        f"/api/v1/sessions/{signed.pk}/addenda/",
        {"text": "Patient called later to add context.", "reason": "late entry"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["author"] == clinician.pk and body["reason"] == "late entry"
    assert _snapshot(signed) == before, "the note itself never changes"
    listed = api_as(clinician).get(f"/api/v1/sessions/{signed.pk}/addenda/").json()
    assert [a["id"] for a in listed] == [body["id"]]
    assert api_as(clinician).get(f"/api/v1/sessions/{signed.pk}/").json()["addenda"][0]["text"] == (
        "Patient called later to add context."
    )
    assert AuditEvent.objects.filter(object_type="session_addendum", detail="addendum").exists()
    assert SessionAddendum.objects.get().history.first().history_user == clinician


def test_a_draft_takes_no_addenda(clinician, api_as, patient_a):
    draft = draft_session(patient_a, clinician)
    response = api_as(clinician).post(
        f"/api/v1/sessions/{draft.pk}/addenda/", {"text": "x", "reason": "y"}, format="json"
    )
    assert response.status_code == 409
    assert not SessionAddendum.objects.exists()


def test_an_addendum_needs_text_and_reason(clinician, api_as, signed):
    response = api_as(clinician).post(
        f"/api/v1/sessions/{signed.pk}/addenda/", {"text": " "}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"text", "reason"}
    assert not SessionAddendum.objects.exists()


def test_addenda_never_change_and_are_never_deleted(clinician, signed):
    addendum = services.session_addendum_add(
        session=signed, user=clinician, text="Added.", reason="correction"
    )
    addendum.text = "Changed."
    with pytest.raises(ProtectedDeletion):
        addendum.save()
    with pytest.raises(ProtectedDeletion):
        SessionAddendum.objects.update(text="Changed.")
    with pytest.raises(ProtectedDeletion):
        addendum.delete()
    with pytest.raises(ProtectedDeletion):
        SessionAddendum.objects.all().delete()
    assert SessionAddendum.objects.get().text == "Added."


def test_a_signed_note_cannot_be_deleted(clinician, api_as, signed):
    response = api_as(clinician).delete(f"/api/v1/sessions/{signed.pk}/")
    assert response.status_code == 405
    with pytest.raises(ProtectedDeletion):
        signed.delete()
    assert IndividualSession.objects.filter(pk=signed.pk).exists()


def test_the_admin_adds_an_addendum_on_a_signed_note(clinician, client, signed):
    client.force_login(clinician)
    url = f"/admin/treatment/individualsession/{signed.pk}/change/"
    data = admin_post_data(client.get(url))
    data.update({"addenda-0-text": "Added in the admin.", "addenda-0-reason": "late entry"})
    response = client.post(url, data)
    assert response.status_code == 302
    addendum = SessionAddendum.objects.get()
    assert (addendum.author, addendum.text) == (clinician, "Added in the admin.")


# --- groups: the roster locks with the group note ---------------------------------------------


@pytest.fixture
def signed_group(clinician, site_a):
    people = [register_patient(site_a) for _ in range(2)]
    group = group_session(
        site_a, clinician, rows=[(p, "attended", "Engaged well.") for p in people]
    )
    return services.group_session_sign(group=group, user=clinician), people


def test_a_signed_groups_roster_and_details_are_locked(clinician, api_as, signed_group, site_a):
    group, people = signed_group
    newcomer = register_patient(site_a)
    rows_before = list(GroupAttendance.objects.values("patient_id", "status", "note"))
    client = api_as(clinician)
    for body in (
        {"attendance": [{"patient": str(people[0].pk), "status": "absent"}]},
        {"attendance": [{"patient": str(newcomer.pk), "status": "attended"}]},
        {"summary": "Rewritten"},
    ):
        response = client.patch(f"/api/v1/group-sessions/{group.pk}/", body, format="json")
        assert response.status_code == 409, body
    row = GroupAttendance.objects.first()
    row.status = "absent"
    with pytest.raises(NoteLocked):
        row.save()
    with pytest.raises(NoteLocked):
        GroupAttendance(group=group, patient=newcomer, status="attended").save()
    with pytest.raises(NoteLocked):
        GroupAttendance.objects.update(note="Rewritten")
    with pytest.raises(NoteLocked):
        GroupSession.objects.update(summary="Rewritten")
    assert list(GroupAttendance.objects.values("patient_id", "status", "note")) == rows_before


def test_a_signed_group_takes_addenda_to_the_group_or_to_one_row(clinician, api_as, signed_group):
    group, people = signed_group
    client = api_as(clinician)
    url = f"/api/v1/group-sessions/{group.pk}/addenda/"
    assert (
        client.post(
            url, {"text": "Room change.", "reason": "correction"}, format="json"
        ).status_code
        == 201
    )
    response = client.post(
        url,
        {"text": "Left early.", "reason": "late entry", "patient": str(people[0].pk)},
        format="json",
    )
    assert response.status_code == 201
    assert len(client.get(url).json()) == 2
