"""The learner's side of the journey in a real browser on a phone: the assessor sends an item back with feedback and
the learner finds it on their dashboard (and in their email) and opens it; a unit whose evidence covers everything
asks to be submitted, and once it is, the learner reads what happens next in their own words."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments import services
from assessments.models import Decision, PortfolioStatus
from assessments.signoff.services import unit_sign
from assessments.tests.test_evidence_views import add
from assessments.tests.test_signoff import cover_everything
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
FEEDBACK = "Say what the customer asked for, and what you did next."


def test_the_assessor_sends_an_item_back_and_the_learner_finds_it_on_the_dashboard_and_opens_it(
    open_as, world, mailoutbox
):
    item = add(world, title="Angry caller", criteria=["2.1", "2.4"], range_items=["b"])

    assessor = open_as(world.assessor.email, phone=True)
    assessor.goto(f"/evidence/{item.pk}/review/")
    assessor.get_by_label("Send it back to the learner").check()
    assessor.get_by_label("Feedback to the learner").fill(FEEDBACK)
    assessor.get_by_role("button", name="Save my judgement").click()
    expect(assessor.get_by_role("status")).to_contain_text(f"{item.reference}: sent back to the learner")

    learner = open_as(world.learner.email, phone=True)
    panel = learner.locator("#needs-action")
    expect(panel).to_contain_text("1 thing needs your action.")
    expect(panel).to_contain_text(f"Asha Assessor says: {FEEDBACK}")
    notice = panel.get_by_role("link", name=f"Sent back by your assessor: {item.reference} Angry caller")
    expect(notice).to_have_count(1)
    [email] = [m for m in mailoutbox if m.to == [world.learner.email]]
    assert email.subject == f"Sent back by your assessor: {item.reference} Angry caller"
    assert FEEDBACK in email.body

    notice.click()

    expect(learner).to_have_url(f"/evidence/{item.pk}/#thread")
    expect(learner.get_by_role("heading", level=1)).to_have_text(f"{item.reference} Angry caller")
    expect(learner.get_by_text(FEEDBACK)).to_be_visible()
    # Reading it is not the answer: it waits on the dashboard until the learner changes the item.
    learner.goto("/")
    expect(learner.locator("#needs-action")).to_contain_text("Sent back by your assessor")
    for page in (assessor, learner):
        assert page.problems == []


def test_a_covered_unit_asks_to_be_submitted_and_then_the_learner_reads_what_happens_next(open_as, world):
    cover_everything(world)
    waiting = add(world, title="One more customer", criteria=["2.1"], range_items=["a"])

    learner = open_as(world.learner.email, phone=True)
    panel = learner.locator("#needs-action")
    expect(panel).not_to_contain_text("Nothing needs your action")
    panel.get_by_role("link", name=f"Submit this unit: {world.portfolio.unit.title}").click()

    expect(learner.get_by_role("heading", level=1)).to_have_text("Unit sign-off")
    learner.get_by_label("I confirm that the evidence provided is a result of my own work.").check()
    learner.get_by_label("Your password, to sign").fill(PASSWORD)
    learner.get_by_role("button", name="Submit for assessment").click()

    expect(learner.get_by_text("Status: Submitted by the learner")).to_be_visible()
    next_steps = learner.locator("#what-next")
    expect(next_steps.get_by_role("heading", name="What happens next")).to_be_visible()
    expect(next_steps).to_contain_text("Your assessor, Asha Assessor, will now review your evidence.")
    expect(next_steps).to_contain_text(
        f"{waiting.reference} is waiting for your assessor to accept it or send it back."
    )
    expect(learner.get_by_text("accept it or send it back.", exact=False)).to_have_count(1)
    expect(learner.get_by_text("has not been judged yet")).to_have_count(0)
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == PortfolioStatus.SUBMITTED

    learner.goto("/")
    expect(learner.locator("#needs-action")).not_to_contain_text("Submit this unit")
    assert learner.problems == []


def test_the_learners_dashboard_and_sign_off_page_with_what_waits_have_no_wcag_violations(axe_page, world):
    cover_everything(world)
    item = add(world, title="Angry caller", criteria=["2.1"], range_items=["b"])
    services.evidence_judge(
        actor=world.assessor, evidence=item, decision=Decision.SENT_BACK, verdicts={}, feedback=FEEDBACK
    )
    sign_in(axe_page, world.learner.email)
    axe_page.set_viewport_size({"width": 390, "height": 844})
    expect(axe_page.locator("#needs-action")).to_contain_text("Submit this unit")
    assert violations(axe_page) == []

    unit_sign(actor=world.learner, portfolio=world.portfolio, kind="learner", password=PASSWORD)
    axe_page.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    expect(axe_page.locator("#what-next")).to_be_visible()
    assert violations(axe_page) == []
