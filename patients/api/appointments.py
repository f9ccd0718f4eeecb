"""Appointments API: book, list by day, reschedule, and the check-in / complete / no-show / cancel
actions. The viewset resolves ids within the caller's sites; every rule is in
`patients.services.scheduling`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from clinic.api.viewsets import ClinicReadOnlyViewSet
from clinic.models import Site
from patients.models import Appointment, Patient
from patients.services import scheduling as services

User = get_user_model()

# --- Serializers ---------------------------------------------------------------------------------


class AwareDateTimeField(serializers.DateTimeField):
    """Refuses times without an offset: sites differ in time zone, so a bare time is ambiguous."""

    default_error_messages = {"naive": "Include a time zone offset, e.g. 2030-01-31T09:00-06:00."}

    def enforce_timezone(self, value):
        if isinstance(value, dt.datetime) and value.tzinfo is None:
            self.fail("naive")
        return super().enforce_timezone(value)


class AppointmentSerializer(serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    patient_mrn = serializers.CharField(source="patient.mrn", read_only=True)
    site = serializers.CharField(source="site.code", read_only=True)
    staff = serializers.IntegerField(source="staff_id", read_only=True)
    staff_name = serializers.SerializerMethodField()
    checked_in_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    cancel_reason = serializers.CharField(
        read_only=True, help_text="Empty unless cancelled; one of the cancel action's reasons."
    )
    allowed_next = serializers.SerializerMethodField(
        help_text="Statuses this appointment may move to next."
    )

    class Meta:
        model = Appointment
        fields = [
            "id",
            "patient",
            "patient_mrn",
            "site",
            "staff",
            "staff_name",
            "type",
            "modality",
            "start",
            "end",
            "status",
            "allowed_next",
            "cancel_reason",
            "cancel_note",
            "checked_in_at",
            "checked_in_by",
            "status_changed_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_staff_name(self, obj) -> str:
        profile = getattr(obj.staff, "staff_profile", None)
        return profile.display_name if profile else obj.staff.get_username()

    def get_allowed_next(self, obj) -> list[str]:
        return services.allowed_next(obj.status)


class AppointmentCreateSerializer(serializers.Serializer):
    patient = serializers.UUIDField()
    site = serializers.CharField(
        required=False, help_text="Site code; optional, and must be the patient's own site."
    )
    staff = serializers.IntegerField(help_text="User id of the staff member seeing the patient.")
    type = serializers.ChoiceField(choices=Appointment.Type.choices)
    modality = serializers.ChoiceField(
        choices=Appointment.Modality.choices, default=Appointment.Modality.IN_PERSON
    )
    start = AwareDateTimeField()
    end = AwareDateTimeField()


class AppointmentUpdateSerializer(serializers.Serializer):
    """Reschedule or reassign. Status, patient and site are not changed here."""

    _FIXED = {
        "patient": "The patient cannot be changed; cancel and book a new appointment.",
        "site": "The site cannot be changed; cancel and book a new appointment.",
        "status": "Use the check-in, complete, no-show or cancel actions.",
    }

    staff = serializers.IntegerField(required=False)
    type = serializers.ChoiceField(choices=Appointment.Type.choices, required=False)
    modality = serializers.ChoiceField(choices=Appointment.Modality.choices, required=False)
    start = AwareDateTimeField(required=False, help_text="Moving start alone keeps the length.")
    end = AwareDateTimeField(required=False)

    def validate(self, attrs):
        fixed = {f: [msg] for f, msg in self._FIXED.items() if f in self.initial_data}
        if fixed:
            raise ValidationError(fixed)
        return attrs


class CancelSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Appointment.CancelReason.choices)
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, help_text="Short; no clinical detail."
    )


# --- Filters -------------------------------------------------------------------------------------


class _AppointmentFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        date_from, date_to = data.get("date_from"), data.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", "date_to must not be before date_from.")
        return data


def _local_days_q(first: dt.date | None, last: dt.date | None) -> Q:
    """Appointments starting from day `first` to day `last` (inclusive; None is open-ended), each
    day read in the appointment's own site time zone.

    One condition per distinct site time zone (one query for the zones), so the query count
    stays constant whatever the page size.
    """
    q = Q(pk__in=[])
    zones = Site.objects.order_by().values_list("timezone", flat=True).distinct()
    for name in zones:
        zone = zoneinfo.ZoneInfo(name)
        in_zone = Q(site__timezone=name)
        if first is not None:
            in_zone &= Q(start__gte=services.local_day_bounds(first, zone)[0])
        if last is not None:
            in_zone &= Q(start__lt=services.local_day_bounds(last, zone)[1])
        q |= in_zone
    return q


class AppointmentFilter(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code.")
    staff = django_filters.NumberFilter(field_name="staff_id", help_text="Staff user id.")
    patient = django_filters.UUIDFilter(field_name="patient_id")
    status = django_filters.MultipleChoiceFilter(choices=Appointment.Status.choices)
    type = django_filters.MultipleChoiceFilter(choices=Appointment.Type.choices)
    modality = django_filters.ChoiceFilter(choices=Appointment.Modality.choices)
    date = django_filters.DateFilter(
        method="filter_date", help_text="A day (YYYY-MM-DD) in each appointment's site time zone."
    )
    date_from = django_filters.DateFilter(
        method="filter_in_range", help_text="First day (inclusive), site time zone."
    )
    date_to = django_filters.DateFilter(
        method="filter_in_range", help_text="Last day (inclusive), site time zone."
    )

    class Meta:
        model = Appointment
        fields = ["site", "staff", "patient", "status", "type", "modality"]
        form = _AppointmentFilterForm

    def filter_date(self, queryset, name, value):
        return queryset.filter(_local_days_q(value, value))

    def filter_in_range(self, queryset, name, value):
        return queryset  # date_from and date_to are applied together in filter_queryset

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        first = self.form.cleaned_data.get("date_from")
        last = self.form.cleaned_data.get("date_to")
        if first or last:
            queryset = queryset.filter(_local_days_q(first, last))
        return queryset


# --- Viewset -------------------------------------------------------------------------------------

_ERRORS = {
    400: OpenApiResponse(description="Invalid input; `errors` names each field."),
    404: OpenApiResponse(description="No such appointment, or not at one of your sites."),
    409: OpenApiResponse(description="Illegal status move (`allowed` lists the legal ones)."),
}


@extend_schema_view(
    list=extend_schema(summary="Appointments at your sites"),
    retrieve=extend_schema(summary="One appointment"),
)
class AppointmentViewSet(ClinicReadOnlyViewSet):
    """Appointments at the caller's sites. DELETE is not offered: cancel instead."""

    record_type = "appointment"
    site_path = "site"
    patient_path = "patient_id"
    queryset = Appointment.objects.select_related(
        "site", "patient", "staff__staff_profile", "checked_in_by"
    )
    serializer_class = AppointmentSerializer
    filterset_class = AppointmentFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    ordering_fields = ["start", "end", "status", "created_at"]
    ordering = ["start", "staff_id", "id"]
    search_fields = ["patient__mrn"]
    action_permissions = {
        "check_in": "change",
        "complete": "change",
        "no_show": "change",
        "cancel": "change",
    }

    # --- create / update -----------------------------------------------------------------------
    @extend_schema(
        request=AppointmentCreateSerializer,
        responses={201: AppointmentSerializer, **_ERRORS},
        summary="Book an appointment",
    )
    def create(self, request, *args, **kwargs):
        data = AppointmentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        patient = self._visible_patient(values.pop("patient"))
        site = None
        if "site" in values:
            site = Site.objects.filter(code=values.pop("site")).first()
            if site is None:
                raise ValidationError({"site": ["Unknown site."]})
        staff = self._staff_user(values.pop("staff"))
        appointment = services.appointment_book(
            patient=patient, site=site, staff=staff, user=request.user, token=self.token, **values
        )
        appointment = self.get_queryset().get(pk=appointment.pk)
        return Response(AppointmentSerializer(appointment).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=AppointmentUpdateSerializer,
        responses={200: AppointmentSerializer, **_ERRORS},
        summary="Reschedule or reassign a scheduled appointment",
    )
    def partial_update(self, request, *args, **kwargs):
        appointment = self.get_object()
        data = AppointmentUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        changes = dict(data.validated_data)
        if "staff" in changes:
            changes["staff"] = self._staff_user(changes["staff"])
        services.appointment_update(
            appointment=appointment, user=request.user, token=self.token, **changes
        )
        return self._fresh(appointment)

    # --- status actions ------------------------------------------------------------------------
    @extend_schema(request=None, responses={200: AppointmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, pk=None):
        """Check the patient in; who and when are recorded."""
        appointment = self.get_object()
        services.appointment_check_in(appointment=appointment, user=request.user, token=self.token)
        return self._fresh(appointment)

    @extend_schema(request=None, responses={200: AppointmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        appointment = self.get_object()
        services.appointment_complete(appointment=appointment, user=request.user, token=self.token)
        return self._fresh(appointment)

    @extend_schema(request=None, responses={200: AppointmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"], url_path="no-show")
    def no_show(self, request, pk=None):
        """Record that the patient did not come (only once the appointment has started)."""
        appointment = self.get_object()
        services.appointment_no_show(appointment=appointment, user=request.user, token=self.token)
        return self._fresh(appointment)

    @extend_schema(request=CancelSerializer, responses={200: AppointmentSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel with a reason from the fixed list and an optional short note."""
        appointment = self.get_object()
        body = CancelSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.appointment_cancel(
            appointment=appointment,
            reason=body.validated_data["reason"],
            note=body.validated_data.get("note", ""),
            user=request.user,
            token=self.token,
        )
        return self._fresh(appointment)

    # --- helpers -------------------------------------------------------------------------------
    def _fresh(self, appointment):
        return Response(AppointmentSerializer(self.get_queryset().get(pk=appointment.pk)).data)

    def _visible_patient(self, patient_id) -> Patient:
        patient = (
            Patient.objects.visible_to(self.request.user, token=self.token)
            .select_related("site")
            .filter(pk=patient_id)
            .first()
        )
        if patient is None:
            raise ValidationError({"patient": ["Unknown patient, or not at one of your sites."]})
        return patient

    def _staff_user(self, user_id: int):
        staff = User.objects.filter(pk=user_id, is_active=True).first()
        if staff is None:
            raise ValidationError({"staff": ["Unknown or inactive staff member."]})
        return staff
