from rest_framework.routers import SimpleRouter

from patients.api.appointments import AppointmentViewSet
from patients.api.consents import ConsentViewSet
from patients.api.contacts import CareTeamViewSet, CoverageViewSet, EmergencyContactViewSet
from patients.api.views import PatientViewSet

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("emergency-contacts", EmergencyContactViewSet, basename="emergency-contact")
router.register("coverages", CoverageViewSet, basename="coverage")
router.register("care-team", CareTeamViewSet, basename="care-team")
router.register("consents", ConsentViewSet, basename="consent")
router.register("appointments", AppointmentViewSet, basename="appointment")
urlpatterns = router.urls
