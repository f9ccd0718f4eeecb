"""Consents API: list, create, retrieve, revoke, record the expiry event. Nothing else.

A signed consent's content never changes (a correction is a new consent), so there is no update;
DELETE, PUT and PATCH answer 405. Error messages never echo what was sent: a rejected value may be
a name typed into the wrong field.
"""

from __future__ import annotations

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from clinic.api.viewsets import ClinicReadOnlyViewSet
from patients.models import Consent, Patient
from patients.models.consent import (
    ConsentKind,
    ConsentStatus,
    InformationCategory,
    Purpose,
    RecipientClass,
    RepresentativeRelationship,
    RevocationMethod,
    SignatureMethod,
    Signer,
)
from patients.services import consent as services

NOT_ALLOWED = "Not one of the allowed values."
UNKNOWN_PATIENT = "Unknown patient."


def _choice(choices, **kwargs) -> serializers.ChoiceField:
    return serializers.ChoiceField(
        choices=choices, error_messages={"invalid_choice": NOT_ALLOWED}, **kwargs
    )


def _choices_list(choices) -> serializers.ListField:
    return serializers.ListField(child=_choice(choices), required=False, default=list)


# --- Serializers ---------------------------------------------------------------------------------


class ConsentSerializer(serializers.ModelSerializer):
    """A consent as stored, with its computed status (today)."""

    patient = serializers.PrimaryKeyRelatedField(read_only=True)
    status = _choice(ConsentStatus.choices, read_only=True)
    recipient_classes = serializers.ListField(child=_choice(RecipientClass.choices))
    purposes = serializers.ListField(child=_choice(Purpose.choices))
    information = serializers.ListField(child=_choice(InformationCategory.choices))
    recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    revoked_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    expiry_event_recorded_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Consent
        fields = [
            "id",
            "patient",
            "kind",
            "status",
            "discloser_name",
            "recipient_name",
            "recipient_classes",
            "tpo",
            "purposes",
            "purpose_description",
            "information",
            "information_description",
            "form_version",
            "revocation_statement",
            "tpo_statement",
            "expires_on",
            "expiry_event",
            "expiry_event_occurred_on",
            "expiry_event_recorded_by",
            "signed_on",
            "signature_method",
            "signer",
            "representative_name",
            "representative_relationship",
            "witness_name",
            "recorded_by",
            "created_at",
            "revoked_on",
            "revoked_at",
            "revocation_method",
            "revoked_by",
        ]
        read_only_fields = fields


class ConsentCreateSerializer(serializers.Serializer):
    """What the front desk or clinician types from the signed form."""

    patient = serializers.UUIDField(error_messages={"invalid": UNKNOWN_PATIENT})
    kind = _choice(ConsentKind.choices)
    signed_on = serializers.DateField()
    signature_method = _choice(SignatureMethod.choices)
    signer = _choice(Signer.choices, required=False, default=Signer.PATIENT)
    representative_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    representative_relationship = _choice(
        RepresentativeRelationship.choices, required=False, allow_blank=True, default=""
    )
    witness_name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )
    discloser_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="Part 2 only; defaults to the patient's site.",
    )
    recipient_name = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    recipient_classes = _choices_list(RecipientClass.choices)
    tpo = serializers.BooleanField(required=False, default=False)
    purposes = _choices_list(Purpose.choices)
    purpose_description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    information = _choices_list(InformationCategory.choices)
    information_description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    expires_on = serializers.DateField(required=False, allow_null=True, default=None)
    expiry_event = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default=""
    )


class ConsentRevokeSerializer(serializers.Serializer):
    method = _choice(RevocationMethod.choices)
    revoked_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Defaults to today."
    )


class ExpiryEventSerializer(serializers.Serializer):
    occurred_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="Defaults to today."
    )


# --- Filters -------------------------------------------------------------------------------------


class ConsentFilterSet(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    kind = django_filters.ChoiceFilter(
        choices=ConsentKind.choices, error_messages={"invalid_choice": NOT_ALLOWED}
    )
    status = django_filters.ChoiceFilter(
        choices=ConsentStatus.choices,
        method="filter_status",
        error_messages={"invalid_choice": NOT_ALLOWED},
        help_text="Computed status today.",
    )

    class Meta:
        model = Consent
        fields = ["patient", "kind", "status"]

    def filter_status(self, queryset, name, value):
        return queryset.in_status(value)


# --- Viewset -------------------------------------------------------------------------------------


class ConsentViewSet(ClinicReadOnlyViewSet):
    """Consents of patients at the caller's sites."""

    record_type = "consent"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = Consent.objects.select_related(
        "patient", "recorded_by", "revoked_by", "expiry_event_recorded_by"
    )
    serializer_class = ConsentSerializer
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    filterset_class = ConsentFilterSet
    ordering_fields = ["signed_on", "created_at", "expires_on"]
    ordering = ["-signed_on", "-created_at"]
    action_permissions = {"revoke": "change", "expiry_event": "change"}

    @extend_schema(
        request=ConsentCreateSerializer,
        responses={201: ConsentSerializer, 400: OpenApiResponse(description="Invalid request")},
    )
    def create(self, request, *args, **kwargs):
        body = ConsentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        patient = self._visible_patient(values.pop("patient"))
        consent = services.consent_record(patient=patient, recorded_by=request.user, **values)
        return Response(ConsentSerializer(consent).data, status=status.HTTP_201_CREATED)

    def _visible_patient(self, patient_id) -> Patient:
        """The patient, if the caller may see them; otherwise the same answer as for no patient."""
        patient = (
            Patient.objects.visible_to(self.request.user, token=self.token)
            .active()
            .select_related("site")
            .filter(pk=patient_id)
            .first()
        )
        if patient is None:
            raise ValidationError({"patient": [UNKNOWN_PATIENT]})
        return patient

    @extend_schema(
        request=ConsentRevokeSerializer,
        responses={200: ConsentSerializer, 409: OpenApiResponse(description="Already revoked")},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        consent = self.get_object()
        body = ConsentRevokeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent = services.consent_revoke(
            consent=consent,
            method=body.validated_data["method"],
            revoked_on=body.validated_data["revoked_on"],
            user=request.user,
        )
        return Response(ConsentSerializer(self._reloaded(consent)).data)

    @extend_schema(
        request=ExpiryEventSerializer,
        responses={200: ConsentSerializer, 409: OpenApiResponse(description="No event to mark")},
    )
    @action(detail=True, methods=["post"], url_path="expiry-event")
    def expiry_event(self, request, pk=None):
        consent = self.get_object()
        body = ExpiryEventSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        consent = services.consent_mark_expiry_event(
            consent=consent, occurred_on=body.validated_data["occurred_on"], user=request.user
        )
        return Response(ConsentSerializer(self._reloaded(consent)).data)

    def _reloaded(self, consent: Consent) -> Consent:
        return self.queryset.get(pk=consent.pk)
