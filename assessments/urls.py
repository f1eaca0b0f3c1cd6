from django.urls import path

from assessments.views import centre, dashboards, evidence, files, witness

urlpatterns = [
    path("", dashboards.home, name="home"),
    path("centre/registrations/", centre.portfolio_list, name="centre_portfolios"),
    path("centre/registrations/new/", centre.portfolio_register, name="centre_portfolio_register"),
    path("centre/registrations/import/", centre.learner_import, name="centre_learner_import"),
    path("centre/registrations/<int:portfolio_id>/assign/", centre.portfolio_assign, name="centre_portfolio_assign"),
    path("portfolios/<int:portfolio_id>/", evidence.portfolio_detail, name="portfolio_detail"),
    path("portfolios/<int:portfolio_id>/evidence/", evidence.evidence_list, name="evidence_list"),
    path("portfolios/<int:portfolio_id>/evidence/add/", evidence.evidence_add, name="evidence_add"),
    path("evidence/<int:evidence_id>/edit/", evidence.evidence_edit, name="evidence_edit"),
    path("evidence/<int:evidence_id>/delete/", evidence.evidence_delete_confirm, name="evidence_delete_confirm"),
    path("evidence/<int:evidence_id>/delete/confirm/", evidence.evidence_delete, name="evidence_delete"),
    path("files/<int:file_id>/", files.file_download, name="file_download"),
    path("files/<int:file_id>/thumbnail/", files.file_thumbnail, name="file_thumbnail"),
    path("evidence/<int:evidence_id>/witness/resend/", witness.witness_resend, name="witness_resend"),
    path("witness/<str:token>/", witness.witness_respond, name="witness_respond"),
]
