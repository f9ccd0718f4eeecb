"""Writes to treatment plans: drafts and their parts, signing, co-signing, the patient's
acknowledgement, revisions, reviews and status moves.

Each service is one transaction. Anything that touches a plan locks its row first
(``SELECT ... FOR UPDATE``), so an edit racing a signature either lands before it or is refused
after it. Services that create or activate a plan lock the patient row before the plan row (one
order everywhere, so two of them cannot deadlock). Errors: ``ValidationError`` (400, by field),
``Conflict``/``PlanLocked`` (409, the plan's state forbids it), ``SigningRefused`` (403, this
person may not sign, co-sign or review this plan).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from assessments import asam
from assessments.recommendations import INTERVENTION_TYPES, RULES, Recommendation
from clinic import access
from clinic.audit import record_event
from clinic.errors import ClinicError, Conflict
from clinic.models import AuditEvent, StaffProfile
from patients.models import CareTeamMember, Episode, Patient
from treatment import plan_policy
from treatment.models import (
    Goal,
    Intervention,
    InterventionObjective,
    Objective,
    ObjectiveProgress,
    PlanEvent,
    PlanLocked,
    PlanReview,
    Problem,
    TreatmentPlan,
)
from treatment.selectors.plan import latest_objective_statuses, with_plan_parts

Status = TreatmentPlan.Status
Kind = PlanEvent.Kind

PLAN_FIELDS = frozenset({"level_of_care", "start_date", "episode"})
PROBLEM_FIELDS = frozenset({"description", "strengths", "diagnosis_id", "position"})
GOAL_FIELDS = frozenset({"patient_words", "clinical_restatement", "position"})
OBJECTIVE_FIELDS = frozenset({"description", "measure", "target_date", "status", "position"})
INTERVENTION_FIELDS = frozenset(
    {
        "intervention_type",
        "description",
        "frequency_count",
        "frequency_period",
        "duration_weeks",
        "responsible_staff",
        "position",
    }
)
_FALLBACK_FREQUENCY = {"count": 1, "period": "week", "weeks": 12}


class SigningRefused(ClinicError):
    """This person may not sign, co-sign or review this plan (HTTP 403)."""

    status = 403
    title = "Permission denied"
    type = "permission-denied"


# --- Policy read from settings -------------------------------------------------------------------


def review_days(level_of_care: str) -> int:
    """Days between reviews for a level of care (setting TREATMENT_PLAN_REVIEW_DAYS)."""
    return plan_policy.review_interval_days(level_of_care, settings.TREATMENT_PLAN_REVIEW_DAYS)


def review_due_from(start: dt.date, level_of_care: str) -> dt.date:
    return plan_policy.next_review_due(start, level_of_care, settings.TREATMENT_PLAN_REVIEW_DAYS)


def intervention_defaults(intervention_type: str) -> dict:
    """Frequency and duration for a new intervention (setting
    TREATMENT_PLAN_INTERVENTION_DEFAULTS), as model field values."""
    d = settings.TREATMENT_PLAN_INTERVENTION_DEFAULTS.get(intervention_type, _FALLBACK_FREQUENCY)
    return {
        "frequency_count": d["count"],
        "frequency_period": d["period"],
        "duration_weeks": d["weeks"],
    }


def level_codes() -> frozenset[str]:
    """ASAM level codes of every supported edition."""
    return frozenset(level.code for ed in asam.EDITIONS for level in asam.levels(ed))


# --- Helpers -------------------------------------------------------------------------------------


def _today() -> dt.date:
    return timezone.localdate()


def _only(fields: dict, allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise ValidationError({f: ["This field cannot be set here."] for f in sorted(unknown)})


def _save(obj, user, reason: str = "") -> None:
    """Save with the acting user (and a reason) on the history row."""
    obj._history_user = user
    if reason:
        obj._change_reason = reason
    obj.save()


def _lock_patient(patient_id) -> Patient:
    return Patient.objects.select_for_update().get(pk=patient_id)


def _lock_plan(plan_id) -> TreatmentPlan:
    return (
        TreatmentPlan.objects.select_for_update(of=("self",))
        .select_related("patient", "episode")
        .get(pk=plan_id)
    )


def _require_editable(plan: TreatmentPlan) -> None:
    if plan.is_locked:
        detail = (
            "This treatment plan is signed, so it cannot be changed. Create a revision to "
            "change it."
            if plan.signed_at
            else f"This treatment plan is {plan.get_status_display().lower()}; it cannot be "
            "changed."
        )
        raise PlanLocked(
            detail, extra={"plan_status": plan.status, "signed": plan.signed_at is not None}
        )


def _audit(user, plan: TreatmentPlan, action: str, detail: str, *, obj=None) -> None:
    record_event(
        action=action,
        actor=user,
        object_type=f"plan_{type(obj).__name__.lower()}" if obj is not None else "treatment_plan",
        object_id=(obj or plan).pk,
        patient_id=plan.patient_id,
        site_id=plan.patient.site_id,
        detail=detail,
    )


def _event(plan: TreatmentPlan, kind: str, user, *, note: str = "", **statuses) -> PlanEvent:
    return PlanEvent.objects.create(
        plan=plan,
        kind=kind,
        actor=user,
        note=note[:200],
        from_status=statuses.get("from_status", ""),
        to_status=statuses.get("to_status", ""),
    )


def _works_at(user, site_id: int) -> bool:
    return StaffProfile.objects.filter(user=user, sites=site_id, sites__is_active=True).exists()


def _is_clinician_at(user, site_id: int) -> bool:
    return (
        user is not None
        and user.is_active
        and access.Role.CLINICIAN in access.user_roles(user)
        and _works_at(user, site_id)
    )


def _require_clinician_at_site(user, plan: TreatmentPlan, what: str) -> None:
    if not _is_clinician_at(user, plan.patient.site_id):
        raise SigningRefused(f"Only a clinician who works at the patient's site may {what} a plan.")


def _check_responsible_staff(staff, site_id: int) -> None:
    """Responsible staff: an active member of the clinical staff who works at the patient's site."""
    if staff is None:
        return
    clinical = bool(access.user_roles(staff) & access.CLINICAL_ROLES)
    if not (staff.is_active and clinical and _works_at(staff, site_id)):
        raise ValidationError(
            {"responsible_staff": ["Choose clinical staff who work at the patient's site."]}
        )


