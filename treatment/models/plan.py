"""Treatment plans: problems with strengths, goals in the patient's own words, measurable
objectives, interventions, signatures, reviews and revisions (clinical reference §6).

A plan is editable only while it is an unsigned draft. Once signed (or closed) it is locked: the
services refuse edits with a 409, and so do the models themselves, so no door (admin, shell,
merge, a future module) can change what was signed. Changing a signed plan means a revision: a new
draft that copies the content and points at the plan it supersedes.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from assessments.recommendations import INTERVENTION_TYPES
from clinic import access
from clinic.errors import Conflict
from clinic.models import (
    ArchivableModel,
    ArchivableQuerySet,
    ProtectedDeletion,
    TimeStampedModel,
    UUIDModel,
)
from patients.models import Episode, Patient
from treatment import plan_policy

# Labels for the intervention vocabulary of the intake recommendations (one vocabulary: a type
# added there without a label here fails at import).
_INTERVENTION_LABELS = {
    "cbt": "Cognitive behavioural therapy",
    "met": "Motivational enhancement therapy",
    "individual_counseling": "Individual counselling",
    "group_counseling": "Group counselling",
    "peer_support": "Peer support",
    "psychoeducation": "Psychoeducation",
    "taper": "Taper (gradual dose reduction)",
    "medical_monitoring": "Medical monitoring",
    "healthy_activity": "Healthy activity",
    "medication_treatment": "Medication treatment",
    "referral": "Referral",
}
INTERVENTION_TYPE_CHOICES = [(t, _INTERVENTION_LABELS[t]) for t in INTERVENTION_TYPES]


class PlanLocked(Conflict):
    """An edit of a signed or closed plan (or of one of its parts): revise the plan instead."""

    def __init__(self, detail: str | None = None, *, extra: dict | None = None):
        super().__init__(
            detail
            or "This treatment plan is signed or closed, so it cannot be changed. Create a "
            "revision to change it.",
            extra=extra,
        )


def locked_q(prefix: str = "") -> Q:
    """Rows (of plans, or of parts through `prefix`) whose plan is signed or no longer a draft."""
    return Q(**{f"{prefix}signed_at__isnull": False}) | ~Q(**{f"{prefix}status": "draft"})


class TreatmentPlanQuerySet(models.QuerySet):
    def visible_to(self, user, *, token=None):
        return access.scope_queryset(self, user, "patient__site", token=token)

    def locked(self):
        return self.filter(locked_q())

    def in_force(self):
        return self.filter(status__in=plan_policy.IN_FORCE)

    def delete(self):
        raise ProtectedDeletion("Treatment plans are discontinued, never deleted.")

    def update(self, **kwargs):
        if set(kwargs) - TreatmentPlan.LIFECYCLE_FIELDS and self.locked().exists():
            raise PlanLocked()
        return super().update(**kwargs)


class TreatmentPlan(UUIDModel, TimeStampedModel):
    class Status(models.TextChoices):
        DRAFT = plan_policy.DRAFT, "Draft"
        ACTIVE = plan_policy.ACTIVE, "Active"
        UNDER_REVIEW = plan_policy.UNDER_REVIEW, "Under review"
        COMPLETED = plan_policy.COMPLETED, "Completed"
        DISCONTINUED = plan_policy.DISCONTINUED, "Discontinued"

    class AcknowledgementMethod(models.TextChoices):
        SIGNATURE = "signature", "Signed by the patient"
        VERBAL = "verbal", "Verbal agreement"
        ELECTRONIC = "electronic", "Electronic signature"
        DECLINED = "declined", "Patient declined to sign"

    # Fields that move after signing: status, review dates, later signatures, the patient's
    # acknowledgement, and the patient link (a merge of duplicate records re-points it).
    LIFECYCLE_FIELDS = frozenset(
        {
            "status",
            "next_review_due",
            "cosigned_by",
            "cosigned_at",
            "acknowledgement_method",
            "acknowledged_on",
            "acknowledgement_note",
            "acknowledgement_recorded_by",
            "patient",
            "updated_at",
        }
    )

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="treatment_plans")
    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="treatment_plans")
    level_of_care = models.CharField(
        max_length=10, help_text="ASAM level code, for example 1, 2.1 or 3.7-WM."
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.DRAFT, editable=False
    )
    start_date = models.DateField()
    next_review_due = models.DateField(null=True, blank=True, editable=False)
    revision = models.PositiveSmallIntegerField(default=1, editable=False)
    supersedes = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="revisions",
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
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    signed_at = models.DateTimeField(null=True, blank=True, editable=False)
    cosign_required = models.BooleanField(default=False, editable=False)
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    cosigned_at = models.DateTimeField(null=True, blank=True, editable=False)
    acknowledgement_method = models.CharField(
        max_length=12, choices=AcknowledgementMethod.choices, blank=True, editable=False
    )
    acknowledged_on = models.DateField(null=True, blank=True, editable=False)
    acknowledgement_note = models.CharField(max_length=200, blank=True, editable=False)
    acknowledgement_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )

    objects = TreatmentPlanQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-start_date", "-revision"]
        indexes = [
            models.Index(fields=["status", "next_review_due"]),
            models.Index(fields=["patient", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(revision__gte=1),
                name="plan_revision_positive",
                violation_error_message="Revision numbers start at 1.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["active", "under_review", "completed"])
                | Q(signed_at__isnull=False),
                name="plan_in_force_is_signed",
                violation_error_message="Only a signed plan can be active or completed.",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["active", "under_review", "completed"])
                | Q(cosign_required=False)
                | Q(cosigned_at__isnull=False),
                name="plan_in_force_is_cosigned",
                violation_error_message="This plan needs a co-signature before it is active.",
            ),
            models.CheckConstraint(
                condition=Q(cosigned_at__isnull=True) | Q(signed_at__isnull=False),
                name="plan_cosigned_after_signed",
                violation_error_message="A plan is co-signed only after it is signed.",
            ),
            models.CheckConstraint(
                condition=Q(acknowledgement_method="", acknowledged_on__isnull=True)
                | (~Q(acknowledgement_method="") & Q(acknowledged_on__isnull=False)),
                name="plan_acknowledgement_complete",
                violation_error_message="An acknowledgement needs both a method and a date.",
            ),
        ]

    def __str__(self) -> str:
        return f"Treatment plan r{self.revision} ({self.get_status_display()})"

    @property
    def is_locked(self) -> bool:
        return self.signed_at is not None or self.status != self.Status.DRAFT

    @property
    def awaiting_cosign(self) -> bool:
        return self.status == self.Status.DRAFT and (
            self.signed_at is not None and self.cosign_required and self.cosigned_at is None
        )

    def review_overdue(self, today=None) -> bool:
        return plan_policy.is_review_overdue(
            self.next_review_due, self.status, today or timezone.localdate()
        )

    def save(self, *args, **kwargs):
        if not self._state.adding:
            self._refuse_locked_changes()
        super().save(*args, **kwargs)

    def _refuse_locked_changes(self) -> None:
        guarded = [
            f
            for f in self._meta.concrete_fields
            if f.name not in self.LIFECYCLE_FIELDS and not f.primary_key
        ]
        names = [f.attname for f in guarded]
        stored = type(self)._base_manager.filter(pk=self.pk).values("status", *names).first()
        if stored is None or (stored["signed_at"] is None and stored["status"] == "draft"):
            return
        changed = [n for n in names if getattr(self, n) != stored[n]]
        if changed:
            raise PlanLocked()

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion("Treatment plans are discontinued, never deleted.")


class PlanPartQuerySet(ArchivableQuerySet):
    def update(self, **kwargs):
        if self.filter(locked_q("plan__")).exists():
            raise PlanLocked()
        return super().update(**kwargs)


class PlanPart(UUIDModel, TimeStampedModel, ArchivableModel):
    """A part of a plan (problem, goal, objective, intervention): frozen with its plan."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="+")
    position = models.PositiveSmallIntegerField(default=0, help_text="Display order.")

    objects = PlanPartQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["position", "created_at"]

    def save(self, *args, **kwargs):
        plan_ids = Q(pk=self.plan_id)
        if not self._state.adding:
            # Moving a part out of a locked plan is an edit of that plan too.
            plan_ids |= Q(pk__in=type(self)._base_manager.filter(pk=self.pk).values("plan_id"))
        if TreatmentPlan._base_manager.filter(plan_ids).filter(locked_q()).exists():
            raise PlanLocked()
        super().save(*args, **kwargs)

    def _check_same_plan(self, parent, field: str) -> None:
        if parent is not None and self.plan_id and parent.plan_id != self.plan_id:
            raise ValidationError({field: ["Choose one from the same plan."]})


