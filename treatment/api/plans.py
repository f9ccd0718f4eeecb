"""Treatment plans over the API.

`/treatment-plans/`: list (filters), create a draft, retrieve with every part nested, partial
update of a draft, and the clinical actions (from-recommendations, sign, cosign, acknowledge,
revise, review, transition), each calling one service.

The parts of a draft are flat resources (`/plan-problems/`, `/plan-goals/`, `/plan-objectives/`,
`/plan-interventions/`), each created against its parent's id and filtered by `plan`: one URL
shape for every part, the same as the patient record's parts. Removing a part from a draft is
`POST …/{id}/archive/`. Every write to a signed plan answers 409.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import django_filters
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from assessments.recommendations import Reason, Recommendation
from clinic.api.viewsets import ClinicReadOnlyViewSet
from clinic.errors import PreconditionFailed
from patients.models import Episode
from treatment import plan_policy
from treatment.api.plan_serializers import (
    AcknowledgeIn,
    ArchivePartIn,
    FromRecommendationsIn,
    GoalSerializer,
    InterventionSerializer,
    ObjectiveSerializer,
    PlanCreateIn,
    PlanListOut,
    PlanOut,
    PlanUpdateIn,
    ProblemSerializer,
    ReviewIn,
    ReviewOut,
    ReviseIn,
    TransitionIn,
)
from treatment.models import Goal, Intervention, Objective, Problem, TreatmentPlan
from treatment.selectors.plan import with_plan_parts
from treatment.services import plan as services

CONFLICT = OpenApiResponse(description="The plan's state forbids it (problem details).")
FORBIDDEN = OpenApiResponse(description="Your role, or this plan's rules, do not allow it.")


def plan_etag(plan: TreatmentPlan) -> str:
    """A validator over the plan and its current parts (prefetched), so If-Match catches a change
    to any part of a draft, not only to the plan row."""
    stamps = [f"{plan.pk}:{plan.updated_at.isoformat()}"]
    for problem in plan.problems.all():
        stamps.append(f"{problem.pk}:{problem.updated_at.isoformat()}")
        for goal in problem.goals.all():
            stamps.append(f"{goal.pk}:{goal.updated_at.isoformat()}")
            stamps.extend(f"{o.pk}:{o.updated_at.isoformat()}" for o in goal.objectives.all())
    stamps.extend(f"{i.pk}:{i.updated_at.isoformat()}" for i in plan.interventions.all())
    return '"' + hashlib.sha256("|".join(stamps).encode()).hexdigest()[:32] + '"'


class PlanFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    episode = django_filters.NumberFilter(field_name="episode_id")
    status = django_filters.MultipleChoiceFilter(choices=TreatmentPlan.Status.choices)
    review_overdue = django_filters.BooleanFilter(
        method="filter_review_overdue",
        help_text="true: plans in force whose review date has passed; false: all others.",
    )
    review_due_within = django_filters.NumberFilter(
        method="filter_review_due_within",
        min_value=0,
        max_value=366,
        help_text="Plans in force whose review is due within this many days (overdue included).",
    )

    class Meta:
        model = TreatmentPlan
        fields = ["patient", "episode", "status", "review_overdue", "review_due_within"]

    def filter_review_overdue(self, queryset, name, value):
        overdue = {
            "status__in": plan_policy.IN_FORCE,
            "next_review_due__lt": timezone.localdate(),
        }
        return queryset.filter(**overdue) if value else queryset.exclude(**overdue)

    def filter_review_due_within(self, queryset, name, value):
        limit = timezone.localdate() + dt.timedelta(days=int(value))
        return queryset.filter(status__in=plan_policy.IN_FORCE, next_review_due__lte=limit)


class TreatmentPlanViewSet(ClinicReadOnlyViewSet):
    """Treatment plans of patients at the caller's sites. DELETE is not offered: discontinue."""

    record_type = "treatment_plan"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = TreatmentPlan.objects.select_related("patient")
    filterset_class = PlanFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    ordering_fields = ["start_date", "next_review_due", "created_at", "status", "revision"]
    ordering = ["-start_date", "-revision", "id"]
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {
        "from_recommendations": "add",
        "revise": "add",
        "sign": "change",
        "cosign": "change",
        "acknowledge": "change",
        "review": "change",
        "transition": "change",
    }

    def get_serializer_class(self):
        return PlanListOut if self.action == "list" else PlanOut

    def get_queryset(self):
        qs = super().get_queryset()
        return with_plan_parts(qs) if self.action == "retrieve" else qs

    def _respond(self, plan_id, status_code=status.HTTP_200_OK):
        plan = with_plan_parts(TreatmentPlan.objects.filter(pk=plan_id)).get()
        response = Response(
            PlanOut(plan, context=self.get_serializer_context()).data, status=status_code
        )
        response["ETag"] = plan_etag(plan)
        return response

    def _check_if_match(self, plan) -> None:
        expected = self.request.headers.get("If-Match")
        if not expected or expected.strip() == "*":
            return
        current = plan_etag(with_plan_parts(TreatmentPlan.objects.filter(pk=plan.pk)).get())
        if expected.strip() != current:
            raise PreconditionFailed(
                "The plan changed since you read it. Fetch it again and re-apply your change.",
                extra={"current_etag": current},
            )

    @staticmethod
    def _episode(patient, episode_id):
        if episode_id is None:
            return None
        episode = Episode.objects.filter(pk=episode_id, patient=patient).first()
        if episode is None:
            raise ValidationError({"episode": ["Choose an episode of this patient."]})
        return episode

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = plan_etag(self._retrieved)
        return response

    def get_object(self):
        self._retrieved = super().get_object()
        return self._retrieved

    @extend_schema(request=PlanCreateIn, responses={201: PlanOut, 409: CONFLICT})
    def create(self, request, *args, **kwargs):
        """Start an empty draft plan (one draft per patient at a time)."""
        body = PlanCreateIn(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        patient = values.pop("patient")
        plan = services.plan_create(
            patient=patient,
            user=request.user,
            episode=self._episode(patient, values.pop("episode", None)),
            **values,
        )
        return self._respond(plan.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=PlanUpdateIn,
        responses={200: PlanOut, 409: CONFLICT, 412: OpenApiResponse()},
        description="Change a draft's level of care, start date or episode. Send If-Match with "
        "the ETag you read (412 when stale).",
    )
    def partial_update(self, request, *args, **kwargs):
        plan = self.get_object()
        self._check_if_match(plan)
        body = PlanUpdateIn(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        if "episode" in values:
            values["episode"] = self._episode(plan.patient, values["episode"])
        plan = services.plan_update(plan=plan, user=request.user, **values)
        return self._respond(plan.pk)

    @extend_schema(request=FromRecommendationsIn, responses={201: PlanOut, 409: CONFLICT})
    @action(detail=False, methods=["post"], url_path="from-recommendations")
    def from_recommendations(self, request):
        """Start a draft from the intake's recommendations: one intervention per recommended type
        with default frequency and duration, and a placeholder problem to complete."""
        body = FromRecommendationsIn(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        recommendations = [
            Recommendation(
                intervention_type=item["intervention_type"],
                priority=item["priority"],
                reasons=tuple(
                    Reason(r["rule_id"], r.get("suggestion", ""), r.get("rationale", ""))
                    for r in item["reasons"]
                ),
            )
            for item in data["recommendations"]
        ]
        plan = services.plan_create_from_recommendations(
            patient=data["patient"],
            recommendations=recommendations,
            user=request.user,
            level_of_care=data.get("level_of_care"),
            start_date=data.get("start_date"),
        )
        return self._respond(plan.pk, status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={200: PlanOut, 403: FORBIDDEN, 409: CONFLICT, 412: OpenApiResponse()},
        description="The clinician's signature. 400 names every missing part of the draft; the "
        "plan is locked once signed and active unless a co-signature is required.",
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        plan = self.get_object()
        self._check_if_match(plan)
        services.plan_sign(plan=plan, user=request.user)
        return self._respond(plan.pk)

    @extend_schema(request=None, responses={200: PlanOut, 403: FORBIDDEN, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def cosign(self, request, pk=None):
        """A supervisor's co-signature, where the clinic requires one."""
        plan = self.get_object()
        services.plan_cosign(plan=plan, user=request.user)
        return self._respond(plan.pk)

    @extend_schema(request=AcknowledgeIn, responses={200: PlanOut, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        """Record the patient's acknowledgement of the signed plan (or that they declined)."""
        plan = self.get_object()
        body = AcknowledgeIn(data=request.data)
        body.is_valid(raise_exception=True)
        services.plan_acknowledge(plan=plan, user=request.user, **body.validated_data)
        return self._respond(plan.pk)

    @extend_schema(request=ReviseIn, responses={201: PlanOut, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """Draft the next revision of a plan in force; answers the new draft."""
        plan = self.get_object()
        body = ReviseIn(data=request.data)
        body.is_valid(raise_exception=True)
        new = services.plan_revise(plan=plan, user=request.user, **body.validated_data)
        return self._respond(new.pk, status.HTTP_201_CREATED)

    @extend_schema(request=ReviewIn, responses={201: ReviewOut, 403: FORBIDDEN, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """Record a review: progress on every objective and the next due date."""
        plan = self.get_object()
        body = ReviewIn(data=request.data)
        body.is_valid(raise_exception=True)
        review = services.plan_review(plan=plan, user=request.user, **body.validated_data)
        return Response(ReviewOut(review).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=TransitionIn, responses={200: PlanOut, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the plan along its status table; 409 lists the allowed moves."""
        plan = self.get_object()
        body = TransitionIn(data=request.data)
        body.is_valid(raise_exception=True)
        services.plan_transition(plan=plan, user=request.user, **body.validated_data)
        return self._respond(plan.pk)


# --- Parts of a draft ----------------------------------------------------------------------------


class _PlanPartViewSet(ClinicReadOnlyViewSet):
    """Create, list, retrieve, partial update and archive (remove from the draft) of one kind of
    plan part. The parent (plan, problem or goal) is set on create and never moves."""

    record_type = "treatment_plan"
    site_path = "plan__patient__site"
    patient_path = "plan__patient_id"
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {"archive": "change"}
    parent_field = "plan"
    add_service = None
    update_service = None
    instance_kwarg = ""

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("archived") != "true":
            qs = qs.filter(archived_at__isnull=True)
        return qs

    def create(self, request, *args, **kwargs):
        body = self.get_serializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        parent = values.pop(self.parent_field)
        obj = type(self).add_service(**{self.parent_field: parent}, user=request.user, **values)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        body = self.get_serializer(obj, data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        parent = values.pop(self.parent_field, None)
        if parent is not None and parent.pk != getattr(obj, f"{self.parent_field}_id"):
            raise ValidationError({self.parent_field: ["A part cannot be moved; add a new one."]})
        obj = type(self).update_service(**{self.instance_kwarg: obj}, user=request.user, **values)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=ArchivePartIn)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        """Remove this part from a draft (archived with everything under it, never deleted)."""
        obj = self.get_object()
        body = ArchivePartIn(data=request.data)
        body.is_valid(raise_exception=True)
        obj = services.plan_part_archive(
            part=obj, user=request.user, reason=body.validated_data.get("reason", "")
        )
        return Response(self.get_serializer(obj).data)


class ProblemViewSet(_PlanPartViewSet):
    queryset = Problem.objects.select_related("plan__patient")
    serializer_class = ProblemSerializer
    filterset_fields = ["plan"]
    add_service = staticmethod(services.problem_add)
    update_service = staticmethod(services.problem_update)
    instance_kwarg = "problem"


class GoalViewSet(_PlanPartViewSet):
    queryset = Goal.objects.select_related("plan__patient")
    serializer_class = GoalSerializer
    filterset_fields = ["plan", "problem"]
    parent_field = "problem"
    add_service = staticmethod(services.goal_add)
    update_service = staticmethod(services.goal_update)
    instance_kwarg = "goal"


class ObjectiveViewSet(_PlanPartViewSet):
    queryset = Objective.objects.select_related("plan__patient")
    serializer_class = ObjectiveSerializer
    filterset_fields = ["plan", "goal", "status"]
    parent_field = "goal"
    add_service = staticmethod(services.objective_add)
    update_service = staticmethod(services.objective_update)
    instance_kwarg = "objective"


class InterventionViewSet(_PlanPartViewSet):
    queryset = Intervention.objects.select_related("plan__patient").prefetch_related("objectives")
    serializer_class = InterventionSerializer
    filterset_fields = ["plan", "intervention_type", "responsible_staff"]
    add_service = staticmethod(services.intervention_add)
    update_service = staticmethod(services.intervention_update)
    instance_kwarg = "intervention"