def _set_status(plan: TreatmentPlan, to_status: str, user, *, note: str = "") -> None:
    from_status = plan.status
    plan.status = to_status
    _save(plan, user, f"status: {to_status}")
    _event(plan, Kind.TRANSITIONED, user, note=note, from_status=from_status, to_status=to_status)


# --- Drafts --------------------------------------------------------------------------------------


def plan_validate(plan: TreatmentPlan) -> None:
    """Check a plan's level of care, episode and start date (no writes; the admin asks first)."""
    errors: dict[str, list[str]] = {}
    if plan.level_of_care not in level_codes():
        errors["level_of_care"] = ["Not an ASAM level code (for example 1, 2.1, 3.7-WM)."]
    episode = plan.episode
    if episode.patient_id != plan.patient_id:
        errors["episode"] = ["Choose an episode of this patient."]
    elif episode.discharged_on is not None:
        errors["episode"] = ["This episode is closed: the patient was discharged."]
    elif plan.start_date is not None and plan.start_date < episode.started_on:
        errors["start_date"] = ["The plan cannot start before the episode of care."]
    if errors:
        raise ValidationError(errors)
    plan.full_clean()


def open_draft(patient: Patient) -> TreatmentPlan | None:
    """The patient's draft plan, if any: one at a time, so plans are not copied and pasted."""
    return TreatmentPlan.objects.filter(patient=patient, status=Status.DRAFT).first()


def _refuse_second_draft(patient: Patient) -> None:
    draft = open_draft(patient)
    if draft is not None:
        raise Conflict(
            "This patient already has a draft plan: finish or discontinue it first.",
            extra={"draft": str(draft.pk)},
        )


def _new_plan(
    *, patient, user, level_of_care: str, start_date=None, episode: Episode | None = None
) -> TreatmentPlan:
    patient = _lock_patient(patient.pk)
    if patient.archived_at is not None:
        raise ValidationError({"patient": ["This patient record is archived."]})
    _refuse_second_draft(patient)
    if episode is None:
        episode = patient.episodes.order_by("-number").first()
    plan = TreatmentPlan(
        patient=patient,
        episode=episode,
        level_of_care=level_of_care,
        start_date=start_date or _today(),
        created_by=user,
    )
    plan_validate(plan)
    plan.next_review_due = review_due_from(plan.start_date, plan.level_of_care)
    _save(plan, user, "created")
    return plan


@transaction.atomic
def plan_create(
    *, patient: Patient, user, level_of_care: str, start_date=None, episode=None
) -> TreatmentPlan:
    """Start an empty draft plan for the patient's current episode (or the one given)."""
    plan = _new_plan(
        patient=patient,
        user=user,
        level_of_care=level_of_care,
        start_date=start_date,
        episode=episode,
    )
    _event(plan, Kind.CREATED, user, to_status=plan.status)
    _audit(user, plan, AuditEvent.Action.CREATE, "draft plan created")
    return plan


