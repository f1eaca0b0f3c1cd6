"""The whole journey in a real browser: the learner covers the unit and submits,
the assessor confirms every claim and signs, the EV samples, the IV samples and
signs, the EV signs; the unit is complete and its evidence locked."""

from __future__ import annotations

import re

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


def test_evidence_changed_after_submitting_is_declared_again_and_the_finished_unit_verifies_as_genuine(
    open_as, world
):
    from assessments.models import RecordCode
    from assessments.tests.test_signoff import cover_everything

    cover_everything(world)
    signoff = f"/portfolios/{world.portfolio.pk}/signoff/"
    learner = open_as(world.learner.email)

    def declare() -> None:
        learner.goto(signoff)
        learner.get_by_label("I confirm that the evidence provided is a result of my own work.").check()
        learner.get_by_label("Your password, to sign").fill(PASSWORD)
        learner.get_by_role("button", name="Submit for assessment").click()
        expect(learner.get_by_text("Status: Submitted by the learner")).to_be_visible()

    declare()
    # After submitting, the learner corrects an item: the unit is back in progress and asks for the declaration.
    first = Evidence.objects.get(portfolio=world.portfolio, number=1)
    learner.goto(f"/evidence/{first.pk}/edit/")
    learner.get_by_role("textbox", name="Title*", exact=True).fill("Customer a, with the date of the call")
    learner.get_by_role("button", name="Save changes").click()
    expect(learner).not_to_have_url(re.compile(r"/edit/$"))
    learner.goto(signoff)
    expect(learner.get_by_text("Status: In progress")).to_be_visible()
    expect(learner.locator("#reopened")).to_contain_text("The evidence changed after submitting: E1 changed")
    expect(learner.get_by_role("button", name="Submit for assessment")).to_be_visible()
    assert Portfolio.objects.get(pk=world.portfolio.pk).status == PortfolioStatus.IN_PROGRESS
    declare()

    # The assessor judges the changed item again, then signs with a double click: one signature, no error.
    assessor = open_as(world.assessor.email)
    assessor.goto(f"/evidence/{first.pk}/review/")
    for radio in assessor.get_by_role("radio", name="Confirmed").all():
        radio.check()
    assessor.get_by_label("Accept the evidence").check()
    assessor.get_by_role("button", name="Save my judgement").click()
    assessor.goto(signoff)
    assessor.get_by_label("Your password, to sign").fill(PASSWORD)
    assessor.get_by_role("button", name="Sign as assessor").dblclick()
    expect(assessor.get_by_text("Status: Signed by the assessor")).to_be_visible()
    assert Signature.objects.standing().filter(kind="assessor").count() == 1

    iv = open_as(world.iv.email)
    iv.goto(signoff)
    iv.get_by_role("button", name="Release without sampling").click()
    expect(iv.get_by_text("Status: Complete")).to_be_visible()
    expect(iv.get_by_text("Unchanged since signing")).to_have_count(2)

    code = RecordCode.objects.get(portfolio=world.portfolio, round=1).code
    iv.goto(f"/verify/{code}/")
    expect(iv.get_by_text("Genuine and unaltered.", exact=True)).to_be_visible()
    for page in (learner, assessor, iv):
        assert page.problems == [], page.problems
