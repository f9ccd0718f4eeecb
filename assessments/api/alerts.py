"""Clinical alerts: list (open, suicide-risk and critical first), retrieve, acknowledge, resolve."""

from __future__ import annotations

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from assessments.api.offered_methods import OfferedMethodsFirstMixin
from assessments.models import Alert
from assessments.services import alert as services
from clinic.api.viewsets import ClinicReadOnlyViewSet


class AlertSummarySerializer(serializers.ModelSerializer):
    """An alert as shown next to the record that raised it."""

    class Meta:
        model = Alert
        fields = ["id", "code", "kind", "severity", "status", "requires_clinician_ack", "text"]
        read_only_fields = fields


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "code",
            "kind",
            "severity",
            "text",
            "source_type",
            "source_id",
            "requires_clinician_ack",
            "status",
            "raised_by",
            "created_at",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledge_note",
            "resolved_by",
            "resolved_at",
            "resolve_note",
        ]
        read_only_fields = fields


class AlertNoteSerializer(serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=services.NOTE_MAX_LENGTH,
        help_text="What was done. Optional to acknowledge, required to resolve.",
    )


class AlertFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    status = django_filters.MultipleChoiceFilter(choices=Alert.Status.choices)
    severity = django_filters.MultipleChoiceFilter(choices=Alert.Severity.choices)
    kind = django_filters.CharFilter()
    source_type = django_filters.CharFilter()
    source_id = django_filters.CharFilter()

    class Meta:
        model = Alert
        fields = ["patient", "status", "severity", "kind", "source_type", "source_id"]


class AlertViewSet(OfferedMethodsFirstMixin, ClinicReadOnlyViewSet):
    """Alerts at the caller's sites. Default order: open before acknowledged before resolved,
    suicide risk first, then by severity, newest first. Suicide-risk alerts are acknowledged and
    resolved by clinicians only (403 for anyone else)."""

    record_type = "alert"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = Alert.objects.select_related("patient").with_priority()
    serializer_class = AlertSerializer
    filterset_class = AlertFilter
    ordering_fields = ["created_at", "status_rank", "suicide_rank", "severity_rank"]
    ordering = list(Alert.PRIORITY_ORDERING)
    search_fields: list = []
    action_permissions = {"acknowledge": "change", "resolve": "change"}

    @extend_schema(request=AlertNoteSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = self.get_object()
        body = AlertNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = services.alert_acknowledge(
            alert=alert, user=request.user, note=body.validated_data.get("note", "")
        )
        return Response(AlertSerializer(alert).data)

    @extend_schema(request=AlertNoteSerializer, responses={200: AlertSerializer})
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        alert = self.get_object()
        body = AlertNoteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = services.alert_resolve(
            alert=alert, user=request.user, note=body.validated_data.get("note", "")
        )
        return Response(AlertSerializer(alert).data)
