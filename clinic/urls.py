"""URL map. This module is the composition root, so it may name every app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from clinic import health

api_v1 = [
    path("", include("patients.api.urls")),
    path("", include("assessments.api.intake_urls")),
    path("", include("assessments.api.urls")),
    path("", include("treatment.api.session_urls")),
    path("", include("treatment.api.plan_urls")),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]

handler404 = "clinic.api.exceptions.json_404"
handler500 = "clinic.api.exceptions.json_500"
