"""An EV visit in a real browser: the admin puts a unit in a visit's sample; when the IV signs it, the unit is not
complete but waits for the visiting EV, and the page says so; the EV, allocated to no centre, finds it through the
visit on a phone, records findings and signs, and only then is it complete, its record sampled and signed by the EV
and verifiable as genuine."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assessments.models import Portfolio, PortfolioStatus, RecordCode, Signature, SignatureKind
from assessments.signoff.services import unit_sign
from assessments.tests.test_signoff import cover_everything, submit
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.factories import PASSWORD, external_verifier

pytestmark = pytest.mark.browser

S = PortfolioStatus


def _uk(day: datetime.date) -> str:
    return day.strftime("%d/%m/%Y")


def _fits(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth"), page.url


def _status() -> str:
    return Portfolio.objects.get().status


def test_a_unit_on_an_ev_visit_waits_for_the_visiting_ev_who_signs_it_on_a_phone(open_as, world):
    today = timezone.localdate()
    visiting = external_verifier(None, full_name="Vic Visitor", email="vic@awarding.example")
    # The unit as the assessor left it: covered, submitted and signed (the journey of those steps is elsewhere).
    cover_everything(world)
    submit(world)
    unit_sign(actor=world.assessor, portfolio=world.portfolio, kind=SignatureKind.ASSESSOR, password=PASSWORD)

    admin = open_as(world.admin.email)
    admin.get_by_role("link", name="EV visits").click()
    admin.get_by_role("link", name="Prepare a visit").click()
    admin.get_by_label("External verifier").select_option(
        label=f"Vic Visitor (vic@awarding.example), {visiting.ev_roles.get().awarding_body.name}"
    )
    admin.get_by_label("First day").fill(today.isoformat())
    admin.get_by_label("Last day").fill((today + datetime.timedelta(days=13)).isoformat())
    admin.get_by_label("Purpose and notes").fill("Summative sample of the autumn term.")
    admin.get_by_label(re.compile(r"Sample Lena Learner")).check()
    admin.get_by_role("button", name="Prepare the visit").click()
    expect(admin.get_by_text("Visit prepared. Vic Visitor has been told.")).to_be_visible()
    dates = f"{_uk(today)} to {_uk(today + datetime.timedelta(days=13))}"
    hold = (
        f"This unit is in the external verifier's sample (EV visit by Vic Visitor, {dates}): it is complete only "
        "once the external verifier signs it, or releases it from the sample."
    )

    # The IV samples, reports and signs: the unit is signed by the IV, not complete, and says why.
    iv = open_as(world.iv.email)
    iv.goto(f"/portfolios/{world.portfolio.pk}/signoff/")
    expect(iv.get_by_text(hold)).to_be_visible()
    iv.get_by_role("button", name="Sample this unit").click()
    iv.get_by_role("link", name="Write the IV report").click()
    iv.get_by_label("I agree with the assessment decision").check()
    iv.get_by_label("Feedback to the assessor").fill("Sampled all four items: sound decisions.")
    iv.get_by_role("button", name="Save the report").click()
    expect(iv.get_by_text("Your summative report is saved.")).to_be_visible()
    iv.get_by_label("Your password, to sign").fill(PASSWORD)
    iv.get_by_role("button", name="Sign as internal verifier").click()
    expect(iv.get_by_text("Status: Signed by the IV")).to_be_visible()
    expect(iv.get_by_text(hold)).to_be_visible()
    assert _status() == S.IV_SIGNED

    # The visiting EV, on a phone, opens the visit from their dashboard and the unit from the visit.
    ev = open_as(visiting.email)
    ev.set_viewport_size({"width": 390, "height": 844})
    # Told the unit is ready for them as soon as the IV signed, before they had looked at it.
    ready = ev.locator("#needs-action-list").get_by_role("link", name=re.compile(r"^Ready for external verification"))
    expect(ready).to_have_count(1)
    expect(ready).to_have_attribute("href", f"/portfolios/{world.portfolio.pk}/signoff/")
    ev.get_by_role("link", name=re.compile(f"^EV visit to {world.centre.name}")).click()
    _fits(ev)
    ev.get_by_role("link", name=re.compile(r"Sign-off of Lena Learner")).click()
    expect(ev.get_by_text(hold)).to_be_visible()
    _fits(ev)
    ev.get_by_role("link", name="Record your findings").click()
    ev.get_by_label("I agree with the assessment and verification decisions").check()
    ev.get_by_label("Your findings").fill("Sampled all four items and the IV's report: sound decisions.")
    ev.get_by_role("button", name="Record my findings").click()
    expect(ev.get_by_text("Your findings are recorded. Sign the unit below.")).to_be_visible()
    assert _status() == S.IV_SIGNED
    ev.get_by_label("Your password, to sign").fill(PASSWORD)
    ev.get_by_role("button", name="Sign as external verifier").click()
    expect(ev.get_by_text("Status: Complete")).to_be_visible()
    expect(ev.get_by_text("sampled by the EV", exact=True)).to_be_visible()
    expect(ev.get_by_text("Vic Visitor (ev)")).to_be_visible()
    expect(ev.get_by_text(hold)).to_have_count(0)
    _fits(ev)
    assert _status() == S.COMPLETE
    signature = Signature.objects.standing().get(kind=SignatureKind.EV)
    assert signature.signer == visiting

    # Anyone may check the record: it is genuine.
    code = RecordCode.objects.get(portfolio=world.portfolio, round=1).code
    ev.goto(f"/verify/{code}/")
    expect(ev.get_by_text("Genuine and unaltered.", exact=True)).to_be_visible()
    for page in (admin, iv, ev):
        assert page.problems == [], page.problems
