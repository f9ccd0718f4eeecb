"""Diagnosis API: a stateless suggestion from the DSM-5 checklist, and the problem list."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from assessments import diagnosis as rules
from assessments.api.intake_common import (
    IntakeModelSerializer,
    shared_choice_field,
    validated,
    visible_patient,
)
from assessments.models import Diagnosis, DiagnosisStatus
from assessments.models.diagnosis import REMISSIONS, SEVERITIES, WITHDRAWALS
from assessments.services import diagnosis as services
from clinic.api.viewsets import ClinicReadOnlyViewSet
from patients.models import Patient

# --- Suggestion ----------------------------------------------------------------------------------


class ChecklistSerializer(serializers.Serializer):
    """The DSM-5 checklist answers the suggestion is computed from."""

    criteria_met = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=11),
        allow_empty=True,
        help_text="Criterion numbers 1-11 met within one 12-month period.",
    )
    months_since_last_met = serializers.IntegerField(
        min_value=0,
        max_value=1200,
        required=False,
        allow_null=True,
        default=None,
        help_text="Whole months since a criterion other than craving was last met; "
        "null when one is met now.",
    )
    withdrawal = shared_choice_field(choices=WITHDRAWALS, default="none")
    substance = serializers.CharField(max_length=rules.SUBSTANCE_MAX_LENGTH, default="kratom")
    controlled_environment = serializers.BooleanField(default=False)
    on_maintenance = serializers.BooleanField(default=False)


class SuggestionSerializer(serializers.Serializer):
    criteria_count = serializers.IntegerField()
    criteria = serializers.ListField(child=serializers.IntegerField())
    severity = serializers.CharField()
    remission = serializers.CharField()
    withdrawal = serializers.CharField()
    specifiers = serializers.ListField(child=serializers.CharField())
    substance = serializers.CharField()
    icd10_code = serializers.CharField(allow_null=True)
    icd10_title = serializers.CharField(allow_null=True)
    display = serializers.CharField()
    code_set_year = serializers.IntegerField()


def suggestion_data(suggestion: rules.DiagnosisSuggestion) -> dict:
    return SuggestionSerializer(
        {**suggestion.__dict__, "criteria": sorted(suggestion.criteria)}
    ).data


class DiagnosisSuggestionView(generics.GenericAPIView):
    """Suggest severity, remission and ICD-10-CM code for a patient; nothing is stored.

    Needs the right to add diagnoses: the suggestion is the first step of confirming one.
    """

    record_type = "diagnosis"
    serializer_class = ChecklistSerializer

    @extend_schema(request=ChecklistSerializer, responses={200: SuggestionSerializer})
    def post(self, request, patient_id):
        auth = getattr(request, "auth", None)
        token = auth if hasattr(auth, "prefix") else None
        if not Patient.objects.visible_to(request.user, token=token).filter(pk=patient_id).exists():
            raise Http404
        values = validated(ChecklistSerializer, request.data)
        suggestion = services.diagnosis_suggest(**values)
        return Response(suggestion_data(suggestion))


# --- Problem list ------------------------------------------------------------------------------


class DiagnosisSerializer(IntakeModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    confirmed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    status_changed_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Diagnosis
        fields = [
            "id",
            "patient",
            "substance",
            "icd10_code",
            "display",
            "severity",
            "remission",
            "withdrawal",
            "specifiers",
            "onset_date",
            "status",
            "status_reason",
            "status_changed_at",
            "status_changed_by",
            "suggested_code",
            "suggested_display",
            "code_changed",
            "change_reason",
            "code_set_year",
            "criteria_met",
            "months_since_last_met",
            "controlled_environment",
            "on_maintenance",
            "confirmed_by",
            "confirmed_at",
        ]
        read_only_fields = fields


class DiagnosisConfirmSerializer(ChecklistSerializer):
    patient = serializers.UUIDField()
    icd10_code = serializers.CharField(
        max_length=10,
        required=False,
        allow_blank=True,
        help_text="Leave out to confirm the suggested code; another code needs change_reason.",
    )
    severity = shared_choice_field(choices=SEVERITIES, required=False)
    remission = shared_choice_field(choices=REMISSIONS, required=False)
    confirmed_withdrawal = shared_choice_field(choices=WITHDRAWALS, required=False)
    display = serializers.CharField(max_length=300, required=False, allow_blank=True)
    change_reason = serializers.CharField(max_length=500, required=False, allow_blank=True)
    onset_date = serializers.DateField(required=False, allow_null=True)
    replaces = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="The open diagnosis for the same substance that this one replaces.",
    )


class DiagnosisStatusSerializer(serializers.Serializer):
    status = shared_choice_field(choices=DiagnosisStatus.choices)
    status_reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class DiagnosisHistorySerializer(serializers.Serializer):
    history_date = serializers.DateTimeField()
    history_type = serializers.CharField(help_text="+ created, ~ changed")
    history_user = serializers.CharField(source="history_user.username", allow_null=True)
    history_change_reason = serializers.CharField(allow_null=True)
    status = serializers.CharField()
    status_reason = serializers.CharField()


class DiagnosisViewSet(ClinicReadOnlyViewSet):
    """The problem list. Entries are confirmed, then only their status changes (PATCH)."""

    record_type = "diagnosis"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = Diagnosis.objects.select_related("patient", "confirmed_by", "status_changed_by")
    serializer_class = DiagnosisSerializer
    filterset_fields = ["patient", "status", "icd10_code"]
    ordering_fields = ["confirmed_at", "status"]
    ordering = ["-confirmed_at"]
    lookup_value_regex = "[0-9a-f-]{36}"
    http_method_names = ["get", "post", "patch", "head", "options"]
    action_permissions = {"history": "view"}

    @extend_schema(request=DiagnosisConfirmSerializer, responses={201: DiagnosisSerializer})
    def create(self, request, *args, **kwargs):
        """Confirm a diagnosis: the suggested code, or another one with a reason."""
        values = validated(DiagnosisConfirmSerializer, request.data)
        patient = visible_patient(self, values.pop("patient"))
        replaces_id = values.pop("replaces", None)
        replaces = None
        if replaces_id is not None:
            replaces = Diagnosis.objects.filter(pk=replaces_id, patient=patient).first()
            if replaces is None:
                raise ValidationError({"replaces": ["Not a diagnosis of this patient."]})
        entry = services.diagnosis_confirm(
            patient=patient, user=request.user, replaces=replaces, **values
        )
        return Response(DiagnosisSerializer(entry).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DiagnosisStatusSerializer, responses={200: DiagnosisSerializer})
    def partial_update(self, request, *args, **kwargs):
        """Change the status (active, in remission, resolved, ruled out) with a reason."""
        entry = self.get_object()
        fixed = sorted(set(request.data) - set(DiagnosisStatusSerializer().fields))
        if fixed:
            raise ValidationError(
                {f: ["Cannot be changed: confirm a new diagnosis instead."] for f in fixed}
            )
        values = validated(DiagnosisStatusSerializer, request.data)
        entry = services.diagnosis_update_status(
            diagnosis=entry,
            user=request.user,
            status=values["status"],
            reason=values.get("status_reason", ""),
        )
        return Response(DiagnosisSerializer(entry).data)

    @extend_schema(responses={200: DiagnosisHistorySerializer(many=True)})
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """Every version of the entry with who changed it and why (a read, so audited)."""
        entry = self.get_object()
        self.audit([entry])
        rows = entry.history.select_related("history_user").order_by("history_date")
        return Response(DiagnosisHistorySerializer(rows, many=True).data)
