"""An assessor records an observation in a real browser, with its times, a note for each criterion and range item
it covers and their feedback; the learner acknowledges it, either there and then with their own password on the
assessor's device, or later from their own account. The item's page then shows the times and the
acknowledgement."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Acknowledgement, Evidence, Observation
from tests.assessor_records import crit, rng
from tests.browser.helpers import said_once, uk
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def record_observation(page, world, *, learner_password: str = "") -> Evidence:
    """The assessor fills in the observation form from the learner's unit page and saves it."""
    code = world.portfolio.unit_code
    page.goto(f"/portfolios/{world.portfolio.pk}/")
    page.get_by_role("link", name="Record an observation").click()
    page.get_by_label("Title").fill("Observed: a complaint about a late delivery")
    page.locator("#id_activity_date").fill((timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    page.get_by_label("End time").fill("10:15")
    page.get_by_label("Start time").fill("09:30")
    page.get_by_label("Where you observed the learner").fill("The service desk, Market Street")
    page.get_by_label("Real work").check()
    page.get_by_label("What you saw the learner do").fill("Lena listened, summarised and agreed a next step.")
    criterion = crit("2.1")
    page.get_by_label(f"{criterion.label(code)} {criterion.wording(code)}").check()
    page.get_by_label(f"What you saw for {criterion.label(code)}", exact=True).fill(
        "Let the customer finish before answering."
    )
    item = rng("a")
    page.get_by_label(f"{item.letter} {item.text}").check()
    page.get_by_label(f"What you saw for range {item.letter}", exact=True).fill(
        "The customer was angry about the delay."
    )
    page.get_by_label("Your feedback to the learner").fill("Well handled: next time, summarise before you promise.")
    if learner_password:
        page.get_by_label("Learner's password").fill(learner_password)
    page.get_by_role("button", name="Save the record").click()
    record = Evidence.objects.get(title="Observed: a complaint about a late delivery")
    said_once(page, f"Saved {record.reference} Observed: a complaint about a late delivery.")
    return record


def test_the_learner_acknowledges_on_the_assessors_device_with_their_password(open_as, world):
    assessor = open_as(world.assessor.email)
    # A slip first: the end before the start is refused beside the end time, with everything typed kept.
    assessor.goto(f"/portfolios/{world.portfolio.pk}/records/o/")
    assessor.get_by_label("Title").fill("Observed: a complaint about a late delivery")
    assessor.get_by_label("Start time").fill("10:30")
    assessor.get_by_label("End time").fill("10:00")
    assessor.get_by_role("button", name="Save the record").click()
    expect(assessor.locator("#div_id_end_time")).to_contain_text("The observation must end after it started.")
    expect(assessor.get_by_label("Title")).to_have_value("Observed: a complaint about a late delivery")
    assert not Evidence.objects.exists()

    # The learner, beside the assessor, types their own password into the assessor's form.
    record = record_observation(assessor, world, learner_password=PASSWORD)
    expect(assessor).to_have_url(f"/evidence/{record.pk}/")
    times = assessor.locator("#observation-times")
    expect(times).to_have_text(f"{uk(record.activity_date)}, 09:30 to 10:15")
    acknowledgement = assessor.locator("#acknowledgement")
    expect(acknowledgement).to_contain_text("Acknowledged by Lena Learner")
    expect(acknowledgement).to_contain_text("with their password on the assessor's device")
    expect(assessor.locator("#observation-notes")).to_contain_text("Let the customer finish before answering.")
    expect(assessor.get_by_role("heading", name="The learner's acknowledgement")).to_have_count(1)
    observation = Observation.objects.get(evidence=record)
    assert observation.acknowledgement == Acknowledgement.ON_DEVICE and observation.acknowledged_by == world.learner

    # The learner reads the same on their own page, with nothing left to acknowledge.
    learner = open_as(world.learner.email)
    learner.goto(f"/evidence/{record.pk}/")
    expect(learner.locator("#observation-times")).to_contain_text("09:30 to 10:15")
    expect(learner.locator("#acknowledgement")).to_contain_text("Acknowledged by Lena Learner")
    expect(learner.get_by_role("button", name="I acknowledge this observation")).to_have_count(0)
    assert assessor.problems == [] and learner.problems == []


def test_the_learner_acknowledges_later_from_their_own_account(open_as, world):
    assessor = open_as(world.assessor.email)
    record = record_observation(assessor, world)
    expect(assessor.locator("#acknowledgement")).to_contain_text("Not yet acknowledged")

    learner = open_as(world.learner.email, phone=True)
    # The dashboard lists it; the link leads to the item.
    pending = learner.locator("#pending-acknowledgements")
    expect(pending).to_contain_text("Observations to acknowledge")
    pending.get_by_role("link", name=f"{record.reference} Observed: a complaint about a late delivery").click()
    expect(learner.locator("#observation-times")).to_contain_text("09:30 to 10:15")
    expect(learner.locator("#observation-notes")).to_contain_text("The customer was angry about the delay.")
    learner.get_by_role("button", name="I acknowledge this observation").click()
    said_once(learner, f"You have acknowledged the observation {record.reference}.")
    acknowledgement = learner.locator("#acknowledgement")
    expect(acknowledgement).to_contain_text("Acknowledged by Lena Learner")
    expect(acknowledgement).to_contain_text("from their own account")
    expect(learner.get_by_role("button", name="I acknowledge this observation")).to_have_count(0)
    learner.goto("/")
    expect(learner.locator("#pending-acknowledgements")).to_have_count(0)

    # The assessor's page shows it too.
    assessor.goto(f"/evidence/{record.pk}/")
    expect(assessor.locator("#acknowledgement")).to_contain_text("from their own account")
    expect(assessor.locator("#observation-times")).to_contain_text("09:30 to 10:15")
    assert Observation.objects.get(evidence=record).acknowledgement == Acknowledgement.OWN_ACCOUNT
    assert assessor.problems == [] and learner.problems == []


def test_the_observation_pages_have_no_wcag_violations(axe_page, world):
    from django.urls import reverse

    from tests.assessor_records import observe, question
    from tests.browser.test_accessibility import violations
    from tests.browser.test_sign_in import sign_in

    record = observe(world, criteria=("2.1", "2.4"), range_items=("a",))
    asked = question(world)
    sign_in(axe_page, world.learner.email)
    for url in ("/", reverse("portfolio_detail", args=[world.portfolio.pk]), f"/evidence/{record.pk}/"):
        axe_page.goto(url)
        assert violations(axe_page) == [], url
    axe_page.goto(f"/evidence/{asked.pk}/")
    assert violations(axe_page) == []
    # The questioning form with an added row and a refused pair.
    axe_page.context.clear_cookies()
    sign_in(axe_page, world.assessor.email)
    axe_page.goto(reverse("assessor_record_edit", args=[asked.pk]))
    axe_page.get_by_role("button", name="Add another question").click()
    expect(axe_page.locator(".question-pair")).to_have_count(2)
    assert violations(axe_page) == []
    axe_page.locator("#id_pairs-0-answer").fill("")
    axe_page.get_by_role("button", name="Save changes").click()
    expect(axe_page.locator("#id_pairs-0-answer")).to_have_attribute("aria-invalid", "true")
    assert violations(axe_page) == []


def test_the_record_forms_and_an_observation_fit_a_phone(open_as, world):
    from tests.assessor_records import observe, question

    record = observe(world, criteria=("2.1", "2.4"), range_items=("a", "b"), learner_password=PASSWORD)
    asked = question(world)
    assessor = open_as(world.assessor.email, phone=True)
    for url in (
        f"/portfolios/{world.portfolio.pk}/records/o/",
        f"/portfolios/{world.portfolio.pk}/records/q/",
        f"/portfolios/{world.portfolio.pk}/records/pd/",
        f"/evidence/{record.pk}/record/",
        f"/evidence/{record.pk}/",
        f"/evidence/{asked.pk}/",
    ):
        assessor.goto(url)
        expect(assessor.get_by_role("heading", level=1)).to_have_count(1)
    # The page watcher fails the test at teardown if any of them scrolled sideways at 390 px.
    assert assessor.problems == []
