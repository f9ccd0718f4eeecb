"""Treatment models, one module per part of the work (re-exported here for Django)."""

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
from treatment.models.sessions import (
    CounsellingNote,
    CounsellingNoteAddendum,
    GroupAddendum,
    GroupAttendance,
    GroupSession,
    IndividualSession,
    Modality,
    NoteLocked,
    SessionAddendum,
)

__all__ = [
    "INTERVENTION_TYPE_CHOICES",
    "CounsellingNote",
    "CounsellingNoteAddendum",
    "Goal",
    "GroupAddendum",
    "GroupAttendance",
    "GroupSession",
    "IndividualSession",
    "Intervention",
    "InterventionObjective",
    "Modality",
    "NoteLocked",
    "Objective",
    "ObjectiveProgress",
    "PlanEvent",
    "PlanLocked",
    "PlanReview",
    "Problem",
    "SessionAddendum",
    "TreatmentPlan",
]
