"""Quality assurance in a real browser: the IV builds a sampling plan, samples a unit and writes a report with an
action point; the assessor marks the action done from their dashboard; the admin prepares an EV visit with a
sample of one registration, and the EV, not allocated to the centre, sees that registration and nothing else."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Portfolio
from audit.models import AuditEvent
from quality.models import ActionPoint, EVVisit, IVReport, SampleItem
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.factories import PortfolioFactory, external_verifier, member

pytestmark = pytest.mark.browser


def _uk(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def test_iv_plans_and_reports_assessor_acts_admin_prepares_a_visit_ev_sees_only_the_sample(open_as, world):
    from people.models import Role

    today = timezone.localdate()
    other_learner = member(world.centre, Role.LEARNER, user__full_name="Omar Other")
    other = PortfolioFactory(
        centre=world.centre, learner=other_learner, assessor=world.assessor, iv=world.iv, learner_number="CG-0002"
    )
    visiting_ev = external_verifier(None, full_name="Vera Visiting", email="vera@awarding.example")

    # The IV makes a plan and puts Lena's unit in it, interim, from the list of units they verify.
    iv = open_as(world.iv.email)
    iv.get_by_role("link", name="Sampling").first.click()
    iv.get_by_role("link", name="New sampling plan").click()
    iv.get_by_label("Title").fill("Autumn term interim sample")
    iv.get_by_label("From").fill(today.isoformat())
    iv.get_by_label("To").fill((today + datetime.timedelta(days=60)).isoformat())
    iv.get_by_role("button", name="Make the plan").click()
    expect(iv.get_by_role("heading", name="Autumn term interim sample")).to_be_visible()
    iv.get_by_role("link", name="Back to sampling").click()
    iv.get_by_label("Stage").select_option(label="Interim (before sign-off)")
    iv.get_by_label("Sample by").fill((today + datetime.timedelta(days=14)).isoformat())
    iv.get_by_role("button", name=re.compile(r"Add Lena Learner, .* to the plan")).click()
    iv.get_by_role("link", name="Autumn term interim sample").click()
    items = iv.locator("#items")
    expect(items.get_by_role("rowheader", name="Lena Learner, Deliver customer service")).to_be_visible()
    expect(items).not_to_contain_text("Omar Other")
    assert SampleItem.objects.get().portfolio_id == world.portfolio.pk

    # The report on the sampled unit, with one action point for the assessor.
    iv.get_by_role("link", name=re.compile(r"Write the report on Lena Learner")).click()
    iv.get_by_label("I agree with the assessment decision").check()
    iv.get_by_label("Feedback to the assessor").fill("Good early judgements; record the busy-time observation.")
    action = iv.get_by_role("group", name="Action point 1")
    action.get_by_label("What the assessor is to do").fill("Add the witness's job title to the busy-time item")
    action.get_by_label("Due by").fill((today + datetime.timedelta(days=7)).isoformat())
    iv.get_by_role("button", name="Save the report").click()
    expect(iv.get_by_text("Add the witness's job title to the busy-time item")).to_be_visible()
    report = IVReport.objects.get()
    assert report.portfolio_id == world.portfolio.pk and report.stage == "interim"

    # The assessor finds the action on their dashboard and marks it done.
    assessor = open_as(world.assessor.email)
    panel = assessor.locator("#action-points")
    expect(panel.get_by_text("Add the witness's job title to the busy-time item", exact=True)).to_be_visible()
    panel.get_by_label("What you did (optional)").fill("Job title added after checking with the witness.")
    panel.get_by_role("button", name=re.compile("Mark done")).click()
    expect(assessor.get_by_text("Add the witness's job title to the busy-time item", exact=True)).to_have_count(0)
    done = ActionPoint.objects.get()
    assert done.done_at is not None and done.done_note == "Job title added after checking with the witness."

    # The IV sees the action done on the report.
    iv.goto(f"/quality/reports/{report.pk}/")
    expect(iv.get_by_text("Job title added after checking with the witness.")).to_be_visible()

    # The admin prepares an EV visit that samples Lena's unit only.
    admin = open_as(world.admin.email)
    admin.get_by_role("link", name="EV visits").click()
    admin.get_by_role("link", name="Prepare a visit").click()
    admin.get_by_label("External verifier").select_option(
        label=f"Vera Visiting (vera@awarding.example), {visiting_ev.ev_roles.get().awarding_body.name}"
    )
    admin.get_by_label("First day").fill(today.isoformat())
    admin.get_by_label("Last day").fill((today + datetime.timedelta(days=1)).isoformat())
    admin.get_by_label("Purpose and notes").fill("Annual centre visit: summative decisions of the autumn term.")
    admin.get_by_label(re.compile(r"Sample Lena Learner")).check()
    admin.get_by_role("button", name="Prepare the visit").click()
    visit = EVVisit.objects.get()
    assert list(visit.sample.all()) == [Portfolio.objects.get(pk=world.portfolio.pk)]
    expect(admin.get_by_text(_uk(today)).first).to_be_visible()

    # The EV is told of the visit on their dashboard and opens it: Lena's unit is there, Omar's is not and cannot be
    # opened.
    ev = open_as(visiting_ev.email)
    ev.get_by_role("link", name=re.compile(f"^EV visit to {world.centre.name}")).click()
    sample = ev.locator("main")
    expect(sample.get_by_text("Lena Learner").first).to_be_visible()
    expect(sample).not_to_contain_text("Omar Other")
    ev.get_by_role("link", name=re.compile(r"Portfolio of Lena Learner")).click()
    expect(ev.get_by_role("heading", name=re.compile("Deliver customer service"))).to_be_visible()
    response = ev.goto(f"/portfolios/{other.pk}/")
    assert response is not None and response.status == 404
    viewed = AuditEvent.objects.filter(action="ev.page_viewed", actor=visiting_ev)
    assert viewed.filter(portfolio=world.portfolio).exists()
    assert viewed.filter(data__path=f"/portfolios/{other.pk}/", data__status=404).exists()
    # The 404 above is the only console error: it is the refusal the test asked for.
    assert ev.problems == ["Failed to load resource: the server responded with a status of 404 (Not Found)"]
    for page in (iv, assessor, admin):
        assert page.problems == [], page.problems
