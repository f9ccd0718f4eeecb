"""Diagnosis suggestion and problem-list entries.

The suggestion always comes from the pure rules in ``assessments.diagnosis``, computed here on the
server from the checklist answers, so what is stored as "suggested" cannot be typed in. The
clinician confirms it or confirms another code with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from assessments import diagnosis as rules
from assessments.models import Diagnosis, DiagnosisStatus
from assessments.models.diagnosis import OPEN_STATUSES
from assessments.services._intake import Errors, check_clean, lock_patient
from clinic.audit import record_event
from clinic.errors import Conflict
from clinic.models import AuditEvent
from patients.models import Patient

RECORD_TYPE = "diagnosis"

# Which status may follow which. Ruled out is final: a new finding is a new entry.
TRANSITIONS: dict[str, frozenset[str]] = {
    DiagnosisStatus.ACTIVE: frozenset(
        {DiagnosisStatus.IN_REMISSION, DiagnosisStatus.RESOLVED, DiagnosisStatus.RULED_OUT}
    ),
    DiagnosisStatus.IN_REMISSION: frozenset({DiagnosisStatus.ACTIVE, DiagnosisStatus.RESOLVED}),
    DiagnosisStatus.RESOLVED: frozenset({DiagnosisStatus.ACTIVE}),
    DiagnosisStatus.RULED_OUT: frozenset(),
}
REASON_REQUIRED = frozenset({DiagnosisStatus.RULED_OUT})


def diagnosis_suggest(
    *,
    criteria_met: Iterable[int],
    months_since_last_met: int | None = None,
    withdrawal: str = "none",
    substance: str = "kratom",
    controlled_environment: bool = False,
    on_maintenance: bool = False,
) -> rules.DiagnosisSuggestion:
    """The rules' suggestion; bad input becomes a ValidationError keyed by argument (a 400)."""
    try:
        return rules.suggest_diagnosis(
            criteria_met,
            months_since_last_met=months_since_last_met,
            withdrawal=withdrawal,
            substance=substance,
            controlled_environment=controlled_environment,
            on_maintenance=on_maintenance,
        )
    except rules.DiagnosisError as exc:
        raise ValidationError(exc.errors) from exc


def diagnosis_prepare(
    *,
    patient: Patient,
    user,
    criteria_met: Iterable[int],
    months_since_last_met: int | None = None,
    withdrawal: str = "none",
    substance: str = "kratom",
    controlled_environment: bool = False,
    on_maintenance: bool = False,
    icd10_code: str | None = None,
    severity: str | None = None,
    remission: str | None = None,
    confirmed_withdrawal: str | None = None,
    display: str = "",
    change_reason: str = "",
    onset_date: dt.date | None = None,
) -> Diagnosis:
    """The validated, unsaved entry ``diagnosis_confirm`` would save (a ValidationError if not).

    Without ``icd10_code`` the suggestion is taken as it is. With another code, the clinician
    gives a ``change_reason`` and, where they differ from the suggestion, the ``severity``,
    ``remission`` and ``confirmed_withdrawal`` the code stands for (checked against the table).
    """
    suggestion = diagnosis_suggest(
        criteria_met=criteria_met,
        months_since_last_met=months_since_last_met,
        withdrawal=withdrawal,
        substance=substance,
        controlled_environment=controlled_environment,
        on_maintenance=on_maintenance,
    )
    errors: Errors = {}
    code = (icd10_code or "").strip().upper() or suggestion.icd10_code
    if code is None:
        raise ValidationError(
            {
                "icd10_code": [
                    "The checklist suggests no disorder and no withdrawal, so there is no code "
                    "to confirm; choose a code and give a reason to diagnose anyway."
                ]
            }
        )
    severity = severity or suggestion.severity
    remission = remission or suggestion.remission
    final_withdrawal = confirmed_withdrawal or suggestion.withdrawal
    specifiers = [f"in {remission} remission"] if remission != "none" else []
    for flag, text in (
        (controlled_environment, "in a controlled environment"),
        (on_maintenance, "on maintenance therapy"),
    ):
        if flag:
            if remission == "none":
                errors.setdefault("remission", []).append(f"'{text}' applies only in remission.")
            specifiers.append(text)

    suggested_code = suggestion.icd10_code or ""
    changed = code != suggested_code
    if not display.strip():
        if changed:
            row = next((r for r in rules.load_code_table().rows if r.code == code), None)
            display = f"{row.title} ({suggestion.substance})" if row else code
        else:
            display = suggestion.display
    if onset_date is not None:
        if onset_date > timezone.localdate():
            errors.setdefault("onset_date", []).append("Cannot be in the future.")
        elif onset_date < patient.date_of_birth:
            errors.setdefault("onset_date", []).append("Cannot be before the date of birth.")

    entry = Diagnosis(
        patient=patient,
        substance=suggestion.substance,
        criteria_met=sorted(suggestion.criteria),
        months_since_last_met=months_since_last_met,
        controlled_environment=controlled_environment,
        on_maintenance=on_maintenance,
        suggested_code=suggested_code,
        suggested_display=suggestion.display,
        code_set_year=suggestion.code_set_year,
        icd10_code=code,
        display=display.strip(),
        severity=severity,
        remission=remission,
        withdrawal=final_withdrawal,
        specifiers=specifiers,
        onset_date=onset_date,
        code_changed=changed,
        change_reason=change_reason.strip(),
        confirmed_by=user,
        confirmed_at=timezone.now(),
        status=DiagnosisStatus.IN_REMISSION if remission != "none" else DiagnosisStatus.ACTIVE,
    )
    # The one-open-entry rule is checked by diagnosis_confirm, against locked rows.
    check_clean(entry, errors, exclude=["patient"])
    if errors:
        raise ValidationError(errors)
    return entry


