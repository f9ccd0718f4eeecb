"""Substance-use history (the kratom intake): structured answers, revised rather than edited.

One record per patient is current; a revision is a new record that supersedes the previous one,
which stays as it was (history keeps both). Child rows belong to one revision and are never
edited on their own. Choices and checks come from ``assessments.history_rules`` (pure), so the
API, the admin and imports share one set of rules; derived values come from
``assessments.history_derived`` and are never stored.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from assessments import history_rules as rules
from assessments.history_derived import DerivedHistory, derive
from assessments.models.intake_base import ProtectedRow
from clinic.models import ArchivableModel, ArchivableQuerySet, TimeStampedModel, UUIDModel

_c = rules.choices
RELATIONSHIP_CHOICES = _c(rules.RELATIONSHIPS)  # named for the OpenAPI enum


def _tri_state(label: str, help_text: str = "") -> models.CharField:
    return models.CharField(
        label, max_length=8, choices=_c(rules.TRI_STATE), default="unknown", help_text=help_text
    )


class SubstanceHistoryQuerySet(ArchivableQuerySet):
    def current(self):
        return self.filter(is_current=True)

    def with_rows(self):
        """Everything the API and admin show, in a fixed number of queries whatever the count."""
        return self.select_related("patient", "recorded_by").prefetch_related(
            "products", "other_substances", "prior_treatments", "medications", "allergies"
        )


class SubstanceHistory(UUIDModel, TimeStampedModel, ArchivableModel):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="substance_histories"
    )
    revision = models.PositiveIntegerField(default=1, editable=False)
    is_current = models.BooleanField(default=True, editable=False, db_index=True)
    supersedes = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="superseded_by",
    )
    superseded_at = models.DateTimeField(null=True, blank=True, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", editable=False
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    # Reasons for use
    reasons_for_use = models.JSONField(
        default=list, blank=True, help_text="Choices: " + ", ".join(rules.REASONS_FOR_USE)
    )
    reasons_for_use_other = models.CharField(max_length=200, blank=True)

    # Withdrawal history
    withdrawal_symptoms = models.JSONField(
        "worst withdrawal symptoms",
        default=list,
        blank=True,
        help_text="Choices: " + ", ".join(rules.WITHDRAWAL_SYMPTOMS),
    )
    withdrawal_symptoms_other = models.CharField(max_length=200, blank=True)
    withdrawal_seizures = _tri_state("seizures during withdrawal")
    withdrawal_hospitalised = _tri_state("hospitalised for withdrawal")

    # Medical history relevant to kratom
    liver_disease = _tri_state("liver disease")
    hypertension = _tri_state("hypertension")
    seizure_disorder = _tri_state("seizure disorder")
    cardiac_arrhythmia = _tri_state("cardiac arrhythmia")
    qt_prolonging_medications = _tri_state(
        "takes QT-prolonging medications", "Mitragynine prolongs QTc."
    )
    pregnancy_status = models.CharField(
        max_length=16, choices=_c(rules.PREGNANCY_STATUSES), default="unknown"
    )
    pregnancy_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(rules.MAX_PREGNANCY_WEEKS)]
    )

    # Psychiatric history
    psychiatric_conditions = models.JSONField(
        default=list, blank=True, help_text="Choices: " + ", ".join(rules.PSYCHIATRIC_CONDITIONS)
    )
    psychiatric_conditions_other = models.CharField(max_length=200, blank=True)
    prior_suicide_attempt = _tri_state("prior suicide attempt")
    psychiatric_hospitalisation = _tri_state("prior psychiatric hospitalisation")
    current_mental_health_care = _tri_state("in mental-health care now")
    psychiatric_notes = models.CharField(max_length=500, blank=True)

    # Social situation
    employment = models.CharField(max_length=16, choices=_c(rules.EMPLOYMENT), default="unknown")
    housing = models.CharField(max_length=16, choices=_c(rules.HOUSING), default="unknown")
    relationship = models.CharField(max_length=20, choices=RELATIONSHIP_CHOICES, default="unknown")
    legal = models.CharField(max_length=20, choices=_c(rules.LEGAL), default="unknown")

    # The patient's goal, in their own words
    goal = models.CharField(max_length=8, choices=_c(rules.GOALS))
    goal_in_own_words = models.TextField(
        max_length=2000, help_text="Write the patient's words, not a summary."
    )

    objects = SubstanceHistoryQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "substance-use history"
        verbose_name_plural = "substance-use histories"
        ordering = ["-recorded_at", "-revision"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(is_current=True),
                name="substance_history_one_current_per_patient",
                violation_error_message="The patient already has a current substance history.",
            ),
            models.UniqueConstraint(
                fields=["patient", "revision"],
                name="substance_history_unique_revision",
                violation_error_message="This revision number is already taken.",
            ),
            models.CheckConstraint(
                condition=~Q(goal_in_own_words=""),
                name="substance_history_goal_in_own_words",
                violation_error_message="Record the patient's goal in their own words.",
            ),
            models.CheckConstraint(
                condition=Q(pregnancy_status="yes", pregnancy_weeks__isnull=False)
                | (~Q(pregnancy_status="yes") & Q(pregnancy_weeks__isnull=True)),
                name="substance_history_pregnancy_weeks",
                violation_error_message="Weeks of pregnancy go with a 'yes' pregnancy status only.",
            ),
        ]

    def __str__(self) -> str:
        return f"Substance history r{self.revision} ({self.recorded_at:%Y-%m-%d})"

    def clean(self) -> None:
        errors = rules.merge(
            rules.multi_choice_errors(
                self.reasons_for_use,
                rules.REASONS_FOR_USE,
                field="reasons_for_use",
                other_text=self.reasons_for_use_other,
            ),
            rules.multi_choice_errors(
                self.withdrawal_symptoms,
                rules.WITHDRAWAL_SYMPTOMS,
                field="withdrawal_symptoms",
                other_text=self.withdrawal_symptoms_other,
            ),
            rules.multi_choice_errors(
                self.psychiatric_conditions,
                rules.PSYCHIATRIC_CONDITIONS,
                field="psychiatric_conditions",
                other_text=self.psychiatric_conditions_other,
            ),
            rules.pregnancy_errors(self.pregnancy_status, self.pregnancy_weeks),
        )
        if not (self.goal_in_own_words or "").strip():
            errors.setdefault("goal_in_own_words", []).append(
                "Record the patient's goal in their own words."
            )
        if errors:
            raise ValidationError(errors)

    @property
    def patient_date_of_birth(self):
        patient = self.patient if self.patient_id else None
        return patient.date_of_birth if patient is not None else None

    def derived(self) -> DerivedHistory:
        """Derived values from the rows (prefetch them with ``with_rows()`` for lists)."""
        return derive(
            self.products.all(),
            self.other_substances.all(),
            self.medications.all(),
            qt_prolonging_medications=self.qt_prolonging_medications,
        )


class _HistoryRow(UUIDModel, ProtectedRow):
    """A row of one substance-history revision; ``position`` keeps the order it was entered in."""

    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        abstract = True
        ordering = ["position"]

    def _parent_context(self):
        """(date of birth, reference time) from the parent revision, attached saved or not."""
        parent = self._state.fields_cache.get("substance_history")
        if parent is None and self.substance_history_id is not None:
            parent = (
                SubstanceHistory.objects.select_related("patient")
                .filter(pk=self.substance_history_id)
                .first()
            )
        if parent is None:
            return None, timezone.now()
        return parent.patient_date_of_birth, parent.recorded_at or timezone.now()


class KratomProductUse(_HistoryRow):
    substance_history = models.ForeignKey(
        SubstanceHistory, on_delete=models.PROTECT, related_name="products"
    )
    form = models.CharField("product form", max_length=20, choices=_c(rules.PRODUCT_FORMS))
    form_other = models.CharField("other product", max_length=120, blank=True)
    amount = models.DecimalField(
        "amount per dose",
        max_digits=9,
        decimal_places=2,
        validators=[MinValueValidator(0), MaxValueValidator(100000)],
    )
    unit = models.CharField(max_length=8, choices=_c(rules.UNITS))
    mg_per_unit = models.DecimalField(
        "mg per capsule, shot or tablet",
        max_digits=9,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MaxValueValidator(100000)],
    )
    capsule_contents = models.CharField(
        max_length=16, choices=_c(rules.CAPSULE_CONTENTS), blank=True
    )
    doses_per_day = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(0), MaxValueValidator(rules.MAX_DOSES_PER_DAY)],
    )
    years_of_use = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(120)],
    )
    age_at_first_use = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(120)]
    )
    last_use_at = models.DateTimeField(null=True, blank=True)
    route = models.CharField(max_length=8, choices=_c(rules.ROUTES), default="oral")
    route_other = models.CharField(max_length=120, blank=True)
    history = HistoricalRecords()

    class Meta(_HistoryRow.Meta):
        verbose_name = "kratom product use"
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0) & Q(doses_per_day__gt=0),
                name="kratom_product_amount_and_doses_positive",
                violation_error_message="Amount and doses per day must be more than 0.",
            ),
            models.CheckConstraint(
                condition=Q(form=rules.LEAF_POWDER, unit=rules.GRAMS)
                | Q(form__in=[rules.CAPSULES, rules.EXTRACT_SHOT], unit=rules.COUNT)
                | Q(form=rules.SEVEN_OH, unit__in=[rules.MILLIGRAMS, rules.COUNT])
                | Q(form=rules.OTHER),
                name="kratom_product_unit_suits_form",
                violation_error_message="The unit does not suit the product form.",
            ),
            models.CheckConstraint(
                condition=Q(mg_per_unit__isnull=True) | Q(unit=rules.COUNT, mg_per_unit__gt=0),
                name="kratom_product_mg_per_unit_with_counts",
                violation_error_message="Milligrams per unit apply only to counted units.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_form_display()}: {self.amount} {self.unit} x {self.doses_per_day}/day"

    def clean(self) -> None:
        dob, now = self._parent_context()
        errors = rules.merge(
            {
                field: ["Must be more than 0."]
                for field in ("amount", "doses_per_day")
                if getattr(self, field) is not None and getattr(self, field) <= 0
            },
            rules.unit_errors(
                form=self.form,
                unit=self.unit,
                mg_per_unit=self.mg_per_unit,
                capsule_contents=self.capsule_contents,
                form_other=self.form_other,
            ),
            rules.use_timeline_errors(
                date_of_birth=dob,
                age_at_first_use=self.age_at_first_use,
                years_of_use=self.years_of_use,
                last_use_at=self.last_use_at,
                now=now,
            ),
        )
        if self.route == "other" and not self.route_other.strip():
            errors.setdefault("route_other", []).append("Describe the route.")
        if errors:
            raise ValidationError(errors)


class OtherSubstanceUse(_HistoryRow):
    substance_history = models.ForeignKey(
        SubstanceHistory, on_delete=models.PROTECT, related_name="other_substances"
    )
    substance = models.CharField(max_length=20, choices=_c(rules.OTHER_SUBSTANCES))
    substance_other = models.CharField(max_length=120, blank=True)
    frequency = models.CharField(max_length=20, choices=_c(rules.FREQUENCIES))
    last_use_on = models.DateField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta(_HistoryRow.Meta):
        verbose_name = "other substance use"

    def __str__(self) -> str:
        return f"{self.get_substance_display()} ({self.get_frequency_display()})"

    def clean(self) -> None:
        _dob, now = self._parent_context()
        errors = rules.not_future_date_errors(
            self.last_use_on, timezone.localdate(now), field="last_use_on"
        )
        if self.substance == "other" and not self.substance_other.strip():
            errors.setdefault("substance_other", []).append("Name the substance.")
        if errors:
            raise ValidationError(errors)


class PriorTreatment(_HistoryRow):
    substance_history = models.ForeignKey(
        SubstanceHistory, on_delete=models.PROTECT, related_name="prior_treatments"
    )
    setting = models.CharField(max_length=24, choices=_c(rules.TREATMENT_SETTINGS))
    setting_other = models.CharField(max_length=120, blank=True)
    medication = models.CharField(
        max_length=16, choices=_c(rules.TREATMENT_MEDICATIONS), default="none"
    )
    medication_other = models.CharField(max_length=120, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    outcome = models.CharField(
        max_length=16, choices=_c(rules.TREATMENT_OUTCOMES), default="unknown"
    )
    history = HistoricalRecords()

    class Meta(_HistoryRow.Meta):
        verbose_name = "prior treatment"
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__isnull=True)
                | Q(end_date__isnull=True)
                | Q(end_date__gte=F("start_date")),
                name="prior_treatment_end_after_start",
                violation_error_message="A treatment cannot end before it starts.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_setting_display()} / {self.get_medication_display()}"

    def clean(self) -> None:
        _dob, now = self._parent_context()
        errors = rules.treatment_errors(
            start_date=self.start_date,
            end_date=self.end_date,
            outcome=self.outcome,
            medication=self.medication,
            medication_other=self.medication_other,
            setting=self.setting,
            setting_other=self.setting_other,
            today=timezone.localdate(now),
        )
        if errors:
            raise ValidationError(errors)


class CurrentMedication(_HistoryRow):
    substance_history = models.ForeignKey(
        SubstanceHistory, on_delete=models.PROTECT, related_name="medications"
    )
    name = models.CharField(max_length=120)
    dose = models.CharField("dose (as written)", max_length=120, blank=True)
    qt_prolonging = models.BooleanField("QT-prolonging", default=False)
    history = HistoricalRecords()

    class Meta(_HistoryRow.Meta):
        verbose_name = "current medication"

    def __str__(self) -> str:
        return self.name


class Allergy(_HistoryRow):
    substance_history = models.ForeignKey(
        SubstanceHistory, on_delete=models.PROTECT, related_name="allergies"
    )
    substance = models.CharField(max_length=120)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(
        max_length=10, choices=_c(rules.ALLERGY_SEVERITIES), default="unknown"
    )
    history = HistoricalRecords()

    class Meta(_HistoryRow.Meta):
        verbose_name_plural = "allergies"

    def __str__(self) -> str:
        return self.substance
