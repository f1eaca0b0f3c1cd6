"""The internal verifier's journey in a real browser, every form submitted the way an IV would: a sampling plan with
a learner, an assessed record and a criterion added and one taken out again, a summative report with an action point
and the IV's signature, a report on an assessor's decisions on a criterion, a unit released unsampled and one
referred back, a still-qualifying IV's signature countersigned. The assessor marks the action point done from their
dashboard, the referred learner dismisses the notice and changes their notification settings, and the EV allocated
to the centre samples a unit and releases it. After each form the person sees what was saved, once."""

from __future__ import annotations

import dataclasses
import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Portfolio, PortfolioStatus, SignatureKind
from assessments.signoff.services import unit_sign
from assessments.tests.test_signoff import cover_everything, submit
from notifications.models import Notification
from people.models import Qualification, Role
from quality.models import ActionPoint, IVReport, SampleItem, SampleScope
from tests.browser.helpers import said_once
from tests.factories import PASSWORD, PortfolioFactory, iv_report_agreeing, member
from units.models import Criterion

pytestmark = pytest.mark.browser

UNIT = "Deliver customer service to difficult customers"


def _signed_by_the_assessor(world, portfolio: Portfolio | None = None, name: str = "", number: str = "") -> Portfolio:
    """A unit covered, submitted by its learner and signed by the assessor (those journeys are tested elsewhere)."""
    if portfolio is None:
        learner = member(world.centre, Role.LEARNER, user__full_name=name)
        portfolio = PortfolioFactory(
            centre=world.centre, learner=learner, assessor=world.assessor, iv=world.iv, learner_number=number
        )
    theirs = dataclasses.replace(world, portfolio=portfolio, learner=portfolio.learner)
    cover_everything(theirs)
    submit(theirs)
    unit_sign(actor=world.assessor, portfolio=portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD)
    return portfolio


def _dismiss(title: str) -> re.Pattern:
    # The button says "Dismiss" and, to screen readers, which notice: the hidden part is a separate box.
    return re.compile(rf"^Dismiss\s*: {re.escape(title)}$")