def open_diagnosis(*, patient: Patient, substance: str, lock: bool = False) -> Diagnosis | None:
    """The patient's open (active or in remission) entry for a substance, if any."""
    qs = Diagnosis.objects.open().filter(patient=patient, substance__iexact=substance.strip())
    return (qs.select_for_update() if lock else qs).first()


@transaction.atomic
def diagnosis_confirm(
    *, patient: Patient, user, replaces: Diagnosis | None = None, **checklist_and_choice
) -> Diagnosis:
    """Put a diagnosis on the problem list (arguments as for ``diagnosis_prepare``).

    One open entry per substance: an open one must be named in ``replaces`` (it becomes
    resolved, in the same transaction) or the request is a conflict (409).
    """
    patient = lock_patient(patient)
    entry = diagnosis_prepare(patient=patient, user=user, **checklist_and_choice)
    current = open_diagnosis(patient=patient, substance=entry.substance, lock=True)
    if current is not None and (replaces is None or current.pk != replaces.pk):
        raise Conflict(
            "The patient already has an open diagnosis for this substance: name it in "
            "'replaces' to resolve it, or change its status first.",
            extra={"current_id": str(current.pk)},
        )
    if replaces is not None and current is None:
        raise ValidationError(
            {"replaces": ["Not an open diagnosis of this patient for this substance."]}
        )
    if current is not None:
        _set_status(
            current, user, DiagnosisStatus.RESOLVED, "replaced by a new diagnosis", timezone.now()
        )
    entry._history_user = user
    entry.save()
    record_event(
        action=AuditEvent.Action.CREATE,
        actor=user,
        object_type=RECORD_TYPE,
        object_id=entry.pk,
        patient_id=patient.pk,
        site_id=patient.site_id,
        # The audit trail names no codes: a diagnosis is patient data.
        detail="confirmed" + (", code changed from the suggestion" if entry.code_changed else ""),
    )
    return entry


def diagnosis_check_status(*, diagnosis: Diagnosis, status: str, reason: str = "") -> None:
    """Raise ValidationError (bad input) or Conflict (not allowed from the current status)."""
    if status not in DiagnosisStatus.values:
        raise ValidationError({"status": [f"Must be one of: {', '.join(DiagnosisStatus.values)}."]})
    if status not in TRANSITIONS[diagnosis.status]:
        raise Conflict(
            f"A diagnosis that is {diagnosis.get_status_display().lower()} cannot become "
            f"{DiagnosisStatus(status).label.lower()}.",
            extra={"status": diagnosis.status},
        )
    if status in REASON_REQUIRED and not reason.strip():
        raise ValidationError({"status_reason": ["Give the reason."]})
    if status in OPEN_STATUSES and diagnosis.status not in OPEN_STATUSES:
        other = (
            Diagnosis.objects.open()
            .filter(patient_id=diagnosis.patient_id, substance__iexact=diagnosis.substance)
            .exclude(pk=diagnosis.pk)
            .first()
        )
        if other is not None:
            raise Conflict(
                "Another diagnosis for this substance is open.",
                extra={"current_id": str(other.pk)},
            )


@transaction.atomic
def diagnosis_update_status(
    *, diagnosis: Diagnosis, user, status: str, reason: str = ""
) -> Diagnosis:
    """Move a problem-list entry along its allowed transitions; history keeps each step."""
    diagnosis = Diagnosis.objects.select_for_update().select_related("patient").get(pk=diagnosis.pk)
    diagnosis_check_status(diagnosis=diagnosis, status=status, reason=reason)
    _set_status(diagnosis, user, status, reason.strip(), timezone.now())
    record_event(
        action=AuditEvent.Action.UPDATE,
        actor=user,
        object_type=RECORD_TYPE,
        object_id=diagnosis.pk,
        patient_id=diagnosis.patient_id,
        site_id=diagnosis.patient.site_id,
        detail="status changed",
    )
    return diagnosis


def _set_status(diagnosis: Diagnosis, user, status: str, reason: str, now) -> None:
    diagnosis.status = status
    diagnosis.status_reason = reason[:300]
    diagnosis.status_changed_at = now
    diagnosis.status_changed_by = user
    diagnosis._history_user = user
    diagnosis._change_reason = f"status {status}"
    diagnosis.save(
        update_fields=[
            "status",
            "status_reason",
            "status_changed_at",
            "status_changed_by",
            "updated_at",
        ]
    )
