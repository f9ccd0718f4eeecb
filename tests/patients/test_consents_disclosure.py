"""may_disclose: the one question asked before any disclosure of Part 2 records."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from clinic.models import AuditEvent
from patients.services.consent import (
    PART2_NOTICE,
    DisclosureReason,
    consent_mark_expiry_event,
    consent_revoke,
    may_disclose,
)
from tests.factories import record_consent, register_patient

D = dt.date
TODAY = D(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen_today():
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, tzinfo=dt.UTC), tick=False):
        yield


def ask(patient, **overrides):
    request = {
        "recipient": "Lakeside Family Practice",
        "recipient_class": None,
        "purpose": "treatment",
        "information": {"diagnosis"},
    }
    request.update(overrides)
    return may_disclose(patient=patient, **request)


@pytest.fixture
def named(patient_a):
    return record_consent(
        patient_a,
        recipient_name="Lakeside Family Practice",
        purposes=["treatment"],
        information=["diagnosis", "medications"],
        signed_on=D(2026, 2, 1),
        expires_on=D(2026, 12, 31),
    )


def test_it_allows_a_named_recipient_and_attaches_the_notice_and_scope(patient_a, named):
    decision = ask(patient_a, recipient="  lakeside   FAMILY practice ")
    assert decision.allowed
    assert decision.consent == named
    assert decision.reason == DisclosureReason.ALLOWED
    assert decision.notice == PART2_NOTICE
    assert "2.32" in decision.notice
    assert "Lakeside Family Practice" in decision.scope
    assert "treatment" in decision.scope.lower()


def test_the_notice_is_our_paraphrase_not_the_regulation_wording():
    assert "prohibits unauthorized use or disclosure of these records" not in PART2_NOTICE


def test_a_different_name_is_not_covered(patient_a, named):
    decision = ask(patient_a, recipient="Hilltop Clinic")
    assert not decision.allowed
    assert decision.reason == DisclosureReason.RECIPIENT_NOT_COVERED
    assert decision.consent is None
    assert decision.notice == ""


def test_a_class_does_not_match_a_consent_that_names_its_recipient(patient_a, named):
    decision = ask(patient_a, recipient="Hilltop Clinic", recipient_class="treating_providers")
    assert decision.reason == DisclosureReason.RECIPIENT_NOT_COVERED


def test_a_recipient_in_a_consented_class_is_covered(patient_a):
    consent = record_consent(patient_a, recipient_name="", recipient_classes=["treating_providers"])
    decision = ask(patient_a, recipient="Any Hospital", recipient_class="treating_providers")
    assert decision.allowed and decision.consent == consent
    assert not ask(patient_a, recipient="Any Hospital").allowed, "by name alone it is not covered"
    other_class = ask(patient_a, recipient="Acme Plan", recipient_class="health_plans_and_payers")
    assert other_class.reason == DisclosureReason.RECIPIENT_NOT_COVERED


def test_a_purpose_outside_the_consent_is_refused(patient_a, named):
    decision = ask(patient_a, purpose="payment")
    assert not decision.allowed
    assert decision.reason == DisclosureReason.PURPOSE_NOT_COVERED


def test_information_outside_the_consent_is_refused(patient_a, named):
    decision = ask(patient_a, information={"diagnosis", "lab_and_drug_screens"})
    assert not decision.allowed
    assert decision.reason == DisclosureReason.INFORMATION_NOT_COVERED
    assert ask(patient_a, information={"diagnosis", "medications"}).allowed


def test_all_sud_records_covers_every_category_but_counselling_notes(patient_a):
    record_consent(
        patient_a, recipient_name="Lakeside Family Practice", information=["all_sud_records"]
    )
    everything = {"diagnosis", "assessments", "treatment_plan", "medications", "attendance"}
    assert ask(patient_a, information=everything | {"discharge_summary"}).allowed
    notes = ask(patient_a, information={"counselling_notes"})
    assert notes.reason == DisclosureReason.COUNSELLING_NOTES_APART


def test_an_expired_consent_is_refused_after_its_last_day(patient_a):
    consent = record_consent(
        patient_a,
        recipient_name="Lakeside Family Practice",
        signed_on=D(2026, 1, 1),
        expires_on=D(2026, 3, 1),
    )
    decision = ask(patient_a)
    assert decision.reason == DisclosureReason.EXPIRED
    assert decision.consent == consent, "a matching consent refused on its dates is named"
    assert ask(patient_a, on=D(2026, 3, 1)).allowed


def test_a_consent_whose_expiry_event_occurred_is_refused(patient_a, clinician):
    consent = record_consent(
        patient_a,
        recipient_name="Lakeside Family Practice",
        expires_on=None,
        expiry_event="Discharge",
    )
    assert ask(patient_a).allowed
    consent_mark_expiry_event(consent=consent, user=clinician)
    assert ask(patient_a).reason == DisclosureReason.EXPIRED


def test_a_consent_revoked_today_is_refused_today_but_not_before(patient_a, named, clinician):
    consent_revoke(consent=named, method="verbal", user=clinician)
    assert ask(patient_a).reason == DisclosureReason.REVOKED
    assert not ask(patient_a).allowed
    assert ask(patient_a, on=TODAY - dt.timedelta(days=1)).allowed


def test_a_consent_signed_for_a_later_date_is_pending(patient_a):
    record_consent(
        patient_a,
        recipient_name="Lakeside Family Practice",
        signed_on=D(2026, 3, 10),
        expires_on=D(2026, 9, 1),
    )
    assert ask(patient_a).reason == DisclosureReason.PENDING
    assert ask(patient_a, on=D(2026, 3, 10)).allowed


def test_a_tpo_consent_covers_every_tpo_use_by_class_until_revoked(patient_a, clinician):
    tpo = record_consent(
        patient_a,
        tpo=True,
        recipient_name="",
        purposes=[],
        information=["all_sud_records"],
        expires_on=None,
        expiry_event="End of treatment at this program",
    )
    uses = [
        ("treatment", "treating_providers", "Any Hospital"),
        ("payment", "health_plans_and_payers", "Acme Health Plan"),
        ("health_care_operations", "program_operations", "Billing Service LLC"),
    ]
    for purpose, recipient_class, recipient in uses:
        decision = ask(
            patient_a, purpose=purpose, recipient_class=recipient_class, recipient=recipient
        )
        assert decision.allowed and decision.consent == tpo, purpose
        assert "single TPO consent" in decision.scope
    assert ask(patient_a, purpose="employment", recipient_class="treating_providers").reason == (
        DisclosureReason.PURPOSE_NOT_COVERED
    )
    with time_machine.travel(dt.datetime(2027, 6, 1, 12, tzinfo=dt.UTC), tick=False):
        assert ask(patient_a, recipient_class="treating_providers").allowed, "no date limit"
        consent_revoke(consent=tpo, method="written", user=clinician)
        assert ask(patient_a, recipient_class="treating_providers").reason == "revoked"


def test_counselling_notes_need_their_own_consent(patient_a):
    record_consent(
        patient_a,
        tpo=True,
        recipient_name="Lakeside Family Practice",
        purposes=[],
        information=["all_sud_records"],
    )
    decision = ask(patient_a, information={"counselling_notes"})
    assert not decision.allowed
    assert decision.reason == DisclosureReason.COUNSELLING_NOTES_APART
    notes = record_consent(
        patient_a,
        kind="part2_counselling_notes",
        recipient_name="Lakeside Family Practice",
        information=["counselling_notes"],
    )
    decision = ask(patient_a, information={"counselling_notes"})
    assert decision.allowed and decision.consent == notes


def test_notes_are_never_decided_together_with_other_records(patient_a):
    record_consent(patient_a, recipient_name="Lakeside Family Practice", information=["diagnosis"])
    record_consent(
        patient_a,
        kind="part2_counselling_notes",
        recipient_name="Lakeside Family Practice",
        information=["counselling_notes"],
    )
    decision = ask(patient_a, information={"counselling_notes", "diagnosis"})
    assert not decision.allowed
    assert decision.reason == DisclosureReason.COUNSELLING_NOTES_APART


def test_a_notes_consent_does_not_cover_other_records(patient_a):
    record_consent(
        patient_a,
        kind="part2_counselling_notes",
        recipient_name="Lakeside Family Practice",
        information=["counselling_notes"],
    )
    assert ask(patient_a).reason == DisclosureReason.NO_CONSENT


def test_treatment_consents_and_notice_acknowledgements_never_allow_a_disclosure(patient_a):
    from patients.services.consent import consent_record

    for kind in ("treatment", "hipaa_notice"):
        consent_record(
            patient=patient_a,
            recorded_by=None,
            kind=kind,
            signed_on=TODAY,
            signature_method="electronic",
        )
    assert ask(patient_a).reason == DisclosureReason.NO_CONSENT


def test_another_patients_consent_never_counts(patient_a, site_a):
    other = register_patient(site_a)
    record_consent(other, recipient_name="Lakeside Family Practice")
    assert ask(patient_a).reason == DisclosureReason.NO_CONSENT


def test_an_active_consent_answers_even_beside_a_revoked_one(patient_a, named, clinician):
    consent_revoke(consent=named, method="written", user=clinician)
    fresh = record_consent(
        patient_a, recipient_name="Lakeside Family Practice", information=["diagnosis"]
    )
    decision = ask(patient_a)
    assert decision.allowed and decision.consent == fresh


def test_the_closest_miss_names_the_reason(patient_a, clinician):
    record_consent(patient_a, recipient_name="Hilltop Clinic")  # wrong recipient
    record_consent(patient_a, recipient_name="Lakeside Family Practice", purposes=["payment"])
    assert ask(patient_a).reason == DisclosureReason.PURPOSE_NOT_COVERED


def test_it_runs_one_query_and_writes_nothing(patient_a, named, django_assert_num_queries):
    record_consent(patient_a, recipient_name="Other Place")
    before = AuditEvent.objects.count()
    with django_assert_num_queries(1):
        assert ask(patient_a).allowed
    with django_assert_num_queries(1):
        assert not ask(patient_a, purpose="research").allowed
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"recipient": "", "recipient_class": None}, "recipient"),
        ({"recipient_class": "neighbours"}, "recipient_class"),
        ({"purpose": "curiosity"}, "purpose"),
        ({"information": set()}, "information"),
        ({"information": {"everything"}}, "information"),
    ],
)
def test_a_malformed_question_is_a_validation_error(patient_a, overrides, field):
    with pytest.raises(ValidationError) as excinfo:
        ask(patient_a, **overrides)
    assert field in excinfo.value.message_dict