@transaction.atomic
def plan_update(*, plan: TreatmentPlan, user, **changes: Any) -> TreatmentPlan:
    """Change a draft's level of care, start date or episode; the review date follows."""
    _only(changes, PLAN_FIELDS)
    plan = _lock_plan(plan.pk)
    _require_editable(plan)
    changed = sorted(f for f, v in changes.items() if getattr(plan, f) != v)
    if not changed:
        return plan
    for field in changed:
        setattr(plan, field, changes[field])
    plan_validate(plan)
    early = plan.objectives.filter(
        archived_at__isnull=True,
        target_date__lt=plan.start_date,
        status__in=Objective.OPEN_STATUSES,
    )
    if "start_date" in changed and early.exists():
        raise ValidationError(
            {"start_date": ["Some objectives have target dates before this date: move them first."]}
        )
    plan.next_review_due = review_due_from(plan.start_date, plan.level_of_care)
    _save(plan, user)
    _audit(user, plan, AuditEvent.Action.UPDATE, "fields: " + ", ".join(changed))
    return plan


def _validated_recommendations(
    recommendations: Sequence[Recommendation],
) -> list[tuple[str, list[str], list[str]]]:
    """(type, rule ids, suggestions) per intervention type, in priority then vocabulary order."""
    if not recommendations:
        raise ValidationError({"recommendations": ["Give at least one recommendation."]})
    rules = {rule.id: rule for rule in RULES}
    errors: dict[str, list[str]] = {}
    merged: dict[str, list[str]] = {}
    priority: dict[str, int] = {}
    for i, rec in enumerate(recommendations):
        kind = rec.intervention_type
        if kind not in INTERVENTION_TYPES:
            errors[f"recommendations.{i}.intervention_type"] = ["Not a plan intervention type."]
            continue
        if not rec.reasons:
            errors[f"recommendations.{i}.reasons"] = ["Give the rule that suggested it."]
        for j, reason in enumerate(rec.reasons):
            rule = rules.get(reason.rule_id)
            if rule is None:
                errors[f"recommendations.{i}.reasons.{j}.rule_id"] = ["Unknown rule."]
            elif kind not in rule.intervention_types:
                errors[f"recommendations.{i}.reasons.{j}.rule_id"] = [
                    "This rule does not suggest this intervention type."
                ]
            else:
                merged.setdefault(kind, [])
                if rule.id not in merged[kind]:
                    merged[kind].append(rule.id)
        priority[kind] = min(priority.get(kind, rec.priority), rec.priority)
    if errors:
        raise ValidationError(errors)
    ordered = sorted(merged, key=lambda k: (priority[k], INTERVENTION_TYPES.index(k)))
    return [(k, merged[k], [rules[r].suggestion for r in merged[k]]) for k in ordered]


@transaction.atomic
def plan_create_from_recommendations(
    *,
    patient: Patient,
    recommendations: Sequence[Recommendation],
    user,
    level_of_care: str | None = None,
    start_date=None,
    episode=None,
) -> TreatmentPlan:
    """One action from the intake's recommendations to a draft plan.

    One intervention per recommended type, with the documented default frequency and duration
    and the suggesting rules' text as its rationale; one placeholder problem. The draft cannot be
    signed until the clinician completes the problem (goal in the patient's words, measurable
    objectives) and names responsible staff. Rule text comes from our own rule set, never from
    the request.
    """
    items = _validated_recommendations(recommendations)
    plan = _new_plan(
        patient=patient,
        user=user,
        level_of_care=level_of_care or settings.TREATMENT_PLAN_DEFAULT_LEVEL,
        start_date=start_date,
        episode=episode,
    )
    _save(Problem(plan=plan, position=1), user, "placeholder from recommendations")
    for position, (kind, rule_ids, suggestions) in enumerate(items, start=1):
        intervention = Intervention(
            plan=plan,
            intervention_type=kind,
            position=position,
            rationale="\n".join(suggestions),
            recommendation_rule_ids=rule_ids,
            **intervention_defaults(kind),
        )
        intervention.full_clean()
        _save(intervention, user, "from recommendations")
    _event(plan, Kind.CREATED, user, to_status=plan.status, note="from intake recommendations")
    _audit(user, plan, AuditEvent.Action.CREATE, f"draft plan from {len(items)} recommendations")
    return plan


# --- Parts of a draft ----------------------------------------------------------------------------


def _next_position(qs) -> int:
    return (qs.aggregate(m=Max("position"))["m"] or 0) + 1


def _editable_plan_of(part_or_plan) -> TreatmentPlan:
    plan_id = part_or_plan.pk if isinstance(part_or_plan, TreatmentPlan) else part_or_plan.plan_id
    plan = _lock_plan(plan_id)
    _require_editable(plan)
    return plan


def _current(model, obj, field: str):
    """The stored row of a parent part; one removed from the draft cannot take new children."""
    fresh = model.objects.get(pk=obj.pk)
    if fresh.archived_at is not None:
        raise ValidationError({field: ["This was removed from the plan."]})
    return fresh


def _add_part(part, plan: TreatmentPlan, user, fields: dict, siblings) -> None:
    for key, value in fields.items():
        setattr(part, key, value)
    part.plan = plan
    if "position" not in fields:
        part.position = _next_position(siblings)
    part.full_clean()
    _save(part, user)
    _audit(user, plan, AuditEvent.Action.CREATE, "added to draft", obj=part)