def test_iv_plans_a_sample_reports_with_an_action_point_and_signs_and_the_assessor_marks_it_done_on_phones(
    open_as, world
):
    today = timezone.localdate()
    lena = _signed_by_the_assessor(world, world.portfolio)
    _signed_by_the_assessor(world, name="Sid Signed", number="CG-0007")
    criterion = Criterion.objects.filter(outcome__unit=lena.unit).order_by("pk").first()
    iv = open_as(world.iv.email, phone=True)

    iv.get_by_role("link", name="Sampling").first.click()
    iv.get_by_role("link", name="New sampling plan").click()
    iv.get_by_label("Title").fill("Spring summative sample")
    iv.get_by_label("From").fill(today.isoformat())
    iv.get_by_label("To").fill((today + datetime.timedelta(days=60)).isoformat())
    iv.get_by_role("button", name="Make the plan").click()
    said_once(iv, "Sampling plan “Spring summative sample” made. Add units, learners and criteria to it.")
    expect(iv.locator("#items")).to_contain_text("Nothing is in this plan yet.")

    # A learner, then an assessed record, each at the summative stage.
    sample_by = (today + datetime.timedelta(days=14)).isoformat()
    adding = iv.get_by_role("group", name="Add a learner or an assessed record")
    adding.get_by_label("Stage").select_option(label="Summative (after the assessor signs)")
    adding.get_by_label("Sample by").fill(sample_by)
    iv.get_by_role("button", name=re.compile(r"^Add all units of Sid Signed")).click()
    said_once(iv, "Added to the summative sample of “Spring summative sample”")
    adding = iv.get_by_role("group", name="Add a learner or an assessed record")
    adding.get_by_label("Stage").select_option(label="Summative (after the assessor signs)")
    adding.get_by_label("Sample by").fill(sample_by)
    iv.get_by_role("button", name=re.compile(r"^Add the record of Lena Learner")).click()
    said_once(iv, "Added to the summative sample of “Spring summative sample”")

    # An assessor's decisions on one criterion, across their learners.
    by_criterion = iv.get_by_role("region", name="Sample an assessor's decisions on a criterion")
    by_criterion.get_by_label("Assessor").select_option(label="Asha Assessor")
    by_criterion.get_by_label("Criterion").select_option(label=f"{criterion.code} {criterion.text[:90]}")
    by_criterion.get_by_label("Stage").select_option(label="Summative (after the assessor signs)")
    by_criterion.get_by_label("Sample by").fill(sample_by)
    by_criterion.get_by_role("button", name="Add the criterion sample").click()
    said_once(iv, "Added")

    items = iv.locator("#items")
    expect(items.get_by_role("row")).to_have_count(4)
    expect(items.get_by_role("rowheader", name=f"Lena Learner, {UNIT}")).to_have_count(1)
    expect(items.get_by_role("rowheader", name="All units of Sid Signed")).to_have_count(1)
    expect(
        items.get_by_role("rowheader", name=f"Asha Assessor's decisions on criterion {criterion.code}")
    ).to_have_count(1)

    # Sid's learner sample was a mistake: taken out again.
    items.get_by_role("row").filter(has_text="All units of Sid Signed").get_by_role(
        "button", name="Take out of the plan"
    ).click()
    said_once(iv, "Taken out of the plan.")
    expect(iv.locator("#items").get_by_role("rowheader", name="All units of Sid Signed")).to_have_count(0)
    assert SampleItem.objects.count() == 2
    assert set(SampleItem.objects.values_list("scope", flat=True)) == {SampleScope.UNIT, SampleScope.CRITERION}

    # The report on the assessor's decisions on the criterion.
    iv.locator("#items").get_by_role("link", name=re.compile(r"Write the report on Asha Assessor's decisions")).click()
    iv.get_by_label("I agree with the assessment decision").check()
    iv.get_by_label("Feedback to the assessor").fill("Consistent judgements on this criterion across learners.")
    iv.get_by_role("button", name="Save the report").click()
    said_once(iv, "Your report is saved and the assessor has been told.")
    expect(iv.get_by_text("Consistent judgements on this criterion across learners.")).to_have_count(1)

    # The summative report on Lena's unit, with one action point, then the IV's signature.
    iv.goto(f"/quality/plans/{SampleItem.objects.get(scope=SampleScope.UNIT).plan_id}/")
    iv.locator("#items").get_by_role("link", name=re.compile(r"Write the report on Lena Learner")).click()
    iv.get_by_label("I agree with the assessment decision").check()
    iv.get_by_label("Feedback to the assessor").fill("A sound decision, well recorded.")
    action = iv.get_by_role("group", name="Action point 1")
    action.get_by_label("What the assessor is to do").fill("Date every observation record")
    action.get_by_label("Due by").fill((today + datetime.timedelta(days=7)).isoformat())
    iv.get_by_role("button", name="Save the report").click()
    said_once(iv, "Your summative report is saved. Now sign the unit as its internal verifier.")
    expect(iv).to_have_url(f"/portfolios/{lena.pk}/signoff/")
    iv.get_by_label("Your password, to sign").fill(PASSWORD)
    iv.get_by_role("button", name="Sign as internal verifier").click()
    said_once(iv, "Signed: ")
    expect(iv.get_by_role("button", name="Sign as internal verifier")).to_have_count(0)
    assert IVReport.objects.filter(portfolio=lena, stage="summative").count() == 1
    assert lena.signatures.filter(kind=SignatureKind.IV, withdrawn_at=None).count() == 1

    # The assessor finds the action point on their dashboard, on their phone, and marks it done.
    assessor = open_as(world.assessor.email, phone=True)
    panel = assessor.locator("#action-points")
    expect(panel.get_by_text("Date every observation record", exact=True)).to_have_count(1)
    panel.get_by_label("What you did (optional)").fill("Dated all four records.")
    panel.get_by_role("button", name=re.compile("Mark done")).click()
    said_once(assessor, "Marked done. The IV has been told.")
    expect(assessor.get_by_text("Date every observation record", exact=True)).to_have_count(0)
    done = ActionPoint.objects.get()
    assert done.done_at is not None and done.done_note == "Dated all four records."
    assert iv.problems == [] and assessor.problems == []


