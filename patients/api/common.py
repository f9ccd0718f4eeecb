"""Helpers shared by the patient-record API modules."""

from __future__ import annotations

import hashlib

from rest_framework import serializers

from clinic.errors import PreconditionFailed
from patients.models import Patient


class VisiblePatientField(serializers.PrimaryKeyRelatedField):
    """A patient id the caller may see; anything else is 'Unknown patient.', revealing nothing."""

    default_error_messages = {
        "does_not_exist": "Unknown patient.",
        "incorrect_type": "Unknown patient.",
    }

    def get_queryset(self):
        request = self.context["request"]
        token = request.auth if hasattr(request.auth, "prefix") else None
        return Patient.objects.active().visible_to(request.user, token=token)

    def to_representation(self, value):
        return str(value.pk)


def etag_for(obj) -> str:
    """A weak validator from the row's identity and last change, for If-Match on updates."""
    stamp = f"{obj.pk}:{obj.updated_at.isoformat()}"
    return '"' + hashlib.sha256(stamp.encode()).hexdigest()[:32] + '"'


def check_if_match(request, obj) -> None:
    """412 when the caller's If-Match names another version than the one stored."""
    expected = request.headers.get("If-Match")
    if expected and expected.strip() not in ("*", etag_for(obj)):
        raise PreconditionFailed(
            "The record changed since you read it. Fetch it again and re-apply your change.",
            extra={"current_etag": etag_for(obj)},
        )
