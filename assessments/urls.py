from django.urls import path

from assessments.centre import claims, library
from assessments.centre import qualification_views as qualifications
from assessments.centre import views as centre
from assessments.dashboards import views as dashboards
from assessments.evidence.views import files, plans, witness
from assessments.evidence.views import items as evidence
from assessments.evidence.views import records as assessor_records
from assessments.judgement import views as review
from assessments.records.views import history, records
from assessments.signoff import views as signoff

urlpatterns = [
    # The library's loading pages are the centre admin's; included before units/, whose unit address would
    # otherwise read "import" as a unit's slug.
    path("units/import/", library.library_import_check, name="library_import"),
    path("units/import/confirm/", library.library_import_confirm, name="library_import_confirm"),
    path("", dashboards.home, name="home"),
    path("centre/registrations/", centre.portfolio_list, name="centre_portfolios"),
    path("centre/registrations/new/", centre.portfolio_register, name="centre_portfolio_register"),
    path("centre/registrations/import/", centre.learner_import, name="centre_learner_import"),
    path("centre/registrations/<int:portfolio_id>/assign/", centre.portfolio_assign, name="centre_portfolio_assign"),
    path(
        "centre/qualifications/",
        qualifications.qualification_registration_list,
        name="centre_qualification_registrations",
    ),
    path(
        "centre/qualifications/<int:qualification_id>/register/",
        qualifications.qualification_register,
        name="centre_qualification_register",
    ),
    path(
        "centre/qualifications/registrations/<int:registration_id>/units/",
        qualifications.qualification_units_add,
        name="centre_qualification_units_add",
    ),
    path("centre/sufficiency/", centre.sufficiency_thresholds, name="centre_sufficiency"),
    path("centre/claims/", claims.claim_list, name="centre_claims"),
    path("centre/claims.csv", claims.claim_list_csv, name="centre_claims_csv"),
    path("centre/claims/claimed/", claims.claims_mark, name="centre_claims_mark"),
    path(
        "centre/registrations/<int:portfolio_id>/identifiers/",
        claims.portfolio_identifiers,
        name="centre_portfolio_identifiers",
    ),
    path("portfolios/<int:portfolio_id>/", evidence.portfolio_detail, name="portfolio_detail"),
    path("portfolios/<int:portfolio_id>/evidence/", evidence.evidence_list, name="evidence_list"),
    path("portfolios/<int:portfolio_id>/evidence/add/", evidence.evidence_add, name="evidence_add"),
    path("evidence/<int:evidence_id>/edit/", evidence.evidence_edit, name="evidence_edit"),
    path("evidence/<int:evidence_id>/delete/", evidence.evidence_delete_confirm, name="evidence_delete_confirm"),
    path("evidence/<int:evidence_id>/delete/confirm/", evidence.evidence_delete, name="evidence_delete"),
    path("evidence/<int:evidence_id>/", review.evidence_detail, name="evidence_detail"),
    path("evidence/<int:evidence_id>/review/", review.evidence_review, name="evidence_review"),
    path("evidence/<int:evidence_id>/feedback/", review.evidence_feedback, name="evidence_feedback"),
    path("evidence/<int:evidence_id>/record/", assessor_records.assessor_record_edit, name="assessor_record_edit"),
    path(
        "portfolios/<int:portfolio_id>/records/<str:method>/",
        assessor_records.assessor_record_add,
        name="assessor_record_add",
    ),
    path(
        "evidence/<int:evidence_id>/acknowledge/",
        assessor_records.observation_acknowledge,
        name="observation_acknowledge",
    ),
    path("portfolios/<int:portfolio_id>/plan/", plans.plan_detail, name="plan_detail"),
    path("portfolios/<int:portfolio_id>/plan/actions/add/", plans.plan_action_add, name="plan_action_add"),
    path("portfolios/<int:portfolio_id>/plan/agree/", plans.plan_agree, name="plan_agree"),
    path("plan-actions/<int:action_id>/edit/", plans.plan_action_edit, name="plan_action_edit"),
    path("plan-actions/<int:action_id>/delete/", plans.plan_action_delete_confirm, name="plan_action_delete_confirm"),
    path("plan-actions/<int:action_id>/delete/confirm/", plans.plan_action_delete, name="plan_action_delete"),
    path("files/<int:file_id>/", files.file_download, name="file_download"),
    path("files/<int:file_id>/thumbnail/", files.file_thumbnail, name="file_thumbnail"),
    path("evidence/<int:evidence_id>/witness/resend/", witness.witness_resend, name="witness_resend"),
    path("witness/<str:token>/", witness.witness_respond, name="witness_respond"),
    path("portfolios/<int:portfolio_id>/signoff/", signoff.signoff_page, name="signoff"),
    path("portfolios/<int:portfolio_id>/signoff/sign/<str:kind>/", signoff.signoff_sign, name="signoff_sign"),
    path("portfolios/<int:portfolio_id>/signoff/sample/", signoff.signoff_sample, name="signoff_sample"),
    path("portfolios/<int:portfolio_id>/signoff/release/", signoff.signoff_release, name="signoff_release"),
    path("portfolios/<int:portfolio_id>/signoff/refer/", signoff.signoff_refer, name="signoff_refer"),
    path("signatures/<int:signature_id>/withdraw/", signoff.signature_withdraw, name="signature_withdraw"),
    path("portfolios/<int:portfolio_id>/history/", history.portfolio_history, name="portfolio_history"),
    path("portfolios/<int:portfolio_id>/record.pdf", records.record_pdf_download, name="record_pdf"),
    path("verify/", records.record_verify, name="record_verify"),
    path("verify/<str:code>/", records.record_verify_code, name="record_verify_code"),
]
