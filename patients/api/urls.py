from rest_framework.routers import SimpleRouter

from patients.api.appointments import AppointmentViewSet
from patients.api.views import PatientViewSet

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("appointments", AppointmentViewSet, basename="appointment")
urlpatterns = router.urls
