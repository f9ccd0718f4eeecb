"""Consents: to treatment, HIPAA notice acknowledgement, and 42 CFR Part 2 disclosure consents.

A consent is recorded once it is signed and its content never changes afterwards: a correction is a
new consent. Only two things happen to a signed consent later, each kept in history with the acting
user: it is revoked, or the expiry event it names is recorded as having occurred. Its status
(pending, active, expired, revoked) is computed from dates, never stored, so it cannot go stale.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic.models import ProtectedDeletion, TimeStampedModel, UUIDModel

# --- Vocabularies --------------------------------------------------------------------------------


class ConsentKind(models.TextChoices):
    TREATMENT = "treatment", "Consent to treatment"
    HIPAA_NOTICE = "hipaa_notice", "HIPAA notice of privacy practices: acknowledgement"
    PART2_DISCLOSURE = "part2_disclosure", "42 CFR Part 2 disclosure consent"
    PART2_COUNSELLING_NOTES = (
        "part2_counselling_notes",
        "42 CFR Part 2 disclosure consent: SUD counselling notes",
    )


PART2_KINDS = frozenset({ConsentKind.PART2_DISCLOSURE, ConsentKind.PART2_COUNSELLING_NOTES})
_PART2_VALUES = ("part2_counselling_notes", "part2_disclosure")  # ordered, for the migration


class ConsentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    EXPIRED = "expired", "Expired"
    REVOKED = "revoked", "Revoked"


class InformationCategory(models.TextChoices):
    """What a Part 2 consent lets the program disclose (2.31(a)(3): how much and what kind)."""

    ALL_SUD_RECORDS = "all_sud_records", "All SUD treatment records (not counselling notes)"
    DIAGNOSIS = "diagnosis", "Diagnoses and problem list"
    ASSESSMENTS = "assessments", "Assessments and screening results"
    TREATMENT_PLAN = "treatment_plan", "Treatment plan"
    MEDICATIONS = "medications", "Medications"
    LAB_AND_DRUG_SCREENS = "lab_and_drug_screens", "Lab results and drug screens"
    ATTENDANCE = "attendance", "Attendance and enrolment"
    DISCHARGE_SUMMARY = "discharge_summary", "Discharge summary"
    COUNSELLING_NOTES = "counselling_notes", "SUD counselling notes (own consent only)"


# Categories `all_sud_records` stands for. Counselling notes are never among them.
RECORD_CATEGORIES = frozenset(InformationCategory) - {
    InformationCategory.ALL_SUD_RECORDS,
    InformationCategory.COUNSELLING_NOTES,
}


class Purpose(models.TextChoices):
    TREATMENT = "treatment", "Treatment"
    PAYMENT = "payment", "Payment"
    HEALTH_CARE_OPERATIONS = "health_care_operations", "Health care operations"
    PATIENT_REQUEST = "patient_request", "At the patient's request"
    CRIMINAL_JUSTICE = "criminal_justice", "Criminal justice referral (42 CFR 2.35)"
    EMPLOYMENT = "employment", "Employment or return-to-work"
    FAMILY_SUPPORT = "family_support", "Family or support person involvement"
    RESEARCH = "research", "Research"


TPO_PURPOSES = frozenset({Purpose.TREATMENT, Purpose.PAYMENT, Purpose.HEALTH_CARE_OPERATIONS})


class RecipientClass(models.TextChoices):
    """General designations of recipients, as the single TPO consent describes them (2.31(a)(4))."""

    TREATING_PROVIDERS = "treating_providers", "The patient's treating providers"
    HEALTH_PLANS_AND_PAYERS = "health_plans_and_payers", "Health plans and third-party payers"
    PROGRAM_OPERATIONS = "program_operations", "People helping to operate this program"


TPO_RECIPIENT_CLASSES = frozenset(RecipientClass)


class SignatureMethod(models.TextChoices):
    WET_INK = "wet_ink", "Wet ink on paper"
    ELECTRONIC = "electronic", "Electronic signature"
    VERBAL_WITNESSED = "verbal_witnessed", "Verbal, with a witness (not for Part 2)"


class Signer(models.TextChoices):
    PATIENT = "patient", "The patient"
    LEGAL_REPRESENTATIVE = "legal_representative", "A legal representative"


class RepresentativeRelationship(models.TextChoices):
    PARENT = "parent", "Parent of a minor"
    LEGAL_GUARDIAN = "legal_guardian", "Court-appointed guardian"
    HEALTH_CARE_AGENT = "health_care_agent", "Health care agent (power of attorney)"
    PERSONAL_REPRESENTATIVE = "personal_representative", "Executor or administrator (2.15)"


class RevocationMethod(models.TextChoices):
    WRITTEN = "written", "In writing"
    VERBAL = "verbal", "Verbally"
    ELECTRONIC = "electronic", "Electronically"


# --- Form versions -------------------------------------------------------------------------------
# Fixed statements printed on each version of the consent form, in our own words. A consent keeps a
# copy of the statements it was signed under, so a later wording change never alters what a patient
# agreed to. A new wording is a new version here, never an edit of an old one.

FORM_VERSIONS: dict[str, dict[str, str]] = {
    "2026-02": {
        "part2_revocation": (
            "You may revoke this consent at any time. To revoke it, sign a revocation at the front "
            "desk, send a signed letter to the program named on this form, or use the program's "
            "electronic revocation form. Revoking does not undo a use or disclosure that the "
            "program, or another lawful holder of your records, made in reliance on this consent "
            "before it was revoked. (42 CFR 2.31(a)(6))"
        ),
        "treatment_revocation": (
            "You may withdraw this consent to treatment at any time by telling your clinician or "
            "the front desk. Withdrawing does not affect care you have already received."
        ),
        "tpo": (
            "If you do not sign this consent the program will still treat you, but it may be "
            "unable to bill your health plan or to share your records with your other providers. "
            "Records "
            "disclosed under this consent to a HIPAA covered entity or business associate may be "
            "redisclosed by them as HIPAA allows and may then no longer be protected by 42 CFR "
            "part 2; they still may not be used against you in civil, criminal, administrative or "
            "legislative proceedings without your consent or a court order. (42 CFR 2.31, 2.33)"
        ),
    },
}
CURRENT_FORM_VERSION = "2026-02"


def revocation_statement_for(kind: str, form_version: str) -> str:
    statements = FORM_VERSIONS[form_version]
    if kind in PART2_KINDS:
        return statements["part2_revocation"]
    if kind == ConsentKind.TREATMENT:
        return statements["treatment_revocation"]
    return ""  # an acknowledgement of receipt is a fact, not a permission: nothing to revoke


# --- Status --------------------------------------------------------------------------------------


def _revoked_q(on: dt.date) -> Q:
    return Q(revoked_on__isnull=False, revoked_on__lte=on)


def _expired_q(on: dt.date) -> Q:
    return Q(expires_on__isnull=False, expires_on__lt=on) | Q(
        expiry_event_occurred_on__isnull=False, expiry_event_occurred_on__lte=on
    )


def _pending_q(on: dt.date) -> Q:
    return Q(signed_on__gt=on)


def status_q(status: str, on: dt.date) -> Q:
    """Rows in `status` on `on`. Precedence: revoked, then expired, then pending, else active."""
    revoked, expired, pending = _revoked_q(on), _expired_q(on), _pending_q(on)
    return {
        ConsentStatus.REVOKED: revoked,
        ConsentStatus.EXPIRED: expired & ~revoked,
        ConsentStatus.PENDING: pending & ~expired & ~revoked,
        ConsentStatus.ACTIVE: ~pending & ~expired & ~revoked,
    }[ConsentStatus(status)]


def status_of(
    *,
    signed_on: dt.date,
    expires_on: dt.date | None,
    expiry_event_occurred_on: dt.date | None,
    revoked_on: dt.date | None,
    on: dt.date,
) -> str:
    """The same rule as `status_q`, as a pure function (the model property and the admin use it)."""
    if revoked_on is not None and revoked_on <= on:
        return ConsentStatus.REVOKED
    if (expires_on is not None and expires_on < on) or (
        expiry_event_occurred_on is not None and expiry_event_occurred_on <= on
    ):
        return ConsentStatus.EXPIRED
    if signed_on > on:
        return ConsentStatus.PENDING
    return ConsentStatus.ACTIVE


# --- Model ---------------------------------------------------------------------------------------

# The only fields that may change once a consent is recorded.
MUTABLE_FIELDS = frozenset(
    {
        "revoked_on",
        "revoked_at",
        "revocation_method",
        "revoked_by",
        "expiry_event_occurred_on",
        "expiry_event_recorded_by",
        "updated_at",
    }
)


class SignedConsentIsImmutable(Exception):
    """Raised when code tries to change a signed consent's content: a correction is a new one."""


