from django.urls import path

from assessments.views import centre, dashboards

urlpatterns = [
    path("", dashboards.home, name="home"),
    path("centre/registrations/", centre.portfolio_list, name="centre_portfolios"),
    path("centre/registrations/new/", centre.portfolio_register, name="centre_portfolio_register"),
    path("centre/registrations/import/", centre.learner_import, name="centre_learner_import"),
    path("centre/registrations/<int:portfolio_id>/assign/", centre.portfolio_assign, name="centre_portfolio_assign"),
]
