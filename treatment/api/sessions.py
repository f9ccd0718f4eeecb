"""Sessions and notes over the API: individual sessions, group sessions, one patient's group
attendance (privacy-safe) and Part 2 counselling notes.

Views check shapes and call one service each; the base viewset applies the matrix, site scoping and
read auditing. There is no DELETE or PUT: 405.
"""

from __future__ import annotations

import uuid

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from clinic import access
from clinic.api.viewsets import ClinicReadOnlyViewSet
from clinic.audit import record_event, record_reads
from clinic.models import AuditEvent, Site
from patients.api.common import check_if_match, etag_for
from patients.models import Patient
from treatment.api import session_serializers as s
from treatment.models import (
    CounsellingNote,
    CounsellingNoteAddendum,
    GroupAddendum,
    GroupAttendance,
    GroupSession,
    IndividualSession,
    SessionAddendum,
)
from treatment.services import sessions as services

User = get_user_model()
_STAFF = User.objects.select_related("staff_profile")
_PROBLEM = OpenApiResponse(description="Problem details")
_ERRORS = {400: _PROBLEM, 403: _PROBLEM, 404: _PROBLEM, 409: _PROBLEM}


def _addenda(model):
    return Prefetch("addenda", queryset=model.objects.select_related("author__staff_profile"))


class _NotOfferedIs405:
    def check_permissions(self, request):
        """DELETE, PUT (and any method without an action) are not offered: 405, not 403."""
        if self.action is None and request.user and request.user.is_authenticated:
            raise exceptions.MethodNotAllowed(request.method)
        super().check_permissions(request)


class _NoteViewSet(_NotOfferedIs405, ClinicReadOnlyViewSet):
    """Shared behaviour: 405 for methods not offered, ETags, and the sign/addenda endpoints."""

    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, OrderingFilter]
    action_permissions = {"sign": "add", "addenda": "view", "add_addendum": "add"}
    addendum_serializer = s.AddendumInputSerializer

    def _respond(self, obj, status_code=200):
        response = Response(self.get_serializer(obj).data, status=status_code)
        response["ETag"] = etag_for(obj)
        return response

    def _reload(self, obj):
        return self.get_queryset().get(pk=obj.pk)

    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        self.audit([obj])
        return self._respond(obj)

    # subclasses: sign_service, addendum_service(obj, user, **body), note_kwarg
    def _sign(self, request):
        obj = self.get_object()
        type(self).sign_service(**{self.note_kwarg: obj}, user=request.user)
        return self._respond(self._reload(obj))

    def _list_addenda(self, request):
        obj = self.get_object()
        self.audit([obj])
        return Response(s.AddendumSerializer(self._addenda_of(obj), many=True).data)

    def _add_addendum(self, request):
        obj = self.get_object()
        body = self.addendum_serializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        addendum = type(self).addendum_service(
            **{self.note_kwarg: obj}, user=request.user, **body.validated_data
        )
        return Response(s.AddendumSerializer(addendum).data, status=status.HTTP_201_CREATED)

    def _addenda_of(self, obj):
        return obj.addenda.all()


# --- individual sessions -------------------------------------------------------------------------


class SessionFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    type = django_filters.MultipleChoiceFilter(
        field_name="session_type", choices=IndividualSession.SessionType.choices
    )
    date = django_filters.DateFilter(
        field_name="started_at", lookup_expr="date", help_text="YYYY-MM-DD"
    )
    date_from = django_filters.DateFilter(field_name="started_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="started_at", lookup_expr="date__lte")
    signed = django_filters.BooleanFilter(method="filter_signed")

    class Meta:
        model = IndividualSession
        fields = ["patient", "type", "date", "date_from", "date_to", "signed"]

    def filter_signed(self, queryset, name, value):
        return queryset.filter(signed_at__isnull=not value)


class SessionViewSet(_NoteViewSet):
    """Individual sessions and their DAP/SOAP progress notes, at the caller's sites."""

    record_type = "session_note"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = (
        IndividualSession.objects.active()
        .select_related("patient", "author__staff_profile", "signed_by__staff_profile")
        .prefetch_related(_addenda(SessionAddendum))
    )
    serializer_class = s.SessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["started_at", "created_at"]
    ordering = ["-started_at"]
    note_kwarg = "session"
    sign_service = staticmethod(services.session_sign)
    addendum_service = staticmethod(services.session_addendum_add)

    @extend_schema(
        request=s.SessionCreateSerializer, responses={201: s.SessionSerializer, **_ERRORS}
    )
    def create(self, request, *args, **kwargs):
        """Draft a session note; you are its author."""
        body = s.SessionCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        session = services.session_create(
            patient=values.pop("patient"), user=request.user, **values
        )
        return self._respond(self._reload(session), status.HTTP_201_CREATED)

    @extend_schema(
        request=s.SessionWriteSerializer,
        responses={200: s.SessionSerializer, 412: _PROBLEM, **_ERRORS},
        description="Change your own draft. A signed note answers 409: add an addendum instead.",
    )
    def partial_update(self, request, *args, **kwargs):
        session = self.get_object()
        check_if_match(request, session)
        if "patient" in request.data:
            raise exceptions.ValidationError(
                {"patient": ["A session cannot be moved to another patient."]}
            )
        body = s.SessionWriteSerializer(data=request.data, partial=True)
        body.is_valid(raise_exception=True)
        session = services.session_update(session=session, user=request.user, **body.validated_data)
        return self._respond(self._reload(session))

    @extend_schema(
        request=None,
        responses={200: s.SessionSerializer, **_ERRORS},
        description="Sign and lock the note. Counselling notes (CBT, MET, individual "
        "counseling) need a clinician: 403 for medical staff.",
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        return self._sign(request)

    @extend_schema(responses={200: s.AddendumSerializer(many=True), 404: _PROBLEM})
    @action(detail=True, methods=["get"])
    def addenda(self, request, pk=None):
        """Addenda of the note, oldest first."""
        return self._list_addenda(request)

    @extend_schema(
        request=s.AddendumInputSerializer, responses={201: s.AddendumSerializer, **_ERRORS}
    )
    @addenda.mapping.post
    def add_addendum(self, request, pk=None):
        """Add an addendum to a signed note (409 on a draft: edit it instead)."""
        return self._add_addendum(request)


# --- group sessions ------------------------------------------------------------------------------


class GroupSessionFilter(django_filters.FilterSet):
    site = django_filters.CharFilter(field_name="site__code", help_text="Site code.")
    topic = django_filters.MultipleChoiceFilter(choices=GroupSession.Topic.choices)
    date = django_filters.DateFilter(field_name="started_at", lookup_expr="date")
    date_from = django_filters.DateFilter(field_name="started_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="started_at", lookup_expr="date__lte")
    facilitator = django_filters.NumberFilter(field_name="facilitators")
    signed = django_filters.BooleanFilter(method="filter_signed")

    class Meta:
        model = GroupSession
        fields = ["site", "topic", "date", "date_from", "date_to", "facilitator", "signed"]

    def filter_signed(self, queryset, name, value):
        return queryset.filter(signed_at__isnull=not value)


class GroupSessionViewSet(_NoteViewSet):
    """Group sessions at the caller's sites. The roster (patients' names, MRNs, notes) is shown only
    here, with the group, and only for patients at sites the caller may see."""

    record_type = "session_note"
    site_path = "site"
    patient_path = None
    queryset = GroupSession.objects.active().select_related(
        "site", "signed_by__staff_profile", "created_by"
    )
    serializer_class = s.GroupSessionSerializer
    filterset_class = GroupSessionFilter
    ordering_fields = ["started_at", "created_at"]
    ordering = ["-started_at"]
    note_kwarg = "group"
    addendum_serializer = s.GroupAddendumInputSerializer
    sign_service = staticmethod(services.group_session_sign)
    addendum_service = staticmethod(services.group_addendum_add)

    def get_serializer_class(self):
        return s.GroupSessionListSerializer if self.action == "list" else s.GroupSessionSerializer

    def get_queryset(self):
        qs = super().get_queryset().prefetch_related(Prefetch("facilitators", queryset=_STAFF))
        if self.action == "list":
            return qs
        rows = (
            GroupAttendance.objects.active()
            .visible_to(self.request.user, token=self.token)
            .select_related("patient")
            .prefetch_related(_addenda(GroupAddendum))
            .order_by("id")
        )
        group_addenda = GroupAddendum.objects.filter(attendance=None).select_related(
            "author__staff_profile"
        )
        return qs.prefetch_related(
            Prefetch("attendance", queryset=rows, to_attr="visible_roster"),
            Prefetch("addenda", queryset=group_addenda, to_attr="group_addenda"),
        )

    def audit(self, objects, action: str = "read") -> None:
        """The group itself, and each roster row shown (those are patient data read)."""
        objects = list(objects)
        records = [(g.pk, None, g.site_id) for g in objects]
        record_reads(
            actor=self.request.user, object_type="group_session", records=records, token=self.token
        )
        rows = [r for g in objects for r in getattr(g, "visible_roster", ())]
        if rows:
            record_reads(
                actor=self.request.user,
                object_type="group_attendance",
                records=[(r.pk, r.patient_id, r.patient.site_id) for r in rows],
                token=self.token,
            )

    def _addenda_of(self, obj):
        return obj.group_addenda + [a for r in obj.visible_roster for a in r.addenda.all()]

    def _writable_site(self, code: str) -> Site:
        site_ids = access.sites_for_request(self.request)
        site = Site.objects.filter(code=code, is_active=True).first()
        if site is None or (site_ids is not access.ALL_SITES and site.pk not in site_ids):
            raise exceptions.ValidationError({"site": ["Unknown site, or not one of your sites."]})
        return site

    @extend_schema(
        request=s.GroupSessionCreateSerializer,
        responses={201: s.GroupSessionSerializer, **_ERRORS},
    )
    def create(self, request, *args, **kwargs):
        """Record a group with its facilitators and roster rows."""
        body = s.GroupSessionCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        site = self._writable_site(values.pop("site"))
        group = services.group_session_create(site=site, user=request.user, **values)
        return self._respond(self._reload(group), status.HTTP_201_CREATED)

    @extend_schema(
        request=s.GroupSessionWriteSerializer,
        responses={200: s.GroupSessionSerializer, 412: _PROBLEM, **_ERRORS},
        description="Change an unsigned group: details, facilitators, roster rows (by patient).",
    )
    def partial_update(self, request, *args, **kwargs):
        group = self.get_object()
        check_if_match(request, group)
        if "site" in request.data:
            raise exceptions.ValidationError({"site": ["A group cannot move to another site."]})
        body = s.GroupSessionWriteSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        group = services.group_session_update(group=group, user=request.user, **body.validated_data)
        return self._respond(self._reload(group))

    @extend_schema(
        request=None,
        responses={200: s.GroupSessionSerializer, **_ERRORS},
        description="Sign and lock the group note and its roster; by a clinician facilitator.",
    )
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        return self._sign(request)

    @extend_schema(responses={200: s.AddendumSerializer(many=True), 404: _PROBLEM})
    @action(detail=True, methods=["get"])
    def addenda(self, request, pk=None):
        """Addenda to the group note and to the rows you may see."""
        return self._list_addenda(request)

    @extend_schema(
        request=s.GroupAddendumInputSerializer, responses={201: s.AddendumSerializer, **_ERRORS}
    )
    @addenda.mapping.post
    def add_addendum(self, request, pk=None):
        """Add an addendum to a signed group note, or (with `patient`) to one patient's row."""
        return self._add_addendum(request)


# --- one patient's group attendance --------------------------------------------------------------


@extend_schema(
    parameters=[OpenApiParameter("patient_id", OpenApiTypes.UUID, OpenApiParameter.PATH)]
)
class PatientGroupAttendanceViewSet(_NotOfferedIs405, ClinicReadOnlyViewSet):
    """The groups one patient was listed in: each group's date, topic and facilitators, and this
    patient's own row and its addenda. Never the roster, the group summary or another patient."""

    record_type = "session_note"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = GroupAttendance.objects.none()
    serializer_class = s.PatientGroupAttendanceSerializer
    filter_backends = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return GroupAttendance.objects.none()
        try:
            patient_id = uuid.UUID(str(self.kwargs["patient_id"]))
        except ValueError:
            raise Http404 from None
        if not Patient.objects.visible_to(self.request.user, token=self.token).filter(
            pk=patient_id
        ):
            raise Http404
        return (
            GroupAttendance.objects.active()
            .visible_to(self.request.user, token=self.token)
            .filter(patient_id=patient_id)
            .select_related("patient", "group__site")
            .prefetch_related(
                Prefetch("group__facilitators", queryset=_STAFF), _addenda(GroupAddendum)
            )
            .order_by("-group__started_at", "id")
        )

    def audit(self, objects, action: str = "read") -> None:
        record_reads(
            actor=self.request.user,
            object_type="group_attendance",
            records=(self._audit_refs(o) for o in objects),
            token=self.token,
        )


# --- Part 2 counselling notes --------------------------------------------------------------------


class CounsellingNoteFilter(django_filters.FilterSet):
    patient = django_filters.UUIDFilter(field_name="patient_id")
    signed = django_filters.BooleanFilter(method="filter_signed")

    class Meta:
        model = CounsellingNote
        fields = ["patient", "signed"]

    def filter_signed(self, queryset, name, value):
        return queryset.filter(signed_at__isnull=not value)


class CounsellingNoteViewSet(_NoteViewSet):
    """Part 2 counselling notes, kept apart from the general record. Beyond role and site, only the
    author and clinicians on the patient's care team (or the primary clinician) may read one;
    anyone else gets 404, and the refused attempt is audited too."""

    record_type = "counselling_note"
    site_path = "patient__site"
    patient_path = "patient_id"
    queryset = CounsellingNote.objects.none()
    serializer_class = s.CounsellingNoteSerializer
    filterset_class = CounsellingNoteFilter
    ordering_fields = ["occurred_at", "created_at"]
    ordering = ["-occurred_at"]
    note_kwarg = "note"
    sign_service = staticmethod(services.counselling_note_sign)
    addendum_service = staticmethod(services.counselling_note_addendum_add)

    def get_queryset(self):
        """visible_to applies the matrix, the caller's sites and the Part 2 rule in one place."""
        return (
            CounsellingNote.objects.active()
            .visible_to(self.request.user, token=self.token)
            .select_related("patient", "author__staff_profile", "signed_by__staff_profile")
            .prefetch_related(_addenda(CounsellingNoteAddendum))
        )

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            self._audit_refused_read()
            raise

    def _audit_refused_read(self) -> None:
        """A note that exists at the caller's sites but is closed to them: 404, and audited."""
        try:
            pk = uuid.UUID(str(self.kwargs.get("pk")))
        except ValueError:
            return
        note = (
            access.scope_queryset(
                CounsellingNote.objects.filter(pk=pk),
                self.request.user,
                "patient__site",
                token=self.token,
            )
            .select_related("patient")
            .first()
        )
        if note is not None:
            record_event(
                action=AuditEvent.Action.READ,
                actor=self.request.user,
                object_type="counselling_note",
                object_id=note.pk,
                patient_id=note.patient_id,
                site_id=note.patient.site_id,
                outcome=AuditEvent.Outcome.DENIED,
                detail="not the author or on the care team",
                token=self.token,
            )

    @extend_schema(
        request=s.CounsellingNoteCreateSerializer,
        responses={201: s.CounsellingNoteSerializer, **_ERRORS},
    )
    def create(self, request, *args, **kwargs):
        """Draft a counselling note (clinicians on the patient's care team only)."""
        body = s.CounsellingNoteCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        values = dict(body.validated_data)
        note = services.counselling_note_create(
            patient=values.pop("patient"), user=request.user, **values
        )
        return self._respond(self._reload(note), status.HTTP_201_CREATED)

    @extend_schema(
        request=s.CounsellingNoteWriteSerializer,
        responses={200: s.CounsellingNoteSerializer, 412: _PROBLEM, **_ERRORS},
    )
    def partial_update(self, request, *args, **kwargs):
        note = self.get_object()
        check_if_match(request, note)
        if "patient" in request.data:
            raise exceptions.ValidationError(
                {"patient": ["A note cannot be moved to another patient."]}
            )
        body = s.CounsellingNoteWriteSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        body.is_valid(raise_exception=True)
        note = services.counselling_note_update(note=note, user=request.user, **body.validated_data)
        return self._respond(self._reload(note))

    @extend_schema(request=None, responses={200: s.CounsellingNoteSerializer, **_ERRORS})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign and lock the note (its author only)."""
        return self._sign(request)

    @extend_schema(responses={200: s.AddendumSerializer(many=True), 404: _PROBLEM})
    @action(detail=True, methods=["get"])
    def addenda(self, request, pk=None):
        return self._list_addenda(request)

    @extend_schema(
        request=s.AddendumInputSerializer, responses={201: s.AddendumSerializer, **_ERRORS}
    )
    @addenda.mapping.post
    def add_addendum(self, request, pk=None):
        return self._add_addendum(request)
