"""Patients: registration with duplicate check, demographics, status, merge, archive."""

from contextlib import contextmanager

import django_filters
from django.contrib.auth import get_user_model
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from clinic import access
from clinic.api.viewsets import ClinicReadOnlyViewSet
from clinic.audit import record_reads
from clinic.errors import Conflict
from clinic.models import Site
from patients.api.common import check_if_match, etag_for
from patients.api.serializers import (
    ArchiveSerializer,
    CandidateSerializer,
    DuplicateCheckSerializer,
    MergeSerializer,
    PatientCreateSerializer,
    PatientListSerializer,
    PatientSerializer,
    PatientWriteSerializer,
    StatusEventSerializer,
    TransitionSerializer,
)
from patients.duplicates import find_duplicates
from patients.models import Patient
from patients.selectors import search_patients
from patients.services import merge as merge_services
from patients.services import patient as services
from patients.validation import normalize_phone

CONFLICT = OpenApiResponse(description="Conflict (problem details; duplicates list candidates)")


class PatientFilter(django_filters.FilterSet):
    search = django_filters.CharFilter(
        method="filter_search",
        help_text="Name (partial, accent/case-insensitive, typo-tolerant), MRN, date of birth, "
        "phone or email.",
    )
    status = django_filters.MultipleChoiceFilter(choices=Patient.Status.choices)
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code.")
    clinician = django_filters.ModelChoiceFilter(
        field_name="primary_clinician", queryset=get_user_model().objects.all()
    )
    archived = django_filters.BooleanFilter(
        method="filter_archived", help_text="true lists archived records instead."
    )

    class Meta:
        model = Patient
        fields = ["search", "status", "site", "clinician", "archived"]

    def filter_search(self, queryset, name, value):
        return search_patients(queryset, value)

    def filter_archived(self, queryset, name, value):
        return queryset.filter(archived_at__isnull=not value)


class PatientViewSet(ClinicReadOnlyViewSet):
    """Patients at the caller's sites. DELETE is not offered: archive instead."""

    record_type = "patient"
    site_path = "site"
    patient_path = "pk"
    queryset = Patient.objects.select_related("site")
    serializer_class = PatientSerializer
    filterset_class = PatientFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    ordering_fields = ["last_name", "first_name", "date_of_birth", "created_at", "mrn", "status"]
    ordering = ["last_name", "first_name", "mrn"]
    action_permissions = {
        "archive": "archive",
        "merge": "archive",
        "transition": "change",
        "status_events": "view",
        "duplicate_check": "add",
    }

    def get_serializer_class(self):
        return PatientListSerializer if self.action == "list" else PatientSerializer

    def get_queryset(self):
        qs = super().get_queryset()
        if self.action == "list" and "archived" not in self.request.query_params:
            qs = qs.filter(archived_at__isnull=True)
        return qs

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        response["ETag"] = etag_for(self._last_object)
        return response

    def get_object(self):
        self._last_object = super().get_object()
        return self._last_object

    def _respond(self, patient, status_code=200):
        response = Response(PatientSerializer(patient).data, status=status_code)
        response["ETag"] = etag_for(patient)
        return response

    @extend_schema(
        request=PatientCreateSerializer,
        responses={201: PatientSerializer, 409: CONFLICT},
        description="Register a patient. A likely duplicate answers 409 with candidates (MRN, "
        "name, date of birth, site) unless `confirm_not_duplicate` is true.",
    )
    def create(self, request, *args, **kwargs):
        data = PatientCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        site = self._writable_site(values.pop("site"))
        confirm = values.pop("confirm_not_duplicate", False)
        with self._auditing_candidates():
            patient = services.patient_register(
                site=site, created_by=request.user, confirm_not_duplicate=confirm, **values
            )
        return self._respond(patient, status.HTTP_201_CREATED)

    @contextmanager
    def _auditing_candidates(self):
        """Duplicate candidates shown in a 409 are patient data read: audit them (outside the
        service's rolled-back transaction)."""
        try:
            yield
        except Conflict as exc:
            self._audit_candidates(exc.extra.get("candidates", []))
            raise

    def _audit_candidates(self, candidates: list[dict]) -> None:
        record_reads(
            actor=self.request.user,
            object_type="patient",
            records=[(c["id"], c["id"], None) for c in candidates],
            token=self.token,
        )

    def _writable_site(self, code: str) -> Site:
        site_ids = access.sites_for_request(self.request)
        site = Site.objects.filter(code=code, is_active=True).first()
        if site is None or (site_ids is not access.ALL_SITES and site.pk not in site_ids):
            raise ValidationError({"site": ["Unknown site, or not one of your sites."]})
        return site

    @extend_schema(
        request=PatientWriteSerializer,
        responses={200: PatientSerializer, 409: CONFLICT, 412: OpenApiResponse()},
        description="Change demographics. Send `If-Match` with the ETag you read to avoid "
        "overwriting someone else's change (412 when stale).",
    )
    def partial_update(self, request, *args, **kwargs):
        patient = self.get_object()
        check_if_match(request, patient)
        data = PatientWriteSerializer(
            patient, data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        confirm = values.pop("confirm_not_duplicate", False)
        with self._auditing_candidates():
            patient = services.patient_update(
                patient=patient, user=request.user, confirm_not_duplicate=confirm, **values
            )
        return self._respond(patient)

    @extend_schema(request=TransitionSerializer, responses={200: PatientSerializer, 409: CONFLICT})
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the patient along referral -> intake -> active -> discharged -> readmitted."""
        patient = self.get_object()
        body = TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = services.patient_transition(
            patient=patient, user=request.user, **body.validated_data
        )
        return self._respond(patient)

    @extend_schema(responses={200: StatusEventSerializer(many=True)})
    @action(detail=True, methods=["get"], url_path="status-events")
    def status_events(self, request, pk=None):
        patient = self.get_object()
        self.audit([patient])
        events = patient.status_events.select_related("episode").order_by("recorded_at", "id")
        return Response(StatusEventSerializer(events, many=True).data)

    @extend_schema(request=MergeSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        """Merge a confirmed duplicate into this one; the duplicate is archived with a pointer."""
        survivor = self.get_object()
        body = MergeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        duplicate = self.get_queryset().filter(pk=body.validated_data["duplicate"]).first()
        if duplicate is None:
            raise ValidationError({"duplicate": ["Unknown patient."]})
        patient = merge_services.patient_merge(
            survivor=survivor,
            duplicate=duplicate,
            user=request.user,
            reason=body.validated_data["reason"],
        )
        return self._respond(patient)

    @extend_schema(request=ArchiveSerializer, responses={200: PatientSerializer})
    @action(detail=True, methods=["post"])
    def archive(self, request, pk=None):
        patient = self.get_object()
        body = ArchiveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        patient = services.patient_archive(
            patient=patient, user=request.user, reason=body.validated_data["reason"]
        )
        return self._respond(patient)

    @extend_schema(
        request=DuplicateCheckSerializer, responses={200: CandidateSerializer(many=True)}
    )
    @action(detail=False, methods=["post"], url_path="duplicate-check")
    def duplicate_check(self, request):
        """Search before registering: likely duplicates across the organisation."""
        body = DuplicateCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        phone = normalize_phone(data.get("phone", ""), field="phone")
        candidates = find_duplicates(
            first_name=data["first_name"],
            last_name=data["last_name"],
            date_of_birth=data.get("date_of_birth"),
            phones=(phone,),
            email=data.get("email", ""),
        )
        found = [c.public() for c in candidates]
        self._audit_candidates(found)
        return Response(found)
