from rest_framework.routers import SimpleRouter

from patients.api.consents import ConsentViewSet
from patients.api.views import PatientViewSet

router = SimpleRouter()
router.register("patients", PatientViewSet, basename="patient")
router.register("consents", ConsentViewSet, basename="consent")
urlpatterns = router.urls
