"""The cross-referencing list beside the unit, in a browser: the learner reads it on their unit page, a listed unit
that is loaded links to the library, and on the evidence form the listed unit they are registered on leads the
cross-reference picker, saying so; an item ticked there counts in that unit's portfolio too."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from assessments.models import Evidence
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.factories import PortfolioFactory
from units.models import UnitCode

pytestmark = pytest.mark.browser


def test_the_listed_unit_leads_the_picker_and_the_item_counts_there_too(open_as, world, second_unit, third_unit):
    # The test units' numbers (997, 998) stand in for the workbook's 101 ... 312, which the library does not hold.
    UnitCode.objects.filter(unit=world.portfolio.unit, awarding_body__code="CG").update(
        cross_reference_units=["101", "997"]
    )
    for unit in (second_unit, third_unit):
        PortfolioFactory(centre=world.centre, learner=world.learner, unit=unit, assessor=world.assessor, iv=world.iv)
    records = world.learner.portfolios.get(unit=third_unit)

    learner = open_as(world.learner.email)
    learner.goto(f"/portfolios/{world.portfolio.pk}/")
    listing = learner.locator("#cross-referencing")
    expect(listing).to_have_text("Evidence from this unit could also count towards units 101, 997.")
    expect(listing.get_by_role("link")).to_have_text(["997"])  # loaded: a link; 101 is not loaded

    learner.get_by_role("link", name="Add evidence").click()
    sections = learner.locator("details.cross-reference")
    expect(sections.locator("summary")).to_have_text(
        [
            "Also counts towards unit 997 Keep customer records (test unit)",
            "Also counts towards unit 998 Communicate with customers (test unit)",
        ]
    )
    expect(sections.nth(0).locator(".listed")).to_have_text("This unit's cross-referencing list names it.")
    expect(sections.nth(1).locator(".listed")).to_have_count(0)

    learner.get_by_role("textbox", name="Title*", exact=True).fill("Logging a complaint on the system")
    learner.get_by_label("Assessment method").select_option(label="PE Product evidence")
    learner.get_by_label("Date of the activity").fill(world.portfolio.start_date.isoformat())
    learner.get_by_label("Real work").check()
    learner.get_by_label("220.2.8 summarise clearly actions").check()
    sections.nth(0).locator("summary").click()
    sections.nth(0).get_by_label("997.1.1 record each customer request completely and accurately").check()
    learner.get_by_role("button", name="Add evidence").click()
    expect(learner.get_by_text("Added E1 Logging a complaint on the system")).to_be_visible()
    item = Evidence.objects.get(title="Logging a complaint on the system")
    assert list(item.cross_references.all()) == [records]

    learner.goto(f"/portfolios/{records.pk}/evidence/")
    expect(learner.get_by_text("cross-referenced from Deliver customer service to difficult customers")).to_have_count(
        1
    )
    assert learner.problems == []
