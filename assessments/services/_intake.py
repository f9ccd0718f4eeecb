"""Helpers shared by the intake services (history, diagnosis, level of care)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from clinic.errors import Conflict
from patients.models import Patient

Errors = dict[str, list[str]]


def add_errors(errors: Errors, exc: ValidationError, prefix: str = "") -> None:
    """Collect a model's validation errors, keyed ``prefix.field`` (or ``prefix`` alone)."""
    items = exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
    for field, messages in items:
        if field in (NON_FIELD_ERRORS, ""):
            key = prefix or NON_FIELD_ERRORS
        else:
            key = f"{prefix}.{field}" if prefix else field
        errors.setdefault(key, []).extend(messages)


def unknown_keys(data: Mapping[str, Any], allowed: Iterable[str], prefix: str = "") -> Errors:
    extra = sorted(set(data) - set(allowed))
    return {(f"{prefix}.{k}" if prefix else k): ["Unknown field."] for k in extra}


def lock_patient(patient: Patient) -> Patient:
    """Lock the patient row: revisions and replacements of one patient's record never race."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.archived_at is not None:
        raise Conflict("The patient's record is archived; it takes no new clinical entries.")
    return patient


def check_clean(obj, errors: Errors, *, prefix: str = "", exclude: Iterable[str] = ()) -> None:
    try:
        obj.full_clean(exclude=list(exclude))
    except ValidationError as exc:
        add_errors(errors, exc, prefix)
