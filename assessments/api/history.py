"""Substance-use history API: list (by patient), create, retrieve, revise. No edits in place."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments import history_rules as rules
from assessments.api.intake_common import (
    IntakeModelSerializer,
    shared_choice_field,
    validated,
    visible_patient,
)
from assessments.models import (
    Allergy,
    CurrentMedication,
    KratomProductUse,
    OtherSubstanceUse,
    PriorTreatment,
    SubstanceHistory,
)
from assessments.services import history as services
from clinic.api.viewsets import ClinicReadOnlyViewSet

# --- Child rows (the same serializer reads input and writes output) -----------------------------


class ProductSerializer(IntakeModelSerializer):
    form = shared_choice_field(choices=rules.choices(rules.PRODUCT_FORMS))
    unit = shared_choice_field(
        choices=rules.choices(rules.UNITS),
        help_text="leaf_powder: g; capsules: count (with mg_per_unit); extract_shot: count "
        "(mg_per_unit optional); concentrated_7oh: mg or count; other: any.",
    )

    class Meta:
        model = KratomProductUse
        fields = [
            "id",
            "form",
            "form_other",
            "amount",
            "unit",
            "mg_per_unit",
            "capsule_contents",
            "doses_per_day",
            "years_of_use",
            "age_at_first_use",
            "last_use_at",
            "route",
            "route_other",
        ]
        read_only_fields = ["id"]


class OtherSubstanceSerializer(IntakeModelSerializer):
    class Meta:
        model = OtherSubstanceUse
        fields = ["id", "substance", "substance_other", "frequency", "last_use_on"]
        read_only_fields = ["id"]


class PriorTreatmentSerializer(IntakeModelSerializer):
    class Meta:
        model = PriorTreatment
        fields = [
            "id",
            "setting",
            "setting_other",
            "medication",
            "medication_other",
            "start_date",
            "end_date",
            "outcome",
        ]
        read_only_fields = ["id"]


class MedicationSerializer(IntakeModelSerializer):
    class Meta:
        model = CurrentMedication
        fields = ["id", "name", "dose", "qt_prolonging"]
        read_only_fields = ["id"]


class AllergySerializer(IntakeModelSerializer):
    class Meta:
        model = Allergy
        fields = ["id", "substance", "reaction", "severity"]
        read_only_fields = ["id"]


# --- Derived values (output only) ---------------------------------------------------------------


class UnconvertedSerializer(serializers.Serializer):
    form = serializers.CharField()
    unit = serializers.CharField()
    amount_per_day = serializers.DecimalField(max_digits=12, decimal_places=2)
    mg_per_day = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    note = serializers.CharField()


class DerivedSerializer(serializers.Serializer):
    leaf_equivalent_g_per_day = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        allow_null=True,
        help_text="Leaf powder and leaf-powder capsules only; null when neither is used.",
    )
    unconverted = UnconvertedSerializer(
        many=True, help_text="Extracts, shots, 7-OH and other products, in their own units."
    )
    daily_use = serializers.BooleanField()
    seven_oh_use = serializers.BooleanField()
    opioid_co_use = serializers.BooleanField()
    qt_prolonging_medication = serializers.BooleanField()


# --- The record -----------------------------------------------------------------------------------

_MULTI = {
    "reasons_for_use": rules.REASONS_FOR_USE,
    "withdrawal_symptoms": rules.WITHDRAWAL_SYMPTOMS,
    "psychiatric_conditions": rules.PSYCHIATRIC_CONDITIONS,
}
RECORD_FIELDS = [
    "reasons_for_use",
    "reasons_for_use_other",
    "withdrawal_symptoms",
    "withdrawal_symptoms_other",
    "withdrawal_seizures",
    "withdrawal_hospitalised",
    "liver_disease",
    "hypertension",
    "seizure_disorder",
    "cardiac_arrhythmia",
    "qt_prolonging_medications",
    "pregnancy_status",
    "pregnancy_weeks",
    "psychiatric_conditions",
    "psychiatric_conditions_other",
    "prior_suicide_attempt",
    "psychiatric_hospitalisation",
    "current_mental_health_care",
    "psychiatric_notes",
    "employment",
    "housing",
    "relationship",
    "legal",
    "goal",
    "goal_in_own_words",
]
CHILD_FIELDS = ["products", "other_substances", "prior_treatments", "medications", "allergies"]


def _multi_choice(codes) -> serializers.ListField:
    return serializers.ListField(
        child=shared_choice_field(choices=rules.choices(codes)), required=False, default=list
    )


class SubstanceHistoryRevisionSerializer(IntakeModelSerializer):
    """Input of a revision: the whole intake with its rows."""

    reasons_for_use = _multi_choice(rules.REASONS_FOR_USE)
    withdrawal_symptoms = _multi_choice(rules.WITHDRAWAL_SYMPTOMS)
    psychiatric_conditions = _multi_choice(rules.PSYCHIATRIC_CONDITIONS)
    products = ProductSerializer(many=True, required=False, default=list)
    other_substances = OtherSubstanceSerializer(many=True, required=False, default=list)
    prior_treatments = PriorTreatmentSerializer(many=True, required=False, default=list)
    medications = MedicationSerializer(many=True, required=False, default=list)
    allergies = AllergySerializer(many=True, required=False, default=list)

    class Meta:
        model = SubstanceHistory
        fields = RECORD_FIELDS + CHILD_FIELDS


class SubstanceHistoryCreateSerializer(SubstanceHistoryRevisionSerializer):
    patient = serializers.UUIDField()

    class Meta(SubstanceHistoryRevisionSerializer.Meta):
        fields = ["patient", *SubstanceHistoryRevisionSerializer.Meta.fields]


class SubstanceHistorySerializer(SubstanceHistoryRevisionSerializer):
    """Output: the record, its rows, and the values derived from them."""

    patient = serializers.UUIDField(source="patient_id", read_only=True)
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    supersedes = serializers.UUIDField(source="supersedes_id", read_only=True, allow_null=True)
    derived = serializers.SerializerMethodField()

    class Meta(SubstanceHistoryRevisionSerializer.Meta):
        fields = [
            "id",
            "patient",
            "revision",
            "is_current",
            "supersedes",
            "superseded_at",
            "recorded_by",
            "recorded_at",
            *SubstanceHistoryRevisionSerializer.Meta.fields,
            "derived",
        ]
        read_only_fields = fields

    @extend_schema_field(DerivedSerializer)
    def get_derived(self, obj: SubstanceHistory) -> dict:
        return DerivedSerializer(obj.derived()).data


def _service_data(values: dict) -> dict:
    return {k: (list(v) if k in _MULTI else v) for k, v in values.items()}


class SubstanceHistoryViewSet(ClinicReadOnlyViewSet):
    """Kratom intake histories. Each save is a revision; the previous one is kept, superseded."""

    record_type = "substance_history"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = SubstanceHistory.objects.with_rows()
    serializer_class = SubstanceHistorySerializer
    filterset_fields = ["patient", "is_current"]
    ordering_fields = ["recorded_at", "revision"]
    ordering = ["-recorded_at", "-revision"]
    lookup_value_regex = "[0-9a-f-]{36}"
    action_permissions = {"revise": "add"}
    http_method_names = ["get", "post", "head", "options"]

    @extend_schema(
        request=SubstanceHistoryCreateSerializer, responses={201: SubstanceHistorySerializer}
    )
    def create(self, request, *args, **kwargs):
        """Record an intake; it supersedes the patient's current one, if any."""
        values = validated(SubstanceHistoryCreateSerializer, request.data)
        patient = visible_patient(self, values.pop("patient"))
        record = services.substance_history_record(
            patient=patient, user=request.user, data=_service_data(values)
        )
        return self._created(record)

    @extend_schema(
        request=SubstanceHistoryRevisionSerializer, responses={201: SubstanceHistorySerializer}
    )
    @action(detail=True, methods=["post"])
    def revise(self, request, pk=None):
        """A new revision of this (current) history; 409 when it was superseded meanwhile."""
        history = self.get_object()
        values = validated(SubstanceHistoryRevisionSerializer, request.data)
        record = services.substance_history_revise(
            history=history, user=request.user, data=_service_data(values)
        )
        return self._created(record)

    def _created(self, record):
        record = SubstanceHistory.objects.with_rows().get(pk=record.pk)
        return Response(self.get_serializer(record).data, status=status.HTTP_201_CREATED)
