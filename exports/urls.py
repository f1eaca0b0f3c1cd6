from django.urls import path

from exports import views

urlpatterns = [
    path("centre/exports/", views.export_list, name="export_list"),
    path("centre/exports/cohort/", views.export_cohort_start, name="export_cohort_start"),
    path("centre/exports/learner/<int:learner_id>/", views.export_learner, name="export_learner"),
    path("centre/exports/learner/<int:learner_id>/start/", views.export_learner_start, name="export_learner_start"),
    path("my-portfolio/export/", views.export_mine_start, name="export_mine_start"),
    path("exports/<uuid:export_id>/", views.export_detail, name="export_detail"),
    path("exports/<uuid:export_id>/progress/", views.export_progress, name="export_progress"),
    path("exports/<uuid:export_id>/download/", views.export_download, name="export_download"),
    path("exports/<uuid:export_id>/retry/", views.export_retry_view, name="export_retry"),
]
