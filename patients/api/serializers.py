from rest_framework import serializers

from patients.models import Patient


class PatientSerializer(serializers.ModelSerializer):
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
            "created_at",
            "updated_at",
            "archived_at",
        ]
        read_only_fields = ["id", "mrn", "site", "created_at", "updated_at", "archived_at"]


class PatientCreateSerializer(serializers.Serializer):
    site = serializers.CharField(help_text="Site code, for example NSH1.")
    first_name = serializers.CharField(max_length=100)
    middle_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=100)
    preferred_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    date_of_birth = serializers.DateField()


class ArchiveSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=200)
