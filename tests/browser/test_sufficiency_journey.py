"""Sufficiency that can be shown, through the real forms: the learner names the customer and the occasion of an
item, the centre admin sets the centre's own thresholds, the learner's unit page shows the ledger against them, and
the assessor sees it open beside the sign button and signs only with a sufficiency statement in their own words,
which the signature and the PDF record then carry."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Evidence, Signature, SignatureKind
from assessments.signoff.services import unit_sign
from assessments.tests.test_record_pdf import covered, pdf_text  # noqa: F401 (fixtures)
from assessments.tests.test_signoff import accept
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

WORDS = "Four different customers across busy and quiet shifts over two weeks: the workplace shows it is sustained."


def test_thresholds_set_by_the_centre_are_shown_and_an_unmet_one_needs_the_assessors_words(
    open_as,
    world,
    covered,  # noqa: F811
):
    learner = open_as(world.learner.email)
    learner.goto(f"/portfolios/{world.portfolio.pk}/")
    learner.get_by_role("link", name="Add evidence").click()
    learner.get_by_role("textbox", name="Title*", exact=True).fill("Refund refused at the returns desk")
    learner.get_by_label("Assessment method").select_option(label="O Observation")
    learner.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    learner.get_by_label("Real work").check()
    learner.get_by_label("Customer (optional)").fill("Customer B")
    learner.get_by_label("Occasion (optional)").fill("Late shift 14")
    learner.get_by_label("220.2.1 listen patiently").check()
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.get_by_text("Added E5 Refund refused at the returns desk")).to_be_visible()
    item = Evidence.objects.get(portfolio=world.portfolio, title="Refund refused at the returns desk")
    assert (item.customer_ref, item.occasion_ref) == ("Customer B", "Late shift 14")
    accept(item, world.assessor)

    admin = open_as(world.admin.email)
    admin.goto("/centre/sufficiency/")
    admin.get_by_label("Different customers").fill("3")
    admin.get_by_role("button", name="Save").click()
    expect(admin.get_by_text("Saved the sufficiency thresholds.")).to_be_visible()
    expect(admin.get_by_label("Different customers")).to_have_value("3")

    # The learner's unit page: the ledger against the centre's numbers, the named customer counted once.
    learner.reload()
    ledger = learner.locator("#sufficiency")
    expect(ledger.locator("summary")).to_contain_text("below the centre's thresholds")
    ledger.locator("summary").click()
    expect(ledger).to_contain_text("The centre looks for at least 3 different customers for each criterion.")
    row = ledger.locator("tr").filter(has=learner.get_by_role("rowheader", name="220.2.1", exact=True))
    expect(row.locator("td")).to_have_text(["1", "2", "3", "Not met: customers"])
    unit_sign(actor=world.learner, portfolio=world.portfolio, kind=SignatureKind.LEARNER, password=PASSWORD)

    assessor = open_as(world.assessor.email)
    assessor.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    section = assessor.locator("section", has=assessor.get_by_role("heading", name="Assessor's decision"))
    # Beside the sign button, open because thresholds are not met.
    expect(section.locator("#sufficiency table")).to_be_visible()
    statement = section.get_by_label("Sufficiency statement")
    expect(statement).to_have_attribute("required", "")
    section.get_by_label("Your password, to sign").fill(PASSWORD)
    section.get_by_role("button", name="Sign as assessor").click()
    # The browser keeps the form on the page until the statement is written: nothing is signed.
    expect(statement).to_be_focused()
    assert not Signature.objects.filter(kind=SignatureKind.ASSESSOR).exists()
    statement.fill(WORDS)
    # A mistyped password refuses the signature; what the assessor wrote comes back with the page, the password not.
    section.get_by_label("Your password, to sign").fill("not my password")
    section.get_by_role("button", name="Sign as assessor").click()
    expect(assessor.get_by_text("That is not your password.")).to_be_visible()
    expect(statement).to_have_value(WORDS)
    expect(section.get_by_label("Your password, to sign")).to_have_value("")
    assert not Signature.objects.filter(kind=SignatureKind.ASSESSOR).exists()
    section.get_by_label("Your password, to sign").fill(PASSWORD)
    section.get_by_role("button", name="Sign as assessor").click()
    expect(assessor.get_by_text("Signed: assessor.")).to_be_visible()
    signed = Signature.objects.get(kind=SignatureKind.ASSESSOR)
    assert signed.statement.endswith(f"\nSufficiency: {WORDS}")
    expect(assessor.get_by_role("row").filter(has_text="Sufficiency:")).to_have_count(1)

    href = assessor.get_by_role("link", name="Download the unit record (PDF)").get_attribute("href")
    response = assessor.request.get(href)
    assert response.ok
    text = " ".join(" ".join(pdf_text(response.body())).split())
    assert f"Sufficiency: {WORDS}" in text
    assert learner.problems == [] and admin.problems == [] and assessor.problems == []
