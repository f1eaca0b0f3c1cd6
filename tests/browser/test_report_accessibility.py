"""WCAG 2.2 AA checks of the IV's report pages and the assessor's action points, with axe-core as in
test_accessibility.py."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.tests.test_evidence_views import add
from quality.services.reports import iv_report_unit
from tests.access_rows.reports import sample_item_criterion
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def report(world):
    add(world, method="PE", criteria=["2.1"], range_items=["b"], title="Complaints log")
    return iv_report_unit(
        actor=world.iv,
        portfolio=world.portfolio,
        agreement="disagree",
        feedback="The log does not say who dealt with each complaint.",
        actions=[("Ask for the log with names", timezone.localdate() + datetime.timedelta(days=7))],
    )


def test_the_unit_report_page_with_its_errors_has_no_wcag_violations(axe_page, world, report):
    sign_in(axe_page, world.iv.email)
    axe_page.goto(reverse("iv_report_unit", args=[world.portfolio.pk]))
    assert violations(axe_page) == []
    axe_page.get_by_role("group", name="Action point 1").get_by_label("What the assessor is to do").fill(
        "Check the log"
    )
    axe_page.get_by_role("button", name="Save the report").click()
    axe_page.get_by_text("Give the date it is due by.").wait_for()
    assert violations(axe_page) == []


def test_the_criterion_report_page_has_no_wcag_violations(axe_page, world, report):
    sign_in(axe_page, world.iv.email)
    axe_page.goto(reverse("iv_report_criterion", args=[sample_item_criterion(world).pk]))
    assert violations(axe_page) == []


def test_the_assessors_report_dashboard_and_action_list_have_no_wcag_violations(axe_page, world, report):
    sign_in(axe_page, world.assessor.email)
    for url in (reverse("iv_report_detail", args=[report.pk]), reverse("home"), reverse("action_list")):
        axe_page.goto(url)
        assert violations(axe_page) == []
