from django.contrib.auth import get_user_model
from rest_framework import serializers

from patients.api.common import VisiblePatientField
from patients.models import CareTeamMember, Coverage, EmergencyContact, Patient, StatusEvent
from patients.services.patient import DEMOGRAPHIC_FIELDS, allowed_next_statuses

User = get_user_model()
_DEMOGRAPHICS = sorted(DEMOGRAPHIC_FIELDS)


class PatientSerializer(serializers.ModelSerializer):
    site = serializers.SlugRelatedField(slug_field="code", read_only=True)
    primary_clinician = serializers.PrimaryKeyRelatedField(read_only=True)
    allowed_next_statuses = serializers.SerializerMethodField()
    merged_into = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "site",
            *_DEMOGRAPHICS,
            "status",
            "allowed_next_statuses",
            "merged_into",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = fields

    def get_allowed_next_statuses(self, obj) -> list[str]:
        return allowed_next_statuses(obj.status)


class PatientListSerializer(serializers.ModelSerializer):
    """The list shows who the patient is and where they stand, not their whole record."""

    site = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "site",
            "first_name",
            "middle_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "status",
            "primary_clinician",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = fields


class PatientWriteSerializer(serializers.ModelSerializer):
    """Input for registration and demographic updates. Field rules live in the model/services."""

    confirm_not_duplicate = serializers.BooleanField(
        required=False,
        default=False,
        write_only=True,
        help_text="Set true after reviewing the candidates of a 409 duplicate warning.",
    )
    primary_clinician = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False, allow_null=True
    )

    class Meta:
        model = Patient
        fields = [*_DEMOGRAPHICS, "confirm_not_duplicate"]
        extra_kwargs = {
            "phone_mobile": {"help_text": "Any common format; stored in E.164."},
            "phone_home": {"help_text": "Any common format; stored in E.164."},
        }


class PatientCreateSerializer(PatientWriteSerializer):
    site = serializers.CharField(help_text="Site code, for example NSH1.")

    class Meta(PatientWriteSerializer.Meta):
        fields = ["site", *PatientWriteSerializer.Meta.fields]


class TransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Patient.Status.choices)
    effective_on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=30)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class MergeSerializer(serializers.Serializer):
    duplicate = serializers.UUIDField(help_text="The record to merge into this one.")
    reason = serializers.CharField(max_length=200)


class ArchiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)


class DuplicateCheckSerializer(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField(required=False, allow_null=True)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    email = serializers.EmailField(required=False, allow_blank=True)


class CandidateSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    mrn = serializers.CharField()
    name = serializers.CharField()
    date_of_birth = serializers.DateField()
    site = serializers.CharField()
    reasons = serializers.ListField(child=serializers.CharField())


class StatusEventSerializer(serializers.ModelSerializer):
    episode = serializers.IntegerField(source="episode.number", read_only=True)

    class Meta:
        model = StatusEvent
        fields = [
            "id",
            "episode",
            "from_status",
            "to_status",
            "effective_on",
            "reason",
            "note",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = fields


class EmergencyContactSerializer(serializers.ModelSerializer):
    patient = VisiblePatientField()

    class Meta:
        model = EmergencyContact
        fields = [
            "id",
            "patient",
            "name",
            "relationship",
            "phone",
            "is_primary",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "archived_at"]


class CoverageSerializer(serializers.ModelSerializer):
    patient = VisiblePatientField()

    class Meta:
        model = Coverage
        fields = [
            "id",
            "patient",
            "payer_name",
            "plan_name",
            "member_id",
            "group_number",
            "subscriber_name",
            "subscriber_relationship",
            "priority",
            "effective_date",
            "end_date",
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at", "archived_at"]


class CareTeamMemberSerializer(serializers.ModelSerializer):
    class Meta:
        model = CareTeamMember
        fields = ["id", "patient", "staff", "role", "start_date", "end_date"]
        read_only_fields = ["id"]
