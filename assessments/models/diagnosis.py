"""Problem-list diagnoses: what the clinician confirmed, next to what the checklist suggested.

The suggestion is computed on the server from the checklist answers (``assessments.diagnosis``)
and stored with the entry, so a changed code is visible and always carries the clinician's
reason. Codes are checked against the ICD-10-CM data table, which changes yearly as data.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from assessments import diagnosis as rules
from clinic.models import ArchivableModel, ArchivableQuerySet, TimeStampedModel, UUIDModel

SEVERITIES = [
    ("none", "No use disorder"),
    ("mild", "Mild"),
    ("moderate", "Moderate"),
    ("severe", "Severe"),
]
REMISSIONS = [("none", "Not in remission"), ("early", "Early"), ("sustained", "Sustained")]
WITHDRAWALS = [
    ("none", "None"),
    ("uncomplicated", "Uncomplicated"),
    ("delirium", "Delirium"),
    ("perceptual_disturbance", "With perceptual disturbance"),
    ("unspecified", "Unspecified"),
]
SPECIFIERS = (
    "in early remission",
    "in sustained remission",
    "in a controlled environment",
    "on maintenance therapy",
)
# use_disorder groups of the code table, by confirmed severity.
SEVERITY_GROUP = {
    "none": "none",
    "mild": "mild",
    "moderate": "moderate_or_severe",
    "severe": "moderate_or_severe",
}


class DiagnosisStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    IN_REMISSION = "in_remission", "In remission"
    RESOLVED = "resolved", "Resolved"
    RULED_OUT = "ruled_out", "Ruled out"


OPEN_STATUSES = (DiagnosisStatus.ACTIVE, DiagnosisStatus.IN_REMISSION)


class DiagnosisQuerySet(ArchivableQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES, archived_at__isnull=True)


class Diagnosis(UUIDModel, TimeStampedModel, ArchivableModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="diagnoses"
    )
    substance = models.CharField(max_length=rules.SUBSTANCE_MAX_LENGTH, default="kratom")

    # The checklist answers the suggestion came from
    criteria_met = models.JSONField(default=list, editable=False)
    months_since_last_met = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    controlled_environment = models.BooleanField(default=False, editable=False)
    on_maintenance = models.BooleanField(default=False, editable=False)

    # The suggestion, as computed when confirmed
    suggested_code = models.CharField(max_length=10, blank=True, editable=False)
    suggested_display = models.CharField(max_length=300, blank=True, editable=False)
    code_set_year = models.PositiveSmallIntegerField(editable=False)

    # What the clinician confirmed
    icd10_code = models.CharField("ICD-10-CM code", max_length=10)
    display = models.CharField(max_length=300)
    severity = models.CharField(max_length=10, choices=SEVERITIES)
    remission = models.CharField(max_length=10, choices=REMISSIONS, default="none")
    withdrawal = models.CharField(max_length=24, choices=WITHDRAWALS, default="none")
    specifiers = models.JSONField(default=list, blank=True)
    onset_date = models.DateField(null=True, blank=True)
    code_changed = models.BooleanField(
        "clinician changed the suggested code", default=False, editable=False
    )
    change_reason = models.CharField(max_length=500, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    confirmed_at = models.DateTimeField(editable=False)

    status = models.CharField(
        max_length=16, choices=DiagnosisStatus.choices, default=DiagnosisStatus.ACTIVE
    )
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = DiagnosisQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name_plural = "diagnoses"
        ordering = ["-confirmed_at"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(code_changed=False) & Q(icd10_code=F("suggested_code")))
                | (Q(code_changed=True) & ~Q(icd10_code=F("suggested_code"))),
                name="diagnosis_code_changed_matches_codes",
                violation_error_message="'code changed' must say whether the code differs.",
            ),
            models.CheckConstraint(
                condition=Q(code_changed=False) | ~Q(change_reason=""),
                name="diagnosis_changed_code_has_reason",
                violation_error_message="Give a reason when the code differs from the suggestion.",
            ),
            models.UniqueConstraint(
                Lower("substance"),
                "patient",
                condition=Q(status__in=OPEN_STATUSES, archived_at__isnull=True),
                name="diagnosis_one_open_entry_per_substance",
                violation_error_message="The patient already has an open diagnosis for this "
                "substance.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.icd10_code} {self.display}"

    def clean(self) -> None:
        """The code must be in the table and agree with the severity, remission and withdrawal."""
        errors: dict[str, list[str]] = {}
        table = rules.load_code_table()
        row = next((r for r in table.rows if r.code == self.icd10_code), None)
        if row is None:
            errors["icd10_code"] = [
                f"{self.icd10_code!r} is not in the ICD-10-CM table (FY{table.fiscal_year})."
            ]
        else:
            expected = (
                SEVERITY_GROUP.get(self.severity),
                self.remission != "none",
                self.withdrawal,
            )
            if (row.use_disorder, row.in_remission, row.withdrawal) != expected:
                errors["icd10_code"] = [
                    f"{row.code} ({row.title}) does not match severity {self.severity!r}, "
                    f"remission {self.remission!r} and withdrawal {self.withdrawal!r}: "
                    "give the matching values with the code."
                ]
        if self.remission != "none" and self.severity == "none":
            errors.setdefault("remission", []).append("Remission needs a use disorder.")
        bad = [s for s in self.specifiers or [] if s not in SPECIFIERS]
        if bad:
            errors.setdefault("specifiers", []).append(f"Unknown specifiers: {bad}.")
        if self.code_changed and not self.change_reason.strip():
            errors.setdefault("change_reason", []).append(
                f"Give a reason for confirming {self.icd10_code} instead of the suggested "
                f"{self.suggested_code or 'no code'}."
            )
        if not self.substance.strip():
            errors.setdefault("substance", []).append("Name the substance.")
        if errors:
            raise ValidationError(errors)
