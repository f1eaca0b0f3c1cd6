from django.urls import path

from quality.views import visits

urlpatterns = [
    path("centre/visits/", visits.visit_list, name="ev_visit_list"),
    path("centre/visits/new/", visits.visit_new, name="ev_visit_new"),
    path("centre/visits/<int:visit_id>/edit/", visits.visit_edit, name="ev_visit_edit"),
    path("centre/visits/<int:visit_id>/cancel/", visits.visit_cancel, name="ev_visit_cancel"),
    path("visits/<int:visit_id>/", visits.visit_detail, name="ev_visit_detail"),
    path("ev/centres/<int:centre_id>/", visits.ev_centre, name="ev_centre"),
    path("portfolios/<int:portfolio_id>/ev-findings/", visits.ev_findings, name="ev_findings"),
]
