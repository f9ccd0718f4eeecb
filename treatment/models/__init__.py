"""Treatment models, one module per part of the work (plans here)."""

from treatment.models.plan import (
    INTERVENTION_TYPE_CHOICES,
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

__all__ = [
    "INTERVENTION_TYPE_CHOICES",
    "Goal",
    "Intervention",
    "InterventionObjective",
    "Objective",
    "ObjectiveProgress",
    "PlanEvent",
    "PlanLocked",
    "PlanReview",
    "Problem",
    "TreatmentPlan",
]
