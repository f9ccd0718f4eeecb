"""Assessments: submit and list per patient, retrieve and correct by id. No update, no delete.

`POST /patients/{patient_id}/assessments/` scores, stores and raises alerts in one transaction;
`GET` on the same path lists a patient's series (`?instrument=cows&ordering=administered_at` for
a trend). `GET /assessments/{id}/` retrieves one; `POST /assessments/{id}/supersede/` corrects it.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import F
from django.http import Http404
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments.api.alerts import AlertSummarySerializer
from assessments.api.offered_methods import OfferedMethodsFirstMixin
from assessments.models import Assessment
from assessments.services import assessment as services
from assessments.services.alert import ASSESSMENT_SOURCE, alerts_by_source
from clinic import access
from clinic.api.viewsets import AuditedListMixin, AuditedRetrieveMixin, ClinicGenericViewSet
from patients.models import Patient

# --- Serializers ---------------------------------------------------------------------------------


class AssessmentSerializer(serializers.ModelSerializer):
    instrument = serializers.CharField(source="instrument_code")
    administered_by = serializers.SerializerMethodField()
    flags = serializers.SerializerMethodField()
    superseded_by = serializers.SerializerMethodField()
    alerts = serializers.SerializerMethodField(
        help_text="Alerts raised from this assessment; present only for roles that may view alerts."
    )

    class Meta:
        model = Assessment
        fields = [
            "id",
            "patient",
            "instrument",
            "instrument_version",
            "setting",
            "administered_at",
            "administered_by",
            "recorded_by",
            "appointment_id",
            "answers",
            "context",
            "result",
            "total",
            "band",
            "flags",
            "supersedes",
            "supersede_reason",
            "superseded_by",
            "created_at",
            "archived_at",
            "alerts",
        ]
        read_only_fields = fields

    def get_administered_by(self, obj) -> dict:
        user = obj.administered_by
        try:
            name = user.staff_profile.display_name
        except ObjectDoesNotExist:  # no staff profile: an integration account
            name = user.get_username()
        return {"id": user.pk, "name": name}

    def get_flags(self, obj) -> list[dict]:
        return obj.flags

    def get_superseded_by(self, obj) -> str | None:
        """The correction that replaced this one (querysets annotate `superseded_by_pk`)."""
        pk = getattr(obj, "superseded_by_pk", None)
        return str(pk) if pk else None

    def get_alerts(self, obj) -> list[dict] | None:
        alerts = self.context.get("alerts")
        if alerts is None:
            return None
        rows = getattr(obj, "alerts_raised", None)
        if rows is None:
            rows = alerts.get(str(obj.pk), [])
        return AlertSummarySerializer(rows, many=True).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if self.context.get("alerts") is None:
            data.pop("alerts")
        return data


class AssessmentCreateSerializer(serializers.Serializer):
    instrument = serializers.CharField(
        max_length=40, help_text="An instrument code from /instruments/, or cssrs_recorded."
    )
    answers = serializers.JSONField(
        help_text='Object keyed by item code, e.g. {"item_1": 2, ...}; for cssrs_recorded '
        '{"risk_level": "high"}.'
    )
    setting = serializers.ChoiceField(choices=Assessment.Setting.choices)
    administered_at = serializers.DateTimeField(
        required=False, help_text="When it was given (default: now). Not in the future."
    )
    appointment_id = serializers.UUIDField(required=False, allow_null=True)


class AssessmentSupersedeSerializer(serializers.Serializer):
    answers = serializers.JSONField(help_text="The corrected answers (the whole response).")
    reason = serializers.CharField(max_length=500, help_text="Why the original was wrong.")
    administered_at = serializers.DateTimeField(required=False)
    setting = serializers.ChoiceField(choices=Assessment.Setting.choices, required=False)


# --- Views ---------------------------------------------------------------------------------------


def _base_queryset():
    return Assessment.objects.select_related("patient", "administered_by__staff_profile").annotate(
        superseded_by_pk=F("superseded_by__id")
    )


class _AssessmentOutputMixin:
    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["alerts"] = None  # filled per response for roles that may view alerts
        return context

    def _may_view_alerts(self) -> bool:
        return access.can(self.request.user, "alert", "view", token=self.token)

    def get_serializer(self, *args, **kwargs):
        serializer_class = self.get_serializer_class()
        kwargs.setdefault("context", self.get_serializer_context())
        if self._may_view_alerts() and args:
            objects = args[0] if kwargs.get("many") else [args[0]]
            kwargs["context"]["alerts"] = alerts_by_source(
                ASSESSMENT_SOURCE, [o.pk for o in objects]
            )
        return serializer_class(*args, **kwargs)

    def _created(self, assessment) -> Response:
        """201 with the stored assessment and the alerts its submission raised (or found open)."""
        context = self.get_serializer_context()
        if self._may_view_alerts():
            context["alerts"] = {}
        fresh = _base_queryset().get(pk=assessment.pk)
        fresh.alerts_raised = assessment.alerts_raised
        return Response(
            AssessmentSerializer(fresh, context=context).data, status=status.HTTP_201_CREATED
        )


class AssessmentFilter(django_filters.FilterSet):
    instrument = django_filters.CharFilter(field_name="instrument_code")
    setting = django_filters.ChoiceFilter(choices=Assessment.Setting.choices)
    administered_after = django_filters.IsoDateTimeFilter(
        field_name="administered_at", lookup_expr="gte"
    )
    administered_before = django_filters.IsoDateTimeFilter(
        field_name="administered_at", lookup_expr="lte"
    )
    include_superseded = django_filters.BooleanFilter(
        method="filter_in_view",
        help_text="Also list assessments a correction replaced (default false).",
    )
    archived = django_filters.BooleanFilter(
        method="filter_in_view", help_text="Also list archived assessments (default false)."
    )

    class Meta:
        model = Assessment
        fields = ["instrument", "setting"]

    def filter_in_view(self, queryset, name, value):
        """Documented here, applied in the view: the default (false) must hold without it."""
        return queryset


@extend_schema_view(
    create=extend_schema(request=AssessmentCreateSerializer, responses={201: AssessmentSerializer})
)
class PatientAssessmentViewSet(
    OfferedMethodsFirstMixin, _AssessmentOutputMixin, AuditedListMixin, ClinicGenericViewSet
):
    """A patient's assessments. A patient outside the caller's sites answers 404."""

    record_type = "assessment"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = Assessment.objects.none()
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter
    ordering_fields = ["administered_at", "created_at", "total"]
    ordering = ["-administered_at", "-created_at"]
    search_fields: list = []

    def get_patient(self) -> Patient:
        patient = (
            Patient.objects.visible_to(self.request.user, token=self.token)
            .filter(pk=self.kwargs["patient_id"])
            .first()
        )
        if patient is None:
            raise Http404("No such patient.")
        return patient

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        patient = self.get_patient()
        qs = _base_queryset().filter(patient=patient)  # the patient lookup applied the scope
        params = self.request.query_params
        if params.get("include_superseded", "").lower() not in {"true", "1"}:
            qs = qs.current()
        if params.get("archived", "").lower() not in {"true", "1"}:
            qs = qs.active()  # archived: entered in error, e.g. for the wrong patient
        return qs

    def create(self, request, *args, **kwargs):
        patient = self.get_patient()
        body = AssessmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        assessment = services.assessment_submit(
            patient=patient,
            user=request.user,
            instrument_code=values.pop("instrument"),
            **values,
        )
        return self._created(assessment)


class AssessmentViewSet(
    OfferedMethodsFirstMixin, _AssessmentOutputMixin, AuditedRetrieveMixin, ClinicGenericViewSet
):
    """One assessment by id (superseded ones too), and its correction."""

    record_type = "assessment"
    site_path = "patient__site"
    patient_path = "patient_id"
    serializer_class = AssessmentSerializer
    action_permissions = {"supersede": "add"}

    def get_queryset(self):
        qs = _base_queryset()
        return access.scope_queryset(qs, self.request.user, self.site_path, token=self.token)

    @extend_schema(request=AssessmentSupersedeSerializer, responses={201: AssessmentSerializer})
    @action(detail=True, methods=["post"])
    def supersede(self, request, pk=None):
        """Correct an assessment: a new one with the corrected answers replaces it in lists."""
        original = self.get_object()
        body = AssessmentSupersedeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        assessment = services.assessment_supersede(
            assessment=original, user=request.user, **body.validated_data
        )
        return self._created(assessment)
