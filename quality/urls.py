from django.urls import include, path

urlpatterns = [
    path("", include("quality.urls_sampling")),
    path("", include("quality.urls_reports")),
    path("", include("quality.urls_visits")),
    path("", include("quality.urls_audit")),
]