class Problem(PlanPart):
    """A problem the plan addresses, with the patient's strengths to draw on."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="problems")
    description = models.TextField(blank=True)
    strengths = models.TextField(blank=True)
    # The diagnosis model lives on another branch; the id becomes a foreign key when it lands.
    diagnosis_id = models.UUIDField(null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta(PlanPart.Meta):
        pass

    def __str__(self) -> str:
        return f"Problem {self.position}"


class Goal(PlanPart):
    """A goal in the patient's own words; the clinical restatement is optional and separate."""

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="goals")
    problem = models.ForeignKey(Problem, on_delete=models.PROTECT, related_name="goals")
    patient_words = models.TextField(
        "goal in the patient's words", help_text="What the patient said, in their words."
    )
    clinical_restatement = models.TextField(blank=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta(PlanPart.Meta):
        pass

    def __str__(self) -> str:
        return f"Goal {self.position}"

    def clean(self) -> None:
        if self.problem_id:
            self._check_same_plan(self.problem, "problem")


class Objective(PlanPart):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        IN_PROGRESS = "in_progress", "In progress"
        MET = "met", "Met"
        NOT_MET = "not_met", "Not met"
        REVISED = "revised", "Revised"
        DISCONTINUED = "discontinued", "Discontinued"

    OPEN_STATUSES = frozenset({Status.NOT_STARTED, Status.IN_PROGRESS})

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="objectives")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="objectives")
    description = models.TextField()
    measure = models.CharField(
        max_length=200, blank=True, help_text="How progress is measured, for example a score."
    )
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.NOT_STARTED)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta(PlanPart.Meta):
        pass

    def __str__(self) -> str:
        return f"Objective {self.position}"

    def clean(self) -> None:
        if self.goal_id:
            self._check_same_plan(self.goal, "goal")
        if (
            self.target_date is not None
            and self.plan_id
            and self.status in self.OPEN_STATUSES
            and self.target_date < self.plan.start_date
        ):
            raise ValidationError({"target_date": ["The target date is before the plan start."]})


