"""Assessment models, one module per part of the record (re-exported here for Django)."""

from assessments.models.alert import Alert, AlertQuerySet
from assessments.models.assessment import Assessment, AssessmentQuerySet, ImmutableRecordError
from assessments.models.diagnosis import Diagnosis, DiagnosisStatus
from assessments.models.history import (
    Allergy,
    CurrentMedication,
    KratomProductUse,
    OtherSubstanceUse,
    PriorTreatment,
    SubstanceHistory,
)
from assessments.models.level_of_care import DimensionRating, LevelOfCareDetermination

__all__ = [
    "Alert",
    "AlertQuerySet",
    "Allergy",
    "Assessment",
    "AssessmentQuerySet",
    "CurrentMedication",
    "Diagnosis",
    "DiagnosisStatus",
    "DimensionRating",
    "ImmutableRecordError",
    "KratomProductUse",
    "LevelOfCareDetermination",
    "OtherSubstanceUse",
    "PriorTreatment",
    "SubstanceHistory",
]
