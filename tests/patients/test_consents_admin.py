"""The consent admin: matrix permissions, services behind every write, read-only signed content."""

import datetime as dt

import pytest
import time_machine
from django.contrib import admin

from clinic import access
from clinic.access import Role
from clinic.models import AuditEvent
from patients.admin import ConsentInline, PatientAdmin
from patients.models import Consent, Patient
from patients.services.consent import consent_revoke
from tests.factories import record_consent

CHANGELIST = "/admin/patients/consent/"
ROLES = {
    "front_desk": Role.FRONT_DESK,
    "clinician": Role.CLINICIAN,
    "medical_staff": Role.MEDICAL_STAFF,
    "clinic_admin": Role.CLINIC_ADMIN,
}


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 3, 2, 18, tzinfo=dt.UTC), tick=False):
        yield


def add_form(patient, **overrides):
    data = {
        "patient": str(patient.pk),
        "kind": "part2_disclosure",
        "signed_on": "2026-03-02",
        "signature_method": "wet_ink",
        "signer": "patient",
        "representative_name": "",
        "representative_relationship": "",
        "witness_name": "",
        "discloser_name": "",
        "recipient_name": "Lakeside Family Practice",
        "purposes": ["treatment"],
        "purpose_description": "",
        "information": ["diagnosis", "medications"],
        "information_description": "",
        "expires_on": "2027-03-01",
        "expiry_event": "",
        "form_version": "2026-02",
    }
    data.update(overrides)
    return data


def consent_state(consent):
    consent.refresh_from_db()
    return (
        consent.recipient_name,
        consent.purposes,
        consent.revoked_on,
        consent.revocation_method,
        consent.history.count(),
    )


@pytest.mark.parametrize("persona", list(ROLES))
def test_admin_pages_follow_the_matrix(persona, personas, client, patient_a):
    consent = record_consent(patient_a)
    client.force_login(personas[persona])
    role = ROLES[persona]
    may_view = access.allowed(role, "consent", "view")
    assert client.get(CHANGELIST).status_code == (200 if may_view else 403)
    add = client.get(CHANGELIST + "add/")
    assert add.status_code == (200 if access.allowed(role, "consent", "add") else 403)
    assert client.get(f"{CHANGELIST}{consent.pk}/change/").status_code == (200 if may_view else 403)
    assert client.get(f"{CHANGELIST}{consent.pk}/delete/").status_code == 403


def test_changelist_shows_a_coloured_status_and_filters_by_status_and_kind(
    clinician, client, patient_a
):
    active = record_consent(patient_a, recipient_name="Active Place")
    revoked = record_consent(patient_a, recipient_name="Revoked Place")
    consent_revoke(consent=revoked, method="written", user=clinician)
    client.force_login(clinician)
    page = client.get(CHANGELIST)
    html = page.content.decode()
    assert 'style="color:#fff;background:#1e7e34' in html
    assert "Revoked</span>" in html
    assert "delete_selected" not in html
    only_revoked = client.get(CHANGELIST, {"status": "revoked"})
    assert list(only_revoked.context["cl"].result_list) == [revoked]
    only_active = client.get(CHANGELIST, {"status": "active", "kind": "part2_disclosure"})
    assert list(only_active.context["cl"].result_list) == [active]
    reads = AuditEvent.objects.filter(action="read", object_type="consent", source="admin")
    assert reads.count() == 4


def test_admin_add_records_through_the_service(front_desk, client, patient_a):
    client.force_login(front_desk)
    response = client.post(CHANGELIST + "add/", add_form(patient_a))
    assert response.status_code == 302, response.context["adminform"].form.errors
    consent = Consent.objects.get()
    assert consent.discloser_name == patient_a.site.name
    assert consent.recorded_by == front_desk
    assert consent.revocation_statement
    assert consent.history.get().history_user == front_desk
    assert AuditEvent.objects.filter(
        action="create", object_type="consent", source="admin"
    ).exists()


