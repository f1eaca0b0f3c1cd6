"""The witness's journey in a real browser: the learner names a witness, the witness opens the emailed link with no
account and answers it, and the assessor sees the answer. The live server runs with CSRF enforced, DEBUG off and the
real referrer policy and CSP, so a form that a browser cannot post fails here."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Evidence, WitnessStatus
from assessments.tests.test_evidence_views import add
from tests.browser.conftest import close_watched, watched_context, watched_page

pytestmark = pytest.mark.browser

STATEMENT = "I saw Lena calm an angry customer whose delivery was late, and agree a new date with him."
CORRECTED = "I saw Lena calm an angry customer. She offered a refund; the shift manager agreed the new date."
PHONE = {"width": 390, "height": 844}


def witness_path(message) -> str:
    """The path of the witness link in an email (the emailed address is SITE_URL's, not the live server's)."""
    match = re.search(r"https?://[^/\s]+(/witness/[^/\s]+/)", message.body)
    assert match, message.body
    return match.group(1)


def fits_the_screen(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], page.url


@pytest.fixture
def witness_browser(browser, live_server):
    """A browser of the witness's own: no account, no session, a phone-sized screen."""
    contexts = []

    def open_link(path: str):
        # Watched like every other page: no sideways scrolling, no CSP violation (see conftest.py).
        context = watched_context(browser, live_server, phone=True)
        contexts.append(context)
        page = watched_page(context)
        page.goto(path)
        return page

    yield open_link
    close_watched(contexts)


def test_a_witness_confirms_another_corrects_and_the_assessor_sees_both(open_as, witness_browser, world, mailoutbox):
    # The learner names a witness through the evidence form.
    learner = open_as(world.learner.email)
    learner.set_viewport_size(PHONE)
    learner.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    learner.get_by_role("textbox", name="Title*", exact=True).fill("Account of the late delivery, from my manager")
    learner.get_by_label("Assessment method").select_option(label="WT Witness testimony")
    learner.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    learner.get_by_label("Real work").check()
    learner.get_by_label("2.1 Listen patiently").check()
    learner.get_by_label("Witness's name").fill("Sam Supervisor")
    learner.get_by_label("Witness's job title").fill("Shift manager")
    learner.get_by_label("Witness's email address").fill("sam@shop.example")
    learner.get_by_label("Witness's statement").fill(STATEMENT)
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.get_by_text("Added E1 Account of the late delivery, from my manager")).to_be_visible()
    assert learner.problems == []
    confirmed = Evidence.objects.get(portfolio=world.portfolio, title__startswith="Account of the late delivery")
    assert [m.to for m in mail.outbox] == [["sam@shop.example"]]

    # The first witness opens the emailed link, signed in as nobody, and confirms.
    sam = witness_browser(witness_path(mail.outbox[0]))
    expect(sam.get_by_role("heading", level=1)).to_have_text("Confirm a witness statement")
    expect(sam.get_by_role("region", name="The statement written in your name")).to_contain_text(STATEMENT)
    fits_the_screen(sam)
    sam.get_by_role("button", name="Confirm this statement").click()
    expect(sam.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(sam.get_by_text("You have confirmed the statement in Lena Learner's portfolio.")).to_be_visible()
    fits_the_screen(sam)
    assert sam.problems == [], sam.problems
    # The link is single-use: opened again it says so and shows nothing of the evidence.
    sam.goto(witness_path(mail.outbox[0]))
    expect(sam.get_by_role("heading", level=1)).to_have_text("This link no longer works")
    expect(sam.get_by_role("main")).not_to_contain_text(STATEMENT)
    # The 410 status is the one error the browser reports.
    assert [p for p in sam.problems if "status of 410" not in p] == []
    confirmed.refresh_from_db()
    assert confirmed.witness_status == WitnessStatus.CONFIRMED

    # A second witness, named on another item, corrects the statement written in their name.
    corrected = add(
        world,
        method="WT",
        criteria=["2.4"],
        title="Complaint at the till, from my colleague",
        witness_name="Kim Colleague",
        witness_email="kim@shop.example",
        witness_statement="I saw Lena give a refund straight away.",
    )
    assert mail.outbox[-1].to == ["kim@shop.example"]
    kim = witness_browser(witness_path(mail.outbox[-1]))
    kim.get_by_label("Your corrected statement").fill("")
    kim.get_by_role("button", name="Correct it").click()
    # Refused next to the field, and the page still answers.
    expect(kim.get_by_text("This field is required")).to_be_visible()
    kim.get_by_label("Your corrected statement").fill(CORRECTED)
    kim.get_by_role("button", name="Correct it").click()
    expect(kim.get_by_role("heading", level=1)).to_have_text("Thank you")
    expect(kim.get_by_text("Your corrected statement has been saved in Lena Learner's portfolio")).to_be_visible()
    fits_the_screen(kim)
    assert kim.problems == [], kim.problems
    corrected.refresh_from_db()
    assert (corrected.witness_status, corrected.witness_statement) == (WitnessStatus.CORRECTED, CORRECTED)

    # The assessor sees the confirmation and the witness's own wording.
    assessor = open_as(world.assessor.email)
    assessor.goto(f"/evidence/{confirmed.pk}/")
    today = timezone.localdate().strftime("%d/%m/%Y")
    expect(assessor.get_by_text(f"Witness: confirmed on {today}")).to_be_visible()
    expect(assessor.get_by_text(STATEMENT)).to_be_visible()
    assessor.goto(f"/evidence/{corrected.pk}/")
    expect(assessor.get_by_text("Witness: corrected by the witness")).to_be_visible()
    expect(assessor.get_by_text(CORRECTED)).to_be_visible()
    assert assessor.problems == [], assessor.problems


def test_a_witness_who_answers_after_the_unit_is_signed_is_told_plainly_on_a_phone(witness_browser, world, mailoutbox):
    from assessments.models import Decision, PortfolioStatus, SignatureKind
    from assessments.signoff.services import unit_sign
    from assessments.tests.test_signoff import cover_everything, submit
    from tests.factories import PASSWORD

    waiting = add(
        world,
        method="WT",
        criteria=["2.4"],
        title="Complaint at the till, from my colleague",
        witness_name="Kim Colleague",
        witness_email="kim@shop.example",
        witness_statement="I saw Lena give a refund straight away.",
    )
    kim = witness_browser(witness_path(mail.outbox[-1]))
    expect(kim.get_by_role("heading", level=1)).to_have_text("Confirm a witness statement")
    # While the page is open, the assessor signs the unit on other evidence, having sent this item back.
    Evidence.objects.filter(pk=waiting.pk).update(decision=Decision.SENT_BACK, decided_by=world.assessor)
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD)
    kim.get_by_role("button", name="Confirm this statement").click()
    expect(kim.get_by_role("heading", level=1)).to_have_text("Your answer is not needed now")
    expect(kim.get_by_role("main")).to_contain_text("Your answer was not recorded.")
    fits_the_screen(kim)
    assert kim.problems == [], kim.problems
    waiting.refresh_from_db()
    assert waiting.witness_status == WitnessStatus.UNCONFIRMED
    world.portfolio.refresh_from_db()
    assert world.portfolio.status == PortfolioStatus.ASSESSOR_SIGNED