def test_iv_releases_one_unit_unsampled_refers_another_back_and_the_learner_deals_with_the_notice(open_as, world):
    sid = _signed_by_the_assessor(world, name="Sid Signed", number="CG-0007")
    rita = _signed_by_the_assessor(world, name="Rita Referred", number="CG-0008")
    iv = open_as(world.iv.email)

    # The IV clears one of their notices from the list of them.
    notices = Notification.objects.filter(user=world.iv, done_at=None)
    assert notices.count() == 2, list(notices.values_list("title", flat=True))
    notice = notices.order_by("-created_at", "-pk").first()
    iv.get_by_role("link", name="Notifications", exact=True).click()
    iv.get_by_role("button", name=_dismiss(notice.title)).click()
    said_once(iv, f"Dismissed: {notice.title}")
    expect(iv).to_have_url("/notifications/")
    expect(iv.get_by_role("button", name=_dismiss(notice.title))).to_have_count(0)
    assert notices.count() == 1

    iv.goto(f"/portfolios/{sid.pk}/signoff/")
    iv.get_by_role("button", name="Release without sampling").click()
    said_once(iv, "Released without sampling.")
    expect(iv.get_by_role("button", name="Release without sampling")).to_have_count(0)
    sid.refresh_from_db()
    assert sid.status != PortfolioStatus.ASSESSOR_SIGNED

    iv.goto(f"/portfolios/{rita.pk}/signoff/")
    iv.get_by_label("Reasons (the learner sees these)").fill("E2's witness is not named: ask them to sign it.")
    iv.get_by_role("button", name="Refer back").click()
    said_once(iv, "Referred back to the learner with your reasons.")
    rita.refresh_from_db()
    assert rita.status == PortfolioStatus.IN_PROGRESS

    # Rita is told on her dashboard and dismisses the notice there, on her phone.
    learner = open_as(rita.learner.email, phone=True)
    panel = learner.locator("#needs-action")
    notice = Notification.objects.get(user=rita.learner, done_at=None, kind__contains="refer")
    expect(panel.get_by_role("link", name=notice.title)).to_have_count(1)
    panel.get_by_role("button", name=_dismiss(notice.title)).click()
    said_once(learner, f"Dismissed: {notice.title}")
    expect(learner).to_have_url("/")
    expect(learner.locator("#needs-action").get_by_role("link", name=notice.title)).to_have_count(0)
    notice.refresh_from_db()
    assert notice.done_at is not None

    # And stops the emails.
    learner.goto("/account/notifications/")
    box = learner.get_by_role("checkbox")
    expect(box).to_be_checked()
    box.uncheck()
    learner.get_by_role("button", name="Save settings").click()
    said_once(learner, "Your notification settings are saved.")
    expect(learner.get_by_role("checkbox")).not_to_be_checked()
    assert iv.problems == [] and learner.problems == []


def test_a_qualified_iv_countersigns_on_a_phone_and_the_allocated_ev_samples_a_unit_then_releases_it(open_as, world):
    # Quinn, still qualifying, verified and signed Cara's unit: Ivan countersigns it.
    quinn = member(world.centre, Role.IV, qualification=Qualification.QUALIFYING, user__full_name="Quinn Qualifying")
    learner = member(world.centre, Role.LEARNER, user__full_name="Cara Countersign")
    cara = PortfolioFactory(centre=world.centre, learner=learner, assessor=world.assessor, iv=quinn)
    _signed_by_the_assessor(world, cara)
    iv_report_agreeing(cara, quinn)
    unit_sign(actor=quinn, portfolio=cara, kind=SignatureKind.IV, password=PASSWORD)

    iv = open_as(world.iv.email, phone=True)
    iv.goto(f"/portfolios/{cara.pk}/signoff/")
    iv.get_by_label("Your password, to sign").fill(PASSWORD)
    iv.get_by_role("button", name="Countersign").click()
    said_once(iv, "Signed: ")
    expect(iv.get_by_role("button", name="Countersign")).to_have_count(0)
    assert cara.signatures.filter(kind=SignatureKind.IV_COUNTERSIGN, withdrawn_at=None).count() == 1

    # The EV allocated to the centre puts Lena's unit in their sample, then lets it go unsigned.
    lena = _signed_by_the_assessor(world, world.portfolio)
    ev = open_as(world.ev.email)
    ev.goto(f"/portfolios/{lena.pk}/signoff/")
    ev.get_by_role("button", name="Sample this unit").click()
    said_once(ev, "The unit is in your sample.")
    ev.get_by_role("button", name="Release from my sample").click()
    said_once(ev, "Released from your sample.")
    expect(ev.get_by_role("button", name="Sample this unit")).to_be_visible()
    lena.refresh_from_db()
    assert not lena.ev_sampled
    assert iv.problems == [] and ev.problems == []
