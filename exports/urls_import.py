from django.urls import path

from exports import views_import

urlpatterns = [
    path(
        "centre/registrations/<int:portfolio_id>/import-portfolio/",
        views_import.portable_import_view,
        name="portable_import",
    ),
]
