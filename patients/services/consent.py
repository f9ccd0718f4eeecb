"""Recording, revoking and reading consents, and the Part 2 disclosure decision.

`may_disclose` is the one question later work (exports, FHIR) asks before any disclosure of Part 2
records. It runs a single query and writes nothing: the caller audits the disclosure it makes.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Required, TypedDict, Unpack

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from clinic.audit import record_event
from clinic.errors import Conflict
from clinic.models import AuditEvent
from patients.models import Consent, Patient
from patients.models.consent import (
    CURRENT_FORM_VERSION,
    FORM_VERSIONS,
    PART2_KINDS,
    RECORD_CATEGORIES,
    TPO_PURPOSES,
    TPO_RECIPIENT_CLASSES,
    ConsentKind,
    ConsentStatus,
    InformationCategory,
    Purpose,
    RecipientClass,
    RevocationMethod,
    Signer,
    revocation_statement_for,
)

# A faithful paraphrase of the notice 42 CFR 2.32 requires with each disclosure; not its wording.
PART2_NOTICE = (
    "Notice (42 CFR 2.32): these records come from a federally assisted substance use disorder "
    "program and are protected by federal confidentiality rules (42 CFR part 2). Do not use or "
    "disclose them further unless part 2 permits it, for example with the patient's written "
    "consent. They may not be used to investigate or prosecute the patient, or in any civil, "
    "criminal, administrative or legislative proceeding against the patient, without the "
    "patient's consent or a court order under part 2."
)


class DisclosureReason(enum.StrEnum):
    """Why `may_disclose` answered as it did: stable codes for callers, logs and tests."""

    ALLOWED = "allowed"
    NO_CONSENT = "no_consent"
    COUNSELLING_NOTES_APART = "counselling_notes_apart"
    RECIPIENT_NOT_COVERED = "recipient_not_covered"
    PURPOSE_NOT_COVERED = "purpose_not_covered"
    INFORMATION_NOT_COVERED = "information_not_covered"
    PENDING = "pending"
    EXPIRED = "expired"
    REVOKED = "revoked"


@dataclass(frozen=True)
class DisclosureDecision:
    """The answer to "may we disclose this, to them, for this, on that day?".

    `notice` (the 2.32 notice) and `scope` (what the consent covers, 2.32(b)) go with every
    disclosure made; both are empty when the answer is no.
    """

    allowed: bool
    consent: Consent | None
    reason: str
    notice: str
    scope: str = ""


# --- Writes --------------------------------------------------------------------------------------


def _as_sorted_list(values: Iterable[str] | None) -> list:
    """Sets and tuples become sorted lists; clean() reports duplicates and unknown values."""
    if values is None:
        return []
    if isinstance(values, str):
        return [values]  # one value, not its characters
    values = list(values)
    try:
        return sorted(values)
    except TypeError:
        return values


def consent_prepare(
    *,
    patient: Patient,
    kind: str,
    signed_on: dt.date,
    signature_method: str,
    recorded_by=None,
    signer: str = Signer.PATIENT,
    representative_name: str = "",
    representative_relationship: str = "",
    witness_name: str = "",
    discloser_name: str = "",
    recipient_name: str = "",
    recipient_classes: Iterable[str] = (),
    tpo: bool = False,
    purposes: Iterable[str] = (),
    purpose_description: str = "",
    information: Iterable[str] = (),
    information_description: str = "",
    expires_on: dt.date | None = None,
    expiry_event: str = "",
    form_version: str = CURRENT_FORM_VERSION,
) -> Consent:
    """Build and validate a consent without saving it (the admin form validates with this).

    A Part 2 consent names the patient's site as discloser unless another name is given; a single
    TPO consent covers all three TPO purposes and recipient classes unless narrower ones are given.
    The fixed statements of the form version are copied onto the consent.
    """
    if form_version not in FORM_VERSIONS:
        raise ValidationError({"form_version": ["Unknown consent form version."]})
    purposes = _as_sorted_list(purposes)
    recipient_classes = _as_sorted_list(recipient_classes)
    if tpo and kind == ConsentKind.PART2_DISCLOSURE:
        purposes = purposes or sorted(TPO_PURPOSES)
        recipient_classes = recipient_classes or sorted(TPO_RECIPIENT_CLASSES)
    if kind in PART2_KINDS and not discloser_name.strip():
        discloser_name = patient.site.name
    consent = Consent(
        patient=patient,
        kind=kind,
        discloser_name=discloser_name.strip(),
        recipient_name=" ".join(recipient_name.split()),
        recipient_classes=recipient_classes,
        tpo=tpo,
        purposes=purposes,
        purpose_description=purpose_description.strip(),
        information=_as_sorted_list(information),
        information_description=information_description.strip(),
        form_version=form_version,
        expires_on=expires_on,
        expiry_event=expiry_event.strip(),
        signed_on=signed_on,
        signature_method=signature_method,
        signer=signer,
        representative_name=representative_name.strip(),
        representative_relationship=representative_relationship,
        witness_name=witness_name.strip(),
        recorded_by=recorded_by,
    )
    if kind in ConsentKind.values:
        consent.revocation_statement = revocation_statement_for(kind, form_version)
        consent.tpo_statement = FORM_VERSIONS[form_version]["tpo"] if tpo else ""
    consent.full_clean()
    return consent


class ConsentValues(TypedDict, total=False):
    """What `consent_record` takes besides the patient and the recording user."""

    kind: Required[str]
    signed_on: Required[dt.date]
    signature_method: Required[str]
    signer: str
    representative_name: str
    representative_relationship: str
    witness_name: str
    discloser_name: str
    recipient_name: str
    recipient_classes: Iterable[str]
    tpo: bool
    purposes: Iterable[str]
    purpose_description: str
    information: Iterable[str]
    information_description: str
    expires_on: dt.date | None
    expiry_event: str
    form_version: str


@transaction.atomic
def consent_record(*, patient: Patient, recorded_by, **values: Unpack[ConsentValues]) -> Consent:
    """Record a signed consent (values as `consent_prepare`). A correction is a new consent."""
    consent = consent_prepare(patient=patient, recorded_by=recorded_by, **values)
    consent._history_user = recorded_by
    consent.save()
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=recorded_by,
        object_type="consent",
        object_id=consent.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"kind={consent.kind}",
    )
    return consent


def _locked(consent: Consent) -> Consent:
    return (
        Consent.objects.select_related("patient").select_for_update(of=("self",)).get(pk=consent.pk)
    )


def revocation_errors(
    consent: Consent, *, method: str, revoked_on: dt.date, today: dt.date
) -> dict[str, list[str]]:
    """Field errors that stop this revocation (empty when it may go ahead); pure."""
    errors: dict[str, list[str]] = {}
    if method not in RevocationMethod.values:
        errors["method"] = ["Choose written, verbal or electronic."]
    if revoked_on > today:
        errors["revoked_on"] = ["The revocation date cannot be in the future."]
    elif revoked_on < min(consent.signed_on, today):
        errors["revoked_on"] = ["The revocation date cannot be before the consent was signed."]
    return errors


def revocation_conflict(consent: Consent) -> Conflict | None:
    """Why this consent cannot be revoked at all, if it cannot; pure."""
    if consent.kind == ConsentKind.HIPAA_NOTICE:
        return Conflict("A notice acknowledgement records receipt; it cannot be revoked.")
    if consent.revoked_on is not None:
        return Conflict(
            "This consent is already revoked.",
            extra={"revoked_on": consent.revoked_on.isoformat()},
        )
    return None


@transaction.atomic
def consent_revoke(
    *, consent: Consent, method: str, user, revoked_on: dt.date | None = None
) -> Consent:
    """Revoke from `revoked_on` (default today). The consent and its history stay.

    A verbal revocation is honoured at once (the program stops disclosing), although the rule asks
    for revocation in writing: staff should obtain a written confirmation.
    """
    today = timezone.localdate()
    revoked_on = revoked_on or today
    consent = _locked(consent)
    conflict = revocation_conflict(consent)
    if conflict is not None:
        raise conflict
    errors = revocation_errors(consent, method=method, revoked_on=revoked_on, today=today)
    if errors:
        raise ValidationError(errors)
    consent.revoked_on = revoked_on
    consent.revoked_at = timezone.now()
    consent.revocation_method = method
    consent.revoked_by = user
    consent._history_user = user
    consent._change_reason = "revoked"
    consent.save(
        update_fields=["revoked_on", "revoked_at", "revocation_method", "revoked_by", "updated_at"]
    )
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type="consent",
        object_id=consent.pk,
        patient_id=consent.patient_id,
        site_id=consent.patient.site_id,
        detail=f"revoked method={method}",
    )
    return consent


def expiry_event_errors(
    consent: Consent, *, occurred_on: dt.date, today: dt.date
) -> dict[str, list[str]]:
    """Field errors that stop recording the expiry event on this date; pure."""
    if occurred_on > today:
        return {"occurred_on": ["The event date cannot be in the future."]}
    if occurred_on < consent.signed_on:
        return {"occurred_on": ["The event date cannot be before the consent was signed."]}
    return {}


def expiry_event_conflict(consent: Consent) -> Conflict | None:
    if not consent.expiry_event:
        return Conflict("This consent names no expiry event.")
    if consent.expiry_event_occurred_on is not None:
        return Conflict(
            "The expiry event is already recorded.",
            extra={"occurred_on": consent.expiry_event_occurred_on.isoformat()},
        )
    return None


@transaction.atomic
def consent_mark_expiry_event(
    *, consent: Consent, user, occurred_on: dt.date | None = None
) -> Consent:
    """Record that the expiry event the consent names has happened (default today)."""
    today = timezone.localdate()
    occurred_on = occurred_on or today
    consent = _locked(consent)
    conflict = expiry_event_conflict(consent)
    if conflict is not None:
        raise conflict
    errors = expiry_event_errors(consent, occurred_on=occurred_on, today=today)
    if errors:
        raise ValidationError(errors)
    consent.expiry_event_occurred_on = occurred_on
    consent.expiry_event_recorded_by = user
    consent._history_user = user
    consent._change_reason = "expiry event occurred"
    consent.save(
        update_fields=["expiry_event_occurred_on", "expiry_event_recorded_by", "updated_at"]
    )
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type="consent",
        object_id=consent.pk,
        patient_id=consent.patient_id,
        site_id=consent.patient.site_id,
        detail="expiry event occurred",
    )
    return consent


# --- The disclosure decision ---------------------------------------------------------------------


def _normalise_name(name: str) -> str:
    return re.sub(r"\s+", " ", name).strip().casefold()


def _validate_request(recipient, recipient_class, purpose, information) -> None:
    errors: dict[str, list[str]] = {}
    if not (recipient or "").strip() and not recipient_class:
        errors["recipient"] = ["Name the recipient or give its class."]
    if recipient_class is not None and recipient_class not in RecipientClass.values:
        errors["recipient_class"] = ["Choose from the listed values."]
    if purpose not in Purpose.values:
        errors["purpose"] = ["Choose from the listed values."]
    if not information:
        errors["information"] = ["Say what information would be disclosed."]
    elif not set(information) <= set(InformationCategory.values):
        errors["information"] = ["Choose from the listed values."]
    if errors:
        raise ValidationError(errors)


def _covers(consented: list[str], requested: set[str]) -> bool:
    granted = set(consented)
    if InformationCategory.ALL_SUD_RECORDS in granted:
        granted |= RECORD_CATEGORIES
    return requested <= granted


# How far a consent got through the checks, so a refusal names the closest miss.
_STEPS = (
    DisclosureReason.RECIPIENT_NOT_COVERED,
    DisclosureReason.PURPOSE_NOT_COVERED,
    DisclosureReason.INFORMATION_NOT_COVERED,
)


def _first_miss(consent: Consent, *, name: str, recipient_class, purpose, information, on):
    """None when the consent allows the disclosure on `on`, else the first reason it does not."""
    by_name = bool(name) and _normalise_name(consent.recipient_name) == name
    by_class = recipient_class is not None and recipient_class in consent.recipient_classes
    if not (by_name or by_class):
        return DisclosureReason.RECIPIENT_NOT_COVERED
    if purpose not in consent.purposes:
        return DisclosureReason.PURPOSE_NOT_COVERED
    if not _covers(consent.information, information):
        return DisclosureReason.INFORMATION_NOT_COVERED
    status = consent.status_on(on)
    if status != ConsentStatus.ACTIVE:
        return DisclosureReason(status)
    return None


def may_disclose(
    *,
    patient: Patient,
    recipient: str,
    recipient_class: str | None,
    purpose: str,
    information: set[str],
    on: dt.date | None = None,
) -> DisclosureDecision:
    """May we disclose `information` about `patient` to `recipient` for `purpose` on `on`?

    The recipient matches a consent by name (case and spacing ignored) or, when the caller says
    which class it belongs to, by a class the consent lists. Counselling notes need a
    part2_counselling_notes consent and are never decided together with other records. Of the
    consents that match, the most recently signed active one answers; when none does, the reason
    is that of the consent that came closest (recipient, then purpose, information, then dates).
    One query; nothing is written.
    """
    information = set(information)
    _validate_request(recipient, recipient_class, purpose, information)
    on = on or timezone.localdate()
    notes = InformationCategory.COUNSELLING_NOTES
    if notes in information and information != {notes}:
        return DisclosureDecision(False, None, DisclosureReason.COUNSELLING_NOTES_APART, "")
    kind = (
        ConsentKind.PART2_COUNSELLING_NOTES
        if notes in information
        else (ConsentKind.PART2_DISCLOSURE)
    )
    candidates = list(
        Consent.objects.filter(patient=patient, kind=kind).order_by("-signed_on", "-created_at")
    )
    if not candidates:
        reason = (
            DisclosureReason.COUNSELLING_NOTES_APART
            if kind == ConsentKind.PART2_COUNSELLING_NOTES
            else DisclosureReason.NO_CONSENT
        )
        return DisclosureDecision(False, None, reason, "")

    name = _normalise_name(recipient or "")
    closest: tuple[int, Consent, str] | None = None
    for consent in candidates:
        miss = _first_miss(
            consent,
            name=name,
            recipient_class=recipient_class,
            purpose=purpose,
            information=information,
            on=on,
        )
        if miss is None:
            return DisclosureDecision(
                True, consent, DisclosureReason.ALLOWED, PART2_NOTICE, consent.scope_statement()
            )
        rank = _STEPS.index(miss) if miss in _STEPS else len(_STEPS)
        if closest is None or rank > closest[0]:
            closest = (rank, consent, miss)
    rank, consent, miss = closest
    # Name the consent only when it matched the request and failed on dates: that is the useful
    # one to show ("revoked on ..."); a consent for someone else explains nothing.
    return DisclosureDecision(False, consent if rank == len(_STEPS) else None, miss, "")