def _update_part(part, user, fields: dict, allowed: frozenset[str]):
    _only(fields, allowed)
    plan = _editable_plan_of(part)
    part = type(part).objects.get(pk=part.pk)
    if part.archived_at is not None:
        raise Conflict("This part was removed from the draft; it cannot be changed.")
    changed = sorted(f for f, v in fields.items() if getattr(part, f) != v)
    for field in changed:
        setattr(part, field, fields[field])
    part.plan = plan
    part.full_clean()
    if changed:
        _save(part, user)
        _audit(user, plan, AuditEvent.Action.UPDATE, "fields: " + ", ".join(changed), obj=part)
    return plan, part


@transaction.atomic
def problem_add(*, plan: TreatmentPlan, user, **fields: Any) -> Problem:
    _only(fields, PROBLEM_FIELDS)
    plan = _editable_plan_of(plan)
    problem = Problem()
    _add_part(problem, plan, user, fields, plan.problems.all())
    return problem


@transaction.atomic
def problem_update(*, problem: Problem, user, **fields: Any) -> Problem:
    return _update_part(problem, user, fields, PROBLEM_FIELDS)[1]


@transaction.atomic
def goal_add(*, problem: Problem, user, **fields: Any) -> Goal:
    """A goal needs the patient's own words; the clinical restatement is optional."""
    _only(fields, GOAL_FIELDS)
    plan = _editable_plan_of(problem)
    problem = _current(Problem, problem, "problem")
    goal = Goal(problem=problem)
    _add_part(goal, plan, user, fields, problem.goals.all())
    return goal


@transaction.atomic
def goal_update(*, goal: Goal, user, **fields: Any) -> Goal:
    return _update_part(goal, user, fields, GOAL_FIELDS)[1]


@transaction.atomic
def objective_add(*, goal: Goal, user, **fields: Any) -> Objective:
    """A measurable objective: a measure and a target date on or after the plan start."""
    _only(fields, OBJECTIVE_FIELDS)
    plan = _editable_plan_of(goal)
    goal = _current(Goal, goal, "goal")
    objective = Objective(goal=goal)
    _add_part(objective, plan, user, fields, goal.objectives.all())
    return objective


@transaction.atomic
def objective_update(*, objective: Objective, user, **fields: Any) -> Objective:
    return _update_part(objective, user, fields, OBJECTIVE_FIELDS)[1]


def _set_links(intervention: Intervention, objectives: Iterable, user) -> bool:
    """Make the intervention serve exactly these objectives of its plan; True if that changed."""
    wanted_ids = {getattr(o, "pk", o) for o in objectives}
    valid = set(
        Objective.objects.filter(
            pk__in=wanted_ids, plan_id=intervention.plan_id, archived_at__isnull=True
        ).values_list("pk", flat=True)
    )
    if wanted_ids - valid:
        raise ValidationError({"objectives": ["Choose objectives of this plan."]})
    links = {link.objective_id: link for link in intervention.objective_links.all()}
    for objective_id in set(links) - wanted_ids:
        link = links[objective_id]
        link._history_user = user
        link.delete()
    for objective_id in wanted_ids - set(links):
        _save(InterventionObjective(intervention=intervention, objective_id=objective_id), user)
    return set(links) != wanted_ids


@transaction.atomic
def intervention_add(
    *, plan: TreatmentPlan, user, objectives: Iterable | None = None, **fields: Any
) -> Intervention:
    """An intervention: type, frequency, duration, responsible staff and the objectives it serves.
    Frequency and duration start from the documented defaults of its type."""
    _only(fields, INTERVENTION_FIELDS)
    plan = _editable_plan_of(plan)
    _check_responsible_staff(fields.get("responsible_staff"), plan.patient.site_id)
    kind = fields.get("intervention_type", "")
    values = {**intervention_defaults(kind), **fields}
    intervention = Intervention()
    _add_part(intervention, plan, user, values, plan.interventions.all())
    if objectives:
        _set_links(intervention, objectives, user)
    return intervention


@transaction.atomic
def intervention_update(
    *, intervention: Intervention, user, objectives: Iterable | None = None, **fields: Any
) -> Intervention:
    """Change an intervention; `objectives`, when given, replaces the linked objectives."""
    _only(fields, INTERVENTION_FIELDS)
    plan = _editable_plan_of(intervention)
    if "responsible_staff" in fields:
        _check_responsible_staff(fields["responsible_staff"], plan.patient.site_id)
    plan, intervention = _update_part(intervention, user, fields, INTERVENTION_FIELDS)
    if objectives is not None and _set_links(intervention, objectives, user):
        # The links are part of the intervention: its version (and the plan's ETag) moves too.
        _save(intervention, user, "objectives changed")
        _audit(user, plan, AuditEvent.Action.UPDATE, "objectives", obj=intervention)
    return intervention


def _archive(part, user, reason: str) -> None:
    part.archived_at = timezone.now()
    part.archived_by = user
    part.archive_reason = reason[:200]
    _save(part, user, "removed from draft")


