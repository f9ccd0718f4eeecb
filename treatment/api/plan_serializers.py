"""Treatment-plan serializers: nested output for a plan, flat input for its parts and actions.

Input serializers check shape only; every rule lives in treatment.services.plan.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic import access
from patients.api.common import VisiblePatientField
from treatment import plan_policy
from treatment.models import (
    INTERVENTION_TYPE_CHOICES,
    Goal,
    Intervention,
    Objective,
    ObjectiveProgress,
    PlanEvent,
    PlanReview,
    Problem,
    TreatmentPlan,
)
from treatment.services.plan import review_days, signing_errors

User = get_user_model()


def _token(request):
    return request.auth if hasattr(request.auth, "prefix") else None


class _ScopedField(serializers.PrimaryKeyRelatedField):
    """An id of a record the caller may see; anything else is 'Unknown …', revealing nothing."""

    model = None
    site_path = ""
    label_name = "record"

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {})
        message = f"Unknown {self.label_name}."
        kwargs["error_messages"].update({"does_not_exist": message, "incorrect_type": message})
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context["request"]
        qs = self.model.objects.all()
        if hasattr(self.model, "archived_at"):
            qs = qs.filter(archived_at__isnull=True)
        return access.scope_queryset(qs, request.user, self.site_path, token=_token(request))


class VisiblePlanField(_ScopedField):
    model = TreatmentPlan
    site_path = "patient__site"
    label_name = "plan"


class VisibleProblemField(_ScopedField):
    model = Problem
    site_path = "plan__patient__site"
    label_name = "problem"


class VisibleGoalField(_ScopedField):
    model = Goal
    site_path = "plan__patient__site"
    label_name = "goal"


class VisibleObjectiveField(_ScopedField):
    model = Objective
    site_path = "plan__patient__site"
    label_name = "objective"


# --- Output: a plan with its parts ---------------------------------------------------------------


class ObjectiveOut(serializers.ModelSerializer):
    class Meta:
        model = Objective
        fields = ["id", "goal", "description", "measure", "target_date", "status", "position"]
        read_only_fields = fields


class GoalOut(serializers.ModelSerializer):
    objectives = ObjectiveOut(many=True, read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "problem",
            "patient_words",
            "clinical_restatement",
            "position",
            "objectives",
        ]
        read_only_fields = fields


class ProblemOut(serializers.ModelSerializer):
    goals = GoalOut(many=True, read_only=True)

    class Meta:
        model = Problem
        fields = ["id", "description", "strengths", "diagnosis_id", "position", "goals"]
        read_only_fields = fields


class InterventionOut(serializers.ModelSerializer):
    objectives = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    frequency_display = serializers.CharField(read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "intervention_type",
            "description",
            "frequency_count",
            "frequency_period",
            "duration_weeks",
            "frequency_display",
            "responsible_staff",
            "objectives",
            "rationale",
            "recommendation_rule_ids",
            "position",
        ]
        read_only_fields = fields


class ProgressOut(serializers.ModelSerializer):
    class Meta:
        model = ObjectiveProgress
        fields = ["objective", "status", "note"]
        read_only_fields = fields


class ReviewOut(serializers.ModelSerializer):
    progress = ProgressOut(many=True, read_only=True)

    class Meta:
        model = PlanReview
        fields = [
            "id",
            "plan",
            "reviewed_on",
            "reviewer",
            "outcome",
            "summary",
            "next_review_due",
            "progress",
            "created_at",
        ]
        read_only_fields = fields


class EventOut(serializers.ModelSerializer):
    class Meta:
        model = PlanEvent
        fields = ["kind", "from_status", "to_status", "actor", "occurred_at", "note"]
        read_only_fields = fields


class PlanListOut(serializers.ModelSerializer):
    """The list says where each plan stands; the parts are in the detail."""

    patient = serializers.PrimaryKeyRelatedField(read_only=True)
    review_overdue = serializers.SerializerMethodField()

    class Meta:
        model = TreatmentPlan
        fields = [
            "id",
            "patient",
            "episode",
            "level_of_care",
            "status",
            "start_date",
            "next_review_due",
            "review_overdue",
            "revision",
            "supersedes",
            "signed_at",
            "cosign_required",
            "cosigned_at",
            "acknowledged_on",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_review_overdue(self, obj) -> bool:
        today = self.context.setdefault("today", timezone.localdate())
        return obj.review_overdue(today)


class PlanOut(PlanListOut):
    is_locked = serializers.BooleanField(read_only=True)
    awaiting_cosign = serializers.BooleanField(read_only=True)
    allowed_transitions = serializers.SerializerMethodField()
    review_interval_days = serializers.SerializerMethodField()
    superseded_by = serializers.SerializerMethodField()
    signing_blockers = serializers.SerializerMethodField()
    problems = ProblemOut(many=True, read_only=True)
    interventions = InterventionOut(many=True, read_only=True)
    reviews = ReviewOut(many=True, read_only=True)
    events = EventOut(many=True, read_only=True)

    class Meta(PlanListOut.Meta):
        fields = [
            *PlanListOut.Meta.fields,
            "is_locked",
            "awaiting_cosign",
            "allowed_transitions",
            "review_interval_days",
            "superseded_by",
            "created_by",
            "signed_by",
            "cosigned_by",
            "acknowledgement_method",
            "acknowledgement_note",
            "acknowledgement_recorded_by",
            "signing_blockers",
            "problems",
            "interventions",
            "reviews",
            "events",
        ]
        read_only_fields = fields

    def get_allowed_transitions(self, obj) -> list[str]:
        return plan_policy.manual_transitions(obj.status)

    def get_review_interval_days(self, obj) -> int:
        return review_days(obj.level_of_care)

    def get_superseded_by(self, obj) -> list[str]:
        return [str(r.pk) for r in obj.revisions.all()]

    @extend_schema_field(
        {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}
    )
    def get_signing_blockers(self, obj):
        """What an unsigned draft still lacks before signing (empty once signed)."""
        if obj.is_locked:
            return {}
        return signing_errors(obj, list(obj.problems.all()), list(obj.interventions.all()))


# --- Input: plans and actions --------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.UUID)
class PatientIdField(VisiblePatientField):
    """A patient at the caller's sites, by id."""


