"""Routes for sessions, group sessions, one patient's group attendance and counselling notes."""

from rest_framework.routers import SimpleRouter

from treatment.api.sessions import (
    CounsellingNoteViewSet,
    GroupSessionViewSet,
    PatientGroupAttendanceViewSet,
    SessionViewSet,
)

router = SimpleRouter()
router.register("sessions", SessionViewSet, basename="session")
router.register("group-sessions", GroupSessionViewSet, basename="group-session")
router.register(
    r"patients/(?P<patient_id>[^/.]+)/group-attendance",
    PatientGroupAttendanceViewSet,
    basename="patient-group-attendance",
)
router.register("counselling-notes", CounsellingNoteViewSet, basename="counselling-note")
urlpatterns = router.urls
