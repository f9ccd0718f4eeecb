"""Appointments: who sees which patient, where, when and how, and how the visit went.

Status changes go through `patients.services.scheduling`, which holds the table of allowed moves
and the double-booking check. Appointments are cancelled, never deleted.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from clinic import access
from clinic.models import ProtectedDeletion, Site, TimeStampedModel, UUIDModel
from patients.models.patient import Patient

# Longest bookable appointment: a full intensive-outpatient day. Longer is almost surely a typo.
MAX_APPOINTMENT_LENGTH = dt.timedelta(hours=8)


def site_zone(site: Site) -> zoneinfo.ZoneInfo:
    """The site's IANA zone: days, day views and check-in times are the site's local ones."""
    return zoneinfo.ZoneInfo(site.timezone)


class AppointmentType(models.TextChoices):
    INTAKE_ASSESSMENT = "intake_assessment", "Intake assessment"
    COUNSELING = "counseling", "Counseling"
    CBT = "cbt", "CBT"
    MET = "met", "MET"
    GROUP = "group", "Group"
    MEDICAL_CHECK = "medical_check", "Medical check"
    OTHER = "other", "Other"


class AppointmentModality(models.TextChoices):
    IN_PERSON = "in_person", "In person"
    TELEHEALTH = "telehealth", "Telehealth"


class AppointmentStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    CHECKED_IN = "checked_in", "Checked in"
    COMPLETED = "completed", "Completed"
    NO_SHOW = "no_show", "No-show"
    CANCELLED = "cancelled", "Cancelled"


class AppointmentCancelReason(models.TextChoices):
    PATIENT_REQUEST = "patient_request", "Patient request"
    PATIENT_ILLNESS = "patient_illness", "Patient illness"
    TRANSPORTATION = "transportation", "Transportation"
    STAFF_UNAVAILABLE = "staff_unavailable", "Staff unavailable"
    CLINIC_CLOSURE = "clinic_closure", "Clinic closure"
    WEATHER = "weather", "Weather"
    BOOKED_IN_ERROR = "booked_in_error", "Booked in error"
    OTHER = "other", "Other"


class AppointmentQuerySet(models.QuerySet):
    def visible_to(self, user, *, token=None):
        """Appointments at the sites this user (or token) may see."""
        return access.scope_queryset(self, user, "site", token=token)

    def blocking(self):
        """Appointments that hold their staff member's time (scheduled or checked in)."""
        return self.filter(status__in=Appointment.BLOCKING_STATUSES)

    def overlapping(self, start: dt.datetime, end: dt.datetime):
        """Half-open intervals [start, end): touching end == start is not an overlap."""
        return self.filter(start__lt=end, end__gt=start)

    def delete(self):
        raise ProtectedDeletion("Appointments are cancelled, never deleted.")


class Appointment(UUIDModel, TimeStampedModel):
    Type = AppointmentType
    Modality = AppointmentModality
    Status = AppointmentStatus
    CancelReason = AppointmentCancelReason

    BLOCKING_STATUSES = (Status.SCHEDULED, Status.CHECKED_IN)

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="appointments")
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text="The staff member seeing the patient; must work at the appointment's site.",
    )
    type = models.CharField(max_length=20, choices=Type.choices)
    modality = models.CharField(max_length=12, choices=Modality.choices, default=Modality.IN_PERSON)
    start = models.DateTimeField()
    end = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.SCHEDULED, editable=False
    )
    cancel_reason = models.CharField(
        max_length=20, choices=CancelReason.choices, blank=True, editable=False
    )
    cancel_note = models.CharField(
        max_length=200, blank=True, editable=False, help_text="Short; no clinical detail."
    )
    checked_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    status_changed_at = models.DateTimeField(null=True, blank=True, editable=False)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = AppointmentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["start", "staff_id"]
        indexes = [
            models.Index(fields=["staff", "start"]),
            models.Index(fields=["site", "start"]),
            models.Index(fields=["patient", "-start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="appointment_end_after_start",
                violation_error_message="An appointment must end after it starts.",
            ),
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in AppointmentStatus]),
                name="appointment_status_known",
                violation_error_message="Unknown appointment status.",
            ),
            models.CheckConstraint(
                condition=Q(type__in=[t.value for t in AppointmentType]),
                name="appointment_type_known",
                violation_error_message="Unknown appointment type.",
            ),
            models.CheckConstraint(
                condition=Q(modality__in=[m.value for m in AppointmentModality]),
                name="appointment_modality_known",
                violation_error_message="Unknown appointment modality.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status="cancelled",
                        cancel_reason__in=[r.value for r in AppointmentCancelReason],
                    )
                    | (~Q(status="cancelled") & Q(cancel_reason="", cancel_note=""))
                ),
                name="appointment_cancel_reason_iff_cancelled",
                violation_error_message="A cancelled appointment needs a listed reason; "
                "other appointments carry none.",
            ),
            models.CheckConstraint(
                condition=(
                    ~Q(status__in=["checked_in", "completed"])
                    | Q(checked_in_at__isnull=False, checked_in_by__isnull=False)
                ),
                name="appointment_check_in_recorded",
                violation_error_message="A checked-in or completed appointment records who "
                "checked the patient in and when.",
            ),
        ]
        # On PostgreSQL migration 0002 also adds the exclusion constraint
        # `appointment_no_staff_overlap` (see docs/scheduling.md); it is not declared here because
        # SQLite cannot hold it and Django would try to validate it in Python.

    def __str__(self) -> str:
        # No patient name: this string appears in admin messages, breadcrumbs and history.
        if self.start is None:
            when = "unscheduled"
        elif self.site_id is None:
            when = f"{self.start:%Y-%m-%d %H:%M %Z}"
        else:
            when = f"{self.local_start():%Y-%m-%d %H:%M}"
        return f"{self.get_type_display()} {when} ({self.get_status_display()})"

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion("Appointments are cancelled, never deleted.")

    @property
    def is_blocking(self) -> bool:
        return self.status in self.BLOCKING_STATUSES

    def local_start(self) -> dt.datetime:
        return timezone.localtime(self.start, site_zone(self.site))

    def local_end(self) -> dt.datetime:
        return timezone.localtime(self.end, site_zone(self.site))

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}
        for field in ("start", "end"):
            value = getattr(self, field)
            if value is not None and timezone.is_naive(value):
                errors.setdefault(field, []).append("Give a time zone offset, e.g. +00:00.")
        if errors:
            raise ValidationError(errors)
        if self.start is not None and self.end is not None:
            if self.end <= self.start:
                errors["end"] = ["The end must be after the start."]
            elif self.end - self.start > MAX_APPOINTMENT_LENGTH:
                hours = int(MAX_APPOINTMENT_LENGTH.total_seconds() // 3600)
                errors["end"] = [f"An appointment may last at most {hours} hours."]
        if errors:
            raise ValidationError(errors)
