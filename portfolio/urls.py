from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("assessments.urls")),
    path("", include("people.urls")),
    path("", include("exports.urls")),
    path("", include("exports.urls_import")),
    path("", include("quality.urls")),
    path("", include("audit.urls")),
    path("", include("notifications.urls")),
    path("units/", include("units.urls")),
    path("admin/", admin.site.urls),
]
