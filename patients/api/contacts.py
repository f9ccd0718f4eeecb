"""Emergency contacts, insurance coverage and the care team: flat resources filtered by patient."""

import django_filters
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clinic.api.viewsets import ClinicReadOnlyViewSet
from patients.api.serializers import (
    ArchiveSerializer,
    CareTeamMemberSerializer,
    CoverageSerializer,
    EmergencyContactSerializer,
)
from patients.models import CareTeamMember, Coverage, EmergencyContact
from patients.services import contacts as services
from patients.services.patient import care_team_add


class _PatientPartViewSet(ClinicReadOnlyViewSet):
    """Create, list, retrieve, partial update and archive of one part of the record."""

    site_path = "patient__site"
    patient_path = "patient_id"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    filterset_fields = ["patient"]
    action_permissions = {"archive": "archive"}
    create_service = None
    update_service = None
    instance_kwarg = ""

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("archived") != "true":
            qs = qs.filter(archived_at__isnull=True)
        return qs

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient = values.pop("patient")
        obj = type(self).create_service(patient=patient, user=request.user, **values)
        return Response(self.get_serializer(obj).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        obj = self.get_object()
        data = self.get_serializer(obj, data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient = values.pop("patient", obj.patient)
        if patient.pk != obj.patient_id:
            raise ValidationError({"patient": ["A record cannot be moved to another patient."]})
        obj = type(self).update_service(**{self.instance_kwarg: obj}, user=request.user, **values)
        return Response(self.get_serializer(obj).data)

    @extend_schema(request=ArchiveSerializer)
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        obj = self.get_object()
        body = ArchiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        obj = services.record_archive(
            obj=obj, user=request.user, reason=body.validated_data["reason"]
        )
        return Response(self.get_serializer(obj).data)


class EmergencyContactViewSet(_PatientPartViewSet):
    record_type = "patient_contact"
    queryset = EmergencyContact.objects.select_related("patient")
    serializer_class = EmergencyContactSerializer
    create_service = staticmethod(services.emergency_contact_add)
    update_service = staticmethod(services.emergency_contact_update)
    instance_kwarg = "contact"


class CoverageFilter(django_filters.FilterSet):
    in_force_on = django_filters.DateFilter(method="filter_in_force", help_text="YYYY-MM-DD")

    class Meta:
        model = Coverage
        fields = ["patient", "priority"]

    def filter_in_force(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(effective_date__lte=value).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=value)
        )


class CoverageViewSet(_PatientPartViewSet):
    record_type = "coverage"
    queryset = Coverage.objects.select_related("patient")
    serializer_class = CoverageSerializer
    filterset_class = CoverageFilter
    filterset_fields = None
    create_service = staticmethod(services.coverage_add)
    update_service = staticmethod(services.coverage_update)
    instance_kwarg = "coverage"


class CareTeamViewSet(ClinicReadOnlyViewSet):
    """Who is on the case. Adding a member is a change to the patient record."""

    record_type = "patient"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = CareTeamMember.objects.select_related("patient")
    serializer_class = CareTeamMemberSerializer
    filterset_fields = ["patient", "staff", "role"]
    action_permissions = {"create": "change"}
    http_method_names = ["get", "post", "head", "options"]

    def get_serializer(self, *args, **kwargs):
        serializer = super().get_serializer(*args, **kwargs)
        from patients.api.common import VisiblePatientField

        if not kwargs.get("many") and hasattr(serializer, "fields"):
            serializer.fields["patient"] = VisiblePatientField()
        return serializer

    def create(self, request, *args, **kwargs):
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.pop("end_date", None)
        member = care_team_add(user=request.user, **values)
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)
