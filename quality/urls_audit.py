from django.urls import path

from quality.views import audit_trail as views

urlpatterns = [
    path("centre/audit/", views.centre_audit, name="centre_audit"),
    path("centre/audit.csv", views.centre_audit_csv, name="centre_audit_csv"),
    path("visits/<int:visit_id>/audit/", views.visit_audit, name="visit_audit"),
    path("visits/<int:visit_id>/audit.csv", views.visit_audit_csv, name="visit_audit_csv"),
    path("ev/centres/<int:centre_id>/audit/", views.ev_centre_audit, name="ev_centre_audit"),
    path("ev/centres/<int:centre_id>/audit.csv", views.ev_centre_audit_csv, name="ev_centre_audit_csv"),
]