class Intervention(PlanPart):
    class Period(models.TextChoices):
        DAY = "day", "a day"
        WEEK = "week", "a week"
        MONTH = "month", "a month"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="interventions")
    intervention_type = models.CharField(max_length=24, choices=INTERVENTION_TYPE_CHOICES)
    description = models.TextField(blank=True)
    frequency_count = models.PositiveSmallIntegerField(default=1, help_text="Times per period.")
    frequency_period = models.CharField(max_length=5, choices=Period.choices, default=Period.WEEK)
    duration_weeks = models.PositiveSmallIntegerField(default=12)
    responsible_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="plan_interventions",
    )
    objectives = models.ManyToManyField(
        Objective, through="InterventionObjective", related_name="interventions", blank=True
    )
    # Where a plan started from intake recommendations: the suggestion text and the rule ids.
    rationale = models.TextField(blank=True, editable=False)
    recommendation_rule_ids = models.JSONField(default=list, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta(PlanPart.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(frequency_count__gte=1, frequency_count__lte=30),
                name="intervention_frequency_range",
                violation_error_message="Frequency is 1 to 30 times per period.",
            ),
            models.CheckConstraint(
                condition=Q(duration_weeks__gte=1, duration_weeks__lte=104),
                name="intervention_duration_range",
                violation_error_message="Duration is 1 to 104 weeks.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_intervention_type_display()}, {self.frequency_display}"

    @property
    def frequency_display(self) -> str:
        return plan_policy.frequency_display(
            self.frequency_count, self.frequency_period, self.duration_weeks
        )


class InterventionObjectiveQuerySet(models.QuerySet):
    def _touches_locked_plan(self) -> bool:
        return self.filter(locked_q("intervention__plan__")).exists()

    def update(self, **kwargs):
        if self._touches_locked_plan():
            raise PlanLocked()
        return super().update(**kwargs)

    def delete(self):
        if self._touches_locked_plan():
            raise PlanLocked()
        return super().delete()


class InterventionObjective(models.Model):
    """Which objectives an intervention serves. Links of a draft may be removed (history keeps
    the removal); links of a locked plan may not."""

    id = models.BigAutoField(primary_key=True)
    intervention = models.ForeignKey(
        Intervention, on_delete=models.CASCADE, related_name="objective_links"
    )
    objective = models.ForeignKey(
        Objective, on_delete=models.CASCADE, related_name="intervention_links"
    )
    history = HistoricalRecords()

    objects = InterventionObjectiveQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["intervention", "objective"],
                name="intervention_objective_unique",
                violation_error_message="This objective is already linked.",
            )
        ]

    def __str__(self) -> str:
        return "Intervention objective link"

    def save(self, *args, **kwargs):
        if self._plan_locked():
            raise PlanLocked()
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self._plan_locked():
            raise PlanLocked()
        return super().delete(*args, **kwargs)

    def _plan_locked(self) -> bool:
        return TreatmentPlan._base_manager.filter(
            locked_q(), interventions__pk=self.intervention_id
        ).exists()