@transaction.atomic
def plan_part_archive(*, part, user, reason: str = "") -> Any:
    """Remove a part from a draft. Nothing is deleted: the row (and anything under it) is archived
    and drops out of the plan; an objective also stops being linked to interventions."""
    plan = _editable_plan_of(part)
    part = type(part).objects.get(pk=part.pk)
    if part.archived_at is not None:
        return part
    goals = objectives = ()
    if isinstance(part, Problem):
        goals = list(part.goals.filter(archived_at__isnull=True))
        objectives = list(Objective.objects.filter(goal__in=goals, archived_at__isnull=True))
    elif isinstance(part, Goal):
        objectives = list(part.objectives.filter(archived_at__isnull=True))
    elif isinstance(part, Objective):
        objectives = [part]
    for row in [*objectives, *goals]:
        if row is not part:
            _archive(row, user, reason)
    for link in InterventionObjective.objects.filter(objective__in=objectives):
        link._history_user = user
        link.delete()
    _archive(part, user, reason)
    _audit(user, plan, AuditEvent.Action.ARCHIVE, "removed from draft", obj=part)
    return part


# --- Signing -------------------------------------------------------------------------------------


def signing_errors(
    plan: TreatmentPlan, problems: Sequence[Problem], interventions: Sequence[Intervention]
) -> dict[str, list[str]]:
    """What a draft still lacks before it can be signed, keyed by part: ``problems.<id>.goals``.

    Works on already-loaded parts (the API passes its prefetched ones).
    """
    errors: dict[str, list[str]] = {}
    problems = [p for p in problems if p.archived_at is None]
    interventions = [i for i in interventions if i.archived_at is None]
    if not problems:
        errors["problems"] = ["Add at least one problem."]
    for problem in problems:
        key = f"problems.{problem.pk}"
        if not problem.description.strip():
            errors[f"{key}.description"] = ["Describe the problem."]
        if not problem.strengths.strip():
            errors[f"{key}.strengths"] = ["Record the patient's strengths."]
        goals = [g for g in problem.goals.all() if g.archived_at is None]
        if not goals:
            errors[f"{key}.goals"] = ["Add a goal in the patient's own words."]
        for goal in goals:
            if not goal.patient_words.strip():
                errors[f"goals.{goal.pk}.patient_words"] = [
                    "Write the goal in the patient's words."
                ]
            objectives = [o for o in goal.objectives.all() if o.archived_at is None]
            if not objectives:
                errors[f"goals.{goal.pk}.objectives"] = [
                    "Add at least one measurable objective with a target date."
                ]
            for objective in objectives:
                okey = f"objectives.{objective.pk}"
                if not objective.measure.strip():
                    errors[f"{okey}.measure"] = ["Say how progress is measured."]
                if objective.target_date is None:
                    errors[f"{okey}.target_date"] = ["Set a target date."]
                elif (
                    objective.status in Objective.OPEN_STATUSES
                    and objective.target_date < plan.start_date
                ):
                    errors[f"{okey}.target_date"] = ["The target date is before the plan start."]
    if not interventions:
        errors["interventions"] = ["Add at least one intervention."]
    for intervention in interventions:
        if intervention.responsible_staff_id is None:
            errors[f"interventions.{intervention.pk}.responsible_staff"] = [
                "Name the staff member responsible."
            ]
    return errors


def plan_signing_errors(plan: TreatmentPlan) -> dict[str, list[str]]:
    """`signing_errors` on freshly read parts, plus staff who have since left the site."""
    fresh = with_plan_parts(TreatmentPlan.objects.filter(pk=plan.pk)).get()
    interventions = list(fresh.interventions.all())
    errors = signing_errors(fresh, list(fresh.problems.all()), interventions)
    staff_ids = {i.responsible_staff_id for i in interventions if i.responsible_staff_id}
    if staff_ids:
        valid = {
            u.pk
            for u in get_user_model().objects.filter(pk__in=staff_ids, is_active=True)
            if access.user_roles(u) & access.CLINICAL_ROLES and _works_at(u, fresh.patient.site_id)
        }
        for intervention in interventions:
            if intervention.responsible_staff_id in staff_ids - valid:
                errors[f"interventions.{intervention.pk}.responsible_staff"] = [
                    "This person no longer works at the patient's site."
                ]
    return errors


def _refuse_second_plan_in_force(plan: TreatmentPlan) -> None:
    other = (
        TreatmentPlan.objects.in_force()
        .filter(patient_id=plan.patient_id)
        .exclude(pk=plan.pk)
        .exclude(pk=plan.supersedes_id)
        .first()
    )
    if other is not None:
        raise Conflict(
            "This patient already has a plan in force: revise that plan instead.",
            extra={"plan_in_force": str(other.pk)},
        )


