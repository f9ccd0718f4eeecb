"""Submitting and correcting assessments: score, store and raise alerts in one transaction.

Validation messages come from the instrument library, keyed ``answers.<item code>``; they name
item codes and allowed values but never repeat a submitted value.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments.instruments import REGISTRY, ScoringError, UnknownInstrument, get_instrument
from assessments.instruments.base import NON_FIELD_ERRORS
from assessments.models import Assessment
from assessments.recorded_results import CSSRS_RECORDED, CSSRS_VERSION, cssrs_result
from assessments.services.alert import alerts_raise_for_assessment
from clinic.audit import record_event
from clinic.errors import Conflict
from clinic.models import AuditEvent

# Clocks of tablets and servers drift: allow this much before "in the future" is refused.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
REASON_MAX_LENGTH = 500
_UNSET: Any = object()


def known_codes() -> tuple[str, ...]:
    return (*REGISTRY, CSSRS_RECORDED)


def patient_context(patient) -> dict[str, Any]:
    """What instruments may use about the patient. Sex at birth maps to female/male only;
    intersex, unknown, declined or absent give None (AUDIT-C then uses the lower cut-off)."""
    sex = getattr(patient, "sex_at_birth", None)
    return {"sex": sex if sex in ("female", "male") else None}


def _answer_errors(errors: Mapping[str, list[str]]) -> dict[str, list[str]]:
    return {
        ("answers" if key == NON_FIELD_ERRORS else f"answers.{key}"): list(messages)
        for key, messages in errors.items()
    }


def _score(instrument_code: object, answers: object, patient) -> tuple[str, dict, dict, dict]:
    """(version, result dict, context used, errors) for one response; never raises on bad input."""
    if instrument_code == CSSRS_RECORDED:
        try:
            return CSSRS_VERSION, cssrs_result(answers), {}, {}
        except ScoringError as exc:
            return "", {}, {}, _answer_errors(exc.errors)
    try:
        definition = get_instrument(instrument_code)  # type: ignore[arg-type]
    except UnknownInstrument:
        message = f"Unknown instrument; known codes: {', '.join(known_codes())}."
        return "", {}, {}, {"instrument": [message]}
    full_context = patient_context(patient)
    context = {key: full_context.get(key) for key, _ in definition.context_choices}
    try:
        result = definition.score(answers, context=context)  # type: ignore[arg-type]
    except ScoringError as exc:
        return "", {}, {}, _answer_errors(exc.errors)
    return definition.version, result.to_dict(), context, {}


def _create(
    *,
    patient,
    instrument_code: str,
    answers: object,
    recorded_by,
    administered_by,
    administered_at: dt.datetime | None,
    setting: str,
    appointment_id: UUID | None,
    supersedes: Assessment | None = None,
    supersede_reason: str = "",
) -> Assessment:
    if patient.archived_at is not None:
        raise Conflict("The patient record is archived; assessments cannot be added.")
    version, result, context, errors = _score(instrument_code, answers, patient)
    if setting not in Assessment.Setting.values:
        errors["setting"] = [f"Choose one of {', '.join(Assessment.Setting.values)}."]
    now = timezone.now()
    if administered_at is None:
        administered_at = now
    elif administered_at > now + FUTURE_TOLERANCE:
        errors["administered_at"] = ["The administration time cannot be in the future."]
    if errors:
        raise ValidationError(errors)
    assessment = Assessment(
        patient=patient,
        instrument_code=instrument_code,
        instrument_version=version,
        answers=dict(answers),  # type: ignore[call-overload]
        context=context,
        result=result,
        total=result.get("total"),
        band=result.get("band") or "",
        administered_by=administered_by,
        recorded_by=recorded_by,
        administered_at=administered_at,
        setting=setting,
        appointment_id=appointment_id,
        supersedes=supersedes,
        supersede_reason=supersede_reason,
    )
    assessment.full_clean()
    assessment._history_user = recorded_by
    if supersedes is not None:
        assessment._change_reason = "correction"
    assessment.save()
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=recorded_by,
        object_type="assessment",
        object_id=assessment.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"{instrument_code} {'correction' if supersedes else 'submitted'}",
    )
    assessment.alerts_raised = alerts_raise_for_assessment(assessment=assessment, user=recorded_by)
    return assessment


@transaction.atomic
def assessment_submit(
    *,
    patient,
    instrument_code: str,
    answers: object,
    user,
    setting: str,
    administered_at: dt.datetime | None = None,
    appointment_id: UUID | None = None,
) -> Assessment:
    """Validate, score and store one response and raise its alerts, all or nothing.

    The caller has already checked that `user` may see `patient`. The returned assessment carries
    `alerts_raised` (new or already-open alerts for what fired).
    """
    return _create(
        patient=patient,
        instrument_code=instrument_code,
        answers=answers,
        recorded_by=user,
        administered_by=user,
        administered_at=administered_at,
        setting=setting,
        appointment_id=appointment_id,
    )


@transaction.atomic
def assessment_supersede(
    *,
    assessment: Assessment,
    answers: object,
    reason: str,
    user,
    administered_at: dt.datetime | None = None,
    setting: str | None = None,
    appointment_id: UUID | None = _UNSET,
) -> Assessment:
    """Correct an assessment: a new one (same instrument, scored afresh) that supersedes it.

    The old one is kept unchanged and drops out of default lists. Only the latest version of a
    chain can be corrected (409 otherwise); the reason is required. Time, setting and appointment
    default to the original's: a correction usually fixes answers, not when they were given.
    """
    old = Assessment.objects.select_for_update(of=("self",)).select_related("patient")
    old = old.get(pk=assessment.pk)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ["Give the reason for the correction."]})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": [f"Keep the reason to {REASON_MAX_LENGTH} characters."]})
    if old.archived_at is not None:
        raise Conflict("An archived assessment cannot be corrected.")
    newer = Assessment.objects.filter(supersedes=old).values_list("pk", flat=True).first()
    if newer is not None:
        raise Conflict(
            "This assessment has already been corrected; correct the latest version.",
            extra={"superseded_by": str(newer)},
        )
    return _create(
        patient=old.patient,
        instrument_code=old.instrument_code,
        answers=answers,
        recorded_by=user,
        administered_by=old.administered_by,
        administered_at=administered_at or old.administered_at,
        setting=setting or old.setting,
        appointment_id=old.appointment_id if appointment_id is _UNSET else appointment_id,
        supersedes=old,
        supersede_reason=reason,
    )
