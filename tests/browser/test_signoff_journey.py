"""The whole journey in a real browser: the learner covers the unit and submits,
the assessor confirms every claim and signs, the EV samples, the IV samples and
signs, the EV signs; the unit is complete and its evidence locked."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Evidence, Portfolio, PortfolioStatus, Signature
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def add_item(page, world, title: str, range_label: str, date: str) -> None:
    page.goto(f"/portfolios/{world.portfolio.pk}/evidence/add/")
    page.get_by_role("textbox", name="Title*", exact=True).fill(title)
    page.get_by_label("Assessment method").select_option(label="RA Reflective account")
    page.get_by_label("Date of the activity").fill(date)
    page.get_by_label("Real work").check()
    page.get_by_label("Description or written account").fill("What happened, what I did and why.")
    for box in page.locator("input[name=criteria]").all():
        box.check()
    page.get_by_label(range_label).check()
    page.get_by_role("button", name="Add evidence").click()
    expect(page.get_by_text(f"{title}.")).to_be_visible()


def test_learner_to_ev_the_unit_is_signed_off_and_locked(open_as, world):
    start = world.portfolio.start_date
    learner = open_as(world.learner.email)
    for n, (letter, label) in enumerate(
        [
            ("a", "routine delivery of customer service"),
            ("b", "during a busy time in your job"),
            ("c", "during a quiet time in your job"),
            ("d", "when people, systems or resources have let you down"),
        ]
    ):
        add_item(learner, world, f"Customer {letter}", label, start.replace(day=min(start.day + n, 28)).isoformat())
    expect(learner.get_by_text("27 of 27 criteria, 4 of 4 range items")).to_be_visible()
    learner.get_by_role("link", name="Sign-off").click()
    learner.get_by_label("I confirm that the evidence provided is a result of my own work.").check()
    learner.get_by_label("Your password, to sign").fill(PASSWORD)
    learner.get_by_role("button", name="Submit for assessment").click()
    expect(learner.get_by_text("Status: Submitted by the learner")).to_be_visible()

    assessor = open_as(world.assessor.email)
    for item in Evidence.objects.filter(portfolio=world.portfolio).order_by("number"):
        assessor.goto(f"/evidence/{item.pk}/review/")
        for radio in assessor.get_by_role("radio", name="Confirmed").all():
            radio.check()
        assessor.get_by_label("Accept the evidence").check()
        assessor.get_by_role("button", name="Save my judgement").click()
    assessor.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    expect(assessor.get_by_text("Every criterion and range item is confirmed on accepted evidence.")).to_be_visible()
    assessor.get_by_label("Your password, to sign").fill(PASSWORD)
    assessor.get_by_role("button", name="Sign as assessor").click()
    expect(assessor.get_by_text("Status: Signed by the assessor")).to_be_visible()

    ev = open_as(world.ev.email)
    ev.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    ev.get_by_role("button", name="Sample this unit").click()
    expect(ev.get_by_text("sampled by the EV")).to_be_visible()

    iv = open_as(world.iv.email)
    iv.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    iv.get_by_role("button", name="Sample this unit").click()
    iv.get_by_role("link", name="Write the IV report").click()
    iv.get_by_label("I agree with the assessment decision").check()
    iv.get_by_label("Feedback to the assessor").fill("Sampled all four items: a sound, well recorded decision.")
    iv.get_by_role("button", name="Save the report").click()
    expect(iv.get_by_text("Your summative report is saved.")).to_be_visible()
    iv.get_by_label("Your password, to sign").fill(PASSWORD)
    iv.get_by_role("button", name="Sign as internal verifier").click()
    expect(iv.get_by_text("Status: Signed by the IV")).to_be_visible()

    ev.reload()
    ev.get_by_role("link", name="Record your findings").click()
    ev.get_by_label("I agree with the assessment and verification decisions").check()
    ev.get_by_label("Your findings").fill("Sampled all four items and the IV's report: sound decisions.")
    ev.get_by_role("button", name="Record my findings").click()
    expect(ev.get_by_text("Your findings are recorded.")).to_be_visible()
    ev.get_by_label("Your password, to sign").fill(PASSWORD)
    ev.get_by_role("button", name="Sign as external verifier").click()
    expect(ev.get_by_text("Status: Complete")).to_be_visible()
    expect(ev.get_by_text("Unchanged since signing")).to_have_count(4)
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == PortfolioStatus.COMPLETE
    assert Signature.objects.standing().count() == 4

    # The learner's evidence is locked now: changing it is refused.
    first = Evidence.objects.get(portfolio=world.portfolio, number=1)
    learner.goto(f"/evidence/{first.pk}/edit/")
    learner.get_by_role("textbox", name="Title*", exact=True).fill("Rewritten after sign-off")
    learner.get_by_role("button", name="Save changes").click()
    expect(learner.get_by_text("its evidence is locked")).to_be_visible()
    assert Evidence.objects.get(pk=first.pk).title == "Customer a"
    for page in (learner, assessor, iv, ev):
        assert page.problems == []
