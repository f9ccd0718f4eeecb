from rest_framework.routers import SimpleRouter

from treatment.api.plans import (
    GoalViewSet,
    InterventionViewSet,
    ObjectiveViewSet,
    ProblemViewSet,
    TreatmentPlanViewSet,
)

router = SimpleRouter()
router.register("treatment-plans", TreatmentPlanViewSet, basename="treatment-plan")
router.register("plan-problems", ProblemViewSet, basename="plan-problem")
router.register("plan-goals", GoalViewSet, basename="plan-goal")
router.register("plan-objectives", ObjectiveViewSet, basename="plan-objective")
router.register("plan-interventions", InterventionViewSet, basename="plan-intervention")
urlpatterns = router.urls
