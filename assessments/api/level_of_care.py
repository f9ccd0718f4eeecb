"""ASAM level-of-care API: list, record (replaces the current one), retrieve; editions for forms.

Determinations are immutable: there is no update. Ratings are shown one by one and never
averaged; ``highest_risk_dimensions`` is a display aid, not a placement.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments import asam
from assessments.api.intake_common import (
    IntakeModelSerializer,
    shared_choice_field,
    validated,
    visible_patient,
)
from assessments.models import DimensionRating, LevelOfCareDetermination
from assessments.models.level_of_care import DIFFERENCE_REASONS, EDITIONS
from assessments.services import level_of_care as services
from clinic.api.viewsets import ClinicReadOnlyViewSet


class RatingInputSerializer(serializers.Serializer):
    dimension = shared_choice_field(choices=[f"d{n}" for n in range(1, 7)])
    rating = serializers.IntegerField(min_value=asam.RATING_MIN, max_value=asam.RATING_MAX)
    rationale = serializers.CharField(max_length=2000)


class LevelOfCareCreateSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    edition = shared_choice_field(choices=EDITIONS)
    ratings = RatingInputSerializer(many=True, help_text="One row per dimension, d1 to d6.")
    indicated_level = serializers.CharField(
        max_length=8, help_text="A level code of the edition (see /level-of-care/editions/)."
    )
    provided_level = serializers.CharField(
        max_length=8, required=False, allow_blank=True, default=""
    )
    difference_reason = shared_choice_field(
        choices=DIFFERENCE_REASONS, required=False, allow_blank=True, default=""
    )
    difference_note = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )
    assessed_on = serializers.DateField(required=False)
    assessor = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.filter(is_active=True),
        required=False,
        help_text="User id of the assessor; defaults to the caller.",
    )


class RatingSerializer(IntakeModelSerializer):
    dimension_name = serializers.SerializerMethodField()

    class Meta:
        model = DimensionRating
        fields = ["dimension", "dimension_name", "rating", "rationale"]

    def get_dimension_name(self, obj: DimensionRating) -> str:
        edition = self.context.get("edition") or obj.determination.edition
        names = {d.code: d.name for d in asam.dimensions(edition)}
        return names.get(obj.dimension, "")


class LevelOfCareSerializer(IntakeModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    assessor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    replaces = serializers.UUIDField(source="replaces_id", read_only=True, allow_null=True)
    indicated_level_name = serializers.SerializerMethodField()
    provided_level_name = serializers.SerializerMethodField()
    ratings = serializers.SerializerMethodField()
    highest_risk_dimensions = serializers.SerializerMethodField(
        help_text="Dimensions sharing the highest rating: a display aid, not a placement."
    )

    class Meta:
        model = LevelOfCareDetermination
        fields = [
            "id",
            "patient",
            "edition",
            "ratings",
            "highest_risk_dimensions",
            "indicated_level",
            "indicated_level_name",
            "provided_level",
            "provided_level_name",
            "difference_reason",
            "difference_note",
            "assessor",
            "assessed_on",
            "is_current",
            "replaces",
            "replaced_at",
            "recorded_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_indicated_level_name(self, obj) -> str:
        return obj.level_name(obj.indicated_level)

    def get_provided_level_name(self, obj) -> str:
        return obj.level_name(obj.provided_level) if obj.provided_level else ""

    @extend_schema_field(RatingSerializer(many=True))
    def get_ratings(self, obj):
        return RatingSerializer(obj.ratings.all(), many=True, context={"edition": obj.edition}).data

    def get_highest_risk_dimensions(self, obj) -> list[str]:
        return list(
            asam.highest_risk_dimensions({r.dimension: r.rating for r in obj.ratings.all()})
        )


class DimensionSerializer(serializers.Serializer):
    code = serializers.CharField()
    number = serializers.IntegerField()
    name = serializers.CharField()


class LevelSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    hours_per_week = serializers.CharField(allow_null=True)
    withdrawal_management = serializers.BooleanField()


class EditionSerializer(serializers.Serializer):
    edition = serializers.CharField()
    title = serializers.CharField()
    dimensions = DimensionSerializer(many=True)
    levels = LevelSerializer(many=True)
    rating_min = serializers.IntegerField()
    rating_max = serializers.IntegerField()
    difference_reasons = serializers.ListField(child=serializers.CharField())


class LevelOfCareViewSet(ClinicReadOnlyViewSet):
    """ASAM determinations. Each new one replaces the patient's current one; none is edited."""

    record_type = "level_of_care"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = LevelOfCareDetermination.objects.with_rows()
    serializer_class = LevelOfCareSerializer
    filterset_fields = ["patient", "is_current", "edition"]
    ordering_fields = ["assessed_on", "created_at"]
    ordering = ["-assessed_on", "-created_at"]
    lookup_value_regex = "[0-9a-f-]{36}"
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"editions": "view"}

    @extend_schema(request=LevelOfCareCreateSerializer, responses={201: LevelOfCareSerializer})
    def create(self, request, *args, **kwargs):
        """Record a determination (six ratings with rationale); it replaces the current one."""
        values = validated(LevelOfCareCreateSerializer, request.data)
        patient = visible_patient(self, values.pop("patient"))
        values["ratings"] = [dict(r) for r in values["ratings"]]
        determination = services.level_of_care_record(patient=patient, user=request.user, **values)
        determination = LevelOfCareDetermination.objects.with_rows().get(pk=determination.pk)
        return Response(LevelOfCareSerializer(determination).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={200: EditionSerializer(many=True)}, filters=False)
    @action(detail=False, methods=["get"], pagination_class=None, filterset_fields=[])
    def editions(self, request):
        """Dimensions and levels of each ASAM edition, for building forms (no patient data)."""
        titles = dict(EDITIONS)
        data = [
            {
                "edition": edition,
                "title": titles[edition],
                "dimensions": [d.__dict__ for d in asam.dimensions(edition)],
                "levels": [lv.__dict__ for lv in asam.levels(edition)],
                "rating_min": asam.RATING_MIN,
                "rating_max": asam.RATING_MAX,
                "difference_reasons": list(asam.DIFFERENCE_REASONS),
            }
            for edition in asam.EDITIONS
        ]
        return Response(EditionSerializer(data, many=True).data)