class _AppendOnly(models.Model):
    """Reviews and events are records of what happened: written once, never changed."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ProtectedDeletion(f"{type(self).__name__} records are written once.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ProtectedDeletion(f"{type(self).__name__} records are never deleted.")


class PlanReview(UUIDModel, _AppendOnly):
    """A review of a plan in force: progress per objective, and when the next review is due.

    Progress lives on the review's rows, never on the locked plan. A correction is a new review.
    """

    class Outcome(models.TextChoices):
        CONTINUE = "continue", "Continue the plan"
        REVISE = "revise", "Revise the plan"
        COMPLETE = "complete", "Plan completed"

    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.CONTINUE)
    summary = models.TextField(blank=True)
    next_review_due = models.DateField()
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords()

    class Meta:
        ordering = ["reviewed_on", "created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(next_review_due__gt=models.F("reviewed_on")),
                name="plan_review_next_after_review",
                violation_error_message="The next review must come after this one.",
            )
        ]

    def __str__(self) -> str:
        return f"Review of {self.reviewed_on}"


class ObjectiveProgress(_AppendOnly):
    id = models.BigAutoField(primary_key=True)
    review = models.ForeignKey(PlanReview, on_delete=models.PROTECT, related_name="progress")
    objective = models.ForeignKey(Objective, on_delete=models.PROTECT, related_name="progress")
    status = models.CharField(max_length=12, choices=Objective.Status.choices)
    note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["review", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "objective"],
                name="objective_progress_once_per_review",
                violation_error_message="Progress on this objective is already recorded.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}"


class PlanEvent(_AppendOnly):
    """Clinically meaningful moments of a plan, as explicit rows: created, signed, co-signed,
    acknowledged, revised, reviewed, status changed. The rows are the history, so they keep
    none of their own."""

    class Kind(models.TextChoices):
        CREATED = "created", "Created"
        SIGNED = "signed", "Signed"
        COSIGNED = "cosigned", "Co-signed"
        ACKNOWLEDGED = "acknowledged", "Acknowledged by the patient"
        REVISED = "revised", "Revision drafted"
        REVIEWED = "reviewed", "Reviewed"
        TRANSITIONED = "transitioned", "Status changed"

    id = models.BigAutoField(primary_key=True)
    plan = models.ForeignKey(TreatmentPlan, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    from_status = models.CharField(max_length=20, choices=TreatmentPlan.Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=TreatmentPlan.Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]

    def __str__(self) -> str:
        return self.get_kind_display()
