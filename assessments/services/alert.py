"""Raising and working clinical alerts. Other apps raise theirs through :func:`alert_raise`.

Status table (anything else is a 409):

    open         --acknowledge-->  acknowledged
    open         --resolve------>  resolved   (only when no clinician acknowledgement is due)
    acknowledged --resolve------>  resolved

Alerts that require a clinician's acknowledgement (every suicide-risk alert) may be acknowledged
and resolved only by a user holding the Clinician role: never front desk, an integration, or
medical staff without that role (403, nothing changed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from assessments.alert_rules import AlertThresholds, evaluate_alerts, evaluate_cssrs
from assessments.models import Alert, Assessment
from assessments.models.alert import SUICIDE_RISK
from assessments.recorded_results import CSSRS_RECORDED
from clinic import access
from clinic.audit import record_event
from clinic.errors import ClinicError, Conflict
from clinic.models import AuditEvent

NOTE_MAX_LENGTH = 2000
ASSESSMENT_SOURCE = "assessment"


class Forbidden(ClinicError):
    """The caller's role may not make this change (HTTP 403); nothing was changed."""

    status = 403
    title = "Permission denied"
    type = "permission-denied"


# --- Thresholds ----------------------------------------------------------------------------------

_DECIMAL_FIELDS = frozenset({"aminotransferase_uln_multiple", "bilirubin_uln_multiple"})


def thresholds_from_mapping(overrides: object) -> AlertThresholds:
    """Build thresholds from a settings dict of field overrides; bad config is ImproperlyConfigured
    (the system check reports it at start-up, before any alert could be missed)."""
    if overrides is None:
        overrides = {}
    if not isinstance(overrides, Mapping):
        raise ImproperlyConfigured("ALERT_THRESHOLDS must be an object of threshold overrides.")
    known = {f.name for f in dataclasses.fields(AlertThresholds)}
    unknown = sorted(set(overrides) - known)
    if unknown:
        raise ImproperlyConfigured(f"ALERT_THRESHOLDS names unknown thresholds: {unknown}.")
    values = {}
    for name, value in overrides.items():
        if name == "cssrs_alert_levels" and isinstance(value, list | tuple):
            value = tuple(value)
        elif name in _DECIMAL_FIELDS and isinstance(value, float | str):
            try:
                value = Decimal(str(value))
            except ArithmeticError:
                raise ImproperlyConfigured(f"ALERT_THRESHOLDS {name} must be a number.") from None
        values[name] = value
    try:
        return AlertThresholds(**values)
    except (TypeError, ValueError) as exc:
        raise ImproperlyConfigured(f"ALERT_THRESHOLDS: {exc}") from None


def alert_thresholds() -> AlertThresholds:
    """The clinic's thresholds: `settings.ALERT_THRESHOLDS` over the clinical defaults."""
    return thresholds_from_mapping(getattr(settings, "ALERT_THRESHOLDS", None))


# --- Raising -------------------------------------------------------------------------------------


@transaction.atomic
def alert_raise(
    *,
    patient,
    code: str,
    kind: str,
    severity: str,
    text: str,
    requires_clinician_ack: bool = False,
    source_type: str = "",
    source_id: UUID | str = "",
    raised_by=None,
    same_source_ids: Iterable[UUID | str] = (),
) -> Alert:
    """Raise an alert, or return the unresolved one already raised for this code and source.

    `same_source_ids` names earlier versions of the source (an assessment a correction
    supersedes) whose unresolved alert stands for the same finding. Suicide-risk alerts always
    require a clinician's acknowledgement, whatever the caller says.
    """
    source_id = str(source_id) if source_id else ""
    source_ids = [source_id, *(str(i) for i in same_source_ids)]
    lookup = {"patient": patient, "code": code, "source_type": source_type}
    existing = Alert.objects.unresolved().filter(source_id__in=source_ids, **lookup).first()
    if existing is not None:
        return existing
    alert = Alert(
        patient=patient,
        code=code,
        kind=kind,
        severity=severity,
        text=text,
        requires_clinician_ack=requires_clinician_ack or kind == SUICIDE_RISK,
        source_type=source_type,
        source_id=source_id,
        raised_by=raised_by,
    )
    alert.full_clean()
    alert._history_user = raised_by
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:
        # Raised concurrently by another request for the same source: that one stands.
        return Alert.objects.unresolved().get(source_id=source_id, **lookup)
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=raised_by,
        object_type="alert",
        object_id=alert.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        detail=f"raised {code}",
    )
    return alert


def _superseded_chain(assessment: Assessment) -> list[UUID]:
    ids = []
    previous = assessment.supersedes
    while previous is not None:
        ids.append(previous.pk)
        previous = previous.supersedes
    return ids


