from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from portfolio import health

urlpatterns = [
    # Answered first by portfolio.health.HealthCheckMiddleware; routed too, so they have names and a row each in the
    # access matrix.
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("", include("assessments.urls")),
    path("", include("people.urls")),
    path("", include("exports.urls")),
    path("", include("exports.urls_import")),
    path("", include("quality.urls")),
    path("", include("notifications.urls")),
    path("units/", include("units.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # Development only: the mail the app sent, read from EMAIL_FILE_PATH. Never routed in production.
    from portfolio import dev_mail

    urlpatterns += [
        path("dev/mail/", dev_mail.dev_mail_list, name="dev_mail_list"),
        path("dev/mail/<str:file>/<int:index>/", dev_mail.dev_mail_detail, name="dev_mail_detail"),
    ]
