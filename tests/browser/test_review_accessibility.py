"""WCAG 2.2 AA checks of the assessor's review pages, the item page with its feedback thread, and the
assessor's own record forms, with axe-core as in test_accessibility.py."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments import services
from assessments.tests.test_evidence_views import add
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def item(world):
    evidence = add(world, method="PE", criteria=["2.1", "2.4"], range_items=["b"], title="Complaints log")
    services.feedback_post(actor=world.learner, evidence=evidence, text="Is this enough?")
    return evidence


def test_the_review_page_with_its_errors_has_no_wcag_violations(axe_page, world, item):
    sign_in(axe_page, world.assessor.email)
    axe_page.goto(reverse("evidence_review", args=[item.pk]))
    assert violations(axe_page) == []
    axe_page.get_by_label("Accept the evidence").check()
    axe_page.get_by_role("button", name="Save my judgement").click()
    assert axe_page.get_by_text("None of the 3 claims has a verdict").count() == 1
    assert violations(axe_page) == []


@pytest.mark.parametrize("persona", ["learner", "assessor", "iv"])
def test_the_item_page_has_no_wcag_violations(axe_page, world, item, persona):
    sign_in(axe_page, world.persona(persona).email)
    axe_page.goto(reverse("evidence_detail", args=[item.pk]))
    assert violations(axe_page) == []


@pytest.mark.parametrize("code", ["o", "q", "pd"])
def test_the_assessors_record_forms_have_no_wcag_violations(axe_page, world, code):
    sign_in(axe_page, world.assessor.email)
    axe_page.goto(reverse("assessor_record_add", args=[world.portfolio.pk, code]))
    assert violations(axe_page) == []
    axe_page.get_by_role("button", name="Save the record").click()
    # The professional discussion form posts through htmx (for its upload progress): wait for the answer.
    axe_page.get_by_text("This field is required.").first.wait_for()
    assert violations(axe_page) == []


def test_the_evidence_list_and_portfolio_have_no_wcag_violations_for_the_assessor(axe_page, world, item):
    sign_in(axe_page, world.assessor.email)
    for url in (
        reverse("evidence_list", args=[world.portfolio.pk]),
        reverse("portfolio_detail", args=[world.portfolio.pk]),
    ):
        axe_page.goto(url)
        assert violations(axe_page) == []
