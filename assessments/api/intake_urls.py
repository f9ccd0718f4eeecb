"""Routes of the intake part of assessments: substance history, diagnoses, level of care."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from assessments.api.diagnosis import DiagnosisSuggestionView, DiagnosisViewSet
from assessments.api.history import SubstanceHistoryViewSet
from assessments.api.level_of_care import LevelOfCareViewSet

router = SimpleRouter()
router.register("substance-histories", SubstanceHistoryViewSet, basename="substance-history")
router.register("diagnoses", DiagnosisViewSet, basename="diagnosis")
router.register("level-of-care", LevelOfCareViewSet, basename="level-of-care")

urlpatterns = [
    path(
        "patients/<uuid:patient_id>/diagnosis-suggestion/",
        DiagnosisSuggestionView.as_view(),
        name="diagnosis-suggestion",
    ),
    *router.urls,
]