def alerts_raise_for_assessment(*, assessment: Assessment, user=None) -> list[Alert]:
    """Evaluate the alert rules on a stored assessment and raise what fires, most severe first.

    A correction does not duplicate an alert its predecessors already raised and that is still
    unresolved: the chain of corrections counts as one source.
    """
    thresholds = alert_thresholds()
    if assessment.instrument_code == CSSRS_RECORDED:
        specs = evaluate_cssrs(assessment.answers["risk_level"], thresholds)
    else:
        result = {**assessment.result, "answers": assessment.answers}
        sex = (assessment.context or {}).get("sex")
        specs = evaluate_alerts(assessment.instrument_code, result, thresholds, sex=sex)
    if not specs:
        return []
    chain = _superseded_chain(assessment)
    return [
        alert_raise(
            patient=assessment.patient,
            code=spec.code,
            kind=spec.kind,
            severity=spec.severity,
            text=spec.text,
            requires_clinician_ack=spec.requires_clinician_ack,
            source_type=ASSESSMENT_SOURCE,
            source_id=assessment.pk,
            raised_by=user,
            same_source_ids=chain,
        )
        for spec in specs
    ]


# --- Working an alert ----------------------------------------------------------------------------


def may_act_on(alert: Alert, user) -> bool:
    """May this user acknowledge or resolve this alert? (The admin greys out what it may not.)"""
    if not access.can(user, "alert", "change"):
        return False
    return not alert.requires_clinician_ack or access.Role.CLINICIAN in access.user_roles(user)


def _check_may_act(alert: Alert, user, verb: str) -> None:
    if not access.can(user, "alert", "change"):
        raise Forbidden("Your role does not allow working alerts.")
    if alert.requires_clinician_ack and access.Role.CLINICIAN not in access.user_roles(user):
        raise Forbidden(
            f"Only a clinician may {verb} an alert that requires clinician acknowledgement "
            "(suicide risk)."
        )


def _clean_note(note: str | None, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise ValidationError({"note": ["Say what was done: a note is required to resolve."]})
    if len(note) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": [f"Keep the note to {NOTE_MAX_LENGTH} characters."]})
    return note


def _locked(alert: Alert) -> Alert:
    return Alert.objects.select_for_update(of=("self",)).select_related("patient").get(pk=alert.pk)


def _record(alert: Alert, user, detail: str) -> None:
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type="alert",
        object_id=alert.pk,
        patient_id=alert.patient_id,
        site_id=alert.patient.site_id,
        detail=detail,
    )


@transaction.atomic
def alert_acknowledge(*, alert: Alert, user, note: str = "") -> Alert:
    """open -> acknowledged, by someone allowed to (see the module docstring)."""
    alert = _locked(alert)
    _check_may_act(alert, user, "acknowledge")
    note = _clean_note(note, required=False)
    if alert.status != Alert.Status.OPEN:
        raise Conflict(
            f"Only an open alert can be acknowledged; this one is {alert.status}.",
            extra={"current_status": alert.status},
        )
    alert.status = Alert.Status.ACKNOWLEDGED
    alert.acknowledged_by = user
    alert.acknowledged_at = timezone.now()
    alert.acknowledge_note = note
    alert.full_clean()
    alert._history_user = user
    alert._change_reason = "acknowledged"
    alert.save()
    _record(alert, user, "acknowledged")
    return alert


@transaction.atomic
def alert_resolve(*, alert: Alert, user, note: str) -> Alert:
    """acknowledged -> resolved; open -> resolved only when no clinician acknowledgement is due."""
    alert = _locked(alert)
    _check_may_act(alert, user, "resolve")
    note = _clean_note(note, required=True)
    if alert.status == Alert.Status.RESOLVED:
        raise Conflict("This alert is already resolved.", extra={"current_status": alert.status})
    if alert.status == Alert.Status.OPEN and alert.requires_clinician_ack:
        raise Conflict(
            "This alert needs a clinician's acknowledgement before it can be resolved.",
            extra={"current_status": alert.status},
        )
    alert.status = Alert.Status.RESOLVED
    alert.resolved_by = user
    alert.resolved_at = timezone.now()
    alert.resolve_note = note
    alert.full_clean()
    alert._history_user = user
    alert._change_reason = "resolved"
    alert.save()
    _record(alert, user, "resolved")
    return alert


def alerts_by_source(source_type: str, source_ids: Iterable) -> dict[str, list[Alert]]:
    """Alerts raised from these source records, in one query, keyed by source id."""
    ids = [str(i) for i in source_ids]
    grouped: dict[str, list[Alert]] = {i: [] for i in ids}
    if not ids:
        return grouped
    rows = (
        Alert.objects.filter(source_type=source_type, source_id__in=ids)
        .with_priority()
        .order_by(*Alert.PRIORITY_ORDERING)
    )
    for alert in rows:
        grouped[alert.source_id].append(alert)
    return grouped