def _activate(plan: TreatmentPlan, user) -> None:
    """Put a fully signed plan in force; the plan it revises (if any) is completed, superseded."""
    _refuse_second_plan_in_force(plan)
    if plan.supersedes_id:
        old = _lock_plan(plan.supersedes_id)
        if old.status in plan_policy.IN_FORCE:
            _set_status(old, Status.COMPLETED, user, note=f"superseded by revision {plan.revision}")
            _audit(user, old, AuditEvent.Action.UPDATE, f"superseded by r{plan.revision}")
    _set_status(plan, Status.ACTIVE, user, note="signed")


@transaction.atomic
def plan_sign(*, plan: TreatmentPlan, user) -> TreatmentPlan:
    """The clinician's signature: the plan is locked from now on, and becomes active unless the
    clinic requires a supervisor's co-signature (TREATMENT_PLAN_REQUIRES_COSIGN)."""
    _lock_patient(plan.patient_id)
    plan = _lock_plan(plan.pk)
    if plan.signed_at is not None:
        raise Conflict("This plan is already signed.", extra={"plan_status": plan.status})
    if plan.status != Status.DRAFT:
        raise Conflict("Only a draft can be signed.", extra={"plan_status": plan.status})
    _require_clinician_at_site(user, plan, "sign")
    errors = plan_signing_errors(plan)
    if errors:
        raise ValidationError(errors)
    _refuse_second_plan_in_force(plan)
    plan.signed_by = user
    plan.signed_at = timezone.now()
    plan.cosign_required = settings.TREATMENT_PLAN_REQUIRES_COSIGN
    plan.next_review_due = review_due_from(plan.start_date, plan.level_of_care)
    _save(plan, user, "signed")
    _event(plan, Kind.SIGNED, user, note="co-signature required" if plan.cosign_required else "")
    if not plan.cosign_required:
        _activate(plan, user)
    _audit(user, plan, AuditEvent.Action.UPDATE, "signed")
    return plan


def may_cosign(user, plan: TreatmentPlan) -> bool:
    """A co-signer is a clinician at the patient's site who is the patient's care-team
    supervisor, or belongs to the group TREATMENT_PLAN_COSIGNER_GROUP; never the signer."""
    if user is None or user.pk == plan.signed_by_id:
        return False
    if not _is_clinician_at(user, plan.patient.site_id):
        return False
    today = _today()
    supervises = CareTeamMember.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today),
        patient_id=plan.patient_id,
        staff=user,
        role=CareTeamMember.CaseRole.SUPERVISOR,
        start_date__lte=today,
    ).exists()
    return supervises or user.groups.filter(name=settings.TREATMENT_PLAN_COSIGNER_GROUP).exists()


@transaction.atomic
def plan_cosign(*, plan: TreatmentPlan, user) -> TreatmentPlan:
    """The supervisor's co-signature, where required; the plan then becomes active."""
    _lock_patient(plan.patient_id)
    plan = _lock_plan(plan.pk)
    if plan.signed_at is None:
        raise Conflict("The clinician signs first; then the supervisor co-signs.")
    if not plan.cosign_required:
        raise Conflict("This plan does not need a co-signature.")
    if plan.cosigned_at is not None:
        raise Conflict("This plan is already co-signed.")
    if plan.status != Status.DRAFT:
        raise Conflict("This plan can no longer be co-signed.", extra={"plan_status": plan.status})
    if user.pk == plan.signed_by_id:
        raise SigningRefused("The co-signer must be someone other than the clinician who signed.")
    if not may_cosign(user, plan):
        raise SigningRefused(
            "Only a supervising clinician at the patient's site may co-sign: the patient's "
            "care-team supervisor or a member of the clinic's co-signer group."
        )
    plan.cosigned_by = user
    plan.cosigned_at = timezone.now()
    _save(plan, user, "co-signed")
    _event(plan, Kind.COSIGNED, user)
    _activate(plan, user)
    _audit(user, plan, AuditEvent.Action.UPDATE, "co-signed")
    return plan


@transaction.atomic
def plan_acknowledge(
    *, plan: TreatmentPlan, user, method: str, acknowledged_on=None, note: str = ""
) -> TreatmentPlan:
    """Record how the patient acknowledged the signed plan (or that they declined), once."""
    plan = _lock_plan(plan.pk)
    if plan.signed_at is None:
        raise Conflict("Sign the plan first: the patient acknowledges the signed plan.")
    if plan.acknowledgement_method:
        raise Conflict("The patient's acknowledgement is already recorded.")
    if plan.status == Status.DISCONTINUED:
        raise Conflict("This plan was discontinued.")
    acknowledged_on = acknowledged_on or _today()
    errors: dict[str, list[str]] = {}
    if method not in TreatmentPlan.AcknowledgementMethod.values:
        errors["method"] = ["Choose signature, verbal, electronic or declined."]
    if acknowledged_on > _today():
        errors["acknowledged_on"] = ["The date cannot be in the future."]
    elif acknowledged_on < timezone.localdate(plan.created_at):
        errors["acknowledged_on"] = ["The date cannot be before the plan was written."]
    if errors:
        raise ValidationError(errors)
    plan.acknowledgement_method = method
    plan.acknowledged_on = acknowledged_on
    plan.acknowledgement_note = note[:200]
    plan.acknowledgement_recorded_by = user
    _save(plan, user, "patient acknowledgement")
    _event(plan, Kind.ACKNOWLEDGED, user, note=method)
    _audit(user, plan, AuditEvent.Action.UPDATE, f"acknowledged: {method}")
    return plan


