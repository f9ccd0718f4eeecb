"""Consent rules: the Part 2 elements, signatures, immutability, revocation, status over time."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clinic.errors import Conflict
from clinic.models import AuditEvent, ProtectedDeletion
from patients.models import Consent
from patients.models.consent import (
    FORM_VERSIONS,
    ConsentStatus,
    SignedConsentIsImmutable,
    status_of,
)
from patients.services.consent import (
    consent_mark_expiry_event,
    consent_record,
    consent_revoke,
)
from tests.factories import record_consent

CHICAGO = ZoneInfo("America/Chicago")
D = dt.date


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 12, tzinfo=CHICAGO)


@pytest.fixture
def today():
    with time_machine.travel(noon(D(2026, 3, 2)), tick=False):
        yield D(2026, 3, 2)


def errors_of(excinfo) -> dict:
    return excinfo.value.message_dict


# --- Part 2 elements -------------------------------------------------------------------------


def test_it_records_every_part2_element_and_copies_the_form_statements(patient_a, clinician, today):
    consent = record_consent(
        patient_a,
        recorded_by=clinician,
        recipient_name="  Lakeside   Family Practice ",
        purposes=["treatment"],
        information=["diagnosis", "all_sud_records"],
        information_description="Since intake",
        expires_on=D(2027, 3, 1),
    )
    consent.refresh_from_db()
    assert consent.patient == patient_a
    assert consent.discloser_name == patient_a.site.name  # who may disclose, by name
    assert consent.recipient_name == "Lakeside Family Practice"
    assert consent.purposes == ["treatment"]
    assert consent.information == ["all_sud_records", "diagnosis"]
    assert consent.revocation_statement == FORM_VERSIONS["2026-02"]["part2_revocation"]
    assert "2.31" in consent.revocation_statement
    assert consent.tpo_statement == ""
    assert consent.signed_on == today
    assert consent.signature_method == "wet_ink"
    assert consent.signer == "patient"
    assert consent.recorded_by == clinician
    assert consent.status == ConsentStatus.ACTIVE


def test_a_named_discloser_is_kept(patient_a, today):
    consent = record_consent(patient_a, discloser_name="Kratom Recovery Program")
    assert consent.discloser_name == "Kratom Recovery Program"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recipient_name": "", "recipient_classes": []}, "recipient_name"),
        ({"purposes": []}, "purposes"),
        ({"information": []}, "information"),
        ({"expires_on": None, "expiry_event": ""}, "expires_on"),
        ({"purposes": ["bribery"]}, "purposes"),
        ({"information": ["everything"]}, "information"),
        ({"recipient_classes": ["neighbours"]}, "recipient_classes"),
        ({"information": ["diagnosis", "diagnosis"]}, "information"),
        ({"information": ["counselling_notes"]}, "information"),
        ({"form_version": "1999-01"}, "form_version"),
        ({"expires_on": D(2026, 3, 1)}, "expires_on"),
    ],
)
def test_a_part2_consent_missing_an_element_is_refused(patient_a, today, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        record_consent(patient_a, **overrides)
    assert field in errors_of(excinfo)
    assert not Consent.objects.exists()


def test_an_expiry_event_instead_of_a_date_is_enough(patient_a, today):
    consent = record_consent(patient_a, expires_on=None, expiry_event="Discharge from the program")
    assert consent.expiry_event == "Discharge from the program"


def test_verbal_consent_is_not_valid_for_part2(patient_a, today):
    with pytest.raises(ValidationError) as excinfo:
        record_consent(patient_a, signature_method="verbal_witnessed", witness_name="R. Staff")
    assert "signature_method" in errors_of(excinfo)


def test_verbal_consent_to_treatment_needs_a_witness(patient_a, today):
    with pytest.raises(ValidationError) as excinfo:
        consent_record(
            patient=patient_a,
            recorded_by=None,
            kind="treatment",
            signed_on=today,
            signature_method="verbal_witnessed",
        )
    assert "witness_name" in errors_of(excinfo)
    consent = consent_record(
        patient=patient_a,
        recorded_by=None,
        kind="treatment",
        signed_on=today,
        signature_method="verbal_witnessed",
        witness_name="A. Nurse",
    )
    assert consent.status == ConsentStatus.ACTIVE
    assert "withdraw" in consent.revocation_statement


def test_a_representative_signature_needs_name_and_relationship(patient_a, today):
    with pytest.raises(ValidationError) as excinfo:
        record_consent(patient_a, signer="legal_representative")
    assert {"representative_name", "representative_relationship"} <= set(errors_of(excinfo))
    consent = record_consent(
        patient_a,
        signer="legal_representative",
        representative_name="Jo Guardian",
        representative_relationship="legal_guardian",
    )
    assert consent.representative_relationship == "legal_guardian"


def test_a_patient_signature_carries_no_representative(patient_a, today):
    with pytest.raises(ValidationError) as excinfo:
        record_consent(patient_a, representative_name="Someone")
    assert "signer" in errors_of(excinfo)


def test_treatment_and_notice_consents_carry_no_disclosure_elements(patient_a, today):
    with pytest.raises(ValidationError) as excinfo:
        consent_record(
            patient=patient_a,
            recorded_by=None,
            kind="hipaa_notice",
            signed_on=today,
            signature_method="electronic",
            recipient_name="Acme",
            purposes=["payment"],
            tpo=True,
        )
    assert {"recipient_name", "purposes", "tpo"} <= set(errors_of(excinfo))


def test_messages_do_not_echo_what_was_typed(patient_a, today):
    secret = "Jane Q Patient 1980-02-03"
    with pytest.raises(ValidationError) as excinfo:
        record_consent(patient_a, purposes=[secret], information=[secret])
    assert secret not in str(excinfo.value.message_dict)


# --- TPO and counselling notes -------------------------------------------------------------------


def test_a_tpo_consent_covers_the_three_tpo_purposes_and_recipient_classes(patient_a, today):
    consent = record_consent(patient_a, tpo=True, recipient_name="", purposes=[])
    assert set(consent.purposes) == {"treatment", "payment", "health_care_operations"}
    assert set(consent.recipient_classes) == {
        "treating_providers",
        "health_plans_and_payers",
        "program_operations",
    }
    assert consent.tpo_statement == FORM_VERSIONS["2026-02"]["tpo"]


def test_a_tpo_consent_cannot_add_other_purposes(patient_a, today):
    with pytest.raises(ValidationError) as excinfo:
        record_consent(patient_a, tpo=True, purposes=["treatment", "employment"])
    assert "purposes" in errors_of(excinfo)


def test_counselling_notes_consent_covers_notes_only_and_is_never_tpo(patient_a, today):
    consent = record_consent(
        patient_a, kind="part2_counselling_notes", information=["counselling_notes"]
    )
    assert consent.information == ["counselling_notes"]
    with pytest.raises(ValidationError) as excinfo:
        record_consent(
            patient_a,
            kind="part2_counselling_notes",
            information=["counselling_notes", "diagnosis"],
            tpo=True,
            purposes=[],
        )
    assert {"information", "tpo"} <= set(errors_of(excinfo))


# --- Database constraints hold without the service -----------------------------------------------


@pytest.mark.parametrize(
    "changes",
    [
        {"expires_on": None, "expiry_event": ""},
        {"signature_method": "verbal_witnessed", "witness_name": "W"},
        {"discloser_name": ""},
        {"signer": "legal_representative"},
        {"expires_on": D(2020, 1, 1)},
        {"revoked_on": D(2026, 3, 2)},
        {"expiry_event_occurred_on": D(2026, 3, 2)},
    ],
)
def test_database_constraints_refuse_broken_rows(patient_a, today, changes):
    values = {
        "patient": patient_a,
        "kind": "part2_disclosure",
        "discloser_name": "North Clinic",
        "recipient_name": "Acme",
        "purposes": ["treatment"],
        "information": ["diagnosis"],
        "expires_on": D(2027, 1, 1),
        "signed_on": today,
        "signature_method": "wet_ink",
    }
    values.update(changes)
    with pytest.raises(IntegrityError), transaction.atomic():
        Consent.objects.create(**values)


# --- Immutability and no deletion ---------------------------------------------------------------


def test_signed_content_cannot_be_changed_or_deleted(patient_a, today):
    consent = record_consent(patient_a)
    consent.recipient_name = "Someone else"
    with pytest.raises(SignedConsentIsImmutable):
        consent.save()
    with pytest.raises(SignedConsentIsImmutable):
        Consent.objects.filter(pk=consent.pk).update(purposes=["payment"])
    with pytest.raises(ProtectedDeletion):
        consent.delete()
    with pytest.raises(ProtectedDeletion):
        Consent.objects.all().delete()
    consent.refresh_from_db()
    assert consent.recipient_name != "Someone else"


# --- Audit and history --------------------------------------------------------------------------


def test_recording_writes_history_and_an_audit_event_without_free_text(patient_a, front_desk):
    consent = record_consent(patient_a, recorded_by=front_desk, information_description="Secret")
    history = consent.history.get()
    assert history.history_type == "+"
    assert history.history_user == front_desk
    event = AuditEvent.objects.get(action="create", object_type="consent")
    assert event.actor == front_desk
    assert event.object_id == str(consent.pk)
    assert event.patient_id == patient_a.pk
    assert event.site_id == patient_a.site_id
    assert event.detail == "kind=part2_disclosure"


def test_revocation_keeps_the_consent_and_its_history(patient_a, front_desk, clinician, today):
    consent = record_consent(patient_a, recorded_by=front_desk)
    consent = consent_revoke(consent=consent, method="written", user=clinician)
    consent.refresh_from_db()
    assert consent.revoked_on == today
    assert consent.revocation_method == "written"
    assert consent.revoked_by == clinician
    assert consent.revoked_at is not None
    assert consent.status == ConsentStatus.REVOKED
    latest, first = consent.history.all()[:2]
    assert latest.history_user == clinician
    assert latest.history_change_reason == "revoked"
    assert first.history_user == front_desk
    assert first.revoked_on is None
    event = AuditEvent.objects.get(action="update", object_type="consent")
    assert event.actor == clinician
    assert event.patient_id == patient_a.pk
    assert event.detail == "revoked method=written"
    assert Consent.objects.filter(pk=consent.pk).exists()


def test_revoking_twice_is_a_conflict_that_changes_nothing(patient_a, clinician, today):
    consent = consent_revoke(consent=record_consent(patient_a), method="verbal", user=clinician)
    with pytest.raises(Conflict):
        consent_revoke(consent=consent, method="written", user=clinician)
    consent.refresh_from_db()
    assert consent.revocation_method == "verbal"
    assert consent.history.count() == 2


def test_a_notice_acknowledgement_cannot_be_revoked(patient_a, clinician, today):
    consent = consent_record(
        patient=patient_a,
        recorded_by=clinician,
        kind="hipaa_notice",
        signed_on=today,
        signature_method="electronic",
    )
    assert consent.revocation_statement == ""
    with pytest.raises(Conflict):
        consent_revoke(consent=consent, method="written", user=clinician)


@pytest.mark.parametrize(
    ("revoked_on", "field"),
    [(D(2026, 3, 3), "revoked_on"), (D(2026, 2, 27), "revoked_on")],
)
def test_revocation_date_must_be_between_signing_and_today(
    patient_a, clinician, today, revoked_on, field
):
    consent = record_consent(patient_a, signed_on=D(2026, 2, 28))
    with pytest.raises(ValidationError) as excinfo:
        consent_revoke(consent=consent, method="written", revoked_on=revoked_on, user=clinician)
    assert field in errors_of(excinfo)
    consent.refresh_from_db()
    assert consent.revoked_on is None


def test_an_unknown_revocation_method_is_refused(patient_a, clinician, today):
    consent = record_consent(patient_a)
    with pytest.raises(ValidationError) as excinfo:
        consent_revoke(consent=consent, method="carrier_pigeon", user=clinician)
    assert "method" in errors_of(excinfo)


def test_a_pending_consent_can_be_revoked_before_it_starts(patient_a, clinician, today):
    consent = record_consent(patient_a, signed_on=D(2026, 4, 1), expires_on=D(2027, 4, 1))
    assert consent.status == ConsentStatus.PENDING
    consent = consent_revoke(consent=consent, method="electronic", user=clinician)
    assert consent.status == ConsentStatus.REVOKED


def test_marking_the_expiry_event_expires_the_consent(patient_a, clinician, today):
    consent = record_consent(patient_a, expires_on=None, expiry_event="Discharge")
    consent = consent_mark_expiry_event(consent=consent, user=clinician)
    assert consent.expiry_event_occurred_on == today
    assert consent.status == ConsentStatus.EXPIRED
    latest = consent.history.first()
    assert latest.history_user == clinician
    assert latest.history_change_reason == "expiry event occurred"
    assert AuditEvent.objects.filter(
        action="update", detail="expiry event occurred", patient_id=patient_a.pk
    ).exists()
    with pytest.raises(Conflict):
        consent_mark_expiry_event(consent=consent, user=clinician)


def test_marking_an_event_on_a_consent_without_one_is_a_conflict(patient_a, clinician, today):
    consent = record_consent(patient_a)
    with pytest.raises(Conflict):
        consent_mark_expiry_event(consent=consent, user=clinician)
    with pytest.raises(ValidationError):
        consent_mark_expiry_event(
            consent=record_consent(patient_a, expiry_event="Discharge"),
            occurred_on=D(2026, 3, 9),
            user=clinician,
        )


# --- Status over time -----------------------------------------------------------------------------


def test_status_moves_from_pending_to_active_to_expired(patient_a):
    with time_machine.travel(noon(D(2026, 3, 2)), tick=False) as traveller:
        consent = record_consent(patient_a, signed_on=D(2026, 3, 10), expires_on=D(2026, 6, 30))
        assert consent.status == ConsentStatus.PENDING
        traveller.move_to(noon(D(2026, 3, 10)))
        assert consent.status == ConsentStatus.ACTIVE
        traveller.move_to(noon(D(2026, 6, 30)))
        assert consent.status == ConsentStatus.ACTIVE, "valid through its expiry date"
        traveller.move_to(noon(D(2026, 7, 1)))
        assert consent.status == ConsentStatus.EXPIRED


def test_revocation_wins_over_expiry_and_the_past_stays_the_past(patient_a, clinician):
    with time_machine.travel(noon(D(2026, 3, 2)), tick=False) as traveller:
        consent = record_consent(patient_a, signed_on=D(2026, 3, 1), expires_on=D(2026, 4, 1))
        traveller.move_to(noon(D(2026, 3, 20)))
        consent = consent_revoke(consent=consent, method="written", user=clinician)
        traveller.move_to(noon(D(2026, 5, 1)))
        assert consent.status == ConsentStatus.REVOKED
        assert consent.status_on(D(2026, 3, 19)) == ConsentStatus.ACTIVE
        assert consent.status_on(D(2026, 3, 20)) == ConsentStatus.REVOKED


def test_the_day_boundary_is_the_clinic_time_zone(patient_a):
    # 23:30 in Chicago on 1 March is already 2 March in UTC: the consent is still pending.
    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=CHICAGO)
    with time_machine.travel(late, tick=False):
        consent = record_consent(patient_a, signed_on=D(2026, 3, 2), expires_on=D(2026, 9, 1))
        assert consent.status == ConsentStatus.PENDING


def test_queryset_status_filter_and_annotation_agree_with_the_property(patient_a, clinician):
    with time_machine.travel(noon(D(2026, 3, 2)), tick=False) as traveller:
        pending = record_consent(patient_a, signed_on=D(2026, 3, 20), expires_on=D(2026, 9, 1))
        active = record_consent(patient_a, expires_on=None, expiry_event="Discharge")
        expired = record_consent(patient_a, signed_on=D(2026, 1, 1), expires_on=D(2026, 3, 1))
        revoked = consent_revoke(
            consent=record_consent(patient_a, signed_on=D(2026, 1, 1), expires_on=D(2026, 2, 1)),
            method="written",
            revoked_on=D(2026, 1, 15),
            user=clinician,
        )
        event = consent_mark_expiry_event(
            consent=record_consent(patient_a, expires_on=None, expiry_event="Discharge"),
            user=clinician,
        )
        expected = {
            pending.pk: "pending",
            active.pk: "active",
            expired.pk: "expired",
            revoked.pk: "revoked",
            event.pk: "expired",
        }
        annotated = dict(Consent.objects.with_status().values_list("pk", "computed_status"))
        assert annotated == expected
        for status in ConsentStatus.values:
            ids = set(Consent.objects.in_status(status).values_list("pk", flat=True))
            assert ids == {pk for pk, s in expected.items() if s == status}, status
        for consent in Consent.objects.all():
            assert consent.status == expected[consent.pk]
        traveller.move_to(noon(D(2026, 3, 25)))
        assert set(Consent.objects.in_status("active").values_list("pk", flat=True)) == {
            pending.pk,
            active.pk,
        }


@pytest.mark.parametrize(
    ("signed", "expires", "occurred", "revoked", "on", "expected"),
    [
        (D(2026, 1, 1), None, None, None, D(2026, 1, 1), "active"),
        (D(2026, 1, 2), None, None, None, D(2026, 1, 1), "pending"),
        (D(2026, 1, 1), D(2026, 1, 5), None, None, D(2026, 1, 5), "active"),
        (D(2026, 1, 1), D(2026, 1, 5), None, None, D(2026, 1, 6), "expired"),
        (D(2026, 1, 1), None, D(2026, 1, 3), None, D(2026, 1, 3), "expired"),
        (D(2026, 1, 1), None, D(2026, 1, 3), None, D(2026, 1, 2), "active"),
        (D(2026, 1, 1), D(2026, 1, 5), None, D(2026, 1, 3), D(2026, 1, 3), "revoked"),
        (D(2026, 1, 1), D(2026, 1, 5), None, D(2026, 1, 3), D(2026, 1, 9), "revoked"),
        (D(2026, 1, 9), None, None, D(2026, 1, 3), D(2026, 1, 3), "revoked"),
    ],
)
def test_status_rule_table(signed, expires, occurred, revoked, on, expected):
    assert (
        status_of(
            signed_on=signed,
            expires_on=expires,
            expiry_event_occurred_on=occurred,
            revoked_on=revoked,
            on=on,
        )
        == expected
    )
