"""A stored instrument response: raw answers plus the result computed when it was submitted.

Submitted assessments are immutable: a correction is a new assessment that supersedes the old one
with a reason, so what was recorded, and what was later corrected, both stay on the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from clinic.models import (
    ArchivableModel,
    ArchivableQuerySet,
    ProtectedDeletion,
    TimeStampedModel,
    UUIDModel,
)

# The only fields an existing row may change: archiving hides a record entered in error.
MUTABLE_FIELDS = frozenset({"archived_at", "archived_by", "archive_reason", "updated_at"})


class ImmutableRecordError(ProtectedDeletion):
    """Raised when code tries to change a submitted assessment (the API answers 405)."""


class AssessmentQuerySet(ArchivableQuerySet):
    def current(self):
        """Not superseded by a correction: what default lists show."""
        return self.filter(superseded_by__isnull=True)

    def update(self, **kwargs):
        if set(kwargs) - MUTABLE_FIELDS:
            raise ImmutableRecordError("Submitted assessments cannot be changed; supersede them.")
        return super().update(**kwargs)


class Assessment(UUIDModel, TimeStampedModel, ArchivableModel):
    class Setting(models.TextChoices):
        INTAKE = "intake", "Intake"
        FOLLOW_UP = "follow_up", "Follow-up"
        WITHDRAWAL_CHECK = "withdrawal_check", "Withdrawal check"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="assessments"
    )
    instrument_code = models.CharField(max_length=40, db_index=True)
    instrument_version = models.CharField(max_length=20)
    answers = models.JSONField(help_text="Raw answers keyed by item code, as validated.")
    context = models.JSONField(
        default=dict,
        blank=True,
        help_text="Scoring context used (for example sex for AUDIT-C), so the score can be re-run.",
    )
    result = models.JSONField(help_text="The computed result at submission (Result.to_dict()).")
    total = models.FloatField(null=True, blank=True, help_text="Copy of result.total for lists.")
    band = models.CharField(max_length=40, blank=True, help_text="Copy of result.band.")
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who gave the instrument (for a correction: who gave the original).",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Who entered this row (for a correction: who corrected it).",
    )
    administered_at = models.DateTimeField(db_index=True)
    setting = models.CharField(max_length=20, choices=Setting.choices)
    # The appointment model lands on another branch; this becomes a foreign key at merge.
    appointment_id = models.UUIDField(null=True, blank=True)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="superseded_by",
        help_text="The assessment this one corrects; an assessment is corrected at most once.",
    )
    supersede_reason = models.CharField(max_length=500, blank=True)

    objects = AssessmentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-administered_at", "-created_at"]
        indexes = [
            models.Index(
                fields=["patient", "instrument_code", "administered_at"],
                name="assessment_patient_series",
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(supersedes__isnull=True, supersede_reason="")
                | (Q(supersedes__isnull=False) & ~Q(supersede_reason="")),
                name="assessment_supersede_has_reason",
                violation_error_message="A correction needs a reason, and only a correction.",
            ),
            models.CheckConstraint(
                condition=Q(setting__in=["intake", "follow_up", "withdrawal_check"]),
                name="assessment_setting_valid",
                violation_error_message="Setting must be intake, follow_up or withdrawal_check.",
            ),
            models.CheckConstraint(
                condition=~Q(supersedes=models.F("id")),
                name="assessment_not_superseding_itself",
                violation_error_message="An assessment cannot supersede itself.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument_code} {self.administered_at:%Y-%m-%d %H:%M}"

    @property
    def is_superseded(self) -> bool:
        try:
            return self.superseded_by is not None
        except Assessment.DoesNotExist:
            return False

    @property
    def flags(self) -> list[dict]:
        return list((self.result or {}).get("flags") or [])

    def save(self, *args, **kwargs):
        """Refuse any change to a submitted row except archiving (see MUTABLE_FIELDS)."""
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or set(update_fields) - MUTABLE_FIELDS:
                raise ImmutableRecordError(
                    "Submitted assessments cannot be changed; supersede them with a correction."
                )
        super().save(*args, **kwargs)
