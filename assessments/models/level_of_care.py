"""ASAM level-of-care determinations: six dimension ratings with rationale, never averaged.

A determination is immutable once recorded; a new one replaces the current one and both stay.
Levels are edition-specific, so the level fields hold codes checked against the edition by
``assessments.asam.validate_rating`` rather than one fixed choice list.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from assessments import asam
from assessments.models.intake_base import ProtectedRow
from clinic.models import ArchivableModel, ArchivableQuerySet, TimeStampedModel, UUIDModel

EDITIONS = [("3", "Third edition (2013)"), ("4", "Fourth edition (2023)")]
DIFFERENCE_REASONS = [
    ("patient_choice", "Patient choice"),
    ("not_available", "Level not available"),
    ("payer", "Payer"),
    ("clinical_judgement", "Clinical judgement"),
    ("other", "Other"),
]
DIMENSION_CODES = [(f"d{n}", f"Dimension {n}") for n in range(1, 7)]


class LevelOfCareQuerySet(ArchivableQuerySet):
    def current(self):
        return self.filter(is_current=True)

    def with_rows(self):
        return self.select_related("patient", "assessor", "recorded_by").prefetch_related("ratings")


class LevelOfCareDetermination(UUIDModel, TimeStampedModel, ArchivableModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="level_of_care_determinations"
    )
    edition = models.CharField("ASAM edition", max_length=1, choices=EDITIONS)
    indicated_level = models.CharField(max_length=8, help_text="A level code of the edition.")
    provided_level = models.CharField(
        max_length=8, blank=True, help_text="Empty while placement is pending."
    )
    difference_reason = models.CharField(max_length=20, choices=DIFFERENCE_REASONS, blank=True)
    difference_note = models.CharField(max_length=500, blank=True)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    assessed_on = models.DateField(default=timezone.localdate)
    is_current = models.BooleanField(default=True, editable=False, db_index=True)
    replaces = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="replaced_by",
    )
    replaced_at = models.DateTimeField(null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )

    objects = LevelOfCareQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "level-of-care determination"
        ordering = ["-assessed_on", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(is_current=True),
                name="level_of_care_one_current_per_patient",
                violation_error_message="The patient already has a current determination.",
            ),
            models.CheckConstraint(
                condition=Q(edition__in=["3", "4"]),
                name="level_of_care_known_edition",
                violation_error_message="Unknown ASAM edition.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(difference_reason="")
                    & (Q(provided_level="") | Q(provided_level=F("indicated_level")))
                )
                | (
                    ~Q(difference_reason="")
                    & ~Q(provided_level="")
                    & ~Q(provided_level=F("indicated_level"))
                ),
                name="level_of_care_reason_iff_difference",
                violation_error_message="A reason goes with a difference between levels, "
                "and only with one.",
            ),
            models.CheckConstraint(
                condition=~Q(difference_reason="other") | ~Q(difference_note=""),
                name="level_of_care_other_reason_has_note",
                violation_error_message="Explain an 'other' reason in the note.",
            ),
        ]

    def __str__(self) -> str:
        return f"ASAM {self.edition}: indicated {self.indicated_level} ({self.assessed_on})"

    def clean(self) -> None:
        """Edition, levels and reason through the pure validator; ratings are checked by the
        service, which sees them all."""
        errors: dict[str, list[str]] = {}
        if self.edition in asam.EDITIONS:
            try:
                asam.validate_rating(
                    self.edition,
                    {d.code: 0 for d in asam.dimensions(self.edition)},
                    self.indicated_level,
                    self.provided_level,
                    self.difference_reason,
                )
            except asam.AsamError as exc:
                errors.update(exc.errors)
        if self.difference_reason == "other" and not self.difference_note.strip():
            errors.setdefault("difference_note", []).append("Explain the 'other' reason.")
        if self.assessed_on and self.assessed_on > timezone.localdate():
            errors.setdefault("assessed_on", []).append("Cannot be in the future.")
        if errors:
            raise ValidationError(errors)

    def level_name(self, code: str) -> str:
        names = {lv.code: lv.name for lv in asam.levels(self.edition)}
        return names.get(code, "")


class DimensionRating(UUIDModel, ProtectedRow):
    determination = models.ForeignKey(
        LevelOfCareDetermination, on_delete=models.PROTECT, related_name="ratings"
    )
    dimension = models.CharField(max_length=2, choices=DIMENSION_CODES)
    rating = models.PositiveSmallIntegerField(validators=[MaxValueValidator(asam.RATING_MAX)])
    rationale = models.TextField(max_length=2000)
    history = HistoricalRecords()

    class Meta:
        ordering = ["dimension"]
        constraints = [
            models.UniqueConstraint(
                fields=["determination", "dimension"],
                name="dimension_rating_once_per_dimension",
                violation_error_message="Each dimension is rated once.",
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=asam.RATING_MIN, rating__lte=asam.RATING_MAX),
                name="dimension_rating_0_to_4",
                violation_error_message="A rating is 0 to 4.",
            ),
            models.CheckConstraint(
                condition=~Q(rationale=""),
                name="dimension_rating_has_rationale",
                violation_error_message="Give the rationale for the rating.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.rating}"

    def clean(self) -> None:
        if not (self.rationale or "").strip():
            raise ValidationError({"rationale": "Give the rationale for the rating."})
