from django.urls import path

from quality.views import reports

urlpatterns = [
    path("portfolios/<int:portfolio_id>/iv-report/", reports.iv_report_unit, name="iv_report_unit"),
    path("quality/sample-items/<int:item_id>/report/", reports.iv_report_criterion, name="iv_report_criterion"),
    path("quality/reports/<int:report_id>/", reports.iv_report_detail, name="iv_report_detail"),
    path("quality/actions/", reports.action_list, name="action_list"),
    path("quality/actions/<int:action_id>/done/", reports.action_point_done, name="action_point_done"),
]
