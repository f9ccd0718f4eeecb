"""Small helpers shared by the intake API modules (history, diagnosis, level of care)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from assessments import history_rules as rules
from assessments.models.diagnosis import SEVERITIES, WITHDRAWALS
from patients.models import Patient

UNKNOWN_PATIENT = "Unknown patient, or not one of your patients."


def flatten_errors(detail: Any, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as flat keys: ``{"products": [{}, {"unit": [...]}]}`` becomes
    ``{"products[1].unit": [...]}``, the same keys the services use."""
    flat: dict[str, list[str]] = {}

    def walk(node: Any, key: str) -> None:
        if isinstance(node, dict):
            for name, child in node.items():
                if isinstance(name, int):
                    walk(child, f"{key}[{name}]")
                elif name == "non_field_errors":
                    walk(child, key or name)
                else:
                    walk(child, f"{key}.{name}" if key else str(name))
        elif isinstance(node, list) and any(isinstance(c, dict | list) for c in node):
            for index, child in enumerate(node):
                if child:
                    walk(child, f"{key}[{index}]")
        elif isinstance(node, list):
            flat.setdefault(key or "non_field_errors", []).extend(str(m) for m in node)
        else:
            flat.setdefault(key or "non_field_errors", []).append(str(node))

    walk(detail, prefix)
    return flat


def validated(serializer_class: type[serializers.Serializer], data: Any, **kwargs) -> dict:
    """Parse input with a serializer; errors come back flat (``products[1].unit``)."""
    serializer = serializer_class(data=data, **kwargs)
    if not serializer.is_valid():
        raise ValidationError(flatten_errors(serializer.errors))
    return dict(serializer.validated_data)


def visible_patient(view, patient_id) -> Patient:
    """A patient the caller may see, for a write that names one in its body (else a 400)."""
    patient = (
        Patient.objects.visible_to(view.request.user, token=view.token)
        .filter(pk=patient_id)
        .first()
    )
    if patient is None:
        raise ValidationError({"patient": [UNKNOWN_PATIENT]})
    return patient


class NamedChoiceField(serializers.ChoiceField):
    """A choice field whose enum is one named schema component, whatever the field is called.

    The intake reuses small choice sets (yes/no/unknown, severities) under many field names;
    naming the set once avoids drf-spectacular's naming collisions without a project-wide
    ENUM_NAME_OVERRIDES list.
    """

    def __init__(self, *args, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(*args, **kwargs)


class NamedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = NamedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name=self.target.enum_name,
            type=ResolvedComponent.SCHEMA,
            schema={"type": "string", "enum": [str(v) for v in self.target.choices]},
            object=self.target.enum_name,
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


# Choice sets shared by several fields -> their one schema name.
SHARED_CHOICES: dict[tuple, str] = {
    tuple(rules.TRI_STATE): "YesNoUnknownEnum",
    tuple(rules.ALLERGY_SEVERITIES): "AllergySeverityEnum",
    tuple(code for code, _ in SEVERITIES): "DiagnosisSeverityEnum",
    tuple(code for code, _ in WITHDRAWALS): "WithdrawalEnum",
}


def shared_choice_field(choices, **kwargs) -> serializers.ChoiceField:
    """A ChoiceField, named in the schema when its choice set is one of SHARED_CHOICES."""
    codes = tuple(c[0] if isinstance(c, tuple | list) else c for c in choices)
    name = SHARED_CHOICES.get(codes)
    if name is None or kwargs.get("allow_blank") or kwargs.get("allow_null"):
        return serializers.ChoiceField(choices=choices, **kwargs)
    return NamedChoiceField(choices=choices, enum_name=name, **kwargs)


class IntakeModelSerializer(serializers.ModelSerializer):
    """Model fields with a shared choice set get its one schema name (see NamedChoiceField)."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if "choices" in kwargs:
            codes = tuple(code for code, _ in model_field.flatchoices)
            if codes in SHARED_CHOICES and not kwargs.get("allow_blank"):
                kwargs["enum_name"] = SHARED_CHOICES[codes]
                return NamedChoiceField, kwargs
        return field_class, kwargs
