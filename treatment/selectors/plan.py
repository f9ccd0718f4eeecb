"""Reads of treatment plans: the nested detail in a constant number of queries, and the plans
whose reviews fall due (for dashboards and the overdue list)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from clinic import access
from treatment.models import (
    Goal,
    Intervention,
    Objective,
    ObjectiveProgress,
    PlanEvent,
    PlanReview,
    Problem,
    TreatmentPlan,
)

_CURRENT = {"archived_at__isnull": True}


def with_plan_parts(qs: QuerySet | None = None) -> QuerySet:
    """Plans with their current parts, reviews and events prefetched: one query per kind of part,
    whatever the number of rows (archived parts, removed from a draft, are left out)."""
    qs = TreatmentPlan.objects.all() if qs is None else qs
    objectives = Objective.objects.filter(**_CURRENT)
    goals = Goal.objects.filter(**_CURRENT).prefetch_related(
        Prefetch("objectives", queryset=objectives)
    )
    problems = Problem.objects.filter(**_CURRENT).prefetch_related(
        Prefetch("goals", queryset=goals)
    )
    interventions = Intervention.objects.filter(**_CURRENT).prefetch_related(
        Prefetch("objectives", queryset=Objective.objects.filter(**_CURRENT).only("id"))
    )
    reviews = PlanReview.objects.prefetch_related(
        Prefetch("progress", queryset=ObjectiveProgress.objects.order_by("id"))
    )
    return qs.select_related("patient", "episode").prefetch_related(
        Prefetch("problems", queryset=problems),
        Prefetch("interventions", queryset=interventions),
        Prefetch("reviews", queryset=reviews),
        Prefetch("events", queryset=PlanEvent.objects.order_by("occurred_at", "id")),
        Prefetch("revisions", queryset=TreatmentPlan.objects.only("id", "supersedes_id")),
    )


def visible_plans(user, *, token=None) -> QuerySet:
    """Plans of current patients at the user's sites, or none if the role may not see plans."""
    if not access.can(user, "treatment_plan", "view", token=token):
        return TreatmentPlan.objects.none()
    return TreatmentPlan.objects.visible_to(user, token=token).filter(
        patient__archived_at__isnull=True
    )


def plans_due_for_review(
    user, within_days: int = 7, *, token=None, today: dt.date | None = None
) -> QuerySet:
    """Plans in force whose next review is due within `within_days` days (overdue ones included),
    soonest first: the dashboard's to-do list."""
    today = today or timezone.localdate()
    return (
        visible_plans(user, token=token)
        .in_force()
        .filter(next_review_due__lte=today + dt.timedelta(days=within_days))
        .select_related("patient")
        .order_by("next_review_due", "id")
    )


def plans_review_overdue(user, *, token=None, today: dt.date | None = None) -> QuerySet:
    """Plans in force whose review date has passed (a review due today is not yet late)."""
    today = today or timezone.localdate()
    return plans_due_for_review(user, 0, token=token, today=today).filter(next_review_due__lt=today)


def latest_objective_statuses(plan: TreatmentPlan) -> dict:
    """Objective id -> status at the plan's most recent review that recorded it."""
    rows = (
        ObjectiveProgress.objects.filter(review__plan=plan)
        .order_by("review__reviewed_on", "review__created_at", "id")
        .values_list("objective_id", "status")
    )
    return dict(rows)
