from django.urls import path
from rest_framework.routers import SimpleRouter

from assessments.api.alerts import AlertViewSet
from assessments.api.assessments import AssessmentViewSet, PatientAssessmentViewSet
from assessments.api.instruments import InstrumentViewSet

router = SimpleRouter()
router.register("instruments", InstrumentViewSet, basename="instrument")
router.register("assessments", AssessmentViewSet, basename="assessment")
router.register("alerts", AlertViewSet, basename="alert")

# drf-nested-routers is not a dependency: the one nested route is written by hand.
urlpatterns = [
    path(
        "patients/<uuid:patient_id>/assessments/",
        PatientAssessmentViewSet.as_view({"get": "list", "post": "create"}),
        name="patient-assessment-list",
    ),
    *router.urls,
]