class PlanCreateIn(serializers.Serializer):
    patient = PatientIdField()
    level_of_care = serializers.CharField(max_length=10, help_text="ASAM level code, e.g. 1, 2.1.")
    start_date = serializers.DateField(required=False, help_text="Default: today.")
    episode = serializers.IntegerField(
        required=False, help_text="Episode id; default: the patient's current episode."
    )


class PlanUpdateIn(serializers.Serializer):
    level_of_care = serializers.CharField(max_length=10, required=False)
    start_date = serializers.DateField(required=False)
    episode = serializers.IntegerField(required=False)


class ReasonIn(serializers.Serializer):
    rule_id = serializers.CharField(max_length=60)
    suggestion = serializers.CharField(required=False, allow_blank=True, max_length=500)
    rationale = serializers.CharField(required=False, allow_blank=True, max_length=1000)


class RecommendationIn(serializers.Serializer):
    intervention_type = serializers.ChoiceField(choices=INTERVENTION_TYPE_CHOICES)
    priority = serializers.IntegerField(required=False, default=100, min_value=0, max_value=1000)
    reasons = ReasonIn(many=True, allow_empty=False, max_length=20)


class FromRecommendationsIn(serializers.Serializer):
    patient = PatientIdField()
    level_of_care = serializers.CharField(
        max_length=10, required=False, help_text="Default: setting TREATMENT_PLAN_DEFAULT_LEVEL."
    )
    start_date = serializers.DateField(required=False)
    recommendations = RecommendationIn(many=True, allow_empty=False, max_length=50)


class AcknowledgeIn(serializers.Serializer):
    method = serializers.ChoiceField(choices=TreatmentPlan.AcknowledgementMethod.choices)
    acknowledged_on = serializers.DateField(required=False, help_text="Default: today.")
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ReviseIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)
    start_date = serializers.DateField(required=False, help_text="Default: today.")


class ProgressIn(serializers.Serializer):
    objective = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Objective.Status.choices)
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000)


class ReviewIn(serializers.Serializer):
    reviewed_on = serializers.DateField(required=False, help_text="Default: today.")
    outcome = serializers.ChoiceField(
        choices=PlanReview.Outcome.choices, default=PlanReview.Outcome.CONTINUE
    )
    summary = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    next_review_due = serializers.DateField(
        required=False, help_text="Default: the review date plus the level of care's cadence."
    )
    progress = ProgressIn(many=True, allow_empty=False, max_length=200)


class TransitionIn(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=TreatmentPlan.Status.choices)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class ArchivePartIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


# --- Parts of a draft (flat resources) -----------------------------------------------------------


class ProblemSerializer(serializers.ModelSerializer):
    plan = VisiblePlanField()

    class Meta:
        model = Problem
        fields = [
            "id",
            "plan",
            "description",
            "strengths",
            "diagnosis_id",
            "position",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "archived_at"]
        extra_kwargs = {"position": {"required": False}}


class GoalSerializer(serializers.ModelSerializer):
    problem = VisibleProblemField()
    plan = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Goal
        fields = [
            "id",
            "plan",
            "problem",
            "patient_words",
            "clinical_restatement",
            "position",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = ["id", "plan", "created_at", "updated_at", "archived_at"]
        extra_kwargs = {"position": {"required": False}}


class ObjectiveSerializer(serializers.ModelSerializer):
    goal = VisibleGoalField()
    plan = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Objective
        fields = [
            "id",
            "plan",
            "goal",
            "description",
            "measure",
            "target_date",
            "status",
            "position",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = ["id", "plan", "created_at", "updated_at", "archived_at"]
        extra_kwargs = {"position": {"required": False}}


class InterventionSerializer(serializers.ModelSerializer):
    plan = VisiblePlanField()
    responsible_staff = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        error_messages={"does_not_exist": "Unknown staff member."},
    )
    objectives = VisibleObjectiveField(many=True, required=False)
    frequency_display = serializers.CharField(read_only=True)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "plan",
            "intervention_type",
            "description",
            "frequency_count",
            "frequency_period",
            "duration_weeks",
            "frequency_display",
            "responsible_staff",
            "objectives",
            "rationale",
            "recommendation_rule_ids",
            "position",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = [
            "id",
            "frequency_display",
            "rationale",
            "recommendation_rule_ids",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        extra_kwargs = {
            "position": {"required": False},
            "frequency_count": {"required": False},
            "frequency_period": {"required": False},
            "duration_weeks": {"required": False},
        }
