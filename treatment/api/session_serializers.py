"""Input and output shapes for sessions, group sessions, per-patient attendance and counselling
notes. Rules live in treatment.services.sessions; these only check types and shapes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from clinic import access
from patients.api.common import VisiblePatientField as _VisiblePatientField
from treatment.models import (
    CounsellingNote,
    GroupAttendance,
    GroupSession,
    IndividualSession,
    Modality,
)

User = get_user_model()
STATUS_CHOICES = [("draft", "Draft"), ("signed", "Signed")]


@extend_schema_field(OpenApiTypes.UUID)
class VisiblePatientField(_VisiblePatientField):
    """A patient id the caller may see (typed as a UUID in the schema)."""


def staff_name(user) -> str:
    if user is None:
        return ""
    profile = getattr(user, "staff_profile", None)
    return profile.display_name if profile is not None else user.get_username()


class StaffRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.SerializerMethodField()

    def get_name(self, obj) -> str:
        return staff_name(obj)


class AddendumSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True)
    author_name = serializers.SerializerMethodField()
    written_at = serializers.DateTimeField(read_only=True)
    text = serializers.CharField(read_only=True)
    reason = serializers.CharField(read_only=True)

    def get_author_name(self, obj) -> str:
        return staff_name(obj.author)


class AddendumInputSerializer(serializers.Serializer):
    text = serializers.CharField(help_text="What is added. The signed note itself never changes.")
    reason = serializers.CharField(max_length=200, help_text="Why: correction, late entry, ...")


class GroupAddendumInputSerializer(AddendumInputSerializer):
    patient = VisiblePatientField(
        required=False,
        allow_null=True,
        help_text="Set when the addendum is about one patient's row; it then shows in their "
        "record. Leave out for an addendum to the group note.",
    )


class _SignedFields(serializers.Serializer):
    status = serializers.ChoiceField(choices=STATUS_CHOICES, read_only=True)
    signed_at = serializers.DateTimeField(read_only=True)
    signed_by = serializers.IntegerField(source="signed_by_id", read_only=True)
    signed_by_name = serializers.SerializerMethodField()

    def get_signed_by_name(self, obj) -> str:
        return staff_name(obj.signed_by)


# --- individual sessions -------------------------------------------------------------------------


class SessionSerializer(_SignedFields, serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True)
    author_name = serializers.SerializerMethodField()
    objective_ids = serializers.ListField(
        child=serializers.UUIDField(), allow_null=True, read_only=True
    )
    course_label = serializers.CharField(read_only=True, help_text='For example "5 of 12".')
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = IndividualSession
        fields = [
            "id",
            "patient",
            "session_type",
            "started_at",
            "duration_minutes",
            "modality",
            "author",
            "author_name",
            "appointment_id",
            "objective_ids",
            "course_session_number",
            "course_planned_sessions",
            "course_label",
            "note_format",
            "data",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "status",
            "signed_at",
            "signed_by",
            "signed_by_name",
            "addenda",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_author_name(self, obj) -> str:
        return staff_name(obj.author)


class SessionWriteSerializer(serializers.ModelSerializer):
    """Draft fields. The author is the caller; the patient is set on creation only."""

    objective_ids = serializers.ListField(
        child=serializers.UUIDField(),
        allow_null=True,
        required=False,
        help_text="Treatment-plan objectives addressed (UUIDs).",
    )
    course_session_number = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="CBT/MET only: this session's number in the course; defaults to the next one.",
    )
    course_planned_sessions = serializers.IntegerField(
        required=False,
        allow_null=True,
        help_text="CBT/MET only: sessions planned in the course; defaults to the course's "
        "current plan, or the clinic setting (CBT 12, MET 4).",
    )

    class Meta:
        model = IndividualSession
        fields = [
            "session_type",
            "started_at",
            "duration_minutes",
            "modality",
            "appointment_id",
            "objective_ids",
            "course_session_number",
            "course_planned_sessions",
            "note_format",
            "data",
            "subjective",
            "objective",
            "assessment",
            "plan",
        ]
        # The course-number uniqueness is checked by the service (with a field message and a
        # default number), not by a generated unique-together validator that would demand it.
        validators = []


class SessionCreateSerializer(SessionWriteSerializer):
    patient = VisiblePatientField()

    class Meta(SessionWriteSerializer.Meta):
        fields = ["patient", *SessionWriteSerializer.Meta.fields]


# --- group sessions ------------------------------------------------------------------------------


class RosterRowSerializer(serializers.ModelSerializer):
    """A roster row, shown only with the group itself and only for patients the viewer may see."""

    patient = serializers.UUIDField(source="patient_id", read_only=True)
    mrn = serializers.CharField(source="patient.mrn", read_only=True)
    patient_name = serializers.CharField(source="patient.display_name", read_only=True)
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = GroupAttendance
        fields = ["id", "patient", "mrn", "patient_name", "status", "note", "addenda"]
        read_only_fields = fields


class GroupSessionListSerializer(_SignedFields, serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="code", read_only=True)
    topic_label = serializers.CharField(read_only=True)
    facilitators = StaffRefSerializer(many=True, read_only=True)
    created_by = serializers.IntegerField(source="created_by_id", read_only=True)

    class Meta:
        model = GroupSession
        fields = [
            "id",
            "site",
            "topic",
            "title",
            "topic_label",
            "started_at",
            "duration_minutes",
            "modality",
            "facilitators",
            "summary",
            "created_by",
            "status",
            "signed_at",
            "signed_by",
            "signed_by_name",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class GroupSessionSerializer(GroupSessionListSerializer):
    """The group with its roster: rows of patients at sites the viewer may see, and addenda to the
    group note and to those rows."""

    roster = RosterRowSerializer(many=True, read_only=True, source="visible_roster")
    addenda = AddendumSerializer(many=True, read_only=True, source="group_addenda")

    class Meta(GroupSessionListSerializer.Meta):
        fields = [*GroupSessionListSerializer.Meta.fields, "roster", "addenda"]
        read_only_fields = fields


class AttendanceInputSerializer(serializers.Serializer):
    patient = VisiblePatientField()
    status = serializers.ChoiceField(choices=GroupAttendance.Status.choices, required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    removed = serializers.BooleanField(
        required=False, default=False, help_text="True takes a patient added by mistake off."
    )


class GroupSessionWriteSerializer(serializers.Serializer):
    topic = serializers.ChoiceField(choices=GroupSession.Topic.choices, required=False)
    title = serializers.CharField(max_length=120, required=False, allow_blank=True)
    started_at = serializers.DateTimeField(required=False)
    duration_minutes = serializers.IntegerField(required=False)
    modality = serializers.ChoiceField(choices=Modality.choices, required=False)
    summary = serializers.CharField(required=False, allow_blank=True)
    facilitators = serializers.PrimaryKeyRelatedField(
        many=True,
        required=False,
        queryset=User.objects.filter(is_active=True),
        help_text="One or two staff ids; they must work at the group's site.",
    )
    attendance = AttendanceInputSerializer(
        many=True,
        required=False,
        help_text="Rows to add or change, by patient; rows not listed stay as they are.",
    )


class GroupSessionCreateSerializer(GroupSessionWriteSerializer):
    site = serializers.CharField(help_text="Site code, for example NSH1.")
    topic = serializers.ChoiceField(choices=GroupSession.Topic.choices)
    started_at = serializers.DateTimeField()
    duration_minutes = serializers.IntegerField()
    facilitators = serializers.PrimaryKeyRelatedField(
        many=True,
        queryset=User.objects.filter(is_active=True),
        help_text="One or two staff ids; they must work at the group's site.",
    )


class PatientGroupAttendanceSerializer(serializers.ModelSerializer):
    """One patient's group attendance: the group's date, topic and facilitators and this patient's
    own row. Never the roster, the group summary or anything about another patient."""

    group_session = serializers.UUIDField(source="group_id", read_only=True)
    started_at = serializers.DateTimeField(source="group.started_at", read_only=True)
    duration_minutes = serializers.IntegerField(source="group.duration_minutes", read_only=True)
    topic = serializers.CharField(source="group.topic", read_only=True)
    topic_label = serializers.CharField(source="group.topic_label", read_only=True)
    modality = serializers.CharField(source="group.modality", read_only=True)
    site = serializers.CharField(source="group.site.code", read_only=True)
    facilitators = StaffRefSerializer(source="group.facilitators", many=True, read_only=True)
    group_status = serializers.ChoiceField(
        source="group.status", choices=STATUS_CHOICES, read_only=True
    )
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = GroupAttendance
        fields = [
            "id",
            "group_session",
            "started_at",
            "duration_minutes",
            "topic",
            "topic_label",
            "modality",
            "site",
            "facilitators",
            "group_status",
            "status",
            "note",
            "addenda",
        ]
        read_only_fields = fields


# --- counselling notes ---------------------------------------------------------------------------


class CounsellingNoteSerializer(_SignedFields, serializers.ModelSerializer):
    patient = serializers.UUIDField(source="patient_id", read_only=True)
    session = serializers.UUIDField(source="session_id", read_only=True, allow_null=True)
    author = serializers.IntegerField(source="author_id", read_only=True)
    author_name = serializers.SerializerMethodField()
    addenda = AddendumSerializer(many=True, read_only=True)

    class Meta:
        model = CounsellingNote
        fields = [
            "id",
            "patient",
            "session",
            "occurred_at",
            "content",
            "author",
            "author_name",
            "status",
            "signed_at",
            "signed_by",
            "signed_by_name",
            "addenda",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_author_name(self, obj) -> str:
        return staff_name(obj.author)


@extend_schema_field(OpenApiTypes.UUID)
class _VisibleSessionField(serializers.PrimaryKeyRelatedField):
    default_error_messages = {
        "does_not_exist": "Unknown session.",
        "incorrect_type": "Unknown session.",
    }

    def get_queryset(self):
        request = self.context["request"]
        return access.scope_queryset(
            IndividualSession.objects.active(), request.user, "patient__site"
        )


class CounsellingNoteWriteSerializer(serializers.Serializer):
    session = _VisibleSessionField(required=False, allow_null=True)
    occurred_at = serializers.DateTimeField(required=False)
    content = serializers.CharField(required=False)


class CounsellingNoteCreateSerializer(CounsellingNoteWriteSerializer):
    patient = VisiblePatientField()
    occurred_at = serializers.DateTimeField()
    content = serializers.CharField()
