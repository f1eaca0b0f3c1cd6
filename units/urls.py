from django.urls import path

from units import views

urlpatterns = [
    path("", views.unit_list, name="unit_list"),
    # Before the unit's own address, which would otherwise read "import" as a unit's slug.
    path("import/", views.library_import_check, name="library_import"),
    path("import/confirm/", views.library_import_confirm, name="library_import_confirm"),
    path("<slug:slug>/", views.unit_detail, name="unit_detail"),
]
