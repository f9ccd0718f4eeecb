from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clinic import access
from clinic.api.viewsets import ClinicReadOnlyViewSet
from clinic.models import Site
from patients.api.serializers import ArchiveSerializer, PatientCreateSerializer, PatientSerializer
from patients.models import Patient
from patients.services import patient as services


class PatientViewSet(mixins.UpdateModelMixin, ClinicReadOnlyViewSet):
    """Patients at the caller's sites. DELETE is not offered: archive instead."""

    record_type = "patient"
    site_path = "site"
    patient_path = "pk"
    queryset = Patient.objects.select_related("site")
    serializer_class = PatientSerializer
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at", "mrn"]
    ordering = ["last_name", "first_name", "mrn"]
    search_fields = ["last_name", "first_name", "mrn"]
    action_permissions = {"archive": "archive"}

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list" and self.request.query_params.get("archived") != "true":
            qs = qs.active()
        return qs

    @extend_schema(request=PatientCreateSerializer, responses={201: PatientSerializer})
    def create(self, request, *args, **kwargs):
        data = PatientCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        site = self._writable_site(values.pop("site"))
        patient = services.patient_register(site=site, created_by=request.user, **values)
        return Response(PatientSerializer(patient).data, status=status.HTTP_201_CREATED)

    def _writable_site(self, code: str) -> Site:
        site_ids = access.sites_for_request(self.request)
        site = Site.objects.filter(code=code, is_active=True).first()
        if site is None or (site_ids is not access.ALL_SITES and site.pk not in site_ids):
            raise ValidationError({"site": ["Unknown site, or not one of your sites."]})
        return site

    def perform_update(self, serializer):
        serializer.instance = services.patient_update(
            patient=serializer.instance, user=self.request.user, **serializer.validated_data
        )

    @extend_schema(request=ArchiveSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        patient = self.get_object()
        body = ArchiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = services.patient_archive(
            patient=patient, user=request.user, reason=body.validated_data["reason"]
        )
        return Response(PatientSerializer(patient).data)
