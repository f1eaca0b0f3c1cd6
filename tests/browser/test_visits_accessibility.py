"""The EV visit pages in a real browser: WCAG 2.2 AA with axe-core, errors beside their fields, and the strict CSP
(no inline script or style) on the admin's form and the EV's pages."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from quality.models import EVVisit
from tests.browser.conftest import CHROMIUM_ARGS  # noqa: F401 - the browser fixture lives there
from tests.browser.test_accessibility import violations
from tests.browser.test_sign_in import sign_in

pytestmark = pytest.mark.browser


def _visit(world) -> EVVisit:
    today = timezone.localdate()
    visit = EVVisit.objects.create(
        centre=world.centre,
        external_verifier=world.ev.ev_roles.get(),
        starts_on=today,
        ends_on=today + datetime.timedelta(days=1),
        purpose="Annual visit",
        created_by=world.admin,
    )
    visit.sample.add(world.portfolio)
    return visit


def test_the_admin_prepares_a_visit_with_errors_beside_the_fields(page, world):
    sign_in(page, world.admin.email)
    page.goto("/centre/visits/new/")
    page.get_by_label("External verifier").select_option(label="Eve External (ev@example.org), City & Guilds")
    page.get_by_label("First day").fill((timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    page.get_by_label("Last day").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Prepare the visit").click()
    expect(page.get_by_text("The last day must be on or after the first day.")).to_be_visible()
    expect(page.get_by_text("Choose at least one registration for the EV to sample.")).to_be_visible()
    page.get_by_label("First day").fill(timezone.localdate().isoformat())
    page.get_by_label("Sample Lena Learner, Deliver customer service to difficult customers").check()
    page.get_by_role("button", name="Prepare the visit").click()
    expect(page.get_by_text("Visit prepared. Eve External has been told.")).to_be_visible()
    assert page.problems == []


@pytest.mark.parametrize(
    ("persona", "path"),
    [
        ("admin", "/centre/visits/"),
        ("admin", "/centre/visits/new/"),
        ("admin", "visit"),
        ("ev", "visit"),
        ("ev", "findings"),
        ("ev", "centre"),
    ],
)
def test_visit_pages_have_no_wcag_violations(axe_page, world, persona, path):
    visit = _visit(world)
    path = {
        "visit": f"/visits/{visit.pk}/",
        "findings": f"/portfolios/{world.portfolio.pk}/ev-findings/",
        "centre": f"/ev/centres/{world.centre.pk}/",
    }.get(path, path)
    sign_in(axe_page, world.persona(persona).email)
    axe_page.goto(path)
    assert violations(axe_page) == []


def test_findings_errors_are_beside_their_fields_without_violations(axe_page, world):
    sign_in(axe_page, world.ev.email)
    axe_page.goto(f"/portfolios/{world.portfolio.pk}/ev-findings/")
    axe_page.get_by_role("button", name="Record my findings").click()
    assert axe_page.get_by_text("This field is required.").count() == 2
    assert violations(axe_page) == []
