"""Clinical alerts: the clinic-wide mechanism every rule raises through (instruments, monitoring).

An alert names its source record by type and id rather than a foreign key, so any app can raise
one without this app knowing its models. Text is rule text only, never patient data. Status moves
open -> acknowledged -> resolved (open -> resolved only when no clinician acknowledgement is
required); who and when of each move is kept on the row and in its history.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Case, IntegerField, Q, Value, When
from simple_history.models import HistoricalRecords

from clinic import access
from clinic.models import ProtectedDeletion, TimeStampedModel, UUIDModel

SUICIDE_RISK = "suicide_risk"
_code = RegexValidator(r"^[a-z0-9_]{1,60}$", "Use lower-case letters, digits and underscores.")


class AlertQuerySet(models.QuerySet):
    def visible_to(self, user, *, token=None):
        return access.scope_queryset(self, user, "patient__site", token=token)

    def unresolved(self):
        return self.exclude(status=Alert.Status.RESOLVED)

    def with_priority(self):
        """Annotate ranks so lists put open alerts first, suicide risk and critical at the top."""
        return self.annotate(
            status_rank=Case(
                When(status=Alert.Status.OPEN, then=Value(0)),
                When(status=Alert.Status.ACKNOWLEDGED, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            suicide_rank=Case(
                When(kind=SUICIDE_RISK, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            severity_rank=Case(
                *(When(severity=s, then=Value(i)) for i, s in enumerate(Alert.SEVERITY_ORDER)),
                default=Value(len(Alert.SEVERITY_ORDER)),
                output_field=IntegerField(),
            ),
        )

    def delete(self):
        raise ProtectedDeletion("Alerts are resolved, never deleted.")


class Alert(UUIDModel, TimeStampedModel):
    class Severity(models.TextChoices):
        CRITICAL = "critical", "Critical"
        HIGH = "high", "High"
        MEDIUM = "medium", "Medium"
        LOW = "low", "Low"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    SEVERITY_ORDER = ("critical", "high", "medium", "low")
    PRIORITY_ORDERING = ("status_rank", "suicide_rank", "severity_rank", "-created_at")

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="alerts")
    code = models.CharField(max_length=60, validators=[_code], db_index=True)
    kind = models.CharField(
        max_length=30,
        validators=[_code],
        help_text="suicide_risk, withdrawal, mood, alcohol, blood_pressure, liver, ...",
    )
    severity = models.CharField(max_length=10, choices=Severity.choices)
    text = models.CharField(max_length=300, help_text="Rule text only; never patient data.")
    source_type = models.CharField(max_length=40, blank=True, help_text='For example "assessment".')
    source_id = models.CharField(max_length=64, blank=True)
    requires_clinician_ack = models.BooleanField(default=False)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="Whose action raised it (for example who submitted the assessment).",
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledge_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolve_note = models.TextField(blank=True)

    objects = AlertQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["patient", "status"], name="alert_patient_status"),
            models.Index(fields=["status", "severity"], name="alert_status_severity"),
            models.Index(fields=["source_type", "source_id"], name="alert_source"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "code", "source_type", "source_id"],
                condition=Q(status__in=["open", "acknowledged"]),
                name="alert_one_unresolved_per_source",
                violation_error_message="This alert is already open for this source.",
            ),
            models.CheckConstraint(
                condition=Q(severity__in=["critical", "high", "medium", "low"]),
                name="alert_severity_valid",
                violation_error_message="Severity must be critical, high, medium or low.",
            ),
            models.CheckConstraint(
                condition=~Q(kind=SUICIDE_RISK) | Q(requires_clinician_ack=True),
                name="alert_suicide_risk_needs_clinician",
                violation_error_message=(
                    "Suicide-risk alerts always need acknowledgement by a clinician."
                ),
            ),
            models.CheckConstraint(
                condition=(
                    Q(status="open", acknowledged_at__isnull=True, resolved_at__isnull=True)
                    | Q(
                        status="acknowledged",
                        acknowledged_at__isnull=False,
                        acknowledged_by__isnull=False,
                        resolved_at__isnull=True,
                    )
                    | Q(status="resolved", resolved_at__isnull=False, resolved_by__isnull=False)
                ),
                name="alert_status_matches_who_and_when",
                violation_error_message="The status does not match who and when it changed.",
            ),
            models.CheckConstraint(
                condition=Q(requires_clinician_ack=False)
                | ~Q(status="resolved")
                | Q(acknowledged_at__isnull=False),
                name="alert_resolved_after_required_ack",
                violation_error_message="This alert must be acknowledged before it is resolved.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_severity_display()} {self.code} ({self.get_status_display()})"

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion("Alerts are resolved, never deleted.")