class ConsentQuerySet(models.QuerySet):
    def with_status(self, on: dt.date | None = None):
        """Annotate `computed_status` (as of `on`, default today) in the same query."""
        on = on or timezone.localdate()
        return self.annotate(
            computed_status=Case(
                When(_revoked_q(on), then=Value(ConsentStatus.REVOKED.value)),
                When(_expired_q(on), then=Value(ConsentStatus.EXPIRED.value)),
                When(_pending_q(on), then=Value(ConsentStatus.PENDING.value)),
                default=Value(ConsentStatus.ACTIVE.value),
                output_field=models.CharField(),
            )
        )

    def in_status(self, status: str, on: dt.date | None = None):
        """Filter to one computed status as of `on` (default today); a plain WHERE clause."""
        return self.filter(status_q(status, on or timezone.localdate()))

    def update(self, **kwargs):
        if not set(kwargs) <= MUTABLE_FIELDS:
            raise SignedConsentIsImmutable("A signed consent's content never changes.")
        return super().update(**kwargs)

    def delete(self):
        raise ProtectedDeletion("Consents are revoked, never deleted.")


def _list_field(help_text: str):
    return models.JSONField(default=list, blank=True, help_text=help_text)


class Consent(UUIDModel, TimeStampedModel):
    """One signed consent. For Part 2 kinds every element of 42 CFR 2.31(a) has its own field."""

    # Who: the patient and who may disclose.
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="consents"
    )
    kind = models.CharField(max_length=32, choices=ConsentKind.choices)
    discloser_name = models.CharField(
        "who may disclose",
        max_length=200,
        blank=True,
        help_text="The program or site permitted to disclose, by name, as printed on the form.",
    )
    # To whom.
    recipient_name = models.CharField(
        "recipient (by name)", max_length=200, blank=True, help_text="Person or organisation."
    )
    recipient_classes = _list_field("General designations of recipients.")
    tpo = models.BooleanField(
        "single TPO consent",
        default=False,
        help_text="One consent for all future treatment, payment and operations uses.",
    )
    # Why.
    purposes = _list_field("Purposes of the disclosure.")
    purpose_description = models.CharField(max_length=200, blank=True)
    # What.
    information = _list_field("Categories of information that may be disclosed.")
    information_description = models.CharField(max_length=200, blank=True)
    # The fixed statements of the form version signed.
    form_version = models.CharField(max_length=16, default=CURRENT_FORM_VERSION)
    revocation_statement = models.TextField(blank=True)
    tpo_statement = models.TextField(blank=True)
    # Until when.
    expires_on = models.DateField(null=True, blank=True, help_text="Last day the consent is valid.")
    expiry_event = models.CharField(
        max_length=120, blank=True, help_text="For example: discharge from the program."
    )
    expiry_event_occurred_on = models.DateField(null=True, blank=True)
    expiry_event_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Signature.
    signed_on = models.DateField()
    signature_method = models.CharField(max_length=20, choices=SignatureMethod.choices)
    signer = models.CharField(max_length=24, choices=Signer.choices, default=Signer.PATIENT)
    representative_name = models.CharField(max_length=120, blank=True)
    representative_relationship = models.CharField(
        max_length=32, choices=RepresentativeRelationship.choices, blank=True
    )
    witness_name = models.CharField(max_length=120, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    # Revocation.
    revoked_on = models.DateField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_method = models.CharField(
        max_length=12, choices=RevocationMethod.choices, blank=True
    )
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = ConsentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-signed_on", "-created_at"]
        indexes = [models.Index(fields=["patient", "kind", "-signed_on"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind__in=_PART2_VALUES)
                | Q(expires_on__isnull=False)
                | ~Q(expiry_event=""),
                name="consent_part2_has_expiry",
                violation_error_message="A Part 2 consent needs an expiry date or an expiry event.",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=_PART2_VALUES) | ~Q(discloser_name=""),
                name="consent_part2_names_discloser",
                violation_error_message="A Part 2 consent names who may disclose.",
            ),
            models.CheckConstraint(
                condition=~Q(
                    kind__in=_PART2_VALUES, signature_method=SignatureMethod.VERBAL_WITNESSED
                ),
                name="consent_part2_is_written",
                violation_error_message="A Part 2 consent is signed on paper or electronically.",
            ),
            models.CheckConstraint(
                condition=~Q(signature_method=SignatureMethod.VERBAL_WITNESSED)
                | ~Q(witness_name=""),
                name="consent_verbal_has_witness",
                violation_error_message="A verbal consent needs a witness.",
            ),
            models.CheckConstraint(
                condition=Q(signer=Signer.PATIENT)
                | (~Q(representative_name="") & ~Q(representative_relationship="")),
                name="consent_representative_named",
                violation_error_message="Name the legal representative and the relationship.",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gte=F("signed_on")),
                name="consent_expires_after_signing",
                violation_error_message="The expiry date cannot be before the signature date.",
            ),
            models.CheckConstraint(
                condition=Q(expiry_event_occurred_on__isnull=True) | ~Q(expiry_event=""),
                name="consent_event_occurred_needs_event",
                violation_error_message="Only a consent with an expiry event can record it.",
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True, revocation_method="")
                | (Q(revoked_on__isnull=False) & ~Q(revocation_method="")),
                name="consent_revocation_complete",
                violation_error_message="A revocation has a date and a method.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} signed {self.signed_on:%Y-%m-%d}"

    # --- state ---------------------------------------------------------------------------------
    def status_on(self, on: dt.date) -> str:
        return status_of(
            signed_on=self.signed_on,
            expires_on=self.expires_on,
            expiry_event_occurred_on=self.expiry_event_occurred_on,
            revoked_on=self.revoked_on,
            on=on,
        )

    @property
    def status(self) -> str:
        """Status today (in the clinic's time zone); computed, never stored."""
        return self.status_on(timezone.localdate())

    @property
    def is_part2(self) -> bool:
        return self.kind in PART2_KINDS

    def scope_statement(self) -> str:
        """A clear explanation of the consent's scope, to travel with each disclosure (2.32(b))."""
        recipients = [self.recipient_name] if self.recipient_name else []
        recipients += [RecipientClass(c).label.lower() for c in self.recipient_classes]
        purposes = [Purpose(p).label.lower() for p in self.purposes]
        info = [InformationCategory(c).label.lower() for c in self.information]
        until = []
        if self.expires_on:
            until.append(f"until {self.expires_on:%Y-%m-%d}")
        if self.expiry_event:
            until.append(f"until this event: {self.expiry_event}")
        parts = [
            f"Consent signed {self.signed_on:%Y-%m-%d} ({self.get_kind_display()}"
            + (", single TPO consent" if self.tpo else "")
            + ").",
            f"Discloser: {self.discloser_name}." if self.discloser_name else "",
            f"Recipients: {'; '.join(recipients)}." if recipients else "",
            f"Purposes: {', '.join(purposes)}." if purposes else "",
            f"Information: {', '.join(info)}." if info else "",
            f"Valid {' or '.join(until)}, unless revoked earlier." if until else "",
        ]
        return " ".join(p for p in parts if p)

    # --- validation ----------------------------------------------------------------------------
    def clean(self) -> None:
        """Field-level messages for each rule; the database constraints repeat the hard ones."""
        errors: dict[str, list[str]] = {}

        def add(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        vocabularies = {
            "recipient_classes": frozenset(RecipientClass),
            "purposes": frozenset(Purpose),
            "information": frozenset(InformationCategory),
        }
        for field, allowed in vocabularies.items():
            value = getattr(self, field)
            if not isinstance(value, list) or not all(
                isinstance(v, str) and v in allowed for v in value
            ):
                add(field, "Choose from the listed values.")
            elif len(set(value)) != len(value):
                add(field, "List each value once.")
        if self.form_version not in FORM_VERSIONS:
            add("form_version", "Unknown consent form version.")

        if self.is_part2:
            self._clean_part2(add, errors)
        else:
            for field in ("recipient_name", "purpose_description", "information_description"):
                if getattr(self, field):
                    add(field, "Only a Part 2 disclosure consent has this element.")
            for field in ("recipient_classes", "purposes", "information"):
                if getattr(self, field):
                    add(field, "Only a Part 2 disclosure consent has this element.")
            if self.tpo:
                add("tpo", "Only a Part 2 disclosure consent can be a TPO consent.")

        if self.signer == Signer.LEGAL_REPRESENTATIVE:
            if not self.representative_name.strip():
                add("representative_name", "Give the legal representative's name.")
            if not self.representative_relationship:
                add("representative_relationship", "Give the representative's relationship.")
        elif self.representative_name or self.representative_relationship:
            add("signer", "Choose 'legal representative' when a representative signed.")
        if self.signature_method == SignatureMethod.VERBAL_WITNESSED and not (
            self.witness_name.strip()
        ):
            add("witness_name", "A verbal consent needs the witness's name.")
        if self.signed_on and self.expires_on and self.expires_on < self.signed_on:
            add("expires_on", "The expiry date cannot be before the signature date.")
        if self.expiry_event_occurred_on and not self.expiry_event:
            add("expiry_event_occurred_on", "This consent has no expiry event.")
        if bool(self.revoked_on) != bool(self.revocation_method):
            add("revocation_method", "A revocation has a date and a method.")
        if errors:
            raise ValidationError(errors)

    def _clean_part2(self, add, errors) -> None:
        if not self.discloser_name.strip():
            add("discloser_name", "Name the program or site permitted to disclose.")
        if not self.recipient_name.strip() and not self.recipient_classes:
            add("recipient_name", "Name the recipient or choose a class of recipients.")
        if not self.purposes and "purposes" not in errors:
            add("purposes", "Choose at least one purpose.")
        if not self.information and "information" not in errors:
            add("information", "Choose what information may be disclosed.")
        if not self.expires_on and not self.expiry_event.strip():
            add("expires_on", "A Part 2 consent needs an expiry date or an expiry event.")
        if self.signature_method == SignatureMethod.VERBAL_WITNESSED:
            add(
                "signature_method",
                "A Part 2 consent must be written: signed on paper or electronically.",
            )
        notes = InformationCategory.COUNSELLING_NOTES
        if self.kind == ConsentKind.PART2_COUNSELLING_NOTES:
            if "information" not in errors and self.information != [notes]:
                add("information", "A counselling-notes consent covers counselling notes only.")
            if self.tpo:
                add("tpo", "Counselling notes need their own specific consent, not a TPO consent.")
        elif "information" not in errors and notes in self.information:
            add("information", "Counselling notes need their own consent (counselling notes kind).")
        if self.tpo and "purposes" not in errors and set(self.purposes) != TPO_PURPOSES:
            add("purposes", "A TPO consent covers treatment, payment and operations only.")

    # --- immutability --------------------------------------------------------------------------
    def save(self, *args, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not self._state.adding and (
            update_fields is None or not set(update_fields) <= MUTABLE_FIELDS
        ):
            raise SignedConsentIsImmutable("A signed consent's content never changes.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion("Consents are revoked, never deleted.")
