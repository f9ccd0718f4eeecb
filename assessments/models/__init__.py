"""Assessment-record models, one module per part of the record."""

from assessments.models.alert import Alert, AlertQuerySet
from assessments.models.assessment import Assessment, AssessmentQuerySet, ImmutableRecordError

__all__ = ["Alert", "AlertQuerySet", "Assessment", "AssessmentQuerySet", "ImmutableRecordError"]
