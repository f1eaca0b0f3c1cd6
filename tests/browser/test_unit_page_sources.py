"""The unit library page says whose words each text is: OCR's specification beside its purpose, knowledge
guidance and assessment text, City & Guilds' workbook above the sign-off block with a word that OCR gives none,
on a phone and with City & Guilds' numbering as a City & Guilds learner reads it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.browser.helpers import menu
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser

PAGE = "/units/deliver-customer-service-to-difficult-customers/"


def test_a_learner_reading_city_and_guilds_numbering_is_told_which_text_is_ocrs(open_as, world, unit):
    learner = open_as(world.learner.email, phone=True)  # the labels fit 390 px (the page watcher fails it if not)
    menu(learner, "Units")
    learner.get_by_role("link", name=unit.title).first.click()
    learner.get_by_role("link", name="220.1.1 (City & Guilds)").click()
    expect(learner.locator(".ref").first).to_have_text("220.1.1")

    purpose = learner.get_by_role("region", name="Unit purpose and aim")
    expect(purpose.locator(".text-source")).to_have_text("OCR's specification:")
    first_guidance = learner.locator("details summary").first
    expect(first_guidance).to_have_text("Knowledge, understanding and skills (OCR's specification)")
    assessment = learner.get_by_role("region", name="Assessment", exact=True)
    expect(assessment.locator("p").filter(has_text="externally verified by OCR Assessors")).to_contain_text(
        "OCR's specification: This qualification is internally assessed"
    )
    sign_off = learner.get_by_role("region", name="Unit sign-off")
    expect(sign_off.locator(".text-source")).to_have_text(
        "City & Guilds' wording. OCR gives no wording of its own for the unit sign-off, so these are City & Guilds' "
        "words."
    )
    expect(sign_off).to_contain_text("I confirm that the evidence provided is a result of my own work.")


def test_the_unit_page_with_its_labels_has_no_wcag_violations(axe_page, world, unit):
    sign_in(axe_page, world.learner.email)
    axe_page.goto(PAGE + "?numbering=CG")
    expect(axe_page.locator(".text-source").first).to_be_visible()
    assert violations(axe_page) == []


def test_an_ocr_learner_submitting_is_told_the_declaration_is_city_and_guilds_words(open_as, world):
    from assessments.models import Portfolio
    from assessments.tests.test_signoff import cover_everything
    from units.models import AwardingBody

    Portfolio.objects.filter(pk=world.portfolio.pk).update(awarding_body=AwardingBody.objects.get(code="OCR"))
    world.portfolio = Portfolio.objects.get(pk=world.portfolio.pk)
    cover_everything(world)
    learner = open_as(world.learner.email, phone=True)
    learner.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    declaration = learner.get_by_label("I confirm that the evidence provided is a result of my own work.")
    expect(declaration).to_have_accessible_description(
        "OCR gives no wording of its own for the unit sign-off, so these are City & Guilds' words."
    )
    expect(learner.locator("#sign-off-wording-source")).to_be_visible()