# --- Revisions, reviews, status ------------------------------------------------------------------


def _copy(part, user, reason: str, **changes):
    copy = type(part)()
    for field in part._meta.concrete_fields:
        if field.primary_key or field.name in {"created_at", "updated_at"}:
            continue
        setattr(copy, field.attname, getattr(part, field.attname))
    for key, value in changes.items():
        setattr(copy, key, value)
    _save(copy, user, reason)
    return copy


@transaction.atomic
def plan_revise(*, plan: TreatmentPlan, user, reason: str = "", start_date=None) -> TreatmentPlan:
    """Draft the next revision of a plan in force, copying its problems, goals, objectives and
    interventions. The old revision stays as signed and stays in force until the new one is
    signed; then it is completed, with the new revision pointing at it (`supersedes`).

    Objectives carry their latest reviewed status; an open objective whose target date falls
    before the revision's start loses that date, so the clinician sets a new one.
    """
    patient = _lock_patient(plan.patient_id)
    plan = _lock_plan(plan.pk)
    if plan.status not in plan_policy.IN_FORCE:
        raise Conflict(
            "Only a plan in force (active or under review) can be revised; edit a draft directly.",
            extra={"plan_status": plan.status},
        )
    _refuse_second_draft(patient)
    start = start_date or _today()
    if start < plan.start_date:
        raise ValidationError(
            {"start_date": ["A revision cannot start before the plan it revises."]}
        )
    new = TreatmentPlan(
        patient=patient,
        episode=plan.episode,
        level_of_care=plan.level_of_care,
        start_date=start,
        revision=plan.revision + 1,
        supersedes=plan,
        created_by=user,
        next_review_due=review_due_from(start, plan.level_of_care),
    )
    new.full_clean()
    note = f"copied from revision {plan.revision}"
    _save(new, user, note)

    statuses = latest_objective_statuses(plan)
    source = with_plan_parts(TreatmentPlan.objects.filter(pk=plan.pk)).get()
    objective_map = {}
    for problem in source.problems.all():
        new_problem = _copy(problem, user, note, plan=new)
        for goal in problem.goals.all():
            new_goal = _copy(goal, user, note, plan=new, problem=new_problem)
            for objective in goal.objectives.all():
                status = statuses.get(objective.pk, objective.status)
                target = objective.target_date
                if status in Objective.OPEN_STATUSES and target is not None and target < start:
                    target = None
                objective_map[objective.pk] = _copy(
                    objective,
                    user,
                    note,
                    plan=new,
                    goal=new_goal,
                    status=status,
                    target_date=target,
                )
    for intervention in source.interventions.all():
        new_intervention = _copy(intervention, user, note, plan=new)
        for objective in intervention.objectives.all():
            if objective.pk in objective_map:
                _save(
                    InterventionObjective(
                        intervention=new_intervention, objective=objective_map[objective.pk]
                    ),
                    user,
                )
    _event(plan, Kind.REVISED, user, note=f"revision {new.revision} drafted")
    _event(new, Kind.CREATED, user, to_status=new.status, note=f"revision of r{plan.revision}")
    _audit(user, plan, AuditEvent.Action.UPDATE, f"revision r{new.revision} drafted")
    _audit(user, new, AuditEvent.Action.CREATE, f"revision of r{plan.revision}: {reason}"[:200])
    return new


_OUTCOME_STATUS = {
    (PlanReview.Outcome.CONTINUE, Status.UNDER_REVIEW): Status.ACTIVE,
    (PlanReview.Outcome.REVISE, Status.ACTIVE): Status.UNDER_REVIEW,
    (PlanReview.Outcome.COMPLETE, Status.ACTIVE): Status.COMPLETED,
    (PlanReview.Outcome.COMPLETE, Status.UNDER_REVIEW): Status.COMPLETED,
}