def test_admin_add_shows_rule_errors_on_fields_and_saves_nothing(clinician, client, patient_a):
    client.force_login(clinician)
    response = client.post(
        CHANGELIST + "add/",
        add_form(patient_a, signature_method="verbal_witnessed", witness_name="W", expires_on=""),
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert {"signature_method", "expires_on"} <= set(errors)
    assert not Consent.objects.exists()


def test_admin_add_cannot_pick_another_sites_patient(outsider, client, patient_a):
    client.force_login(outsider)
    response = client.post(CHANGELIST + "add/", add_form(patient_a))
    assert response.status_code == 200
    assert "patient" in response.context["adminform"].form.errors
    assert not Consent.objects.exists()


def test_signed_content_is_read_only_but_revocation_can_be_entered(clinician, client, patient_a):
    consent = record_consent(
        patient_a, recipient_name="Lakeside Family Practice", signed_on=dt.date(2026, 2, 1)
    )
    client.force_login(clinician)
    page = client.get(f"{CHANGELIST}{consent.pk}/change/")
    form = page.context["adminform"].form
    assert set(form.fields) == {"revoked_on", "revocation_method"}
    response = client.post(
        f"{CHANGELIST}{consent.pk}/change/",
        {
            "recipient_name": "Someone else",
            "purposes": ["payment"],
            "revocation_method": "written",
            "revoked_on": "2026-03-01",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    consent.refresh_from_db()
    assert consent.recipient_name == "Lakeside Family Practice"
    assert consent.purposes == ["treatment"]
    assert (consent.revoked_on, consent.revocation_method) == (dt.date(2026, 3, 1), "written")
    assert consent.history.first().history_user == clinician
    again = client.get(f"{CHANGELIST}{consent.pk}/change/")
    assert set(again.context["adminform"].form.fields) == set()


def test_revocation_in_the_change_form_is_validated(clinician, client, patient_a):
    consent = record_consent(patient_a)
    client.force_login(clinician)
    before = consent_state(consent)
    response = client.post(
        f"{CHANGELIST}{consent.pk}/change/", {"revocation_method": "", "revoked_on": "2026-03-02"}
    )
    assert response.status_code == 200
    assert "revocation_method" in response.context["adminform"].form.errors
    response = client.post(
        f"{CHANGELIST}{consent.pk}/change/",
        {"revocation_method": "written", "revoked_on": "2026-03-09"},
    )
    assert "revoked_on" in response.context["adminform"].form.errors
    assert consent_state(consent) == before


def test_expiry_event_can_be_entered_in_the_change_form(clinician, client, patient_a):
    consent = record_consent(patient_a, expires_on=None, expiry_event="Discharge")
    client.force_login(clinician)
    response = client.post(
        f"{CHANGELIST}{consent.pk}/change/",
        {"revocation_method": "", "revoked_on": "", "expiry_event_occurred_on": "2026-03-02"},
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.status == "expired"
    assert consent.expiry_event_recorded_by == clinician


def test_view_only_roles_cannot_post_changes(medical_staff, client, patient_a):
    consent = record_consent(patient_a)
    client.force_login(medical_staff)
    before = consent_state(consent)
    response = client.post(
        f"{CHANGELIST}{consent.pk}/change/", {"revocation_method": "written", "revoked_on": ""}
    )
    assert response.status_code == 403
    assert consent_state(consent) == before


def test_outsider_gets_404_and_an_empty_list(outsider, client, patient_a):
    consent = record_consent(patient_a)
    client.force_login(outsider)
    assert client.get(f"{CHANGELIST}{consent.pk}/change/").status_code == 404
    assert list(client.get(CHANGELIST).context["cl"].result_list) == []


def test_revoke_action_asks_for_the_method_then_revokes(front_desk, client, patient_a):
    first = record_consent(patient_a)
    second = record_consent(patient_a)
    done = consent_revoke(consent=record_consent(patient_a), method="verbal", user=front_desk)
    client.force_login(front_desk)
    selected = [str(first.pk), str(second.pk), str(done.pk)]
    ask = client.post(CHANGELIST, {"action": "revoke_selected", "_selected_action": selected})
    assert ask.status_code == 200
    assert 'name="method"' in ask.content.decode()
    assert not Consent.objects.in_status("revoked").exclude(pk=done.pk).exists()
    response = client.post(
        CHANGELIST,
        {
            "action": "revoke_selected",
            "_selected_action": selected,
            "apply": "1",
            "method": "electronic",
            "revoked_on": "",
        },
        follow=True,
    )
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert "Revoked 2 consent(s)." in messages
    assert any("could not be revoked" in m for m in messages)
    for consent in (first, second):
        consent.refresh_from_db()
        assert consent.revocation_method == "electronic"
        assert consent.history.first().history_user == front_desk
    done.refresh_from_db()
    assert done.revocation_method == "verbal"


def test_view_only_roles_have_no_revoke_action(medical_staff, client, patient_a):
    consent = record_consent(patient_a)
    client.force_login(medical_staff)
    assert "revoke_selected" not in client.get(CHANGELIST).content.decode()
    client.post(
        CHANGELIST,
        {
            "action": "revoke_selected",
            "_selected_action": [str(consent.pk)],
            "apply": "1",
            "method": "written",
        },
    )
    consent.refresh_from_db()
    assert consent.revoked_on is None


@pytest.mark.parametrize("persona", ["front_desk", "clinician", "medical_staff"])
def test_consent_inline_lists_consents_read_only_on_the_patient_page(
    persona, personas, client, patient_a, monkeypatch
):
    consent = record_consent(patient_a)
    monkeypatch.setattr(PatientAdmin, "inlines", [ConsentInline])
    client.force_login(personas[persona])
    page = client.get(f"/admin/patients/patient/{patient_a.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert f"/admin/patients/consent/{consent.pk}/change/" in html
    assert "Active</span>" in html
    inline = ConsentInline(Patient, admin.site)
    request = page.wsgi_request
    assert not inline.has_add_permission(request, patient_a)
    assert not inline.has_change_permission(request, patient_a)
    assert not inline.has_delete_permission(request, patient_a)