def _progress_errors(plan: TreatmentPlan, progress: Sequence[dict]) -> tuple[dict, list]:
    objectives = set(plan.objectives.filter(archived_at__isnull=True).values_list("pk", flat=True))
    errors: dict[str, list[str]] = {}
    rows, seen = [], set()
    for i, item in enumerate(progress):
        raw = item.get("objective")
        try:
            objective_id = raw.pk if isinstance(raw, Objective) else uuid.UUID(str(raw))
        except ValueError:
            objective_id = None
        status = item.get("status")
        if objective_id not in objectives:
            errors[f"progress.{i}.objective"] = ["Not an objective of this plan."]
        elif objective_id in seen:
            errors[f"progress.{i}.objective"] = ["This objective is listed twice."]
        if status not in Objective.Status.values:
            errors[f"progress.{i}.status"] = ["Not an objective status."]
        seen.add(objective_id)
        rows.append((objective_id, status, item.get("note") or ""))
    missing = sorted(str(o) for o in objectives - seen)
    if missing and not errors:
        errors["progress"] = ["Record progress on every objective; missing: " + ", ".join(missing)]
    return errors, rows


@transaction.atomic
def plan_review(
    *,
    plan: TreatmentPlan,
    user,
    progress: Sequence[dict],
    reviewed_on=None,
    outcome: str = PlanReview.Outcome.CONTINUE,
    summary: str = "",
    next_review_due=None,
) -> PlanReview:
    """Record a review of a plan in force: progress on every objective (status and note), and the
    next due date (by default the cadence of the plan's level of care; an explicit date may be
    sooner, never later). The locked plan's content is untouched; the outcome may move its status
    (continue: back to active; revise: under review; complete: completed)."""
    plan = _lock_plan(plan.pk)
    if plan.status not in plan_policy.IN_FORCE:
        raise Conflict(
            "Only a plan in force (active or under review) can be reviewed.",
            extra={"plan_status": plan.status},
        )
    _require_clinician_at_site(user, plan, "review")
    today = _today()
    reviewed_on = reviewed_on or today
    errors: dict[str, list[str]] = {}
    last = plan.reviews.order_by("-reviewed_on").first()
    if reviewed_on > today:
        errors["reviewed_on"] = ["The review date cannot be in the future."]
    elif reviewed_on < timezone.localdate(plan.signed_at):
        errors["reviewed_on"] = ["The review date cannot be before the plan was signed."]
    elif last is not None and reviewed_on < last.reviewed_on:
        errors["reviewed_on"] = ["A review cannot be dated before the previous review."]
    if outcome not in PlanReview.Outcome.values:
        errors["outcome"] = ["Choose continue, revise or complete."]
    days = review_days(plan.level_of_care)
    latest_allowed = reviewed_on + dt.timedelta(days=days)
    if next_review_due is None:
        next_review_due = latest_allowed
    elif next_review_due <= reviewed_on:
        errors["next_review_due"] = ["The next review must come after this one."]
    elif next_review_due > latest_allowed:
        errors["next_review_due"] = [
            f"Clinic policy for level {plan.level_of_care} is a review at least every {days} "
            f"days: choose {latest_allowed.isoformat()} or earlier."
        ]
    progress_errors, rows = _progress_errors(plan, progress)
    errors.update(progress_errors)
    if errors:
        raise ValidationError(errors)

    review = PlanReview(
        plan=plan,
        reviewed_on=reviewed_on,
        reviewer=user,
        outcome=outcome,
        summary=summary,
        next_review_due=next_review_due,
    )
    review.full_clean()
    _save(review, user)
    for objective_id, status, note in rows:
        _save(
            ObjectiveProgress(review=review, objective_id=objective_id, status=status, note=note),
            user,
        )
    plan.next_review_due = next_review_due
    _save(plan, user, "reviewed")
    _event(plan, Kind.REVIEWED, user, note=f"outcome: {outcome}")
    to_status = _OUTCOME_STATUS.get((outcome, plan.status))
    if to_status:
        _set_status(plan, to_status, user, note=f"review outcome: {outcome}")
    _audit(user, plan, AuditEvent.Action.UPDATE, f"reviewed: {outcome}")
    return review


@transaction.atomic
def plan_transition(
    *, plan: TreatmentPlan, to_status: str, user, reason: str = ""
) -> TreatmentPlan:
    """Move a plan through the one table of legal moves (treatment.plan_policy.TRANSITIONS).

    A draft becomes active only by signing. An illegal move is a Conflict naming the allowed
    ones; discontinuing needs a reason.
    """
    plan = _lock_plan(plan.pk)
    if to_status not in Status.values:
        raise ValidationError({"to_status": ["Unknown status."]})
    allowed = plan_policy.manual_transitions(plan.status)
    extra = {"current_status": plan.status, "allowed": allowed}
    if (plan.status, to_status) in plan_policy.SIGNING_ONLY:
        raise Conflict(
            "A draft becomes active when it is signed (and co-signed where required).",
            extra=extra,
        )
    if to_status not in allowed:
        raise Conflict(
            f"A plan in status '{plan.status}' cannot move to '{to_status}'.", extra=extra
        )
    if to_status == Status.DISCONTINUED and not reason.strip():
        raise ValidationError({"reason": ["Say why the plan is discontinued."]})
    _set_status(plan, to_status, user, note=reason)
    _audit(user, plan, AuditEvent.Action.UPDATE, f"status -> {to_status}")
    return plan
